//! The committed v2 table codes are what the compiler makes of the shared FHIR packages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a test: a failure should stop it loudly"
)]

use std::path::Path;

#[path = "../examples/compile_v2_tables.rs"]
#[allow(dead_code, reason = "the example's `main` is not used here")]
mod compile_v2_tables;

/// The shared packages, seen from this crate.
const PACKAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fhir-packages");

#[test]
fn v2_table_codes_match_shared_packages() {
    let packages = Path::new(PACKAGES);
    let terminology = packages.join("hl7.terminology.r4-7.0.1.tgz");
    let core = packages.join("hl7.fhir.r4.core-4.0.1.tgz");
    if !terminology.is_file() || !core.is_file() {
        eprintln!("skipped: the shared FHIR packages are absent at {PACKAGES}");
        return;
    }
    let compiled = compile_v2_tables::compile(&terminology, &core).unwrap();
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/v2-table-codes.tsv"),
    )
    .unwrap();
    assert!(
        compiled == committed,
        "data/v2-table-codes.tsv is stale: run `cargo run -p proxy --example compile_v2_tables`"
    );
    assert!(compiled.lines().any(|line| line.starts_with("0023\t")));
}
