//! Every ADT message of `../shared/corpus/hl7v2/ms-fhir-converter` converts: a Patient per PID
//! with every identifier the PID holds (compared with the FHIR-Converter's expected count, printed
//! as one opinion), an Encounter per PV1, the Provenance, and the unmapped report (printed per
//! file, so what is not mapped yet is visible in the test log). Every Bundle must pass the strict
//! FHIR XML writer, which knows the R4 element names and shapes.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use proxy::site_config::SiteConfig;
use proxy::v2::Converter;
use serde_json::Value;

fn shared() -> Option<PathBuf> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    path.is_dir().then_some(path)
}

fn resources<'a>(bundle: &'a Value, resource_type: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| &entry["resource"])
        .filter(|resource| resource["resourceType"] == resource_type)
        .collect()
}

/// How many identifiers a PID carries: repetitions of PID-2/3/4 with a CX-1, plus PID-19 (SSN)
/// and PID-20 (driver's license).
fn pid_identifier_count(segment: &hl7v2::Segment<'_>) -> usize {
    let repetitions = [2, 3, 4]
        .iter()
        .flat_map(|&n| segment.field(n).repetitions().collect::<Vec<_>>())
        .filter(|repetition| !repetition.component(1).decoded().trim().is_empty())
        .count();
    let singles = [19, 20]
        .iter()
        .filter(|&&n| !segment.field(n).component(1).decoded().trim().is_empty())
        .count();
    repetitions + singles
}

#[test]
fn every_adt_message_of_the_corpus_converts_shared() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is absent, so there is no corpus to convert");
        return;
    };
    let corpus = shared.join("corpus/hl7v2/ms-fhir-converter");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("ADT") && name.ends_with(".hl7"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 57, "the corpus has 57 ADT messages");
    let converter = Converter::new(SiteConfig::default());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(path).unwrap();
        let conversion = converter
            .convert(&input)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let bundle = &conversion.bundle;
        let (message, _) = hl7v2::parse(&input);

        // The strict XML writer accepts only R4 element names, shapes and choice types.
        if let Err(error) = fhir::xml::json_to_xml(bundle) {
            panic!("{name}: not R4-shaped: {error}");
        }
        let pids: Vec<_> = message.segments_named("PID").collect();
        let patients = resources(bundle, "Patient");
        assert!(!patients.is_empty(), "{name}: no Patient");
        let expected_ids: usize = pids.iter().map(pid_identifier_count).sum();
        let ours: usize = patients
            .iter()
            .map(|patient| patient["identifier"].as_array().map_or(0, Vec::len))
            .sum();
        // MRG adds one Patient per merged-away identity, with MRG-1's identifiers.
        let merged: usize = message
            .segments_named("MRG")
            .map(|mrg| mrg.field(1).repetitions().filter(|r| !r.is_empty()).count())
            .sum();
        assert!(
            ours == expected_ids || ours == expected_ids + merged,
            "{name}: {ours} Patient identifiers, the PID segments hold {expected_ids}"
        );

        let n_pv1 = message.segments_named("PV1").count();
        let encounters = resources(bundle, "Encounter");
        assert!(
            n_pv1 == 0 || !encounters.is_empty(),
            "{name}: PV1 without an Encounter"
        );
        for encounter in &encounters {
            assert!(
                encounter.get("status").is_some(),
                "{name}: Encounter.status"
            );
            assert!(encounter.get("class").is_some(), "{name}: Encounter.class");
        }
        assert!(
            !resources(bundle, "Provenance").is_empty(),
            "{name}: no Provenance"
        );

        // The expected output sits in a folder named after MSH-9 (ADT_A04 for an ADT^A04 sent
        // as structure ADT_A01), so look in every folder.
        let expected_name = name.replace(".hl7", "-expected.json");
        let theirs = std::fs::read_dir(shared.join("corpus/hl7v2/ms-fhir-converter-expected"))
            .unwrap()
            .map(|entry| entry.unwrap().path().join(&expected_name))
            .find(|path| path.is_file())
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .map(|expected| {
                resources(&expected, "Patient")
                    .iter()
                    .map(|patient| patient["identifier"].as_array().map_or(0, Vec::len))
                    .sum::<usize>()
            });
        eprintln!(
            "== {name} ({}): {} resources; Patient identifiers ours {ours}, FHIR-Converter {}",
            conversion.structure,
            bundle["entry"].as_array().map_or(0, Vec::len),
            theirs.map_or("-".to_owned(), |n| n.to_string())
        );
        eprint!("{}", conversion.report);
    }
}
