//! Every JSON resource of the R4 examples package survives JSON → XML → JSON unchanged.
#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test code")]

use std::io::Read;

use serde_json::Value;

/// Example files whose round trip is allowed to differ, with the reason.
const EXCEPTIONS: &[(&str, &str)] = &[];

fn shared_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// Sorts object members (XML forces definition order) so that only content is compared.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Serde_json writes exponents canonically (`1E3` as `1e+3`) whichever way the number came in,
/// so compare numbers by their text after that canonicalization (which keeps every digit).
fn compact(value: &Value) -> String {
    serde_json::to_string(&sorted(value)).unwrap_or_default()
}

#[test]
fn xml_roundtrip_examples_shared() {
    let package = shared_dir().join("fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz");
    if !package.exists() {
        eprintln!("skipping: {} is absent", package.display());
        return;
    }
    let file = std::fs::File::open(&package).expect("open the package");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let (mut n_files, mut n_skipped, mut n_identical, mut n_excepted) =
        (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut xml_bytes = 0usize;
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
        if name.contains('/')
            || !name.ends_with(".json")
            || name == "package.json"
            || name == ".index.json"
        {
            continue;
        }
        n_files += 1;
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("read a file");
        let json: Value = match serde_json::from_str(&text) {
            Ok(json) => json,
            Err(e) => {
                failures.push(format!("{name}: not JSON: {e}"));
                continue;
            }
        };
        if !json.get("resourceType").is_some_and(Value::is_string) {
            n_skipped += 1;
            continue;
        }
        let outcome = fhir::xml::json_to_xml(&json)
            .map_err(|e| format!("json_to_xml: {e}"))
            .and_then(|xml| {
                xml_bytes += xml.len();
                fhir::xml::xml_to_json(&xml).map_err(|e| format!("xml_to_json: {e}"))
            })
            .and_then(|back| {
                if compact(&back) == compact(&json) {
                    Ok(())
                } else {
                    Err(first_difference(&json, &back))
                }
            });
        match (outcome, EXCEPTIONS.iter().find(|(file, _)| *file == name)) {
            (Ok(()), None) => n_identical += 1,
            (Ok(()), Some(_)) => failures.push(format!(
                "{name}: listed as an exception but now round-trips; remove it"
            )),
            (Err(reason), Some((_, why))) => {
                n_excepted += 1;
                eprintln!("exception {name}: {reason} (listed: {why})");
            }
            (Err(reason), None) => failures.push(format!("{name}: {reason}")),
        }
    }
    eprintln!(
        "examples: {n_files} files, {n_skipped} not resources, {n_identical} identical, {n_excepted} listed exceptions, \
         {} failures, {xml_bytes} XML bytes written",
        failures.len()
    );
    for failure in failures.iter().take(50) {
        eprintln!("FAIL {failure}");
    }
    assert!(
        n_files > 5000,
        "expected about 5300 example files, found {n_files}"
    );
    assert!(
        failures.is_empty(),
        "{} examples failed the round trip",
        failures.len()
    );
}

/// Describes the first place where two JSON values differ.
fn first_difference(expected: &Value, actual: &Value) -> String {
    fn walk(path: &str, expected: &Value, actual: &Value) -> Option<String> {
        match (expected, actual) {
            (Value::Object(a), Value::Object(b)) => {
                for (key, value) in a {
                    match b.get(key) {
                        Some(other) => {
                            if let Some(found) = walk(&format!("{path}.{key}"), value, other) {
                                return Some(found);
                            }
                        }
                        None => return Some(format!("{path}.{key} missing after the round trip")),
                    }
                }
                b.keys()
                    .find(|k| !a.contains_key(*k))
                    .map(|k| format!("{path}.{k} added by the round trip"))
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
                .iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| walk(&format!("{path}[{i}]"), x, y)),
            (a, b) if a == b => None,
            (Value::String(a), Value::String(b)) => {
                let at = a
                    .char_indices()
                    .zip(b.chars())
                    .find(|((_, x), y)| x != y)
                    .map_or(a.len().min(b.len()), |((i, _), _)| i);
                let context =
                    |s: &str| truncate(s.get(at.saturating_sub(20)..).unwrap_or_default());
                Some(format!(
                    "{path}: strings differ at byte {at}: {:?} became {:?}",
                    context(a),
                    context(b)
                ))
            }
            (a, b) => Some(format!(
                "{path}: {} became {}",
                truncate(&a.to_string()),
                truncate(&b.to_string())
            )),
        }
    }
    walk("", expected, actual).unwrap_or_else(|| "values differ".to_owned())
}

fn truncate(text: &str) -> String {
    text.chars().take(120).collect()
}
