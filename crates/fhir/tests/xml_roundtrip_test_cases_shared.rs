//! Every FHIR XML resource of the FHIR test cases survives XML → JSON → XML with the same XML
//! infoset: element names and namespaces, attributes (unordered) and text, ignoring comments,
//! processing instructions and whitespace-only text between elements (XHTML included).
//!
//! Some test cases are deliberately invalid (they test the validator): the converter may reject
//! them, with an error naming the place. A file that converts but comes back different fails
//! the test unless it is listed in [`EXCEPTIONS`].
#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

/// Files (relative to the test-case folder) whose round trip may differ, with the reason.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "validator/primitive-good.xml",
    "serde_json (arbitrary_precision) writes exponents canonically: the decimal `1e1` comes back \
     as `1e+1`, with the same digits and value",
)];

/// Attributes in this namespace are not FHIR content; the converter drops them.
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[derive(Debug, PartialEq)]
enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, PartialEq)]
struct Element {
    namespace: String,
    name: String,
    attributes: BTreeMap<(String, String), String>,
    children: Vec<Node>,
}

fn namespace_of(result: ResolveResult<'_>) -> String {
    match result {
        ResolveResult::Bound(ns) => ns.0.to_owned(),
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(prefix) => format!("?{prefix}"),
    }
}

/// Parses XML into its infoset tree (the root element).
fn infoset(xml: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut text = String::new();
    loop {
        let (namespace, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
        let namespace = namespace_of(namespace);
        let is_markup = matches!(
            event,
            Event::Start(_) | Event::Empty(_) | Event::End(_) | Event::Eof
        );
        if is_markup && !text.is_empty() {
            if !text.trim().is_empty()
                && let Some(parent) = stack.last_mut()
            {
                parent.children.push(Node::Text(std::mem::take(&mut text)));
            }
            text.clear();
        }
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let mut attributes = BTreeMap::new();
                for attribute in start.attributes() {
                    let attribute = attribute.map_err(|e| e.to_string())?;
                    let key = attribute.key.into_inner();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let (attribute_ns, local) = reader.resolver().resolve_attribute(attribute.key);
                    let attribute_ns = namespace_of(attribute_ns);
                    if attribute_ns == XSI_NS {
                        continue;
                    }
                    let value = attribute
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    attributes.insert(
                        (attribute_ns, local.as_ref().to_owned()),
                        value.into_owned(),
                    );
                }
                let element = Element {
                    namespace,
                    name: start.local_name().as_ref().to_owned(),
                    attributes,
                    children: Vec::new(),
                };
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced end tag")?;
                close(&mut stack, &mut root, element);
            }
            Event::Text(content) => text.push_str(&content.xml10_content()),
            Event::CData(content) => text.push_str(&content.xml10_content()),
            Event::GeneralRef(reference) => {
                if let Some(ch) = reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(ch);
                } else {
                    let name = reference.xml10_content();
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or(format!("unknown entity &{name};"))?;
                    text.push_str(resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {}
        }
    }
    root.ok_or_else(|| "no root element".to_owned())
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

/// Describes the first difference between two infosets.
fn first_difference(path: &str, a: &Element, b: &Element) -> Option<String> {
    let here = format!("{path}/{}", a.name);
    if a.namespace != b.namespace || a.name != b.name {
        return Some(format!(
            "{here}: {{{}}}{} became {{{}}}{}",
            a.namespace, a.name, b.namespace, b.name
        ));
    }
    if a.attributes != b.attributes {
        return Some(format!(
            "{here}: attributes {:?} became {:?}",
            a.attributes, b.attributes
        ));
    }
    for (idx, pair) in a.children.iter().zip(&b.children).enumerate() {
        match pair {
            (Node::Element(x), Node::Element(y)) => {
                if let Some(found) = first_difference(&format!("{here}[{idx}]"), x, y) {
                    return Some(found);
                }
            }
            (x, y) if x == y => {}
            (x, y) => return Some(format!("{here}[{idx}]: {} became {}", short(x), short(y))),
        }
    }
    if a.children.len() != b.children.len() {
        return Some(format!(
            "{here}: {} children became {}",
            a.children.len(),
            b.children.len()
        ));
    }
    None
}

fn short(node: &Node) -> String {
    match node {
        Node::Element(element) => format!("<{}>", element.name),
        Node::Text(text) => format!("{:?}", text.chars().take(80).collect::<String>()),
    }
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            xml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

#[test]
fn xml_roundtrip_test_cases_shared() {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/fhir-test-cases"
    ));
    if !root.exists() {
        eprintln!("skipping: {} is absent", root.display());
        return;
    }
    let mut files = Vec::new();
    xml_files(&root, &mut files);
    let (mut n_not_utf8, mut n_not_fhir, mut n_converted, mut n_identical, mut n_excepted) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut rejected = Vec::new();
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
        let Ok(xml) = std::fs::read_to_string(path) else {
            // xml_to_json takes text: decoding other encodings is the caller's job.
            n_not_utf8 += 1;
            eprintln!("not UTF-8, skipped: {name}");
            continue;
        };
        let original = match infoset(&xml) {
            Ok(original) if original.namespace == fhir::xml::FHIR_NS => original,
            _ => {
                n_not_fhir += 1;
                continue;
            }
        };
        let json = match fhir::xml::xml_to_json(&xml) {
            Ok(json) => json,
            Err(error) => {
                rejected.push(format!("{name}: {error}"));
                continue;
            }
        };
        n_converted += 1;
        let outcome = fhir::xml::json_to_xml(&json)
            .map_err(|e| format!("json_to_xml: {e}"))
            .and_then(|back| {
                let back = infoset(&back).map_err(|e| format!("output is not XML: {e}"))?;
                match first_difference("", &original, &back) {
                    None => Ok(()),
                    Some(difference) => Err(difference),
                }
            });
        match (outcome, EXCEPTIONS.iter().find(|(file, _)| *file == name)) {
            (Ok(()), None) => n_identical += 1,
            (Ok(()), Some(_)) => failures.push(format!(
                "{name}: listed as an exception but now round-trips; remove it"
            )),
            (Err(reason), Some((_, why))) => {
                n_excepted += 1;
                eprintln!("exception {name}: {reason} (listed: {why})");
            }
            (Err(reason), None) => failures.push(format!("{name}: {reason}")),
        }
    }
    for line in &rejected {
        eprintln!("rejected {line}");
    }
    for line in &failures {
        eprintln!("FAIL {line}");
    }
    eprintln!(
        "test cases: {} XML files, {n_not_utf8} not UTF-8, {n_not_fhir} not FHIR, {n_converted} converted, {n_identical} identical, \
         {n_excepted} listed exceptions, {} rejected, {} failures",
        files.len(),
        rejected.len(),
        failures.len()
    );
    assert!(n_converted > 0, "no FHIR XML file converted");
    assert!(
        failures.is_empty(),
        "{} test-case files converted but did not round-trip",
        failures.len()
    );
}
