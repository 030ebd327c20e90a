//! Validation throughput, single core: a US Core 6.1.0 Patient, a vital-signs Observation and
//! a 100-entry transaction Bundle, against the committed `profiles/`.
//!
//! `cargo bench -p conformance --bench validate`. The peer (`rh-validator`) and the figures
//! are in `conformance/REPORT.md`, section "Performance".

// Bench code: a missing fixture is a failed bench.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use conformance::Registry;
use conformance::validate::{ValidateOptions, Validator};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/fhir/valid")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The three resources: (name, resource, resources inside).
pub fn resources() -> Vec<(&'static str, Value, u64)> {
    let patient: Value = serde_json::from_str(&fixture("patient-us-core.json")).unwrap();
    let observation = fhir::xml::xml_to_json(&fixture("observation-heart-rate.xml")).unwrap();
    let mut entries = vec![json!({
        "fullUrl": "urn:uuid:00000000-0000-5000-8000-000000000000",
        "resource": patient.clone(),
        "request": {"method": "PUT", "url": "Patient/example-1"}
    })];
    for i in 1..100 {
        let mut entry_observation = observation.clone();
        entry_observation["id"] = json!(format!("obs-{i}"));
        entry_observation["subject"] =
            json!({"reference": "urn:uuid:00000000-0000-5000-8000-000000000000"});
        entries.push(json!({
            "fullUrl": format!("urn:uuid:00000000-0000-5000-8000-{i:012}"),
            "resource": entry_observation,
            "request": {"method": "POST", "url": "Observation"}
        }));
    }
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
    vec![
        ("us-core-patient", patient, 1),
        ("observation", observation, 1),
        ("transaction-bundle-100", bundle, 101),
    ]
}

fn validate(c: &mut Criterion) {
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles");
    let registry = Registry::load_dir(&profiles).unwrap();
    let validator = Validator::new(Arc::new(registry));
    let options = ValidateOptions::default();
    let mut group = c.benchmark_group("validate");
    for (name, resource, count) in resources() {
        let outcome = validator.validate(&resource, &options);
        // A conforming example must stay valid: say so loudly if the validator disagrees.
        if !outcome.is_valid() {
            eprintln!("{name} is not valid: {:#?}", outcome.issues);
        }
        group.throughput(Throughput::Elements(count));
        group.bench_function(name, |b| {
            b.iter(|| validator.validate(black_box(&resource), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
