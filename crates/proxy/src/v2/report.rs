//! What a conversion could not map, and what it had to repair or leave out.
//!
//! No silent loss: every segment, field and component that carried data but did not reach a
//! resource is listed here with its place, and every repair (a padded timestamp, an offset taken
//! from the message or the site zone, an unknown code) is listed as an issue.

use std::fmt;

use hl7v2::Location;

/// How serious an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IssueSeverity {
    /// Data could not be converted and was left out (the rest of the message converted).
    Error,
    /// Data was converted with a repair or an assumption.
    Warning,
    /// A note, such as the source of a time zone offset.
    Information,
}

/// One repair, assumption or problem met while converting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// How serious it is.
    pub severity: IssueSeverity,
    /// Where in the message.
    pub location: Location,
    /// A sentence for humans.
    pub message: String,
}

/// What kind of data was not mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnmappedKind {
    /// A whole segment that no mapping reads (Z-segments, unknown or unsupported segments).
    Segment,
    /// A field with data that its segment's mapping does not read.
    Field,
    /// A component with data that its field's datatype mapping does not read.
    Component,
}

/// Data that was in the message and is not in the Bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// What was not mapped.
    pub kind: UnmappedKind,
    /// Where it is.
    pub location: Location,
}

/// The report of one conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Data not mapped, in message order.
    pub unmapped: Vec<Unmapped>,
    /// Repairs, assumptions and problems, in the order met.
    pub issues: Vec<Issue>,
}

impl Report {
    /// True when nothing was left out and nothing repaired.
    pub fn is_clean(&self) -> bool {
        self.unmapped.is_empty() && self.issues.is_empty()
    }
}

impl fmt::Display for UnmappedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnmappedKind::Segment => "segment",
            UnmappedKind::Field => "field",
            UnmappedKind::Component => "component",
        })
    }
}

impl fmt::Display for IssueSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IssueSeverity::Error => "error",
            IssueSeverity::Warning => "warning",
            IssueSeverity::Information => "information",
        })
    }
}

impl fmt::Display for Report {
    /// One line per unmapped item and per issue, such as `unmapped field PID(2)-14`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for unmapped in &self.unmapped {
            writeln!(f, "unmapped {} {}", unmapped.kind, unmapped.location)?;
        }
        for issue in &self.issues {
            writeln!(
                f,
                "{} at {}: {}",
                issue.severity, issue.location, issue.message
            )?;
        }
        Ok(())
    }
}
