//! Every order/result/vaccination message of the shared corpus converts; ORU Observations are
//! compared (code, value, unit) with the Microsoft FHIR-Converter's output, and the agreement
//! and the unmapped report are printed. Reads ../shared: skipped with a reason when absent.

// Test code: a failed read or conversion should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use proxy::v2::Converter;
use serde_json::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");
const FAMILIES: &[&str] = &["ORU^", "ORM^", "OML^", "OUL^", "OMG^", "VXU^"];

/// `code|value|unit` of each Observation in a Bundle.
fn observations(bundle: &Value) -> Vec<String> {
    let mut out: Vec<String> = bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| &entry["resource"])
        .filter(|r| r["resourceType"] == "Observation")
        .map(|r| {
            let code = r["code"]["coding"][0]["code"].as_str().unwrap_or("");
            let value = match (&r["valueQuantity"]["value"], &r["valueString"]) {
                (Value::Number(n), _) => n
                    .to_string()
                    .parse::<f64>()
                    .map(|f| f.to_string())
                    .unwrap_or_default(),
                (_, Value::String(s)) => s.trim().to_owned(),
                _ => String::new(),
            };
            let unit = r["valueQuantity"]["unit"].as_str().unwrap_or("");
            format!("{code}|{value}|{unit}")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn orders_corpus_shared_converts_and_agrees_on_observations() {
    let corpus = Path::new(SHARED).join("corpus/hl7v2/ms-fhir-converter");
    let expected_dir = Path::new(SHARED).join("corpus/hl7v2/ms-fhir-converter-expected");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    let converter = Converter::default();
    let (mut converted, mut agree, mut compared) = (0, 0, 0);
    let mut unmapped_by_segment: BTreeMap<String, usize> = BTreeMap::new();
    for path in files {
        let input = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&input);
        let msh9 = text
            .split(['\r', '\n'])
            .next()
            .unwrap_or("")
            .split('|')
            .nth(8)
            .unwrap_or("")
            .to_owned();
        if !FAMILIES.iter().any(|f| msh9.starts_with(f)) {
            continue;
        }
        let conversion = converter
            .convert(&input)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        converted += 1;
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
        if conversion.structure != "ORU_R01" {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expected_path = expected_dir
            .join("ORU_R01")
            .join(format!("{stem}-expected.json"));
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        let expected: Value = serde_json::from_str(&expected).unwrap();
        let ours = observations(&conversion.bundle);
        let theirs = observations(&expected);
        for observation in &theirs {
            compared += 1;
            if ours.contains(observation) {
                agree += 1;
            } else {
                eprintln!("{stem}: theirs {observation} not in ours");
            }
        }
    }
    eprintln!("converted {converted} order/result/vaccination messages");
    eprintln!(
        "ORU Observations agreeing with the MS converter (code|value|unit): {agree}/{compared}"
    );
    eprintln!("unmapped (segment-field: count): {unmapped_by_segment:?}");
    assert!(converted >= 20, "only {converted} messages converted");
    assert!(
        compared > 0 && agree * 10 >= compared * 8,
        "{agree}/{compared} agree"
    );
}
