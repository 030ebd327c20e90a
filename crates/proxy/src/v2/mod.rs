//! HL7v2 → FHIR R4 translation.
//!
//! [`Converter::convert`] parses one message, reads its structure from MSH-9 (the caller never
//! picks a template), groups its segments as the HL7 abstract message syntax says, maps each
//! segment and datatype per the v2-to-FHIR tables, and builds a Bundle whose ids are
//! deterministic, so that converting the same message twice gives the same bytes. The
//! [`report::Report`] lists everything that held data and was not mapped.
//!
//! Layout: [`context`] holds the per-message state; [`datatypes`] maps v2 datatypes (CX, XPN,
//! CWE…); [`segments`] maps segments to resources; [`messages`] knows each message structure's
//! grouping and drives the segment mappings.

pub mod context;
pub mod datatypes;
pub mod messages;
pub mod overrides;
pub mod report;
pub mod segments;

use fhir::bundle::{BundleBuilder, BundleError, BundleKind, ConditionalMode, EntryInput};
use hl7v2::{DiagnosticKind, Location};
use serde_json::Value;

use crate::site_config::{BundleType, SiteConfig};
use context::Context;
use report::Report;

/// The version of the mapping, written into every Provenance: a change of mapping output is a
/// change of this string.
pub const MAPPING_VERSION: &str = concat!("fhirgate-v2-to-fhir/", env!("CARGO_PKG_VERSION"));

/// Why a message could not be converted at all.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The input has no usable MSH segment.
    #[error("not an HL7v2 message: {message}")]
    NotHl7v2 {
        /// What the parser found.
        message: String,
    },
    /// MSH-9 names a message this converter does not translate.
    #[error(
        "unsupported message type {code}^{trigger} (structure {structure}) at MSH-9; supported message types: {supported}"
    )]
    UnsupportedMessageType {
        /// MSH-9.1.
        code: String,
        /// MSH-9.2.
        trigger: String,
        /// MSH-9.3 or the structure derived from the trigger.
        structure: String,
        /// The supported message codes, for the error message.
        supported: String,
    },
    /// A segment or field the message cannot be converted without is missing.
    #[error("{location}: {what}")]
    MissingRequired {
        /// Where it should be.
        location: Box<Location>,
        /// What is missing.
        what: String,
    },
    /// The resources could not be assembled into a Bundle.
    #[error("cannot build the Bundle: {0}")]
    Bundle(#[from] Box<BundleError>),
}

/// The result of converting one message.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The FHIR R4 Bundle.
    pub bundle: Value,
    /// What was not mapped, and what was repaired.
    pub report: Report,
    /// The message structure that was converted, such as `ADT_A01`.
    pub structure: String,
    /// MSH-10, for logs and file names.
    pub control_id: Option<String>,
}

/// Converts HL7v2 messages with one site configuration.
#[derive(Debug, Clone, Default)]
pub struct Converter {
    config: SiteConfig,
}

impl Converter {
    /// A converter for this site.
    pub fn new(config: SiteConfig) -> Self {
        Converter { config }
    }

    /// The site configuration in use.
    pub fn config(&self) -> &SiteConfig {
        &self.config
    }

    /// Converts one HL7v2 message (not a batch: split batches with `hl7v2::split_batch`).
    pub fn convert(&self, input: &[u8]) -> Result<Conversion, ConvertError> {
        let (message, diagnostics) = hl7v2::parse(input);
        if let Some(fatal) = diagnostics.iter().find(|d| {
            matches!(
                d.kind,
                DiagnosticKind::EmptyInput
                    | DiagnosticKind::NoMshAtStart
                    | DiagnosticKind::InvalidDelimiters
            )
        }) {
            return Err(ConvertError::NotHl7v2 {
                message: fatal.to_string(),
            });
        }
        let header = message.header();
        let family = messages::family_for(&header)?;
        let mut context = Context::new(&message, &header, &self.config);
        messages::convert(family, &mut context)?;
        let structure = header.structure.clone().unwrap_or_default();
        let bundle_id = context.id_for("Bundle", &context::ResourceKey::Message("bundle"));
        let timestamp = header.timestamp_raw.as_deref().and_then(|raw| {
            let location = Location::field(0, "MSH", 7);
            context.datetime(raw, location)
        });
        let (resources, mut report) = context.finish();
        for diagnostic in diagnostics {
            if diagnostic.severity != hl7v2::Severity::Info {
                report.issues.push(report::Issue {
                    severity: report::IssueSeverity::Warning,
                    location: diagnostic.location,
                    message: diagnostic.message,
                });
            }
        }
        let kind = match self.config.bundle_type {
            BundleType::Transaction => BundleKind::Transaction,
            BundleType::Batch => BundleKind::Batch,
            BundleType::Collection => BundleKind::Collection,
        };
        let mode = match self.config.conditional_mode {
            crate::site_config::ConditionalMode::Update => ConditionalMode::Update,
            crate::site_config::ConditionalMode::Create => ConditionalMode::Create,
        };
        // A Bundle.timestamp is an instant: only a full date-time with offset qualifies.
        let timestamp = timestamp.filter(|t| t.len() > 10);
        let mut builder =
            BundleBuilder::new(kind, bundle_id, timestamp).with_conditional_mode(mode);
        for mut pending in resources {
            let mut replaced = 0;
            sanitize_strings(&mut pending.resource, &mut replaced);
            if replaced > 0 {
                report.issues.push(report::Issue {
                    severity: report::IssueSeverity::Warning,
                    location: Location::default(),
                    message: format!(
                        "{}/{}: {replaced} character(s) that FHIR strings cannot hold (control characters) replaced by U+FFFD",
                        pending.resource_type, pending.id
                    ),
                });
            }
            let entry = match pending.conditional {
                Some(key) => EntryInput::conditional(pending.resource, &key.system, &key.value),
                None => EntryInput::new(pending.resource),
            };
            builder.add(entry).map_err(Box::new)?;
        }
        Ok(Conversion {
            bundle: builder.build(),
            report,
            structure,
            control_id: header.control_id.clone(),
        })
    }
}

/// Whether `text` holds a character [`sanitize_strings`] replaces: a byte scan, since almost no
/// string does (U+FFFE and U+FFFF are `EF BF BE` and `EF BF BF` in UTF-8).
fn needs_sanitizing(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Branch-free over chunks, so the common clean string costs a vector pass.
    let suspect = bytes.chunks(32).any(|chunk| {
        chunk
            .iter()
            .fold(false, |found, &byte| found | (byte < b' ') | (byte == 0xEF))
    });
    suspect
        && bytes.iter().enumerate().any(|(at, &byte)| {
            (byte < b' ' && !matches!(byte, b'\t' | b'\n' | b'\r'))
                || (byte == 0xEF
                    && bytes.get(at + 1) == Some(&0xBF)
                    && matches!(bytes.get(at + 2), Some(0xBE | 0xBF)))
        })
}

/// FHIR strings cannot hold control characters other than tab, CR and LF (nor XML's
/// non-characters): a message carrying them (a corrupt byte, a stray escape) gets them replaced
/// by U+FFFD, counted in `replaced`, so the Bundle stays valid and the repair is reported.
fn sanitize_strings(value: &mut Value, replaced: &mut usize) {
    let forbidden = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    match value {
        Value::String(text) if needs_sanitizing(text) => {
            *replaced += text.chars().filter(|&c| forbidden(c)).count();
            *text = text
                .chars()
                .map(|c| if forbidden(c) { '\u{FFFD}' } else { c })
                .collect();
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| sanitize_strings(item, replaced)),
        Value::Object(members) => members
            .values_mut()
            .for_each(|member| sanitize_strings(member, replaced)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_non_characters_are_found_and_replaced() {
        for clean in [
            "",
            "plain text",
            "tab\tline\nreturn\r",
            "é ü \u{FFFD} \u{F000}",
        ] {
            assert!(!needs_sanitizing(clean), "{clean:?}");
        }
        let long_clean = "x".repeat(100);
        assert!(!needs_sanitizing(&long_clean));
        for dirty in [
            "a\u{1}b",
            "\u{0}",
            "x\u{FFFE}",
            "\u{FFFF}",
            &format!("{long_clean}\u{7}"),
        ] {
            assert!(needs_sanitizing(dirty), "{dirty:?}");
        }
        let mut value = serde_json::json!({"a": ["ok", "b\u{1}\u{2}"], "c": {"d": "\u{FFFF}"}});
        let mut replaced = 0;
        sanitize_strings(&mut value, &mut replaced);
        assert_eq!(replaced, 3);
        assert_eq!(value["a"][1], "b\u{FFFD}\u{FFFD}");
        assert_eq!(value["c"]["d"], "\u{FFFD}");
    }
}
