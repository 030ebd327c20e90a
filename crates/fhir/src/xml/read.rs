//! XML → JSON: a streaming walk over quick-xml events, checked against the type table.

use std::str::FromStr;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::{NsReader, XmlVersion};
use serde_json::{Map, Number, Value};

use super::{
    FHIR_NS, MAX_DEPTH, PathSegment, TextPosition, XHTML_NS, XSI_NS, XmlError, XmlErrorKind,
    format_path,
};
use crate::r4_types::{JsonKind, Target, TypeDef, TypeKind, TypeTable};

/// Converts a FHIR XML resource to FHIR JSON.
///
/// Numbers (integer, decimal, positiveInt, unsignedInt) become JSON numbers keeping their exact
/// text, booleans become `true`/`false`, other primitives strings; elements with max `*` become
/// arrays even with one item; primitive `id`s and extensions go into the `_name` companion.
/// Comments, processing instructions and whitespace between elements are dropped, as are
/// `xsi:` attributes. Everything else unexpected is an error naming the element path and the
/// line, column and byte.
pub fn xml_to_json(xml: &str) -> Result<Value, XmlError> {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().check_comments = true;
    let mut walker = XmlToJson {
        reader,
        input: xml,
        table: TypeTable::r4(),
        path: Vec::new(),
        event_start: 0,
    };
    let mut root = None;
    loop {
        let (namespace, event) = walker.next()?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) if root.is_none() => {
                let is_empty = matches!(event, Event::Empty(_));
                if namespace != Ns::Fhir {
                    let name = walker.element_name(start).to_owned();
                    return Err(walker.error(XmlErrorKind::WrongNamespace {
                        name,
                        expected: FHIR_NS,
                    }));
                }
                root = Some(walker.resource(start, is_empty)?);
            }
            Event::Text(text) if text.trim_ascii().is_empty() => {}
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
            Event::DocType(_) => {
                return Err(walker.error(XmlErrorKind::Syntax("DOCTYPE is not allowed".to_owned())));
            }
            _ => return Err(walker.error(XmlErrorKind::UnexpectedText)),
        }
    }
    root.ok_or_else(|| walker.error(XmlErrorKind::Syntax("no root element".to_owned())))
}

/// The JSON being built for one element name: its items and their `_name` companions.
struct Slot<'i> {
    name: &'i str,
    index: usize,
    is_array: bool,
    is_primitive: bool,
    values: Vec<Value>,
    companions: Vec<Option<Value>>,
}

struct XmlToJson<'i> {
    reader: NsReader<&'i [u8]>,
    input: &'i str,
    table: &'static TypeTable,
    path: Vec<PathSegment<'i>>,
    /// Byte offset where the last event read started.
    event_start: usize,
}

impl<'i> XmlToJson<'i> {
    fn error(&self, kind: XmlErrorKind) -> XmlError {
        XmlError {
            path: format_path(&self.path),
            position: Some(TextPosition::of(self.input, self.event_start)),
            kind,
        }
    }

    /// Reads the next event and the namespace of its element.
    fn next(&mut self) -> Result<(Ns, Event<'i>), XmlError> {
        self.event_start = usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX);
        match self.reader.read_resolved_event() {
            Ok((namespace, event)) => {
                if matches!(event, Event::Start(_) | Event::Empty(_)) {
                    // The event may have consumed a BOM or prolog whitespace before its `<`.
                    let rest = self.input.get(self.event_start..).unwrap_or_default();
                    self.event_start += rest.find('<').unwrap_or(0);
                }
                let namespace = match namespace {
                    ResolveResult::Bound(ns) if ns.0 == FHIR_NS => Ns::Fhir,
                    ResolveResult::Bound(ns) if ns.0 == XHTML_NS => Ns::Xhtml,
                    _ => Ns::Other,
                };
                Ok((namespace, event))
            }
            Err(error) => {
                self.event_start =
                    usize::try_from(self.reader.error_position()).unwrap_or(usize::MAX);
                Err(self.error(XmlErrorKind::Syntax(error.to_string())))
            }
        }
    }

    fn push(&mut self, name: &'i str, index: Option<usize>) -> Result<(), XmlError> {
        self.path.push(PathSegment { name, index });
        if self.path.len() > MAX_DEPTH {
            return Err(self.error(XmlErrorKind::TooDeep(MAX_DEPTH)));
        }
        Ok(())
    }

    /// Reads a resource element (already started) into a JSON object with `resourceType`.
    fn resource(&mut self, start: &BytesStart<'i>, is_empty: bool) -> Result<Value, XmlError> {
        let name = self.element_name(start);
        self.push(name, None)?;
        let table = self.table;
        let def = match table.type_def(name) {
            Some(def) if def.kind == TypeKind::Resource && !def.is_abstract => def,
            _ => return Err(self.error(XmlErrorKind::UnknownResourceType(name.to_owned()))),
        };
        let mut object = Map::new();
        object.insert("resourceType".to_owned(), Value::String(name.to_owned()));
        self.complex_into(start, is_empty, def, &mut object)?;
        self.path.pop();
        Ok(Value::Object(object))
    }

    /// Reads the attributes and child elements of a complex element into `object`.
    fn complex_into(
        &mut self,
        start: &BytesStart<'i>,
        is_empty: bool,
        def: &'static TypeDef,
        object: &mut Map<String, Value>,
    ) -> Result<(), XmlError> {
        for attribute in start.attributes() {
            let attribute =
                attribute.map_err(|e| self.error(XmlErrorKind::Syntax(e.to_string())))?;
            let key = attribute.key.into_inner();
            if self.is_ignored_attribute(attribute.key) {
                continue;
            }
            match def.element(key) {
                Some(found) if found.element.is_xml_attr => {
                    let value = self.attribute_value(&attribute)?;
                    object.insert(key.to_owned(), Value::String(value));
                }
                _ => return Err(self.error(XmlErrorKind::UnexpectedAttribute(key.to_owned()))),
            }
        }
        if is_empty {
            return Ok(());
        }
        let mut slots: Vec<Slot<'i>> = Vec::new();
        loop {
            let (namespace, event) = self.next()?;
            let (child, child_empty) = match event {
                Event::Start(child) => (child, false),
                Event::Empty(child) => (child, true),
                Event::End(_) => break,
                Event::Text(text) if text.trim_ascii().is_empty() => continue,
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Eof => {
                    return Err(
                        self.error(XmlErrorKind::Syntax("unexpected end of input".to_owned()))
                    );
                }
                _ => return Err(self.error(XmlErrorKind::UnexpectedText)),
            };
            let name = self.element_name(&child);
            let found = def.element(name).filter(|found| !found.element.is_xml_attr);
            let Some(found) = found else {
                self.push(name, None)?;
                return Err(self.error(XmlErrorKind::UnknownElement(name.to_owned())));
            };
            let is_xhtml = found.element_type.target == Target::Xhtml;
            if namespace != Ns::Fhir && !is_xhtml {
                self.push(name, None)?;
                return Err(self.error(XmlErrorKind::WrongNamespace {
                    name: name.to_owned(),
                    expected: FHIR_NS,
                }));
            }
            // Elements come in definition order; repeats only for arrays, and contiguous.
            let slot_idx = match slots.last() {
                Some(last) if last.index == found.index => {
                    if !found.element.is_array || last.name != name {
                        self.push(name, None)?;
                        return Err(self.error(XmlErrorKind::Repeated(name.to_owned())));
                    }
                    slots.len() - 1
                }
                Some(last) if last.index > found.index => {
                    self.push(name, None)?;
                    return Err(self.error(XmlErrorKind::OutOfOrder(name.to_owned())));
                }
                _ => {
                    let is_primitive =
                        matches!(found.element_type.target, Target::Primitive { .. });
                    slots.push(Slot {
                        name,
                        index: found.index,
                        is_array: found.element.is_array,
                        is_primitive,
                        values: Vec::new(),
                        companions: Vec::new(),
                    });
                    slots.len() - 1
                }
            };
            let item_index = slots.get(slot_idx).map_or(0, |slot| slot.values.len());
            self.push(name, found.element.is_array.then_some(item_index))?;
            let (value, companion) = match &found.element_type.target {
                Target::Primitive {
                    name: type_name,
                    json,
                } => self.primitive(&child, child_empty, type_name, *json)?,
                Target::Xhtml => (self.xhtml(&child, child_empty, namespace)?, None),
                Target::Resource => (self.wrapped_resource(child_empty)?, None),
                Target::Complex(type_name) => {
                    let table = self.table;
                    let Some(child_def) = table.type_def(type_name) else {
                        return Err(self.error(XmlErrorKind::UnknownElement(name.to_owned())));
                    };
                    let mut child_object = Map::new();
                    self.complex_into(&child, child_empty, child_def, &mut child_object)?;
                    (Value::Object(child_object), None)
                }
            };
            self.path.pop();
            if let Some(slot) = slots.get_mut(slot_idx) {
                slot.values.push(value);
                slot.companions.push(companion);
            }
        }
        for slot in slots {
            insert_slot(object, slot);
        }
        Ok(())
    }

    /// Reads a primitive element: its `value` and the `_name` companion (`id`, `extension`).
    fn primitive(
        &mut self,
        start: &BytesStart<'i>,
        is_empty: bool,
        type_name: &str,
        json: JsonKind,
    ) -> Result<(Value, Option<Value>), XmlError> {
        let mut value = Value::Null;
        let mut companion = Map::new();
        for attribute in start.attributes() {
            let attribute =
                attribute.map_err(|e| self.error(XmlErrorKind::Syntax(e.to_string())))?;
            let key = attribute.key.into_inner();
            match key {
                "value" => {
                    let text = self.attribute_value(&attribute)?;
                    value = self.typed_value(text, type_name, json)?;
                }
                "id" => {
                    let id = self.attribute_value(&attribute)?;
                    companion.insert("id".to_owned(), Value::String(id));
                }
                _ if self.is_ignored_attribute(attribute.key) => {}
                _ => return Err(self.error(XmlErrorKind::UnexpectedAttribute(key.to_owned()))),
            }
        }
        if !is_empty {
            let table = self.table;
            let Some(extension_def) = table.type_def("Extension") else {
                return Err(self.error(XmlErrorKind::UnknownElement("extension".to_owned())));
            };
            let mut extensions = Vec::new();
            loop {
                let (namespace, event) = self.next()?;
                let (child, child_empty) = match event {
                    Event::Start(child) => (child, false),
                    Event::Empty(child) => (child, true),
                    Event::End(_) => break,
                    Event::Text(text) if text.trim_ascii().is_empty() => continue,
                    Event::Comment(_) | Event::PI(_) => continue,
                    Event::Eof => {
                        return Err(
                            self.error(XmlErrorKind::Syntax("unexpected end of input".to_owned()))
                        );
                    }
                    _ => return Err(self.error(XmlErrorKind::UnexpectedText)),
                };
                let name = self.element_name(&child);
                self.push(name, Some(extensions.len()))?;
                if name != "extension" {
                    return Err(self.error(XmlErrorKind::UnknownElement(name.to_owned())));
                }
                if namespace != Ns::Fhir {
                    return Err(self.error(XmlErrorKind::WrongNamespace {
                        name: name.to_owned(),
                        expected: FHIR_NS,
                    }));
                }
                let mut extension = Map::new();
                self.complex_into(&child, child_empty, extension_def, &mut extension)?;
                extensions.push(Value::Object(extension));
                self.path.pop();
            }
            if !extensions.is_empty() {
                companion.insert("extension".to_owned(), Value::Array(extensions));
            }
        }
        if value.is_null() && companion.is_empty() {
            return Err(self.error(XmlErrorKind::EmptyPrimitive));
        }
        Ok((
            value,
            (!companion.is_empty()).then_some(Value::Object(companion)),
        ))
    }

    fn typed_value(
        &self,
        text: String,
        type_name: &str,
        json: JsonKind,
    ) -> Result<Value, XmlError> {
        let invalid = || {
            self.error(XmlErrorKind::InvalidValue {
                type_name: type_name.to_owned(),
                value: text.clone(),
            })
        };
        match json {
            JsonKind::String => Ok(Value::String(text)),
            JsonKind::Boolean => match text.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(invalid()),
            },
            // serde_json's grammar for numbers is FHIR's decimal grammar; with
            // arbitrary_precision the text is kept exactly (`1.00`, `1e3`).
            JsonKind::Number => match Number::from_str(&text) {
                Ok(number) if !text.starts_with('+') => Ok(Value::Number(number)),
                _ => Err(invalid()),
            },
        }
    }

    /// Reads `Narrative.div` as the exact serialization of the element, as written (line ends
    /// included, so that a JSON div with `\r\n` survives JSON → XML → JSON).
    fn xhtml(
        &mut self,
        start: &BytesStart<'i>,
        is_empty: bool,
        namespace: Ns,
    ) -> Result<Value, XmlError> {
        let name = self.element_name(start);
        if name != "div" || namespace != Ns::Xhtml {
            return Err(self.error(XmlErrorKind::WrongNamespace {
                name: name.to_owned(),
                expected: XHTML_NS,
            }));
        }
        let begin = self.event_start;
        if !is_empty {
            self.reader
                .read_to_end(start.name())
                .map_err(|e| self.error(XmlErrorKind::InvalidXhtml(e.to_string())))?;
        }
        let end = usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX);
        let Some(raw) = self.input.get(begin..end) else {
            return Err(self.error(XmlErrorKind::InvalidXhtml(
                "cannot slice the div".to_owned(),
            )));
        };
        let mut div = raw.to_owned();
        let declares_default = start
            .attributes()
            .flatten()
            .any(|a| a.key.into_inner() == "xmlns");
        if !declares_default && start.name().prefix().is_none() {
            // The default namespace came from an ancestor: declare it on the div itself.
            div.insert_str(
                raw.find("div").map_or(4, |i| i + 3),
                &format!(" xmlns=\"{XHTML_NS}\""),
            );
        }
        Ok(Value::String(div))
    }

    /// Reads `<contained><Patient>…</Patient></contained>`: exactly one resource inside.
    fn wrapped_resource(&mut self, is_empty: bool) -> Result<Value, XmlError> {
        if is_empty {
            return Err(self.error(XmlErrorKind::ResourceWrapper));
        }
        let mut resource = None;
        loop {
            let (namespace, event) = self.next()?;
            match event {
                Event::Start(ref start) | Event::Empty(ref start) if resource.is_none() => {
                    let is_empty = matches!(event, Event::Empty(_));
                    if namespace != Ns::Fhir {
                        let name = self.element_name(start).to_owned();
                        return Err(self.error(XmlErrorKind::WrongNamespace {
                            name,
                            expected: FHIR_NS,
                        }));
                    }
                    resource = Some(self.resource(start, is_empty)?);
                }
                Event::Start(_) | Event::Empty(_) => {
                    return Err(self.error(XmlErrorKind::ResourceWrapper));
                }
                Event::End(_) => break,
                Event::Text(text) if text.trim_ascii().is_empty() => {}
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => {
                    return Err(
                        self.error(XmlErrorKind::Syntax("unexpected end of input".to_owned()))
                    );
                }
                _ => return Err(self.error(XmlErrorKind::UnexpectedText)),
            }
        }
        resource.ok_or_else(|| self.error(XmlErrorKind::ResourceWrapper))
    }

    /// Namespace declarations and `xsi:` attributes carry no FHIR content.
    fn is_ignored_attribute(&self, key: QName<'_>) -> bool {
        let name = key.into_inner();
        if name == "xmlns" || name.starts_with("xmlns:") {
            return true;
        }
        let (namespace, _) = self.reader.resolver().resolve_attribute(key);
        matches!(namespace, ResolveResult::Bound(ns) if ns.0 == XSI_NS)
    }

    /// The local name of the element whose start tag was just read, borrowed from the input
    /// (a start tag's name begins right after the `<` at `event_start`).
    fn element_name(&self, start: &BytesStart<'_>) -> &'i str {
        let qualified = start.name().into_inner();
        let begin = self.event_start.saturating_add(1);
        let input: &'i str = self.input;
        let name = match input.get(begin..begin.saturating_add(qualified.len())) {
            Some(name) if name == qualified => name,
            _ => "?",
        };
        name.rsplit_once(':').map_or(name, |(_, local)| local)
    }

    /// An attribute value after XML attribute-value normalization and unescaping; characters
    /// that XML 1.0 cannot carry (even as references, such as `&#x1;`) are refused.
    fn attribute_value(
        &self,
        attribute: &quick_xml::events::attributes::Attribute<'_>,
    ) -> Result<String, XmlError> {
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| self.error(XmlErrorKind::Syntax(e.to_string())))?;
        if let Some(bad) = value.chars().find(|&ch| is_invalid_xml10_char(ch)) {
            let key = attribute.key.into_inner();
            let reason = format!(
                "character U+{:04X} in `{key}` is not allowed in XML 1.0",
                u32::from(bad)
            );
            return Err(self.error(XmlErrorKind::Syntax(reason)));
        }
        Ok(value.into_owned())
    }
}

/// True for characters outside the XML 1.0 `Char` production.
fn is_invalid_xml10_char(ch: char) -> bool {
    (ch < ' ' && !matches!(ch, '\t' | '\n' | '\r')) || matches!(ch, '\u{FFFE}' | '\u{FFFF}')
}

/// The namespace of an element, as far as FHIR cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Fhir,
    Xhtml,
    Other,
}

/// Writes a slot's JSON: `name` (value or array) and, when any item has one, `_name`.
fn insert_slot(object: &mut Map<String, Value>, slot: Slot<'_>) {
    let Slot {
        name,
        is_array,
        is_primitive,
        values,
        companions,
        ..
    } = slot;
    let has_companion = companions.iter().any(Option::is_some);
    let has_value = !is_primitive || values.iter().any(|v| !v.is_null());
    if is_array {
        if has_value {
            object.insert(name.to_owned(), Value::Array(values));
        }
        if has_companion {
            let companions = companions
                .into_iter()
                .map(|c| c.unwrap_or(Value::Null))
                .collect();
            object.insert(format!("_{name}"), Value::Array(companions));
        }
    } else {
        if let Some(value) = values
            .into_iter()
            .next()
            .filter(|v| has_value && !v.is_null())
        {
            object.insert(name.to_owned(), value);
        }
        if let Some(Some(companion)) = companions.into_iter().next() {
            object.insert(format!("_{name}"), companion);
        }
    }
}
