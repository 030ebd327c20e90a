//! Building HL7 acknowledgments (ACK) in original and enhanced mode.
//!
//! Original mode (MSH-15 and MSH-16 empty) answers AA, AE or AR. Enhanced mode
//! (either valued) answers the accept acknowledgment CA, CE or CR, and only
//! when MSH-15 asks for one: `AL` always (also the default when MSH-15 is
//! empty), `NE` never, `ER` only on error or reject, `SU` only on success.
//!
//! The ACK reuses the original delimiters, swaps sender and receiver
//! (MSH-3/4 from MSH-5/6 and back), sets MSH-7 to `now`, MSH-9 to
//! `ACK^<trigger>^ACK`, MSH-10 to the new control id, and copies MSH-11 and
//! MSH-12. MSA-2 echoes MSH-10. Each error becomes an ERR segment: v2.5+
//! writes ERR-2 (location), ERR-3 (table 0357 code), ERR-4 (severity) and
//! ERR-8 (user message); older versions write ERR-1 as an ELD
//! (`SEG^seq^field^code&text&HL70357`) and put the first message in MSA-3.
//! Every value written is escaped. Each segment ends with CR.

use std::fmt;

use crate::datetime::Timestamp;
use crate::escape::escape;
use crate::header::{HierarchicDesignator, MessageHeader};

/// The acknowledgment code in MSA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckCode {
    /// Original mode: application accept.
    AA,
    /// Original mode: application error.
    AE,
    /// Original mode: application reject.
    AR,
    /// Enhanced mode: commit accept.
    CA,
    /// Enhanced mode: commit error.
    CE,
    /// Enhanced mode: commit reject.
    CR,
}

impl AckCode {
    /// The code as written in MSA-1.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AA => "AA",
            Self::AE => "AE",
            Self::AR => "AR",
            Self::CA => "CA",
            Self::CE => "CE",
            Self::CR => "CR",
        }
    }
}

impl fmt::Display for AckCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to the message, independent of the acknowledgment mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckOutcome {
    /// Stored and accepted.
    Accepted,
    /// Accepted with errors, or a processing error the sender may retry.
    Error,
    /// Rejected: the message will not be processed.
    Rejected,
}

/// ERR-4 severity (HL7 table 0516).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorSeverity {
    /// `E`
    Error,
    /// `W`
    Warning,
    /// `I`
    Information,
}

impl ErrorSeverity {
    /// The code as written in ERR-4.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "E",
            Self::Warning => "W",
            Self::Information => "I",
        }
    }
}

/// HL7 table 0357, message error condition codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0
    MessageAccepted,
    /// 100
    SegmentSequenceError,
    /// 101
    RequiredFieldMissing,
    /// 102
    DataTypeError,
    /// 103
    TableValueNotFound,
    /// 200
    UnsupportedMessageType,
    /// 201
    UnsupportedEventCode,
    /// 202
    UnsupportedProcessingId,
    /// 203
    UnsupportedVersionId,
    /// 204
    UnknownKeyIdentifier,
    /// 205
    DuplicateKeyIdentifier,
    /// 206
    ApplicationRecordLocked,
    /// 207
    ApplicationInternalError,
}

impl ErrorCode {
    /// The numeric code and its table text.
    pub fn code_and_text(self) -> (u16, &'static str) {
        match self {
            Self::MessageAccepted => (0, "Message accepted"),
            Self::SegmentSequenceError => (100, "Segment sequence error"),
            Self::RequiredFieldMissing => (101, "Required field missing"),
            Self::DataTypeError => (102, "Data type error"),
            Self::TableValueNotFound => (103, "Table value not found"),
            Self::UnsupportedMessageType => (200, "Unsupported message type"),
            Self::UnsupportedEventCode => (201, "Unsupported event code"),
            Self::UnsupportedProcessingId => (202, "Unsupported processing id"),
            Self::UnsupportedVersionId => (203, "Unsupported version id"),
            Self::UnknownKeyIdentifier => (204, "Unknown key identifier"),
            Self::DuplicateKeyIdentifier => (205, "Duplicate key identifier"),
            Self::ApplicationRecordLocked => (206, "Application record locked"),
            Self::ApplicationInternalError => (207, "Application internal error"),
        }
    }
}

/// Where an error is, for ERR-2 (v2.5+) or ERR-1 (older). Numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorLocation {
    /// The segment id, such as `PID`.
    pub segment_id: String,
    /// Which segment with that id (1 for the first).
    pub sequence: Option<usize>,
    /// The field number.
    pub field: Option<usize>,
    /// The field repetition.
    pub repetition: Option<usize>,
    /// The component number.
    pub component: Option<usize>,
    /// The subcomponent number.
    pub subcomponent: Option<usize>,
}

/// One error to report in the ACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckError {
    /// Where, when known.
    pub location: Option<ErrorLocation>,
    /// The table 0357 code.
    pub code: ErrorCode,
    /// The severity.
    pub severity: ErrorSeverity,
    /// A message for the user (ERR-8; MSA-3 before v2.5). Escaped on output.
    pub message: String,
}

/// The MSA-1 code for an outcome, or `None` when the sender asked for no acknowledgment.
pub fn ack_code(original: &MessageHeader, outcome: AckOutcome) -> Option<AckCode> {
    if !original.enhanced_ack_mode() {
        return Some(match outcome {
            AckOutcome::Accepted => AckCode::AA,
            AckOutcome::Error => AckCode::AE,
            AckOutcome::Rejected => AckCode::AR,
        });
    }
    let wanted = match original.accept_ack_type.as_deref() {
        Some("NE") => false,
        Some("ER") => outcome != AckOutcome::Accepted,
        Some("SU") => outcome == AckOutcome::Accepted,
        _ => true,
    };
    wanted.then_some(match outcome {
        AckOutcome::Accepted => AckCode::CA,
        AckOutcome::Error => AckCode::CE,
        AckOutcome::Rejected => AckCode::CR,
    })
}

/// Writes `values` joined by `separator`, dropping empty trailing values.
fn joined(values: &[String], separator: u8) -> String {
    let used = values
        .iter()
        .rposition(|v| !v.is_empty())
        .map_or(0, |last| last + 1);
    values
        .get(..used)
        .unwrap_or_default()
        .join(char::from(separator).encode_utf8(&mut [0; 4]))
}

fn number(n: Option<usize>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// Builds the ACK for `original`, or `None` when enhanced mode says not to answer.
///
/// `now` becomes MSH-7 and `control_id` MSH-10 of the ACK.
pub fn build_ack(
    original: &MessageHeader,
    outcome: AckOutcome,
    errors: &[AckError],
    now: &Timestamp,
    control_id: &str,
) -> Option<String> {
    let code = ack_code(original, outcome)?;
    let d = original.delimiters;
    let fs = char::from(d.field);
    let esc = |value: &str| escape(value, &d).into_owned();
    let raw = |hd: &Option<HierarchicDesignator>| {
        hd.as_ref().map(|hd| hd.raw.clone()).unwrap_or_default()
    };
    let message_type = match &original.trigger_event {
        Some(trigger) => joined(&["ACK".into(), esc(trigger), "ACK".into()], d.component),
        None => "ACK".to_owned(),
    };
    let msh = [
        format!("MSH{fs}{}", d.encoding_characters()),
        raw(&original.receiving_application),
        raw(&original.receiving_facility),
        raw(&original.sending_application),
        raw(&original.sending_facility),
        now.to_string(),
        String::new(),
        message_type,
        esc(control_id),
        original
            .processing_id
            .as_deref()
            .map(esc)
            .unwrap_or_default(),
        original.version.as_deref().map(esc).unwrap_or_default(),
    ];
    let mut out = String::with_capacity(256);
    out.push_str(&joined(&msh, d.field));
    out.push('\r');
    let legacy = original
        .version_number()
        .is_some_and(|version| version < (2, 5));
    let mut msa = vec![
        "MSA".to_owned(),
        code.as_str().to_owned(),
        original.control_id.as_deref().map(esc).unwrap_or_default(),
    ];
    if let (true, Some(first)) = (legacy, errors.first()) {
        msa.push(esc(&first.message));
    }
    out.push_str(&joined(&msa, d.field));
    out.push('\r');
    for error in errors {
        let (number_code, text) = error.code.code_and_text();
        let location = error.location.clone().unwrap_or_default();
        let segment = if legacy {
            let sub = d.subcomponent.unwrap_or(d.component);
            let condition = joined(&[number_code.to_string(), esc(text), "HL70357".into()], sub);
            let eld = [
                esc(&location.segment_id),
                number(location.sequence),
                number(location.field),
                condition,
            ];
            joined(&["ERR".into(), joined(&eld, d.component)], d.field)
        } else {
            let erl = [
                esc(&location.segment_id),
                number(location.sequence),
                number(location.field),
                number(location.repetition),
                number(location.component),
                number(location.subcomponent),
            ];
            let condition = joined(
                &[number_code.to_string(), esc(text), "HL70357".into()],
                d.component,
            );
            let err = [
                "ERR".into(),
                String::new(),
                joined(&erl, d.component),
                condition,
                error.severity.as_str().into(),
                String::new(),
                String::new(),
                String::new(),
                esc(&error.message),
            ];
            joined(&err, d.field)
        };
        out.push_str(&segment);
        out.push('\r');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    const NOW: &str = "20240305103015+0100";

    fn header(msh: &str) -> MessageHeader {
        parse(msh.as_bytes()).0.header()
    }

    /// Builds an ACK, checks the exact text, then parses it back and checks `(path, value)` pairs.
    fn check(
        msh: &str,
        outcome: AckOutcome,
        errors: &[AckError],
        expected: Option<&str>,
        values: &[(&str, Option<&str>)],
    ) {
        let now = Timestamp::parse(NOW).unwrap();
        let built = build_ack(&header(msh), outcome, errors, &now, "ACK|1");
        assert_eq!(built.as_deref(), expected, "{msh}");
        let Some(text) = built else { return };
        let (ack, diagnostics) = parse(text.as_bytes());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        for (path, want) in values {
            assert_eq!(ack.get(path).as_deref(), *want, "{msh} {path}");
        }
    }

    fn missing_pid3() -> AckError {
        AckError {
            location: Some(ErrorLocation {
                segment_id: "PID".into(),
                sequence: Some(1),
                field: Some(3),
                repetition: Some(1),
                component: Some(1),
                subcomponent: None,
            }),
            code: ErrorCode::RequiredFieldMissing,
            severity: ErrorSeverity::Error,
            message: "PID-3 is empty | fix^it".into(),
        }
    }

    const V25: &str =
        "MSH|^~\\&|SEND|SFAC^1.2^ISO|RECV|RFAC|20240305||ADT^A01^ADT_A01|C\\F\\1|P|2.5.1";
    const V23: &str = "MSH|^~\\&|SEND|SFAC|RECV|RFAC|20240305||ADT^A01|C1|T|2.3";

    #[test]
    fn original_mode() {
        let v25_error = "MSH|^~\\&|RECV|RFAC|SEND|SFAC^1.2^ISO|20240305103015+0100||ACK^A01^ACK|ACK\\F\\1|P|2.5.1\r\
                         MSA|AE|C\\F\\1\r\
                         ERR||PID^1^3^1^1|101^Required field missing^HL70357|E||||PID-3 is empty \\F\\ fix\\S\\it\r";
        let v23_error = "MSH|^~\\&|RECV|RFAC|SEND|SFAC|20240305103015+0100||ACK^A01^ACK|ACK\\F\\1|T|2.3\r\
                         MSA|AR|C1|PID-3 is empty \\F\\ fix\\S\\it\r\
                         ERR|PID^1^3^101&Required field missing&HL70357\r";
        let v25_ok = "MSH|^~\\&|RECV|RFAC|SEND|SFAC^1.2^ISO|20240305103015+0100||ACK^A01^ACK|ACK\\F\\1|P|2.5.1\rMSA|AA|C\\F\\1\r";
        check(
            V25,
            AckOutcome::Accepted,
            &[],
            Some(v25_ok),
            &[
                ("MSA-1", Some("AA")),
                ("MSA-2", Some("C|1")),
                ("MSH-10", Some("ACK|1")),
                ("MSH-6.2", Some("1.2")),
            ],
        );
        check(
            V25,
            AckOutcome::Error,
            &[missing_pid3()],
            Some(v25_error),
            &[
                ("MSH-3", Some("RECV")),
                ("MSH-5", Some("SEND")),
                ("MSH-7", Some(NOW)),
                ("MSH-9.3", Some("ACK")),
                ("MSA-1", Some("AE")),
                ("ERR-2.1", Some("PID")),
                ("ERR-2.3", Some("3")),
                ("ERR-3.1", Some("101")),
                ("ERR-3.3", Some("HL70357")),
                ("ERR-4", Some("E")),
                ("ERR-8", Some("PID-3 is empty | fix^it")),
            ],
        );
        check(
            V23,
            AckOutcome::Rejected,
            &[missing_pid3()],
            Some(v23_error),
            &[
                ("MSA-1", Some("AR")),
                ("MSA-3", Some("PID-3 is empty | fix^it")),
                ("ERR-1.4.1", Some("101")),
                ("MSH-11", Some("T")),
                ("MSH-12", Some("2.3")),
            ],
        );
    }

    #[test]
    fn enhanced_mode() {
        let with =
            |accept: &str| format!("MSH|^~\\&|S|F|R|RF|20240305||ORU^R01|C9|P|2.5.1|||{accept}|AL");
        let cases = [
            ("AL", AckOutcome::Accepted, Some("CA")),
            ("AL", AckOutcome::Error, Some("CE")),
            ("AL", AckOutcome::Rejected, Some("CR")),
            ("", AckOutcome::Accepted, Some("CA")),
            ("NE", AckOutcome::Accepted, None),
            ("NE", AckOutcome::Rejected, None),
            ("ER", AckOutcome::Accepted, None),
            ("ER", AckOutcome::Error, Some("CE")),
            ("SU", AckOutcome::Accepted, Some("CA")),
            ("SU", AckOutcome::Rejected, None),
        ];
        let now = Timestamp::parse(NOW).unwrap();
        for (accept, outcome, expected) in cases {
            let original = header(&with(accept));
            assert_eq!(
                ack_code(&original, outcome).map(AckCode::as_str),
                expected,
                "{accept} {outcome:?}"
            );
            let built = build_ack(&original, outcome, &[], &now, "A1");
            let code = built.as_deref().map(|text| {
                parse(text.as_bytes())
                    .0
                    .get("MSA-1")
                    .map(|c| c.into_owned())
            });
            assert_eq!(code.flatten().as_deref(), expected, "{accept} {outcome:?}");
        }
    }

    #[test]
    fn ack_keeps_unusual_delimiters() {
        let original = header("MSH#*@!$#S#F#R#RF#20240305##ADT*A08#C*7#P#2.6");
        let now = Timestamp::parse("20240305").unwrap();
        let error = AckError {
            location: None,
            code: ErrorCode::ApplicationInternalError,
            severity: ErrorSeverity::Warning,
            message: "a#b*c".into(),
        };
        let text = build_ack(&original, AckOutcome::Error, &[error], &now, "N1").unwrap();
        assert_eq!(
            text,
            "MSH#*@!$#R#RF#S#F#20240305##ACK*A08*ACK#N1#P#2.6\rMSA#AE#C!S!7\rERR###207*Application internal error*HL70357#W####a!F!b!S!c\r"
        );
        let (ack, _) = parse(text.as_bytes());
        assert_eq!(ack.get("MSA-2").as_deref(), Some("C*7"));
        assert_eq!(ack.get("ERR-8").as_deref(), Some("a#b*c"));
    }
}
