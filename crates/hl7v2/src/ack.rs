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
