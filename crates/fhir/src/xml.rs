//! FHIR JSON ⇄ FHIR XML conversion following the R4 XML rules (<https://hl7.org/fhir/R4/xml.html>).
//!
//! Both directions are driven by the embedded type table ([`crate::r4_types::TypeTable::r4`]):
//! XML elements are written in definition order whatever the JSON member order, arrays are
//! recognised by their cardinality, primitives carry `value`, `id` and child `<extension>`s
//! (the JSON `_name` companion), choice elements are typed by their name (`valueQuantity`),
//! `Narrative.div` is embedded XHTML, and resources nested in `contained`,
//! `Bundle.entry.resource` or `Parameters.parameter.resource` are wrapped in an element named
//! after their type.
//!
//! Numbers stay as written: an XML `value="1.00"` becomes the JSON number `1.00` (serde_json's
//! `arbitrary_precision`), and back.
//!
//! Both directions are strict, since the validator uses them on untrusted input: an unknown
//! element or member, a value of the wrong JSON type, elements out of definition order or text
//! where none is allowed are errors ([`XmlError`]) naming the element path, and for XML input the
//! line, column and byte. Nesting deeper than [`MAX_DEPTH`] elements is refused, so hostile input
//! cannot exhaust the stack. Nothing here panics.
//!
//! ```
//! let json = serde_json::json!({"resourceType": "Patient", "active": true, "id": "p1"});
//! let xml = fhir::xml::json_to_xml(&json).unwrap();
//! assert!(xml.ends_with(r#"<Patient xmlns="http://hl7.org/fhir"><id value="p1"/><active value="true"/></Patient>"#));
//! assert_eq!(fhir::xml::xml_to_json(&xml).unwrap(), json);
//! ```

use std::fmt;

mod read;
mod write;

#[cfg(test)]
mod tests;

pub use read::xml_to_json;
pub use write::json_to_xml;

/// The FHIR XML namespace.
pub const FHIR_NS: &str = "http://hl7.org/fhir";
/// The XHTML namespace of `Narrative.div`.
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";
/// The XML Schema instance namespace: its attributes (`xsi:schemaLocation`) are ignored on input.
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The deepest element nesting accepted, in either direction.
pub const MAX_DEPTH: usize = 128;

/// A conversion error: what went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct XmlError {
    /// The element path, FHIRPath-like: `Patient.contact[0].name.given[1]`.
    pub path: String,
    /// Where in the XML input (none for JSON input).
    pub position: Option<TextPosition>,
    /// What went wrong.
    pub kind: XmlErrorKind,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        };
        match &self.position {
            Some(position) => write!(f, "{path} ({position}): {}", self.kind),
            None => write!(f, "{path}: {}", self.kind),
        }
    }
}

/// A place in XML input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 0-based byte offset.
    pub byte: usize,
}

impl TextPosition {
    /// The position of byte offset `byte` in `input` (clamped to its length).
    pub fn of(input: &str, byte: usize) -> TextPosition {
        let mut byte = byte.min(input.len());
        while !input.is_char_boundary(byte) {
            byte -= 1;
        }
        let before = input.get(..byte).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        TextPosition {
            line: before.matches('\n').count() + 1,
            column: before.get(line_start..).map_or(0, |s| s.chars().count()) + 1,
            byte,
        }
    }
}

impl fmt::Display for TextPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}, byte {}",
            self.line, self.column, self.byte
        )
    }
}

/// What went wrong in a conversion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlErrorKind {
    /// The XML is not well-formed (or uses a construct FHIR forbids, such as a DOCTYPE).
    #[error("malformed XML: {0}")]
    Syntax(String),
    /// An element (XML) or member (JSON) that the type does not define.
    #[error("unknown element `{0}`")]
    UnknownElement(String),
    /// An attribute that the element does not allow.
    #[error("unexpected attribute `{0}`")]
    UnexpectedAttribute(String),
    /// Not a concrete FHIR resource type.
    #[error("unknown resource type `{0}`")]
    UnknownResourceType(String),
    /// A JSON resource without a string `resourceType`.
    #[error("missing resourceType")]
    MissingResourceType,
    /// An element in the wrong XML namespace.
    #[error("element `{name}` must be in namespace {expected}")]
    WrongNamespace {
        /// The element's local name.
        name: String,
        /// The namespace it must be in.
        expected: &'static str,
    },
    /// Character data where FHIR XML allows none.
    #[error("unexpected text content")]
    UnexpectedText,
    /// An element after one that the definition puts later.
    #[error("element `{0}` is out of order (XML must follow definition order)")]
    OutOfOrder(String),
    /// A second occurrence of an element whose max is 1 (or a second choice type).
    #[error("element `{0}` repeats but its max is 1")]
    Repeated(String),
    /// A JSON value of the wrong shape for the element.
    #[error("expected {expected}, found {found}")]
    WrongJsonType {
        /// What the definition asks for.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// The value and its `_name` companion arrays differ in length.
    #[error("`{0}` and `_{0}` arrays differ in length")]
    ArrayLengthMismatch(String),
    /// A primitive value that does not fit its type.
    #[error("invalid {type_name} value `{value}`")]
    InvalidValue {
        /// The primitive type.
        type_name: String,
        /// The value as written.
        value: String,
    },
    /// A primitive with no value, no id and no extension.
    #[error("primitive element has no value and no extension")]
    EmptyPrimitive,
    /// A resource wrapper (`contained`…) without exactly one resource inside.
    #[error("expected exactly one resource inside")]
    ResourceWrapper,
    /// `Narrative.div` that is not a well-formed XHTML `div`.
    #[error("invalid XHTML div: {0}")]
    InvalidXhtml(String),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {0} elements")]
    TooDeep(usize),
}

/// One step of an element path: a name and, inside arrays, an index.
#[derive(Debug, Clone, Copy)]
struct PathSegment<'a> {
    name: &'a str,
    index: Option<usize>,
}

/// Formats a path stack as `Patient.contact[0].name`.
fn format_path(segments: &[PathSegment<'_>]) -> String {
    let mut out = String::new();
    for (idx, segment) in segments.iter().enumerate() {
        if idx > 0 {
            out.push('.');
        }
        out.push_str(segment.name);
        if let Some(index) = segment.index {
            out.push_str(&format!("[{index}]"));
        }
    }
    out
}

/// A short name for a JSON value's type, for errors.
fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
