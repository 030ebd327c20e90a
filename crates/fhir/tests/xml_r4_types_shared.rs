//! The committed type table (`data/r4-types.txt`) is what the R4 core package compiles to.
#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test code")]

use std::io::Read;

#[test]
fn r4_types_table_matches_shared_package() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let package = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fhir-packages/hl7.fhir.r4.core-4.0.1.tgz"
    ));
    if !package.exists() {
        eprintln!("skipping: {} is absent", package.display());
        return;
    }
    let file = std::fs::File::open(&package).expect("open the package");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut definitions = Vec::new();
    for entry in archive.entries().expect("read the package") {
        let mut entry = entry.expect("read an entry");
        let path = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .into_owned();
        let Some(name) = path.strip_prefix("package/") else {
            continue;
        };
        if name.starts_with("StructureDefinition-")
            && name.ends_with(".json")
            && !name.contains('/')
        {
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("read a definition");
            definitions.push(serde_json::from_str(&text).expect("definition JSON"));
        }
    }
    let compiled = fhir::r4_types::compile_r4_types(&definitions).expect("compile");
    let committed =
        std::fs::read_to_string(format!("{manifest}/data/r4-types.txt")).expect("committed table");
    let first_difference = compiled
        .lines()
        .zip(committed.lines())
        .position(|(a, b)| a != b);
    assert!(
        compiled == committed,
        "data/r4-types.txt is stale (first differing line {first_difference:?}); \
         run `cargo run -p fhir --example compile_r4_types`"
    );
    let table = fhir::r4_types::TypeTable::parse(&compiled).expect("parse");
    let n_resources = [
        "Patient",
        "Observation",
        "Bundle",
        "Parameters",
        "Questionnaire",
    ]
    .iter()
    .filter(|name| table.is_resource(name))
    .count();
    assert_eq!(n_resources, 5);
    eprintln!(
        "{} definitions, {} table lines",
        definitions.len(),
        compiled.lines().count()
    );
}
