//! Builds an ACK for every message of the shared corpus and parses it back.

use hl7v2::ack::ack_code;
use hl7v2::{
    AckError, AckOutcome, ErrorCode, ErrorLocation, ErrorSeverity, Timestamp, build_ack, parse,
};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/hl7v2/ms-fhir-converter"
);

/// Checks one ACK against the original message; returns a description of any mismatch.
fn check(original: &[u8], outcome: AckOutcome) -> Result<(), String> {
    let (message, _) = parse(original);
    let header = message.header();
    let now = Timestamp::parse("20240305103015.920+0000").map_err(|e| e.to_string())?;
    let error = AckError {
        location: Some(ErrorLocation {
            segment_id: "PID".into(),
            sequence: Some(1),
            field: Some(5),
            ..ErrorLocation::default()
        }),
        code: ErrorCode::DataTypeError,
        severity: ErrorSeverity::Error,
        message: "bad name | with ^ delimiters & \\ escapes ~".into(),
    };
    let expected_code = ack_code(&header, outcome).map(|code| code.as_str());
    let Some(text) = build_ack(&header, outcome, &[error], &now, "ACK-1") else {
        return match expected_code {
            None => Ok(()),
            Some(code) => Err(format!("no ACK but {code} expected")),
        };
    };
    let (ack, diagnostics) = parse(text.as_bytes());
    if !diagnostics.is_empty() {
        return Err(format!("ACK has diagnostics: {diagnostics:?}"));
    }
    let legacy = header.version_number().is_some_and(|v| v < (2, 5));
    let user_message_path = if legacy { "MSA-3" } else { "ERR-8" };
    let pairs = [
        ("MSA-1", expected_code.map(str::to_owned)),
        ("MSA-2", header.control_id.clone()),
        ("MSH-3", message.get("MSH-5").map(|v| v.into_owned())),
        ("MSH-4", message.get("MSH-6").map(|v| v.into_owned())),
        ("MSH-5", message.get("MSH-3").map(|v| v.into_owned())),
        ("MSH-6", message.get("MSH-4").map(|v| v.into_owned())),
        ("MSH-7", Some("20240305103015.920+0000".to_owned())),
        ("MSH-9.1", Some("ACK".to_owned())),
        ("MSH-9.2", header.trigger_event.clone()),
        ("MSH-10", Some("ACK-1".to_owned())),
        ("MSH-11", header.processing_id.clone()),
        ("MSH-12", header.version.clone()),
        (
            user_message_path,
            Some("bad name | with ^ delimiters & \\ escapes ~".to_owned()),
        ),
    ];
    for (path, want) in pairs {
        let got = ack.get(path).map(|v| v.into_owned());
        if got != want {
            return Err(format!("{path}: got {got:?}, expected {want:?}\n{text}"));
        }
    }
    let header_of_ack = ack.header();
    if header_of_ack.structure.as_deref() != Some("ACK") {
        return Err(format!("ACK structure is {:?}", header_of_ack.structure));
    }
    Ok(())
}

#[test]
fn corpus_shared_acks_parse_back() {
    let Ok(entries) = std::fs::read_dir(CORPUS) else {
        eprintln!("skipping: shared corpus {CORPUS} is absent");
        return;
    };
    let mut n_checked = 0;
    for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
        if path.extension().is_none_or(|ext| ext != "hl7") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for outcome in [
            AckOutcome::Accepted,
            AckOutcome::Error,
            AckOutcome::Rejected,
        ] {
            if let Err(problem) = check(&bytes, outcome) {
                panic!("{}: {outcome:?}: {problem}", path.display());
            }
        }
        n_checked += 1;
    }
    assert_eq!(n_checked, 139);
}
