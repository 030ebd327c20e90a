//! Bytes → JSON or FHIR XML → `Validator::validate`, plus the source map and the conformance
//! log record of the outcome. Crashes only: any input must give an outcome, never a panic.

#![no_main]

use std::sync::{Arc, OnceLock};

use conformance::log::Record;
use conformance::source_map::SourceMap;
use conformance::validate::{ValidateOptions, Validator};
use libfuzzer_sys::fuzz_target;

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../profiles");
        let registry = conformance::Registry::load_dir(&dir).unwrap_or_default();
        Validator::new(Arc::new(registry))
    })
}

fn check(text: &str, resource: &serde_json::Value) {
    let us_core = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|6.1.0";
    for profiles in [Vec::new(), vec![us_core.to_string()]] {
        let mut outcome = validator().validate(resource, &ValidateOptions { profiles });
        SourceMap::build(text).fill(&mut outcome.issues);
        let _ = outcome.to_operation_outcome();
        let _ = Record::new(jiff::Timestamp::UNIX_EPOCH, "fuzz", resource, &outcome);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The source map must cope with any text, JSON or not.
    let _ = SourceMap::build(text).len();
    if let Ok(resource) = serde_json::from_str::<serde_json::Value>(text) {
        check(text, &resource);
    }
    if let Ok(resource) = fhir::xml::xml_to_json(text) {
        check("", &resource);
    }
});
