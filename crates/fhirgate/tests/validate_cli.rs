//! `fhirgate validate` and `fhirgate conformance query` as a user runs them: real FHIR files
//! from `tests/fixtures/fhir`, the committed `profiles/`, exit codes and outputs.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/fhir"
    ))
    .join(name)
    .display()
    .to_string()
}

fn profiles_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles").to_string()
}

fn fhirgate(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fhirgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fhirgate");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn validate(args: &[&str]) -> Output {
    let dir = profiles_dir();
    let mut all = vec!["validate", "--profiles-dir", dir.as_str()];
    all.extend_from_slice(args);
    fhirgate(&all, None)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// (arguments, expected exit code, text expected in stdout, text expected in stderr).
const EXIT_CASES: &[(&[&str], i32, &str, &str)] = &[
    (&["valid/patient-us-core.json"], 0, "", "1 valid, 0 invalid"),
    (
        &["valid/observation-heart-rate.xml"],
        0,
        "",
        "1 valid, 0 invalid",
    ),
    (
        &["valid/bundle-transaction.json"],
        0,
        "",
        "1 valid, 0 invalid",
    ),
    (&["valid"], 0, "", "3 valid, 0 invalid"),
    (
        &["invalid/unknown-type.json"],
        1,
        "invalid/unknown-type.json: fatal resource-type-unknown Patientt [1:1] \"Patientt\" is not an R4 resource type",
        "0 valid, 1 invalid",
    ),
    (
        &["invalid/patient-bad-date.json"],
        1,
        "invalid/patient-bad-date.json: error primitive-date Patient.birthDate [8:3] The value '1987-02-30' is not a valid date",
        "0 valid, 1 invalid",
    ),
    (
        &["invalid/patient-bad-date.json"],
        1,
        "invalid/patient-bad-date.json: error structure-unknown Patient [9:3] Unrecognized property 'favouriteColour'",
        "",
    ),
    // A profile asked for on the command line applies on top of the base definition.
    (
        &[
            "invalid/patient-bad-date.json",
            "--profile",
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|6.1.0",
        ],
        1,
        "error cardinality-min Patient [1:1] Patient.identifier: minimum required = 1",
        "",
    ),
    // XML input has no line and column.
    (
        &["invalid/observation-no-code.xml"],
        1,
        "invalid/observation-no-code.xml: error cardinality-min Observation Observation.code: minimum required = 1",
        "",
    ),
    (
        &["invalid/truncated.json"],
        1,
        "invalid/truncated.json: fatal parse-error - [4:1] not valid JSON",
        "",
    ),
    // An NDJSON file: one input per line, errors name the line.
    (
        &["resources.ndjson"],
        1,
        "resources.ndjson:3: fatal parse-error - [3:36] not valid JSON",
        "3 valid, 1 invalid",
    ),
    // Directories are walked recursively; the summary groups issues by message id.
    (&["."], 1, "", "1 × fatal resource-type-unknown"),
    (&["does-not-exist.json"], 2, "", "cannot read"),
    (
        &[
            "valid/patient-us-core.json",
            "--profile",
            "http://example.org/StructureDefinition/nope",
        ],
        2,
        "",
        "not loaded",
    ),
    (&["--output", "yaml", "valid"], 2, "", "invalid value"),
];

#[test]
fn exit_codes_and_messages() {
    for (args, code, stdout, stderr) in EXIT_CASES {
        let args: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let previous = i.checked_sub(1).map(|p| args[p]);
                let is_value = matches!(previous, Some("--profile" | "--output"));
                if a.starts_with("--") || is_value {
                    a.to_string()
                } else {
                    fixture(a)
                }
            })
            .collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = validate(&refs);
        let (out, err) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(*code), "{args:?}\n{out}\n{err}");
        assert!(out.contains(stdout), "{args:?}: stdout {out}");
        assert!(err.contains(stderr), "{args:?}: stderr {err}");
    }
}

#[test]
fn json_output_is_one_operation_outcome_per_input() {
    let output = validate(&["--output", "json", &fixture("resources.ndjson")]);
    assert_eq!(output.status.code(), Some(1));
    let outcomes: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(outcomes.len(), 4);
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        let name = outcome["extension"][0]["valueString"].as_str().unwrap();
        assert!(
            name.ends_with(&format!("resources.ndjson:{}", i + 1)),
            "{name}"
        );
    }
    let broken = &outcomes[2]["issue"][0];
    assert_eq!(broken["severity"], "fatal");
    assert_eq!(
        broken["extension"][0]["url"],
        "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"
    );
    assert_eq!(broken["extension"][0]["valueInteger"], 3);
}

#[test]
fn standard_input_json_and_xml() {
    let dir = profiles_dir();
    let json = std::fs::read_to_string(fixture("valid/patient-us-core.json")).unwrap();
    let xml = std::fs::read_to_string(fixture("valid/observation-heart-rate.xml")).unwrap();
    for (input, code) in [
        (json.as_str(), 0),
        (xml.as_str(), 0),
        ("{\"resourceType\": 1}", 1),
    ] {
        let output = fhirgate(&["validate", "--profiles-dir", &dir, "-"], Some(input));
        assert_eq!(output.status.code(), Some(code), "{}", text(&output.stderr));
    }
}

#[test]
fn the_log_records_each_input_and_query_filters_them() {
    let log = tempfile::tempdir().unwrap();
    let log_dir = log.path().to_str().unwrap();
    let output = validate(&["--log", log_dir, &fixture(".")]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let query = |extra: &[&str]| {
        let mut args = vec!["conformance", "query", "--log", log_dir];
        args.extend_from_slice(extra);
        let output = fhirgate(&args, None);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    // Parse failures have no resource, so they are not logged: 3 valid + 3 NDJSON lines + 3.
    assert_eq!(query(&[]).lines().count(), 9);
    let errors = query(&["--severity", "error"]);
    assert_eq!(errors.lines().count(), 3, "{errors}");
    assert!(errors.contains("Patientt/typo"), "{errors}");
    let patients = query(&["--type", "Patient"]);
    assert_eq!(patients.lines().count(), 4, "{patients}");
    let us_core = query(&[
        "--profile",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
    ]);
    assert_eq!(us_core.lines().count(), 1, "{us_core}");
    assert!(us_core.contains("Patient/example-1"), "{us_core}");
    assert_eq!(query(&["--until", "2000-01-01"]).lines().count(), 0);
    assert_eq!(
        query(&["--since", "2000-01-01T00:00:00Z"]).lines().count(),
        9
    );
    let json = query(&["--output", "json", "--type", "Patientt"]);
    let record: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    // Quoted values in messages are redacted in the log.
    let message = record["outcome"]["issue"][0]["details"]["text"]
        .as_str()
        .unwrap();
    assert!(!message.contains("Patientt"), "{message}");
    let bad = fhirgate(
        &[
            "conformance",
            "query",
            "--log",
            log_dir,
            "--since",
            "yesterday",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
}
