//! Compiles `crates/fhir/data/r4-types.txt` from the R4 core package.
//!
//! Usage: `cargo run -p fhir --example compile_r4_types [PACKAGE.tgz] [OUT.txt]`; the defaults
//! are `../shared/fhir-packages/hl7.fhir.r4.core-4.0.1.tgz` and the crate's `data/r4-types.txt`.
#![allow(
    clippy::expect_used,
    reason = "a developer tool: failing loudly is the right behaviour"
)]

use std::io::Read;

fn main() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let mut args = std::env::args().skip(1);
    let package = args.next().unwrap_or_else(|| {
        format!("{manifest}/../../../shared/fhir-packages/hl7.fhir.r4.core-4.0.1.tgz")
    });
    let out = args
        .next()
        .unwrap_or_else(|| format!("{manifest}/data/r4-types.txt"));
    let definitions = read_structure_definitions(&package).expect("read the package");
    let table = fhir::r4_types::compile_r4_types(&definitions).expect("compile the table");
    std::fs::write(&out, &table).expect("write the table");
    println!(
        "{} StructureDefinitions -> {out} ({} lines)",
        definitions.len(),
        table.lines().count()
    );
}

/// Reads every `package/StructureDefinition-*.json` of a FHIR package (.tgz).
fn read_structure_definitions(package: &str) -> std::io::Result<Vec<serde_json::Value>> {
    let file = std::fs::File::open(package)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut definitions = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let Some(name) = path.strip_prefix("package/") else {
            continue;
        };
        if !name.starts_with("StructureDefinition-")
            || !name.ends_with(".json")
            || name.contains('/')
        {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text)?;
        definitions.push(serde_json::from_str(&text)?);
    }
    Ok(definitions)
}
