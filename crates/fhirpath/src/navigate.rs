//! Path navigation over the JSON tree: members (with choice types and `_name` companions),
//! `children()`, and `resolve()`.

use std::borrow::Cow;

use fhir::r4_types::{Target, TypeKind, TypeTable};
use serde_json::{Map, Value};

use crate::EvalError;
use crate::eval::{Ctx, resource_type};
use crate::types::base_type;
use crate::value::{Collection, Item, Node};

/// Pushes the children of `item` named `name` onto `out`.
pub(crate) fn navigate<'a>(
    item: &Item<'a>,
    name: &str,
    out: &mut Collection<'a>,
) -> Result<(), EvalError> {
    let node = match item {
        Item::Node(node) => node,
        Item::Type(info) => {
            let text = match name {
                "namespace" => Some(Cow::Borrowed(info.namespace)),
                "name" => Some(info.name.clone()),
                "baseType" => base_type(info).map(Cow::Owned),
                _ => None,
            };
            out.extend(text.map(Item::String));
            return Ok(());
        }
        _ => return Ok(()),
    };
    let Some(Value::Object(map)) = node.value else {
        // A primitive: its `id` and `extension` live in the `_name` companion.
        if let Some(Value::Object(companion)) = node.companion {
            let type_name = match name {
                "extension" => Some("Extension"),
                "id" => Some("string"),
                _ => None,
            };
            if let Some(type_name) = type_name {
                push_member(companion, name, Some(type_name), out);
            }
        }
        return Ok(());
    };
    let table = TypeTable::r4();
    let type_def = node.type_name.and_then(|t| table.type_def(t));
    let Some(def) = type_def else {
        // Unknown type: plain JSON navigation, including choice names.
        if map.contains_key(name) || map.contains_key(&format!("_{name}")) {
            push_member(map, name, None, out);
        } else {
            for (key, _) in map.iter() {
                if let Some(suffix) = key.strip_prefix(name)
                    && suffix.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    let type_name = choice_type(suffix);
                    push_member(map, key, type_name, out);
                }
            }
        }
        return Ok(());
    };
    if let Some(found) = def.element(name)
        && !found.element.is_choice
    {
        push_member(map, name, target_type(&found.element_type.target), out);
        return Ok(());
    }
    if let Some(element) = def
        .elements
        .iter()
        .find(|e| e.is_choice && *e.base_name == *name)
    {
        for element_type in &element.types {
            let key = format!("{name}{}", upper_first(&element_type.code));
            if map.contains_key(&key) || map.contains_key(&format!("_{key}")) {
                push_member(map, &key, target_type(&element_type.target), out);
            }
        }
        return Ok(());
    }
    if let Some(found) = def.element(name) {
        // A typed choice name such as `valueQuantity`.
        push_member(map, name, target_type(&found.element_type.target), out);
        return Ok(());
    }
    if def.kind == TypeKind::Resource && name == "resourceType" {
        return Ok(());
    }
    if map.contains_key(name) {
        push_member(map, name, None, out);
        return Ok(());
    }
    // An element the type does not define: nothing (the parser cannot know the input type).
    Ok(())
}

fn choice_type(suffix: &str) -> Option<&'static str> {
    let table = TypeTable::r4();
    if let Some(def) = table.type_def(suffix) {
        return Some(static_name(&def.name));
    }
    let lower = lower_first(suffix);
    fhir::r4_types::PRIMITIVE_TYPES
        .iter()
        .find(|p| **p == lower)
        .copied()
}

fn static_name(name: &str) -> &'static str {
    TypeTable::r4().type_def(name).map_or("", |def| &def.name)
}

fn target_type(target: &Target) -> Option<&'static str> {
    match target {
        Target::Primitive { name, .. } => fhir::r4_types::PRIMITIVE_TYPES
            .iter()
            .find(|p| **p == &**name)
            .copied(),
        Target::Xhtml => Some("xhtml"),
        Target::Complex(name) => Some(static_name(name)),
        Target::Resource => None,
    }
}

/// Pushes `map[key]` (each element of an array) with its `_key` companion.
fn push_member<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    type_name: Option<&'a str>,
    out: &mut Collection<'a>,
) {
    let value = map.get(key);
    let companion = map.get(&format!("_{key}"));
    let typed = |v: &'a Value| match type_name {
        None | Some("") => resource_type(v).or(type_name.filter(|t| !t.is_empty())),
        some => some,
    };
    match (value, companion) {
        (Some(Value::Array(values)), companion) => {
            let companions = companion.and_then(Value::as_array);
            for (idx, v) in values.iter().enumerate() {
                let companion = companions.and_then(|c| c.get(idx)).filter(|c| !c.is_null());
                if v.is_null() && companion.is_none() {
                    continue;
                }
                out.push(Item::Node(Node {
                    value: Some(v).filter(|v| !v.is_null()),
                    companion,
                    type_name: typed(v),
                }));
            }
        }
        (None, Some(Value::Array(companions))) => {
            for c in companions.iter().filter(|c| !c.is_null()) {
                out.push(Item::Node(Node {
                    value: None,
                    companion: Some(c),
                    type_name,
                }));
            }
        }
        (Some(v), companion) => out.push(Item::Node(Node {
            value: Some(v),
            companion,
            type_name: typed(v),
        })),
        (None, Some(c)) => out.push(Item::Node(Node {
            value: None,
            companion: Some(c),
            type_name,
        })),
        (None, None) => {}
    }
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The child nodes of an item, in document order.
pub(crate) fn children<'a>(item: &Item<'a>, out: &mut Collection<'a>) -> Result<(), EvalError> {
    let Item::Node(node) = item else {
        return Ok(());
    };
    match node.value {
        Some(Value::Object(map)) => {
            for key in map.keys() {
                if key == "resourceType" {
                    continue;
                }
                let name = key.strip_prefix('_').unwrap_or(key);
                if key.starts_with('_') && map.contains_key(name) {
                    continue;
                }
                match navigate(item, name, out) {
                    Ok(()) => {}
                    Err(EvalError::UnknownElement { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        _ => {
            navigate(item, "extension", out)?;
        }
    }
    Ok(())
}

/// Resolves a reference inside the contained resources or the enclosing Bundle.
pub(crate) fn resolve<'a>(item: &Item<'a>, ctx: &Ctx<'a>) -> Option<Item<'a>> {
    let reference: Cow<'a, str> = match item.to_system() {
        Item::String(s) => s,
        Item::Node(Node { value: Some(v), .. }) => Cow::Borrowed(v.get("reference")?.as_str()?),
        _ => return None,
    };
    if let Some(id) = reference.strip_prefix('#') {
        let Some(Item::Node(Node {
            value: Some(resource),
            ..
        })) = &ctx.resource
        else {
            return None;
        };
        let contained = resource.get("contained")?.as_array()?;
        let found = contained
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(id))?;
        return Some(Item::node(found, resource_type(found)));
    }
    let bundle = ctx.root_resource?;
    for entry in bundle.get("entry")?.as_array()? {
        let Some(resource) = entry.get("resource") else {
            continue;
        };
        let full_url = entry.get("fullUrl").and_then(Value::as_str);
        let typed_id = match (
            resource_type(resource),
            resource.get("id").and_then(Value::as_str),
        ) {
            (Some(t), Some(id)) => Some(format!("{t}/{id}")),
            _ => None,
        };
        let matches = full_url == Some(&*reference)
            || typed_id
                .as_deref()
                .is_some_and(|t| reference == t || reference.ends_with(&format!("/{t}")));
        if matches {
            return Some(Item::node(resource, resource_type(resource)));
        }
    }
    None
}
