//! Receiving a message: store it, then acknowledge it.
//!
//! This is the one place where a source's bytes become the gateway's responsibility. The order is
//! fixed: parse leniently (to learn the control id and the ACK rules), append to the journal and
//! wait for the commit, and only then build the ACK. A message the journal could not store gets
//! AR (or CR) with error 207, so the sender keeps it and retries; nothing is acknowledged that is
//! not on disk. A message without a usable MSH is stored too, as rejected, so that it can be
//! inspected and replayed, and is answered with AR naming the problem.

use std::time::Instant;

use hl7v2::mllp::MllpFrame;
use hl7v2::{
    AckError, AckOutcome, ErrorCode, ErrorLocation, ErrorSeverity, MessageHeader, Timestamp,
};
use journal::{Journal, MessageId, NewMessage, Status};

use crate::telemetry::Metrics;

/// What happened to a received message, as the transport needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored and accepted.
    Accepted,
    /// Stored in the error store and rejected.
    Rejected,
    /// Not stored: the sender must retry.
    NotStored,
}

/// The result of receiving one message.
#[derive(Debug)]
pub struct Received {
    /// The ACK to send back (ER7 text, segments separated by CR).
    pub ack: String,
    /// The journal id, when stored.
    pub message_id: Option<MessageId>,
    /// The outcome.
    pub outcome: Outcome,
}

/// Stores and acknowledges messages.
pub struct Receiver {
    journal: Journal,
    metrics: Metrics,
}

impl Receiver {
    /// A receiver writing to `journal`.
    pub fn new(journal: Journal, metrics: Metrics) -> Self {
        Receiver { journal, metrics }
    }

    /// Whether the journal answers.
    pub fn ready(&self) -> Result<(), journal::JournalError> {
        self.journal.count_by_status().map(|_| ())
    }

    /// Receives one HL7v2 message from `source` (`mllp`, `http`).
    pub async fn hl7v2(
        &self,
        payload: &[u8],
        source: &'static str,
        peer: Option<String>,
    ) -> Received {
        let started = Instant::now();
        let (message, diagnostics) = hl7v2::parse(payload);
        let header = message.header();
        let now = now_hl7();
        let problem = header_problem(&header, &diagnostics);
        let status = if problem.is_some() {
            Status::Rejected
        } else {
            Status::Received
        };
        let stored = self
            .journal
            .append(NewMessage {
                received_at: jiff::Timestamp::now().to_string(),
                source: source.to_string(),
                peer,
                format: "hl7v2".to_string(),
                control_id: header.control_id.clone(),
                message_type: Some(message_type_label(&header)).filter(|label| !label.is_empty()),
                status,
                detail: problem.as_ref().map(|error| error.message.clone()),
                payload: payload.to_vec(),
            })
            .await;
        let (outcome, message_id, errors) = match (stored, problem) {
            (Ok(id), None) => (Outcome::Accepted, Some(id), Vec::new()),
            (Ok(id), Some(error)) => (Outcome::Rejected, Some(id), vec![error]),
            (Err(error), _) => {
                tracing::error!(%error, "journal append failed; message not acknowledged as accepted");
                (
                    Outcome::NotStored,
                    None,
                    vec![ack_error(
                        ErrorCode::ApplicationInternalError,
                        None,
                        "the gateway could not store the message; retry later",
                    )],
                )
            }
        };
        let ack_outcome = match outcome {
            Outcome::Accepted => AckOutcome::Accepted,
            Outcome::Rejected => AckOutcome::Error,
            Outcome::NotStored => AckOutcome::Rejected,
        };
        let ack_control_id = message_id.map_or_else(
            || format!("FG{}", now.to_string().get(..14).unwrap_or_default()),
            |id| format!("FG{id}"),
        );
        let code = hl7v2::ack::ack_code(&header, ack_outcome).map_or("none", |code| code.as_str());
        let ack = hl7v2::build_ack(&header, ack_outcome, &errors, &now, &ack_control_id)
            .unwrap_or_default();
        self.metrics
            .messages
            .with_label_values(&[source, code])
            .inc();
        self.metrics
            .ack_latency
            .with_label_values(&[source])
            .observe(started.elapsed().as_secs_f64());
        tracing::info!(
            source,
            message_id = message_id.map(|id| id.0),
            control_id = header.control_id.as_deref().unwrap_or(""),
            message_type = %message_type_label(&header),
            ack = code,
            "message received"
        );
        Received {
            ack,
            message_id,
            outcome,
        }
    }

    /// Answers a frame that could not be read as a message (oversized or truncated): it is
    /// stored as rejected when there are bytes to keep, and answered with a NAK.
    pub async fn framing_problem(
        &self,
        frame: &MllpFrame,
        source: &'static str,
        peer: Option<String>,
    ) -> String {
        let (detail, payload) = match frame {
            MllpFrame::Oversized { discarded_len } => (
                format!("frame of {discarded_len} bytes exceeds the maximum message size"),
                Vec::new(),
            ),
            MllpFrame::Truncated(bytes) => (
                "frame ended without its MLLP end block".to_string(),
                bytes.to_vec(),
            ),
            MllpFrame::Message(bytes) => ("unexpected frame".to_string(), bytes.to_vec()),
        };
        let (message, _) = hl7v2::parse(&payload);
        let header = message.header();
        let stored = self
            .journal
            .append(NewMessage {
                received_at: jiff::Timestamp::now().to_string(),
                source: source.to_string(),
                peer,
                format: "hl7v2".to_string(),
                control_id: header.control_id.clone(),
                message_type: None,
                status: Status::Rejected,
                detail: Some(detail.clone()),
                payload,
            })
            .await;
        if let Err(error) = stored {
            tracing::error!(%error, "journal append of a framing problem failed");
        }
        tracing::warn!(source, %detail, "MLLP framing problem");
        self.metrics
            .messages
            .with_label_values(&[source, "AR"])
            .inc();
        let error = ack_error(ErrorCode::SegmentSequenceError, None, &detail);
        let now = now_hl7();
        hl7v2::build_ack(
            &header,
            AckOutcome::Rejected,
            &[error],
            &now,
            &format!("FG{}", now.to_string().get(..14).unwrap_or_default()),
        )
        .unwrap_or_default()
    }
}

/// Why a message cannot be accepted at receipt, if it cannot.
///
/// Only what makes the message unidentifiable is a reason to refuse it here: no MSH (or unusable
/// delimiters), or no MSH-9 message type. Everything else the parser reports is kept with the
/// message and judged by translation and validation.
fn header_problem(header: &MessageHeader, diagnostics: &[hl7v2::Diagnostic]) -> Option<AckError> {
    use hl7v2::DiagnosticKind::{EmptyInput, InvalidDelimiters, NoMshAtStart};
    if let Some(fatal) = diagnostics
        .iter()
        .find(|d| matches!(d.kind, EmptyInput | NoMshAtStart | InvalidDelimiters))
    {
        let location = ErrorLocation {
            segment_id: "MSH".into(),
            sequence: Some(1),
            field: fatal.location.field,
            ..ErrorLocation::default()
        };
        return Some(ack_error(
            ErrorCode::SegmentSequenceError,
            Some(location),
            &fatal.message,
        ));
    }
    if header.message_code.is_none() {
        let location = ErrorLocation {
            segment_id: "MSH".into(),
            sequence: Some(1),
            field: Some(9),
            ..ErrorLocation::default()
        };
        return Some(ack_error(
            ErrorCode::RequiredFieldMissing,
            Some(location),
            "MSH-9 (message type) is missing",
        ));
    }
    None
}

fn ack_error(code: ErrorCode, location: Option<ErrorLocation>, message: &str) -> AckError {
    AckError {
        location,
        code,
        severity: ErrorSeverity::Error,
        message: message.to_string(),
    }
}

/// The current time as an HL7 timestamp with the host's offset, to the second. (The ACK's own
/// MSH-7 is the one place where the host clock is the right source.)
fn now_hl7() -> Timestamp {
    let text = jiff::ZonedDateTime::now()
        .strftime("%Y%m%d%H%M%S%z")
        .to_string();
    Timestamp::parse(&text).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `CODE^EVENT^STRUCTURE` as far as known, for logs and the journal (no PHI in it).
pub fn message_type_label(header: &MessageHeader) -> String {
    [
        &header.message_code,
        &header.trigger_event,
        &header.structure,
    ]
    .iter()
    .map(|part| part.as_deref().unwrap_or(""))
    .collect::<Vec<_>>()
    .join("^")
    .trim_end_matches('^')
    .to_string()
}
