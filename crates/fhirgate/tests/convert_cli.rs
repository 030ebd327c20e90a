//! `fhirgate convert` as a user runs it: real files from `tests/fixtures/hl7v2`, real output
//! files, exit codes and messages.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/hl7v2"
    ))
    .join(name)
}

fn convert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fhirgate"))
        .arg("convert")
        .args(args)
        .output()
        .expect("run fhirgate convert")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn one_message_to_stdout_is_a_transaction_bundle_with_the_report_on_request() {
    let input = fixture("adt_a01.hl7");
    let output = convert(&[input.to_str().unwrap(), "--report"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bundle: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "transaction");
    assert_eq!(bundle["timestamp"], "2026-11-25T10:15:00+01:00");
    let types: Vec<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["resource"]["resourceType"].as_str())
        .collect();
    for expected in ["Patient", "Encounter", "Provenance"] {
        assert!(types.contains(&expected), "{types:?}");
    }
    // The Z-segment is reported, never dropped quietly.
    let report = stderr(&output);
    assert!(report.contains("unmapped segment ZPI(4)"), "{report}");
    assert!(report.contains("converted 1, failed 0"), "{report}");
}

#[test]
fn the_same_message_twice_gives_the_same_bytes() {
    let input = fixture("oru_r01.hl7");
    let first = convert(&[input.to_str().unwrap(), "--format", "ndjson"]);
    let second = convert(&[input.to_str().unwrap(), "--format", "ndjson"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(first.stdout, second.stdout);
    // The decimal keeps its written precision.
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(text.contains(r#""value":13.50"#), "{text}");
}

#[test]
fn a_directory_gives_one_file_per_message_named_after_its_input() {
    let inputs = tempfile::tempdir().unwrap();
    for name in ["adt_a01.hl7", "oru_r01.hl7", "batch_two_adt.hl7"] {
        std::fs::copy(fixture(name), inputs.path().join(name)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let output = convert(&[
        inputs.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--format",
        "xml",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut written: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "adt_a01.xml",
            "batch_two_adt-1.xml",
            "batch_two_adt-2.xml",
            "oru_r01.xml"
        ]
    );
    let xml = std::fs::read_to_string(out.path().join("oru_r01.xml")).unwrap();
    assert!(
        xml.contains("<Bundle xmlns=\"http://hl7.org/fhir\">"),
        "{xml}"
    );
    assert!(xml.contains("<value value=\"13.50\"/>"), "{xml}");
    assert!(stderr(&output).contains("converted 4, failed 0"));
}

#[test]
fn an_unsupported_message_fails_with_a_message_naming_msh_9() {
    let input = fixture("qry_a19_unsupported.hl7");
    let output = convert(&[input.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("unsupported message type QRY^A19"),
        "{message}"
    );
    assert!(message.contains("MSH-9"), "{message}");
    assert!(message.contains("converted 0, failed 1"), "{message}");
    assert!(output.stdout.is_empty());
}

#[test]
fn a_missing_input_is_a_usage_error() {
    let output = convert(&["/nonexistent/input.hl7"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/nonexistent/input.hl7"));
}
