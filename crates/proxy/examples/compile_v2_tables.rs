//! Compiles the codes of the HL7 v2 tables (CodeSystems `v2-NNNN`) into
//! `crates/proxy/data/v2-table-codes.tsv`, so that the converter writes a table's system only
//! for a code that is in the table.
//!
//! Usage: `cargo run -p proxy --example compile_v2_tables [TERMINOLOGY_TGZ [CORE_TGZ [OUT_FILE]]]`.
//! The defaults are `../shared/fhir-packages/hl7.terminology.r4-7.0.1.tgz` and
//! `../shared/fhir-packages/hl7.fhir.r4.core-4.0.1.tgz` (seen from the workspace) and the
//! committed table.
//!
//! Input: the `package/CodeSystem-v2-NNNN.json` resources of the terminology package; a table the
//! terminology package lacks (user-defined tables such as 0023) is taken from the R4 core
//! package. Output: one line per table, tab-separated: `NNNN  code  code …` (code values only,
//! nested concepts included, sorted), tables in order.
//!
//! The test `v2_table_codes_match_shared_packages` runs [`compile`] and compares its output with
//! the committed file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why compiling failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A package could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The package.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A CodeSystem is not JSON.
    #[error("{path}: {entry}: {source}")]
    Json {
        /// The package.
        path: PathBuf,
        /// The entry in it.
        entry: String,
        /// The underlying error.
        source: serde_json::Error,
    },
}

/// The table number of a package entry `package/CodeSystem-v2-NNNN.json`.
fn table_of(entry: &str) -> Option<&str> {
    let table = entry
        .strip_prefix("package/CodeSystem-v2-")?
        .strip_suffix(".json")?;
    (table.len() == 4 && table.chars().all(|c| c.is_ascii_digit())).then_some(table)
}

fn collect(concepts: &serde_json::Value, codes: &mut BTreeSet<String>) {
    for concept in concepts.as_array().into_iter().flatten() {
        if let Some(code) = concept.get("code").and_then(serde_json::Value::as_str) {
            codes.insert(code.trim().replace(['\t', '\n', '\r'], " "));
        }
        if let Some(nested) = concept.get("concept") {
            collect(nested, codes);
        }
    }
}

/// The v2 tables of one package: table → codes.
fn read_package(path: &Path) -> Result<BTreeMap<String, BTreeSet<String>>, CompileError> {
    let io = |source| CompileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut tables = BTreeMap::new();
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let name = entry.path().map_err(io)?.to_string_lossy().into_owned();
        let Some(table) = table_of(&name) else {
            continue;
        };
        let table = table.to_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).map_err(io)?;
        let resource: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| CompileError::Json {
                path: path.to_path_buf(),
                entry: name.clone(),
                source,
            })?;
        let mut codes = BTreeSet::new();
        if let Some(concepts) = resource.get("concept") {
            collect(concepts, &mut codes);
        }
        codes.remove("");
        tables.insert(table, codes);
    }
    Ok(tables)
}

/// The compiled file's text.
pub fn compile(terminology: &Path, core: &Path) -> Result<String, CompileError> {
    let mut tables = read_package(terminology)?;
    for (table, codes) in read_package(core)? {
        tables.entry(table).or_insert(codes);
    }
    let mut out = String::from(
        "# Codes of the HL7 v2 tables, compiled by `cargo run -p proxy --example compile_v2_tables`\n\
         # from hl7.terminology.r4-7.0.1 (else hl7.fhir.r4.core-4.0.1). Do not edit by hand.\n",
    );
    for (table, codes) in tables {
        out.push_str(&table);
        for code in codes {
            out.push('\t');
            out.push_str(&code);
        }
        out.push('\n');
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let packages = manifest.join("../../../shared/fhir-packages");
    let mut args = std::env::args_os().skip(1);
    let terminology = args.next().map_or_else(
        || packages.join("hl7.terminology.r4-7.0.1.tgz"),
        PathBuf::from,
    );
    let core = args.next().map_or_else(
        || packages.join("hl7.fhir.r4.core-4.0.1.tgz"),
        PathBuf::from,
    );
    let out = args
        .next()
        .map_or_else(|| manifest.join("data/v2-table-codes.tsv"), PathBuf::from);
    let text = compile(&terminology, &core)?;
    std::fs::write(&out, &text)?;
    println!(
        "wrote {} ({} tables)",
        out.display(),
        text.lines().count() - 2
    );
    Ok(())
}
