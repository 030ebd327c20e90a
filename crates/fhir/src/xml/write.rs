//! JSON → XML: walks a resource with the type table and writes elements in definition order.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use quick_xml::name::QName;
use serde_json::{Map, Value};

use super::{
    FHIR_NS, MAX_DEPTH, PathSegment, XHTML_NS, XmlError, XmlErrorKind, format_path, json_type_name,
};
use crate::r4_types::{ElementMatch, JsonKind, Target, TypeDef, TypeKind, TypeTable};

/// Converts a FHIR JSON resource to FHIR XML (with an XML declaration, no indentation).
///
/// Elements follow definition order whatever the JSON member order. Errors name the JSON path
/// of the offending member: an unknown member, a value of the wrong JSON type, a `_name`
/// companion that does not line up, an invalid `Narrative.div`, or nesting deeper than
/// [`MAX_DEPTH`].
pub fn json_to_xml(resource: &Value) -> Result<String, XmlError> {
    let mut writer = JsonToXml {
        table: TypeTable::r4(),
        out: Writer::new(Vec::with_capacity(4096)),
        path: Vec::new(),
    };
    writer.emit(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer.resource(resource, true)?;
    String::from_utf8(writer.out.into_inner())
        .map_err(|e| writer_error(Vec::new(), XmlErrorKind::Syntax(e.to_string())))
}

fn writer_error(path: Vec<PathSegment<'_>>, kind: XmlErrorKind) -> XmlError {
    XmlError {
        path: format_path(&path),
        position: None,
        kind,
    }
}

/// One JSON member (with its `_name` companion) bound to its element definition.
struct Member<'v, 't> {
    name: &'v str,
    found: ElementMatch<'t>,
    value: Option<&'v Value>,
    companion: Option<&'v Value>,
}

struct JsonToXml<'v> {
    table: &'static TypeTable,
    out: Writer<Vec<u8>>,
    path: Vec<PathSegment<'v>>,
}

impl<'v> JsonToXml<'v> {
    fn error(&self, kind: XmlErrorKind) -> XmlError {
        writer_error(self.path.clone(), kind)
    }

    fn escaped<'s>(&self, text: &'s str, type_name: &str) -> Result<Cow<'s, str>, XmlError> {
        escape_attribute(text).map_err(|InvalidChar| {
            self.error(XmlErrorKind::InvalidValue {
                type_name: type_name.to_owned(),
                value: text.to_owned(),
            })
        })
    }

    fn emit(&mut self, event: Event<'_>) -> Result<(), XmlError> {
        self.out
            .write_event(event)
            .map_err(|e| self.error(XmlErrorKind::Syntax(e.to_string())))
    }

    fn push(&mut self, name: &'v str, index: Option<usize>) -> Result<(), XmlError> {
        self.path.push(PathSegment { name, index });
        if self.path.len() > MAX_DEPTH {
            return Err(self.error(XmlErrorKind::TooDeep(MAX_DEPTH)));
        }
        Ok(())
    }

    /// Writes `<Type>…</Type>` for a JSON resource; the root also declares the namespace.
    fn resource(&mut self, value: &'v Value, is_root: bool) -> Result<(), XmlError> {
        let Value::Object(object) = value else {
            return Err(self.error(XmlErrorKind::WrongJsonType {
                expected: "a resource object",
                found: json_type_name(value),
            }));
        };
        let Some(Value::String(resource_type)) = object.get("resourceType") else {
            return Err(self.error(XmlErrorKind::MissingResourceType));
        };
        let table = self.table;
        let def = match table.type_def(resource_type) {
            Some(def) if def.kind == TypeKind::Resource && !def.is_abstract => def,
            _ => return Err(self.error(XmlErrorKind::UnknownResourceType(resource_type.clone()))),
        };
        self.push(resource_type, None)?;
        self.complex(resource_type, object, def, is_root)?;
        self.path.pop();
        Ok(())
    }

    /// Writes a complex element (or resource) named `name` whose content is `object`.
    fn complex(
        &mut self,
        name: &str,
        object: &'v Map<String, Value>,
        def: &'static TypeDef,
        is_root: bool,
    ) -> Result<(), XmlError> {
        let mut members: Vec<Member<'v, 'static>> = Vec::with_capacity(object.len());
        for (key, value) in object {
            if key == "resourceType" && def.kind == TypeKind::Resource {
                continue;
            }
            let (base, is_companion) = match key.strip_prefix('_') {
                Some(base) => (base, true),
                None => (key.as_str(), false),
            };
            let Some(found) = def.element(base) else {
                return Err(self.error(XmlErrorKind::UnknownElement(key.clone())));
            };
            let member_idx = match members.iter().position(|m| m.name == base) {
                Some(member_idx) => member_idx,
                None => {
                    members.push(Member {
                        name: base,
                        found,
                        value: None,
                        companion: None,
                    });
                    members.len() - 1
                }
            };
            let Some(member) = members.get_mut(member_idx) else {
                continue;
            };
            if is_companion {
                member.companion = Some(value);
            } else {
                member.value = Some(value);
            }
        }
        members.sort_by_key(|m| m.found.index);
        // Two types of one choice element (`valueString` and `valueInteger`).
        let twice = members.windows(2).find_map(|pair| match pair {
            [first, second] if first.found.index == second.found.index => Some(second.name),
            _ => None,
        });
        if let Some(name) = twice {
            return Err(self.error(XmlErrorKind::Repeated(name.to_owned())));
        }

        let mut start = BytesStart::new(name);
        if is_root {
            start.push_attribute(("xmlns", FHIR_NS));
        }
        let mut has_children = false;
        for member in &members {
            if member.found.element.is_xml_attr {
                self.push(member.name, None)?;
                if member.companion.is_some() {
                    return Err(
                        self.error(XmlErrorKind::UnknownElement(format!("_{}", member.name)))
                    );
                }
                match member.value {
                    Some(Value::String(text)) => start.push_attribute(Attribute {
                        key: QName(member.name),
                        value: self.escaped(text, "string")?,
                    }),
                    Some(other) => {
                        return Err(self.error(XmlErrorKind::WrongJsonType {
                            expected: "a string",
                            found: json_type_name(other),
                        }));
                    }
                    None => {}
                }
                self.path.pop();
            } else {
                has_children = true;
            }
        }
        if !has_children {
            return self.emit(Event::Empty(start));
        }
        self.emit(Event::Start(start))?;
        for member in &members {
            if !member.found.element.is_xml_attr {
                self.member(member)?;
            }
        }
        self.emit(Event::End(BytesEnd::new(name)))
    }

    /// Writes every XML element of one JSON member (one per array item).
    fn member(&mut self, member: &Member<'v, 'static>) -> Result<(), XmlError> {
        let name = member.name;
        if !member.found.element.is_array {
            self.push(name, None)?;
            if matches!(member.value, Some(Value::Array(_)))
                || matches!(member.companion, Some(Value::Array(_)))
            {
                return Err(self.error(XmlErrorKind::WrongJsonType {
                    expected: "a single value (max is 1)",
                    found: "an array",
                }));
            }
            self.item(name, member.found, member.value, member.companion)?;
            self.path.pop();
            return Ok(());
        }
        let values = match member.value {
            None => None,
            Some(Value::Array(values)) => Some(values),
            Some(other) => {
                self.push(name, None)?;
                return Err(self.error(XmlErrorKind::WrongJsonType {
                    expected: "an array (max is *)",
                    found: json_type_name(other),
                }));
            }
        };
        let companions = match member.companion {
            None => None,
            Some(Value::Array(companions)) => Some(companions),
            Some(other) => {
                self.push(name, None)?;
                return Err(self.error(XmlErrorKind::WrongJsonType {
                    expected: "an array (max is *)",
                    found: json_type_name(other),
                }));
            }
        };
        let count = match (values, companions) {
            (Some(values), Some(companions)) if values.len() != companions.len() => {
                self.push(name, None)?;
                return Err(self.error(XmlErrorKind::ArrayLengthMismatch(name.to_owned())));
            }
            (Some(values), _) => values.len(),
            (None, Some(companions)) => companions.len(),
            (None, None) => 0,
        };
        for index in 0..count {
            self.push(name, Some(index))?;
            let value = values.and_then(|v| v.get(index));
            let companion = companions.and_then(|c| c.get(index));
            self.item(name, member.found, value, companion)?;
            self.path.pop();
        }
        Ok(())
    }

    /// Writes one XML element for one JSON value (and its companion).
    fn item(
        &mut self,
        name: &str,
        found: ElementMatch<'static>,
        value: Option<&'v Value>,
        companion: Option<&'v Value>,
    ) -> Result<(), XmlError> {
        let companion = companion.filter(|c| !c.is_null());
        match &found.element_type.target {
            Target::Primitive {
                name: type_name,
                json,
            } => self.primitive(name, type_name, *json, value, companion),
            target => {
                if companion.is_some() {
                    return Err(self.error(XmlErrorKind::UnknownElement(format!("_{name}"))));
                }
                let Some(value) = value else {
                    return Err(self.error(XmlErrorKind::WrongJsonType {
                        expected: "a value",
                        found: "null",
                    }));
                };
                match target {
                    Target::Xhtml => self.xhtml(value),
                    Target::Resource => {
                        self.emit(Event::Start(BytesStart::new(name)))?;
                        self.resource(value, false)?;
                        self.emit(Event::End(BytesEnd::new(name)))
                    }
                    Target::Complex(type_name) => {
                        let table = self.table;
                        let Some(def) = table.type_def(type_name) else {
                            return Err(self.error(XmlErrorKind::UnknownElement(name.to_owned())));
                        };
                        let Value::Object(object) = value else {
                            return Err(self.error(XmlErrorKind::WrongJsonType {
                                expected: "an object",
                                found: json_type_name(value),
                            }));
                        };
                        self.complex(name, object, def, false)
                    }
                    Target::Primitive { .. } => Ok(()),
                }
            }
        }
    }

    /// Writes `<name id=".." value=".."><extension…/></name>`.
    fn primitive(
        &mut self,
        name: &str,
        type_name: &str,
        json: JsonKind,
        value: Option<&'v Value>,
        companion: Option<&'v Value>,
    ) -> Result<(), XmlError> {
        let mut start = BytesStart::new(name);
        let mut extensions: Option<&'v Vec<Value>> = None;
        let mut has_id = false;
        if let Some(companion) = companion {
            let Value::Object(object) = companion else {
                return Err(self.error(XmlErrorKind::WrongJsonType {
                    expected: "an object in `_` companion",
                    found: json_type_name(companion),
                }));
            };
            for (key, member) in object {
                match (key.as_str(), member) {
                    ("id", Value::String(id)) => {
                        start.push_attribute(Attribute {
                            key: QName("id"),
                            value: self.escaped(id, "string")?,
                        });
                        has_id = true;
                    }
                    ("extension", Value::Array(items)) => extensions = Some(items),
                    ("id" | "extension", other) => {
                        return Err(self.error(XmlErrorKind::WrongJsonType {
                            expected: "a string id or an extension array",
                            found: json_type_name(other),
                        }));
                    }
                    _ => {
                        return Err(
                            self.error(XmlErrorKind::UnknownElement(format!("_{name}.{key}")))
                        );
                    }
                }
            }
        }
        let text: Option<Cow<'v, str>> = match (json, value) {
            (_, None | Some(Value::Null)) => None,
            (JsonKind::String, Some(Value::String(text))) => Some(Cow::Borrowed(text)),
            (JsonKind::Boolean, Some(Value::Bool(flag))) => {
                Some(Cow::Borrowed(if *flag { "true" } else { "false" }))
            }
            (JsonKind::Number, Some(Value::Number(number))) => Some(Cow::Owned(number.to_string())),
            (_, Some(other)) => {
                let expected = match json {
                    JsonKind::String => "a string",
                    JsonKind::Boolean => "a boolean",
                    JsonKind::Number => "a number",
                };
                return Err(self.error(XmlErrorKind::WrongJsonType {
                    expected,
                    found: json_type_name(other),
                }));
            }
        };
        let has_extensions = extensions.is_some_and(|items| !items.is_empty());
        if text.is_none() && !has_id && !has_extensions {
            return Err(self.error(XmlErrorKind::EmptyPrimitive));
        }
        if let Some(text) = &text {
            let escaped = self.escaped(text, type_name)?;
            start.push_attribute(Attribute {
                key: QName("value"),
                value: escaped,
            });
        }
        let Some(items) = extensions.filter(|items| !items.is_empty()) else {
            return self.emit(Event::Empty(start));
        };
        self.emit(Event::Start(start))?;
        let table = self.table;
        let Some(extension_def) = table.type_def("Extension") else {
            return Err(self.error(XmlErrorKind::UnknownElement("extension".to_owned())));
        };
        for (index, item) in items.iter().enumerate() {
            self.push("extension", Some(index))?;
            let Value::Object(object) = item else {
                return Err(self.error(XmlErrorKind::WrongJsonType {
                    expected: "an object",
                    found: json_type_name(item),
                }));
            };
            self.complex("extension", object, extension_def, false)?;
            self.path.pop();
        }
        self.emit(Event::End(BytesEnd::new(name)))
    }

    /// Writes `Narrative.div` raw after checking it is one well-formed XHTML `div`.
    fn xhtml(&mut self, value: &Value) -> Result<(), XmlError> {
        let Value::String(div) = value else {
            return Err(self.error(XmlErrorKind::WrongJsonType {
                expected: "an XHTML string",
                found: json_type_name(value),
            }));
        };
        check_div(div).map_err(|reason| self.error(XmlErrorKind::InvalidXhtml(reason)))?;
        self.out.get_mut().extend_from_slice(div.as_bytes());
        Ok(())
    }
}

/// Checks that `div` is exactly one well-formed `div` element in the XHTML namespace.
fn check_div(div: &str) -> Result<(), String> {
    let mut reader = quick_xml::NsReader::from_str(div);
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let (namespace, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
        let in_xhtml =
            matches!(namespace, quick_xml::name::ResolveResult::Bound(ns) if ns.0 == XHTML_NS);
        match event {
            Event::Start(ref start) | Event::Empty(ref start) if depth == 0 => {
                if seen_root {
                    return Err("more than one root element".to_owned());
                }
                if start.local_name().as_ref() != "div" || !in_xhtml {
                    return Err(format!("root must be a div in namespace {XHTML_NS}"));
                }
                seen_root = true;
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("nesting deeper than {MAX_DEPTH} elements"));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(text) if depth == 0 && !text.trim().is_empty() => {
                return Err("text outside the div".to_owned());
            }
            Event::GeneralRef(_) | Event::CData(_) if depth == 0 => {
                return Err("text outside the div".to_owned());
            }
            Event::DocType(_) | Event::Decl(_) => {
                return Err("declarations are not allowed".to_owned());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if seen_root {
        Ok(())
    } else {
        Err("no div element".to_owned())
    }
}

/// Escapes an attribute value: markup characters, quotes, and the whitespace characters that
/// XML attribute-value normalization would otherwise turn into spaces.
/// Fails on characters XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF).
fn escape_attribute(text: &str) -> Result<Cow<'_, str>, InvalidChar> {
    let needs_escape =
        |ch: char| matches!(ch, '<' | '>' | '&' | '"' | '\'') || is_invalid_or_whitespace(ch);
    if !text.contains(needs_escape) {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            other if is_invalid_or_whitespace(other) => return Err(InvalidChar),
            other => out.push(other),
        }
    }
    Ok(Cow::Owned(out))
}

/// A character that XML 1.0 cannot carry.
#[derive(Debug, Clone, Copy)]
struct InvalidChar;

fn is_invalid_or_whitespace(ch: char) -> bool {
    ch < ' ' || ch == '\u{FFFE}' || ch == '\u{FFFF}'
}
