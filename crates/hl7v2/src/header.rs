//! Message identity read from MSH: type, trigger, structure, version, control id, parties.
//!
//! [`MessageHeader`] is small and owned, so callers can keep it after the
//! message is dropped (for example to build the ACK). Missing required pieces
//! (MSH-9.1, MSH-9.2, MSH-10, MSH-12) and an unparsable MSH-7 are reported by
//! `check` at parse time, never as errors.

use crate::datetime::Timestamp;
use crate::delimiters::Delimiters;
use crate::diagnostic::{Diagnostic, DiagnosticKind, Location, Severity};
use crate::message::{Field, Message};
use crate::structure::structure_for;

/// An HD (hierarchic designator) value such as `GHHSFacility^2.16.840.1.122848.1.30^ISO`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HierarchicDesignator {
    /// The field as written (escaped, with component separators), first repetition.
    pub raw: String,
    /// HD.1, decoded.
    pub namespace_id: Option<String>,
    /// HD.2, decoded.
    pub universal_id: Option<String>,
    /// HD.3, decoded.
    pub universal_id_type: Option<String>,
}

/// The identity of a message, from its MSH segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageHeader {
    /// The message's delimiters (MSH-1, MSH-2).
    pub delimiters: Delimiters,
    /// MSH-3, sending application.
    pub sending_application: Option<HierarchicDesignator>,
    /// MSH-4, sending facility.
    pub sending_facility: Option<HierarchicDesignator>,
    /// MSH-5, receiving application.
    pub receiving_application: Option<HierarchicDesignator>,
    /// MSH-6, receiving facility.
    pub receiving_facility: Option<HierarchicDesignator>,
    /// MSH-7 as written.
    pub timestamp_raw: Option<String>,
    /// MSH-7 parsed; `None` when absent or invalid.
    pub timestamp: Option<Timestamp>,
    /// MSH-9.1, such as `ADT`.
    pub message_code: Option<String>,
    /// MSH-9.2, such as `A01`.
    pub trigger_event: Option<String>,
    /// MSH-9.3, or derived from table 0354 when absent.
    pub structure: Option<String>,
    /// True when `structure` was derived from the table rather than read from MSH-9.3.
    pub structure_derived: bool,
    /// MSH-10, message control id.
    pub control_id: Option<String>,
    /// MSH-11.1, processing id (`P`, `T`, `D`).
    pub processing_id: Option<String>,
    /// MSH-12.1, version id such as `2.5.1`.
    pub version: Option<String>,
    /// MSH-15, accept acknowledgment type (`AL`, `NE`, `ER`, `SU`).
    pub accept_ack_type: Option<String>,
    /// MSH-16, application acknowledgment type.
    pub application_ack_type: Option<String>,
    /// MSH-18, first repetition: the character set.
    pub charset: Option<String>,
}

fn value(field: Field<'_>) -> Option<String> {
    let decoded = field.repetition(1).decoded();
    let trimmed = decoded.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn component(field: Field<'_>, n: usize) -> Option<String> {
    let decoded = field.component(n).decoded();
    let trimmed = decoded.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn designator(field: Field<'_>) -> Option<HierarchicDesignator> {
    let raw = field.repetition(1).raw();
    (!raw.is_empty()).then(|| HierarchicDesignator {
        raw: raw.to_owned(),
        namespace_id: component(field, 1),
        universal_id: component(field, 2),
        universal_id_type: component(field, 3),
    })
}

impl MessageHeader {
    /// Reads the header of a message's first MSH segment; empty when there is none.
    pub fn from_message(message: &Message<'_>) -> Self {
        let Some(msh) = message.first("MSH") else {
            return Self {
                delimiters: message.delimiters(),
                ..Self::default()
            };
        };
        let message_code = component(msh.field(9), 1);
        let trigger_event = component(msh.field(9), 2);
        let written_structure = component(msh.field(9), 3);
        let derived = match (&written_structure, &message_code, &trigger_event) {
            (None, Some(code), Some(trigger)) => structure_for(code, trigger),
            (None, Some(code), None) if code == "ACK" => Some("ACK"),
            _ => None,
        };
        let timestamp_raw = component(msh.field(7), 1);
        Self {
            delimiters: message.delimiters(),
            sending_application: designator(msh.field(3)),
            sending_facility: designator(msh.field(4)),
            receiving_application: designator(msh.field(5)),
            receiving_facility: designator(msh.field(6)),
            timestamp: timestamp_raw
                .as_deref()
                .and_then(|raw| Timestamp::parse(raw).ok()),
            timestamp_raw,
            message_code,
            trigger_event,
            structure_derived: derived.is_some(),
            structure: written_structure.or(derived.map(str::to_owned)),
            control_id: value(msh.field(10)),
            processing_id: component(msh.field(11), 1),
            version: component(msh.field(12), 1),
            accept_ack_type: value(msh.field(15)),
            application_ack_type: value(msh.field(16)),
            charset: value(msh.field(18)),
        }
    }

    /// The version as `(major, minor)`, such as `(2, 5)` for `2.5.1`.
    pub fn version_number(&self) -> Option<(u32, u32)> {
        let version = self.version.as_deref()?;
        let mut parts = version.split('.');
        let major = parts.next()?.trim().parse().ok()?;
        let minor = parts
            .next()
            .map_or(Some(0), |minor| minor.trim().parse().ok())?;
        Some((major, minor))
    }

    /// True when MSH-15 or MSH-16 is valued: enhanced acknowledgment mode.
    pub fn enhanced_ack_mode(&self) -> bool {
        self.accept_ack_type.is_some() || self.application_ack_type.is_some()
    }
}

/// Reports missing required MSH pieces and an invalid MSH-7.
pub(crate) fn check(message: &Message<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(msh) = message.first("MSH") else {
        return;
    };
    let header = MessageHeader::from_message(message);
    let at = |field: usize, component: Option<usize>| Location {
        field: Some(field),
        component,
        ..Location::segment(msh.index(), "MSH")
    };
    let is_ack = header.message_code.as_deref() == Some("ACK");
    let required = [
        (
            header.message_code.is_none(),
            9,
            Some(1),
            Severity::Error,
            "MSH-9.1 (message code) is empty",
        ),
        (
            header.trigger_event.is_none(),
            9,
            Some(2),
            if is_ack {
                Severity::Warning
            } else {
                Severity::Error
            },
            "MSH-9.2 (trigger event) is empty",
        ),
        (
            header.control_id.is_none(),
            10,
            None,
            Severity::Error,
            "MSH-10 (message control id) is empty",
        ),
        (
            header.version.is_none(),
            12,
            None,
            Severity::Error,
            "MSH-12 (version id) is empty",
        ),
    ];
    for (missing, field, component, severity, message) in required {
        if missing {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::MissingRequiredField,
                severity,
                at(field, component),
                message,
            ));
        }
    }
    if let Some(raw) = &header.timestamp_raw
        && let Err(err) = Timestamp::parse(raw)
    {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::InvalidTimestamp,
            Severity::Warning,
            at(7, Some(1)),
            format!("MSH-7: {err}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    /// Expected header values, as `(what, value)` pairs.
    fn check(input: &str, expected: &[(&str, Option<&str>)]) {
        let (message, _) = parse(input.as_bytes());
        let header = message.header();
        let hd = |hd: &Option<HierarchicDesignator>| {
            hd.as_ref()
                .map(|hd| format!("{}|{}", hd.raw, hd.namespace_id.as_deref().unwrap_or("")))
        };
        for (what, want) in expected {
            let got = match *what {
                "code" => header.message_code.clone(),
                "trigger" => header.trigger_event.clone(),
                "structure" => header.structure.clone(),
                "derived" => Some(header.structure_derived.to_string()),
                "version" => header.version.clone(),
                "version_number" => header.version_number().map(|(a, b)| format!("{a}.{b}")),
                "control" => header.control_id.clone(),
                "sender" => hd(&header.sending_application),
                "sending_facility" => hd(&header.sending_facility),
                "receiver" => hd(&header.receiving_application),
                "receiving_facility" => hd(&header.receiving_facility),
                "time" => header.timestamp.map(|t| t.to_string()),
                "processing" => header.processing_id.clone(),
                "accept" => header.accept_ack_type.clone(),
                "application" => header.application_ack_type.clone(),
                "charset" => header.charset.clone(),
                "enhanced" => Some(header.enhanced_ack_mode().to_string()),
                other => panic!("unknown key {other}"),
            };
            assert_eq!(got.as_deref(), *want, "{input:?} {what}");
        }
    }

    #[test]
    fn header_table() {
        let full = "MSH|^~\\&|ADTApp|GHHSFacility^2.16.840.1.122848.1.30^ISO|EHRApp^1.Edu^ISO|GHHRFacility|198908181126+0215|SECURITY|ADT^A01^ADT_A01|MSG00001|P^T|2.8|||AL|NE||UNICODE UTF-8~8859/1";
        let derived = "MSH|^~\\&|S|F|R|RF|20240305||ADT^A04|C1|P|2.5";
        let legacy = "MSH|^~\\&|S|F|R|RF|20240305||ORU^R01|C\\T\\2|D|2.3.1";
        let ack = "MSH|^~\\&|S|F|R|RF|20240305||ACK|C3|P|2.4";
        type Case<'c> = (&'c str, Vec<(&'c str, Option<&'c str>)>);
        let cases: Vec<Case<'_>> = vec![
            (
                full,
                vec![
                    ("code", Some("ADT")),
                    ("trigger", Some("A01")),
                    ("structure", Some("ADT_A01")),
                    ("derived", Some("false")),
                    ("version", Some("2.8")),
                    ("version_number", Some("2.8")),
                    ("control", Some("MSG00001")),
                    ("sender", Some("ADTApp|ADTApp")),
                    (
                        "sending_facility",
                        Some("GHHSFacility^2.16.840.1.122848.1.30^ISO|GHHSFacility"),
                    ),
                    ("receiver", Some("EHRApp^1.Edu^ISO|EHRApp")),
                    ("receiving_facility", Some("GHHRFacility|GHHRFacility")),
                    ("time", Some("198908181126+0215")),
                    ("processing", Some("P")),
                    ("accept", Some("AL")),
                    ("application", Some("NE")),
                    ("charset", Some("UNICODE UTF-8")),
                    ("enhanced", Some("true")),
                ],
            ),
            (
                derived,
                vec![
                    ("structure", Some("ADT_A01")),
                    ("derived", Some("true")),
                    ("enhanced", Some("false")),
                    ("accept", None),
                    ("charset", None),
                ],
            ),
            (
                legacy,
                vec![
                    ("structure", Some("ORU_R01")),
                    ("control", Some("C&2")),
                    ("version_number", Some("2.3")),
                    ("processing", Some("D")),
                ],
            ),
            (
                ack,
                vec![
                    ("structure", Some("ACK")),
                    ("trigger", None),
                    ("derived", Some("true")),
                ],
            ),
            (
                "PID|1",
                vec![("code", None), ("structure", None), ("sender", None)],
            ),
        ];
        for (input, expected) in cases {
            check(input, &expected);
        }
    }
}
