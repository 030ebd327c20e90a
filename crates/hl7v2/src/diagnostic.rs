//! Diagnostics: what the lenient parser noticed, and where.
//!
//! Parsing never fails. Everything odd about the input (a missing MSH, a bad
//! segment id, an unknown escape sequence, replaced bytes) becomes a
//! [`Diagnostic`] that names its place in the message through a [`Location`].

use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The message is probably unusable or a required piece is missing.
    Error,
    /// Something was repaired or ignored; the data may be affected.
    Warning,
    /// A harmless normalisation, such as a stripped byte order mark.
    Info,
}

/// What kind of problem a diagnostic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The input was empty or held only blank lines.
    EmptyInput,
    /// The input was larger than the 4 GiB the index can address; the rest was ignored.
    InputTooLarge,
    /// A UTF-8 byte order mark at the start was removed.
    ByteOrderMarkStripped,
    /// Bytes that were not valid in the message's character set were replaced by U+FFFD.
    NonUtf8Replaced,
    /// MSH-18 names a character set this crate cannot decode.
    UnsupportedCharset,
    /// The text was decoded from the legacy character set named in MSH-18.
    CharsetDecoded,
    /// The first segment is not MSH.
    NoMshAtStart,
    /// MSH-1 or MSH-2 is missing, incomplete, repeated or not ASCII punctuation.
    InvalidDelimiters,
    /// A segment id is not three upper-case letters or digits starting with a letter.
    BadSegmentId,
    /// A blank line between segments was skipped.
    EmptySegment,
    /// A required field or component (MSH-9, MSH-10, MSH-12) has no value.
    MissingRequiredField,
    /// A date/time field could not be parsed.
    InvalidTimestamp,
    /// An escape sequence this crate does not know; it was kept literally.
    UnknownEscape,
    /// A `\X..\` escape whose content is not an even number of hex digits; it was kept literally.
    InvalidHexEscape,
    /// An escape character without a closing escape character; it was kept literally.
    UnterminatedEscape,
    /// A `\C..\` or `\M..\` character set switch; it was dropped.
    CharsetEscapeDropped,
    /// A batch line (FHS, BHS, BTS, FTS or a stray line) is out of place.
    BatchStructure,
    /// A BTS-1 or FTS-1 count does not match what the batch holds.
    BatchCountMismatch,
}

/// Where a diagnostic applies. All positions use HL7 numbering: fields,
/// repetitions, components and subcomponents are 1-based; the segment index
/// is 0-based within the message (or within the batch file for batch lines).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Location {
    /// 0-based index of the segment (line) in the message or batch.
    pub segment_idx: Option<usize>,
    /// The segment id as written, such as `PID`.
    pub segment_id: Option<String>,
    /// 1-based field number (`MSH-1` is the field separator).
    pub field: Option<usize>,
    /// 1-based repetition number.
    pub repetition: Option<usize>,
    /// 1-based component number.
    pub component: Option<usize>,
    /// 1-based subcomponent number.
    pub subcomponent: Option<usize>,
}

impl Location {
    /// A location naming only a segment.
    pub fn segment(segment_idx: usize, segment_id: &str) -> Self {
        Self {
            segment_idx: Some(segment_idx),
            segment_id: Some(segment_id.to_owned()),
            ..Self::default()
        }
    }

    /// A location naming a field of a segment.
    pub fn field(segment_idx: usize, segment_id: &str, field: usize) -> Self {
        Self {
            field: Some(field),
            ..Self::segment(segment_idx, segment_id)
        }
    }

    /// True when no part of the location is known.
    pub fn is_empty(&self) -> bool {
        self.segment_idx.is_none()
            && self.segment_id.is_none()
            && self.field.is_none()
            && self.repetition.is_none()
            && self.component.is_none()
            && self.subcomponent.is_none()
    }
}

impl fmt::Display for Location {
    /// Renders like `PID(2)-3[2].1.1`: id, segment index, field, repetition, component, subcomponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment_id.as_deref().unwrap_or("?"))?;
        if let Some(idx) = self.segment_idx {
            write!(f, "({idx})")?;
        }
        if let Some(field) = self.field {
            write!(f, "-{field}")?;
        }
        if let Some(rep) = self.repetition {
            write!(f, "[{rep}]")?;
        }
        if let Some(comp) = self.component {
            write!(f, ".{comp}")?;
        }
        if let Some(sub) = self.subcomponent {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// One finding of the lenient parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What kind of problem this is.
    pub kind: DiagnosticKind,
    /// How serious it is.
    pub severity: Severity,
    /// Where it is.
    pub location: Location,
    /// A sentence for humans.
    pub message: String,
}

impl Diagnostic {
    /// Builds a diagnostic.
    pub fn new(
        kind: DiagnosticKind,
        severity: Severity,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            severity,
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} at {}: {} ({:?})",
            self.severity, self.location, self.message, self.kind
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(location: Location, expected: &str) {
        assert_eq!(location.to_string(), expected);
        assert_eq!(location.is_empty(), expected == "?");
    }

    #[test]
    fn location_display() {
        let full = Location {
            segment_idx: Some(2),
            segment_id: Some("PID".into()),
            field: Some(3),
            repetition: Some(2),
            component: Some(1),
            subcomponent: Some(4),
        };
        let cases = [
            (Location::default(), "?"),
            (Location::segment(0, "MSH"), "MSH(0)"),
            (Location::field(1, "EVN", 2), "EVN(1)-2"),
            (full, "PID(2)-3[2].1.4"),
        ];
        for (location, expected) in cases {
            check(location, expected);
        }
    }
}
