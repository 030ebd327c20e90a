use super::*;
use crate::validate::{Issue, IssueType};
use serde_json::json;

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn outcome(severities: &[IssueSeverity], profile: &str) -> Outcome {
    Outcome {
        issues: severities
            .iter()
            .map(|s| {
                Issue::new(
                    *s,
                    IssueType::Value,
                    "value-format",
                    "Patient.birthDate",
                    "The value provided ('1970-13-01') is not a valid date",
                )
            })
            .collect(),
        profiles_checked: vec![profile.to_string()],
    }
}

fn record(at: &str, message: &str, resource_type: &str, severities: &[IssueSeverity]) -> Record {
    let profile = format!("http://hl7.org/fhir/StructureDefinition/{resource_type}|4.0.1");
    Record::new(
        time(at),
        message,
        &json!({"resourceType": resource_type, "id": "r1"}),
        &outcome(severities, &profile),
    )
}

#[test]
fn redact_cases() {
    for (text, expected) in [
        ("no quotes here", "no quotes here"),
        (
            "The value provided ('x') is bad",
            "The value provided ('…') is bad",
        ),
        ("a \"b\" c 'd' e", "a \"…\" c '…' e"),
        ("curly ‘x’ and “y”", "curly ‘…’ and “…”"),
        ("unclosed 'abc", "unclosed '…"),
        ("empty ''", "empty '…'"),
    ] {
        assert_eq!(redact(text), expected, "{text}");
    }
}

#[test]
fn record_fields() {
    let r = record(
        "2024-05-01T10:00:00Z",
        "msg-1",
        "Patient",
        &[IssueSeverity::Error, IssueSeverity::Warning],
    );
    assert_eq!(r.resource, "Patient/r1");
    assert_eq!(r.resource_type(), "Patient");
    assert_eq!(r.time, "2024-05-01T10:00:00Z");
    assert_eq!(
        r.counts,
        Counts {
            error: 1,
            warning: 1,
            information: 0
        }
    );
    let text = r.outcome.pointer("/issue/0/details/text").unwrap();
    assert_eq!(text, "The value provided ('…') is not a valid date");
    assert_eq!(
        r.outcome.pointer("/issue/0/expression/0").unwrap(),
        "Patient.birthDate"
    );
    let no_id = Record::new(
        time("2024-05-01T10:00:00Z"),
        "m",
        &json!({"resourceType": "Observation"}),
        &Outcome::default(),
    );
    assert_eq!(no_id.resource, "Observation");
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn rotation_by_size_and_day() {
    let dir = tempfile::tempdir().unwrap();
    let one = serde_json::to_vec(&record("2024-05-01T10:00:00Z", "m0", "Patient", &[]))
        .unwrap()
        .len() as u64
        + 1;
    let policy = RotationPolicy {
        max_bytes: one * 2 + 10,
        daily: true,
    };
    let mut log = ConformanceLog::open(dir.path(), policy).unwrap();
    for i in 0..5 {
        log.append(&record(
            "2024-05-01T10:00:00Z",
            &format!("m{i}"),
            "Patient",
            &[],
        ))
        .unwrap();
    }
    log.append(&record("2024-05-02T00:00:01Z", "m5", "Patient", &[]))
        .unwrap();
    // A clock step back keeps writing the current file.
    log.append(&record("2024-05-01T23:59:59Z", "m6", "Patient", &[]))
        .unwrap();
    assert_eq!(
        names(dir.path()),
        [
            "conformance-2024-05-01.1.jsonl",
            "conformance-2024-05-01.2.jsonl",
            "conformance-2024-05-01.jsonl",
            "conformance-2024-05-02.jsonl"
        ]
    );
    drop(log);
    // Reopening appends to the newest file.
    let mut log = ConformanceLog::open(dir.path(), policy).unwrap();
    assert!(
        log.current_path()
            .unwrap()
            .ends_with("conformance-2024-05-02.jsonl")
    );
    log.append(&record("2024-05-02T01:00:00Z", "m7", "Patient", &[]))
        .unwrap();
    log.sync().unwrap();
    let all: Vec<String> = query(dir.path(), Filter::default())
        .unwrap()
        .map(|r| r.unwrap().message_id)
        .collect();
    assert_eq!(all, ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
}

#[test]
fn query_filters() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = ConformanceLog::open(dir.path(), RotationPolicy::default()).unwrap();
    use IssueSeverity::*;
    let records = [
        record("2024-05-01T10:00:00Z", "a", "Patient", &[Error]),
        record("2024-05-02T10:00:00Z", "b", "Observation", &[Warning]),
        record("2024-05-03T10:00:00Z", "c", "Patient", &[]),
        record(
            "2024-05-04T10:00:00Z",
            "d",
            "Observation",
            &[Fatal, Information],
        ),
    ];
    for r in &records {
        log.append(r).unwrap();
    }
    let cases: Vec<(Filter, &[&str])> = vec![
        (Filter::default(), &["a", "b", "c", "d"]),
        (
            Filter {
                since: Some(time("2024-05-02T10:00:00Z")),
                ..Filter::default()
            },
            &["b", "c", "d"],
        ),
        (
            Filter {
                until: Some(time("2024-05-03T10:00:00Z")),
                ..Filter::default()
            },
            &["a", "b"],
        ),
        (
            Filter {
                severity: Some(Error),
                ..Filter::default()
            },
            &["a", "d"],
        ),
        (
            Filter {
                severity: Some(Information),
                ..Filter::default()
            },
            &["d"],
        ),
        (
            Filter {
                resource_type: Some("Observation".into()),
                ..Filter::default()
            },
            &["b", "d"],
        ),
        (
            Filter {
                profile: Some("http://hl7.org/fhir/StructureDefinition/Patient".into()),
                ..Filter::default()
            },
            &["a", "c"],
        ),
        (
            Filter {
                profile: Some("http://hl7.org/fhir/StructureDefinition/Patient|3.0.2".into()),
                ..Filter::default()
            },
            &[],
        ),
    ];
    for (filter, expected) in cases {
        let found: Vec<String> = query(dir.path(), filter.clone())
            .unwrap()
            .map(|r| r.unwrap().message_id)
            .collect();
        assert_eq!(found, expected, "{filter:?}");
    }
}

#[test]
fn query_reports_bad_lines_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::to_string(&record("2024-05-01T10:00:00Z", "a", "Patient", &[])).unwrap();
    std::fs::write(
        dir.path().join("conformance-2024-05-01.jsonl"),
        format!("{good}\nnot json\n\n{good}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("other.txt"), "ignored").unwrap();
    let items: Vec<std::result::Result<String, String>> = query(dir.path(), Filter::default())
        .unwrap()
        .map(|r| r.map(|r| r.message_id).map_err(|e| e.to_string()))
        .collect();
    assert_eq!(items.len(), 3);
    assert!(items[1].as_ref().unwrap_err().contains("line 2"));
    assert_eq!(items[2].as_ref().unwrap(), "a");
}

#[test]
fn file_names() {
    for (name, expected) in [
        ("conformance-2024-05-01.jsonl", Some(("2024-05-01", 0))),
        ("conformance-2024-05-01.12.jsonl", Some(("2024-05-01", 12))),
        ("conformance-2024-5-1.jsonl", None),
        ("conformance-2024-05-01.x.jsonl", None),
        ("other.jsonl", None),
    ] {
        let parsed = parse_file_name(name);
        assert_eq!(
            parsed.as_ref().map(|(d, s)| (d.as_str(), *s)),
            expected,
            "{name}"
        );
        if let Some((date, sequence)) = parsed {
            assert_eq!(file_name(&date, sequence), name);
        }
    }
}
