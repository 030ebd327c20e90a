//! Every pharmacy message of the shared corpus (RDE_O11, RDE_O25, RDS_O13) converts, with
//! MedicationRequests (and, for RDS, MedicationDispenses) carrying their required elements; the
//! unmapped report is printed. Reads ../shared: skipped with a reason when absent.

// Test code: a failed read or conversion should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use proxy::v2::Converter;
use serde_json::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");
const FILES: &[&str] = &["RDE-O11-", "RDE-O25-", "RDS-O13-"];

fn resources<'b>(bundle: &'b Value, resource_type: &str) -> Vec<&'b Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| &entry["resource"])
        .filter(|r| r["resourceType"] == resource_type)
        .collect()
}

#[test]
fn pharmacy_corpus_shared_converts_with_required_elements() {
    let corpus = Path::new(SHARED).join("corpus/hl7v2/ms-fhir-converter");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            FILES.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect();
    files.sort();
    let converter = Converter::default();
    let mut unmapped_by_segment: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let conversion = converter
            .convert(&std::fs::read(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let requests = resources(&conversion.bundle, "MedicationRequest");
        assert!(!requests.is_empty(), "{name}: no MedicationRequest");
        for request in &requests {
            for member in ["status", "intent", "medicationCodeableConcept", "subject"] {
                assert!(
                    request.get(member).is_some(),
                    "{name}: MedicationRequest without {member}: {request:#}"
                );
            }
        }
        assert!(
            requests.iter().any(|r| r["intent"] == "order"),
            "{name}: no encoded order"
        );
        let dispenses = resources(&conversion.bundle, "MedicationDispense");
        if name.starts_with("RDS") {
            assert!(!dispenses.is_empty(), "{name}: no MedicationDispense");
        }
        for dispense in &dispenses {
            for member in [
                "status",
                "medicationCodeableConcept",
                "subject",
                "authorizingPrescription",
            ] {
                assert!(
                    dispense.get(member).is_some(),
                    "{name}: MedicationDispense without {member}: {dispense:#}"
                );
            }
        }
        eprintln!(
            "{name}: {} MedicationRequest, {} MedicationDispense",
            requests.len(),
            dispenses.len()
        );
        for unmapped in &conversion.report.unmapped {
            let key = format!(
                "{}-{}",
                unmapped.location.segment_id.as_deref().unwrap_or("?"),
                unmapped
                    .location
                    .field
                    .map(|f| f.to_string())
                    .unwrap_or_default()
            );
            *unmapped_by_segment.entry(key).or_default() += 1;
        }
    }
    eprintln!("unmapped (segment-field: count): {unmapped_by_segment:?}");
    assert_eq!(files.len(), 6, "expected the six pharmacy messages");
}
