//! Inputs the `convert` fuzz target (crates/proxy/fuzz) once crashed on: each must convert or
//! fail cleanly, and a Bundle it produces must be R4-shaped (the strict XML writer accepts it).

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proxy::v2::Converter;

#[test]
fn every_fuzz_finding_converts_to_an_r4_shaped_bundle_or_fails_cleanly() {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz_regressions"
    ));
    let converter = Converter::default();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        if let Ok(conversion) = converter.convert(&input)
            && let Err(error) = fhir::xml::json_to_xml(&conversion.bundle)
        {
            panic!("{}: not R4-shaped: {error}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 1, "the regression inputs are missing");
}
