//! Converts every SIU, MDM, DFT, BAR, REF and PPR message of the shared corpus: each must
//! convert; the resource counts are printed beside the other converter's expected output, with
//! our unmapped report. Skips (with a reason) when `../shared` is absent.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proxy::v2::Converter;
use serde_json::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");
/// The same directory seen from a git worktree one level deeper (`/work/wt/<name>`).
const SHARED_FROM_WORKTREE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared");

fn shared() -> Option<&'static Path> {
    [SHARED, SHARED_FROM_WORKTREE]
        .into_iter()
        .map(Path::new)
        .find(|path| path.join("corpus/hl7v2").is_dir())
}
const PREFIXES: &[&str] = &["SIU", "MDM", "DFT", "BAR", "REF", "PC1-Problem"];

fn counts(bundle: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        let kind = entry["resource"]["resourceType"].as_str().unwrap_or("?");
        *counts.entry(kind.to_owned()).or_insert(0) += 1;
    }
    counts
}

fn expected_for(path: &Path, structure: &str) -> Option<Value> {
    let stem = path.file_stem()?.to_str()?;
    let dir = shared()?.join("corpus/hl7v2/ms-fhir-converter-expected");
    let by_trigger = dir.join(structure).join(format!("{stem}-expected.json"));
    let text = std::fs::read_to_string(by_trigger).ok().or_else(|| {
        // Their folders are named by trigger (SIU_S13), ours by structure (SIU_S12).
        let trigger = stem.get(..7)?.replace('-', "_");
        std::fs::read_to_string(dir.join(trigger).join(format!("{stem}-expected.json"))).ok()
    })?;
    serde_json::from_str(&text).ok()
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = shared()?.join("corpus/hl7v2/ms-fhir-converter");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn sched_corpus_shared_messages_convert() {
    let Some(files) = corpus_files() else {
        eprintln!("skipped: {SHARED} is absent (the shared corpus is not checked out)");
        return;
    };
    let converter = Converter::default();
    let mut converted = 0;
    for path in &files {
        let input = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let conversion = match converter.convert(&input) {
            Ok(conversion) => conversion,
            Err(error) => {
                // Corpus files named for one family but carrying another structure (SIU_12.hl7
                // is an ADT_A60) belong to another family's test.
                let text = String::from_utf8_lossy(&input);
                let mine = ["|SIU^", "|MDM^", "|DFT^", "|BAR^", "|REF^", "|PPR^"]
                    .iter()
                    .any(|code| text.contains(code));
                assert!(!mine, "{name}: {error}");
                eprintln!("{name}: not one of these structures ({error})");
                continue;
            }
        };
        converted += 1;
        let ours = counts(&conversion.bundle);
        let theirs = expected_for(path, &conversion.structure)
            .map(|bundle| counts(&bundle))
            .unwrap_or_default();
        eprintln!("== {name} ({})", conversion.structure);
        eprintln!("   ours:   {ours:?}");
        eprintln!("   theirs: {theirs:?}");
        for line in conversion.report.to_string().lines() {
            eprintln!("   {line}");
        }
    }
    assert!(converted >= 45, "only {converted} messages converted");
}
