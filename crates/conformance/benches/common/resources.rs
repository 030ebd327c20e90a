//! The resources the validation benchmarks time, shared by `benches/validate.rs`, the profiling
//! driver `examples/validate_loop.rs` and the peer harness `benches/peer` (each includes this
//! file with `#[path]`): a US Core 6.1.0 Patient, a heart-rate Observation, and a transaction
//! Bundle of that Patient and 99 such Observations.

use serde_json::{Value, json};

const PATIENT: &str = include_str!("../../../../tests/fixtures/fhir/valid/patient-us-core.json");
const OBSERVATION: &str =
    include_str!("../../../../tests/fixtures/fhir/valid/observation-heart-rate.xml");

/// The three resources: (name, resource, resources inside).
pub fn resources() -> Vec<(&'static str, Value, u64)> {
    let patient: Value = serde_json::from_str(PATIENT).expect("the Patient fixture is JSON");
    let observation =
        fhir::xml::xml_to_json(OBSERVATION).expect("the Observation fixture is FHIR XML");
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
