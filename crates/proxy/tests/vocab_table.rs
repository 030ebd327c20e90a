//! The committed vocabulary table is what the compiler makes of the shared v2-to-FHIR sheets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a test: a failure should stop it loudly"
)]

use std::path::Path;

#[path = "../examples/compile_vocab.rs"]
#[allow(dead_code, reason = "the example's `main` is not used here")]
mod compile_vocab;

/// The shared folder, seen from this crate.
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

#[test]
fn vocab_table_matches_shared_reference() {
    let mappings = Path::new(SHARED).join("reference/v2-to-fhir/mappings");
    if !mappings.is_dir() {
        eprintln!(
            "skipped: {} is absent, so the table cannot be recompiled",
            mappings.display()
        );
        return;
    }
    let compiled = compile_vocab::compile(&mappings).unwrap();
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/v2-vocab.tsv"))
            .unwrap();
    assert!(
        compiled.tsv == committed,
        "data/v2-vocab.tsv is stale: run `cargo run -p proxy --example compile_vocab`"
    );
    // What is left out is known and small: the sheets' conditional rows.
    let conditional: Vec<(&str, &str)> = compiled
        .conditions
        .iter()
        .map(|c| (c.map.as_str(), c.v2_code.as_str()))
        .collect();
    assert_eq!(
        conditional,
        vec![
            ("ResultStatus[Non-Queries]", "Y"),
            ("ResultStatus[Non-Queries]", "Z"),
            ("SegmentActionCode", "U"),
            ("SegmentActionCode", "U"),
        ]
    );
    assert_eq!(compiled.totals.kept, 2322);
}
