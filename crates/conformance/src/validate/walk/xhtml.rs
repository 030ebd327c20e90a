//! Narrative XHTML (`xhtml`, the `div` of a Narrative): the rules the Java validator applies
//! for `txt-1` and `txt-2`, whose FHIRPath (`htmlChecks()`) the `fhirpath` crate cannot
//! evaluate.
//!
//! - the content is well-formed XML whose root is a `div`;
//! - only the basic HTML formatting elements and attributes are used (the Java validator's
//!   lists, from HTML 4 chapters 7-11 and 15): anything else, such as `script` or an `on…`
//!   handler, is an error and fails `txt-1`;
//! - entities are the XML ones (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`) or character
//!   references: HTML named entities such as `&reg;` are not XML;
//! - there is some non-whitespace text or an image (`txt-2`);
//! - a link inside the narrative (`<a href="#x">`) resolves to an element of it with that
//!   `id` or `name`, or to a contained resource `x` (for a resource outside a Bundle; in a
//!   Bundle a link may point into another entry's narrative).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::Walker;
use crate::validate::IssueType;
use crate::validate::member::Member as _;

/// The elements a narrative may use.
const ELEMENTS: [&str; 56] = [
    "p",
    "br",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "span",
    "b",
    "em",
    "i",
    "strong",
    "small",
    "big",
    "tt",
    "small",
    "dfn",
    "q",
    "var",
    "abbr",
    "acronym",
    "cite",
    "blockquote",
    "hr",
    "address",
    "bdo",
    "kbd",
    "q",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "pre",
    "table",
    "caption",
    "colgroup",
    "col",
    "thead",
    "tr",
    "tfoot",
    "tbody",
    "th",
    "td",
    "code",
    "samp",
    "img",
    "map",
    "area",
    "u",
];

/// The attributes any narrative element may carry.
const ATTRIBUTES: [&str; 23] = [
    "title",
    "style",
    "class",
    "id",
    "lang",
    "xml:lang",
    "dir",
    "accesskey",
    "tabindex",
    "span",
    "width",
    "align",
    "valign",
    "char",
    "charoff",
    "abbr",
    "axis",
    "headers",
    "scope",
    "rowspan",
    "colspan",
    "xmlns",
    "xml:space",
];

/// The attributes only some elements may carry, as `element.attribute`.
const ELEMENT_ATTRIBUTES: [&str; 31] = [
    "a.href",
    "a.name",
    "img.src",
    "img.border",
    "div.xmlns",
    "blockquote.cite",
    "q.cite",
    "a.title",
    "a.type",
    "a.rel",
    "a.rev",
    "a.shape",
    "a.coords",
    "img.alt",
    "img.width",
    "img.height",
    "img.usemap",
    "img.ismap",
    "img.longdesc",
    "img.align",
    "img.hspace",
    "img.vspace",
    "table.summary",
    "table.width",
    "table.border",
    "table.frame",
    "table.rules",
    "table.cellspacing",
    "table.cellpadding",
    "pre.space",
    "td.nowrap",
];

const TXT_1: &str = "Constraint failed: txt-1: 'The narrative SHALL contain only the basic html formatting elements and attributes described in chapters 7-11 (except section 4 of chapter 9) and 15 of the HTML 4.0 standard, <a> elements (either name or href), images and internally contained style attributes'";
const TXT_2: &str =
    "Constraint failed: txt-2: 'The narrative SHALL have some non-whitespace content'";

/// Checks the XHTML text `div` of a narrative.
pub(super) fn check(walker: &mut Walker<'_>, div: &str) {
    let mut reader = Reader::from_str(div);
    let mut depth = 0usize;
    let mut content = false;
    let mut names_ok = true;
    let mut anchors: Vec<String> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                let message = format!("Error parsing the XHTML: {error}");
                walker.error(IssueType::Value, "xhtml-parse", message);
                return;
            }
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let name = start.name().0.to_owned();
                if depth == 0 && name != "div" {
                    let message =
                        format!("Wrong name on the XHTML ('{name}') - must start with div");
                    walker.error(IssueType::Structure, "xhtml-root", message);
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
                content |= name == "img";
                names_ok &= check_names(walker, &name, start);
                for attribute in start.attributes().flatten() {
                    // Anchors and links are compared as written (no entities in ids).
                    let value: &str = &attribute.value;
                    match attribute.key.0 {
                        "id" | "name" => anchors.push(value.to_string()),
                        "href" if name == "a" => {
                            if let Some(target) = value.strip_prefix('#') {
                                links.push(target.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(text) => {
                content |= !text.trim().is_empty();
            }
            Event::CData(text) => {
                content |= !text.trim().is_empty();
            }
            Event::GeneralRef(reference) => {
                let known = matches!(&*reference, "amp" | "lt" | "gt" | "quot" | "apos");
                if known || reference.resolve_char_ref().ok().flatten().is_some() {
                    content = true;
                } else {
                    let message = format!("Invalid entity in the XHTML ('&{};')", &*reference);
                    walker.error(IssueType::Value, "xhtml-entity", message);
                }
            }
            Event::DocType(_) => {
                let message = "The XHTML must not contain a DOCTYPE".to_string();
                walker.error(IssueType::Value, "xhtml-doctype", message);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !names_ok {
        walker.error(IssueType::Invariant, "invariant-failed", TXT_1.to_string());
    }
    if walker.cx.bundle.is_none() {
        let contained = walker
            .cx
            .resource
            .member("contained")
            .and_then(serde_json::Value::as_array);
        let is_contained = |id: &str| {
            contained
                .into_iter()
                .flatten()
                .any(|c| c.member("id").and_then(serde_json::Value::as_str) == Some(id))
        };
        for link in links {
            if !link.is_empty() && !anchors.contains(&link) && !is_contained(&link) {
                let message = format!("Hyperlink '#{link}' in the narrative does not resolve");
                walker.error(IssueType::Value, "xhtml-link-unresolved", message);
            }
        }
    }
    if !content {
        walker.error(IssueType::Invariant, "invariant-failed", TXT_2.to_string());
    }
}

/// Reports an element or attribute outside the allowed lists; false when it did.
fn check_names(walker: &mut Walker<'_>, name: &str, start: &BytesStart<'_>) -> bool {
    let mut ok = true;
    if !ELEMENTS.contains(&name) {
        let message = format!("Invalid element name in the XHTML ('{name}')");
        walker.error(IssueType::Value, "xhtml-element", message);
        ok = false;
    }
    for attribute in start.attributes().flatten() {
        let key = attribute.key.0;
        let allowed = ATTRIBUTES.contains(&key)
            || key.starts_with("xmlns:")
            || ELEMENT_ATTRIBUTES.contains(&format!("{name}.{key}").as_str());
        if !allowed {
            let message = format!("Invalid attribute name in the XHTML ('{key}' on '{name}')");
            walker.error(IssueType::Value, "xhtml-attribute", message);
            ok = false;
        }
    }
    ok
}
