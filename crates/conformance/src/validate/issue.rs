//! Validation issues: what is wrong, where, and how serious.
//!
//! Messages are stable across releases: each issue has a `message_id` (a fixed key such as
//! `cardinality-min`) and a message built from a fixed template, so a compliance team can
//! filter and count them.

use std::fmt;

/// How serious an issue is (OperationOutcome.issue.severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IssueSeverity {
    /// The resource could not be processed at all.
    Fatal,
    /// The resource breaks a rule.
    Error,
    /// The resource may be wrong, or a check could not be done.
    Warning,
    /// For information.
    Information,
}

impl IssueSeverity {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueSeverity::Fatal => "fatal",
            IssueSeverity::Error => "error",
            IssueSeverity::Warning => "warning",
            IssueSeverity::Information => "information",
        }
    }

    /// True for fatal and error.
    pub fn is_error(self) -> bool {
        matches!(self, IssueSeverity::Fatal | IssueSeverity::Error)
    }
}

/// The kind of issue (OperationOutcome.issue.code, from the R4 IssueType value set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueType {
    /// `invalid`: content invalid against the specification or a profile.
    Invalid,
    /// `structure`: a structural problem (unknown element, wrong JSON shape, cardinality).
    Structure,
    /// `required`: a required element is missing.
    Required,
    /// `value`: an element's value is invalid (format, fixed, pattern, length, range).
    Value,
    /// `invariant`: a FHIRPath invariant failed.
    Invariant,
    /// `code-invalid`: a code is not in the bound value set.
    CodeInvalid,
    /// `extension`: an unknown or misplaced extension.
    Extension,
    /// `business-rule`: a rule across elements (Bundle rules).
    BusinessRule,
    /// `not-found`: a referenced definition or resource was not found.
    NotFound,
    /// `not-supported`: a check that could not be done here (external code system, an
    /// invariant that cannot be evaluated).
    NotSupported,
    /// `processing`: the validator itself met a problem.
    Processing,
    /// `informational`.
    Informational,
}

impl IssueType {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueType::Invalid => "invalid",
            IssueType::Structure => "structure",
            IssueType::Required => "required",
            IssueType::Value => "value",
            IssueType::Invariant => "invariant",
            IssueType::CodeInvalid => "code-invalid",
            IssueType::Extension => "extension",
            IssueType::BusinessRule => "business-rule",
            IssueType::NotFound => "not-found",
            IssueType::NotSupported => "not-supported",
            IssueType::Processing => "processing",
            IssueType::Informational => "informational",
        }
    }
}

/// A place in the JSON source text, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The line.
    pub line: u32,
    /// The column (in characters).
    pub column: u32,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// How serious it is.
    pub severity: IssueSeverity,
    /// Its kind.
    pub code: IssueType,
    /// A stable key of the message template, such as `cardinality-min`.
    pub message_id: &'static str,
    /// The message for people.
    pub message: String,
    /// Where: a FHIRPath location in the Java validator's style, such as
    /// `Patient.name[0].given[1]` or `Observation.value.ofType(Quantity)`; inside a Bundle,
    /// `Bundle.entry[2].resource.code`.
    pub expression: String,
    /// Where in the source text, for JSON input (filled in by the caller that has the text).
    pub position: Option<Position>,
}

impl Issue {
    /// An issue without a source position.
    pub fn new(
        severity: IssueSeverity,
        code: IssueType,
        message_id: &'static str,
        expression: impl Into<String>,
        message: impl Into<String>,
    ) -> Issue {
        Issue {
            severity,
            code,
            message_id,
            message: message.into(),
            expression: expression.into(),
            position: None,
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} at {}",
            self.severity.as_str(),
            self.message_id,
            self.expression
        )?;
        if let Some(position) = self.position {
            write!(f, " [{}:{}]", position.line, position.column)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Where a value is, as an issue's `expression`: given as text, or rendered from the walk's
/// path only when an issue needs it (most values have none).
#[derive(Clone, Copy)]
pub enum Location<'l> {
    /// Already rendered.
    Text(&'l str),
    /// Rendered on demand.
    Lazy(&'l dyn Fn() -> String),
}

impl Location<'_> {
    /// The location as text.
    pub fn render(&self) -> String {
        match self {
            Location::Text(text) => (*text).to_owned(),
            Location::Lazy(render) => render(),
        }
    }
}

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Text(text) => f.write_str(text),
            Location::Lazy(render) => f.write_str(&render()),
        }
    }
}

impl std::fmt::Debug for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({self})")
    }
}

impl<'l> From<&'l str> for Location<'l> {
    fn from(text: &'l str) -> Location<'l> {
        Location::Text(text)
    }
}

impl<'l> From<&'l String> for Location<'l> {
    fn from(text: &'l String) -> Location<'l> {
        Location::Text(text)
    }
}

impl From<Location<'_>> for String {
    fn from(location: Location<'_>) -> String {
        location.render()
    }
}
