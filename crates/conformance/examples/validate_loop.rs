//! Profiling driver: validates one of the bench resources in a loop.
//! `cargo run --release -p conformance --example validate_loop -- observation 2000`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use conformance::Registry;
use conformance::validate::{ValidateOptions, Validator};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/fhir/valid")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "observation".into());
    let n: usize = args.next().map_or(1000, |s| s.parse().unwrap());
    let patient: Value = serde_json::from_str(&fixture("patient-us-core.json")).unwrap();
    let observation = fhir::xml::xml_to_json(&fixture("observation-heart-rate.xml")).unwrap();
    let resource = match which.as_str() {
        "patient" => patient,
        "observation" => observation,
        _ => {
            let mut entries = vec![json!({
                "fullUrl": "urn:uuid:00000000-0000-5000-8000-000000000000",
                "resource": patient.clone(),
                "request": {"method": "PUT", "url": "Patient/example-1"}
            })];
            for i in 1..100 {
                let mut o = observation.clone();
                o["id"] = json!(format!("obs-{i}"));
                o["subject"] =
                    json!({"reference": "urn:uuid:00000000-0000-5000-8000-000000000000"});
                entries.push(json!({
                    "fullUrl": format!("urn:uuid:00000000-0000-5000-8000-{i:012}"),
                    "resource": o,
                    "request": {"method": "POST", "url": "Observation"}
                }));
            }
            json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
        }
    };
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles");
    let validator = Validator::new(Arc::new(Registry::load_dir(&profiles).unwrap()));
    let options = ValidateOptions::default();
    let first = validator.validate(&resource, &options);
    eprintln!("{which}: {:?} issues {:?}", first.counts(), first.issues);
    let start = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n {
        total += validator
            .validate(std::hint::black_box(&resource), &options)
            .issues
            .len();
    }
    let elapsed = start.elapsed();
    eprintln!(
        "{n} validations in {elapsed:?}: {:?} each ({total})",
        elapsed / n as u32
    );
}
