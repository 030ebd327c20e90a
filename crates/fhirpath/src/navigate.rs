//! Path navigation over the JSON tree: members (with choice types and `_name` companions),
//! `children()`, and `resolve()`.

use std::borrow::Cow;

use fhir::r4_types::{TypeKind, choice_suffix_names};
use serde_json::{Map, Value};

use crate::EvalError;
use crate::eval::{Ctx, resource_type};
use crate::lookup;
use crate::types::base_type;
use crate::value::{Item, Items, Node};

/// Whether `map` has `key` or its companion `_key`.
fn has_member(map: &Map<String, Value>, key: &str) -> bool {
    let (value, companion) = lookup::member_and_companion(map, key);
    value.is_some() || companion.is_some()
}

/// Pushes the children of `item` named `name` onto `out`; `Ok(false)` when the node's known
/// type does not define `name`. With `strict`, a choice element named with its type
/// (`valueQuantity`) is an error.
pub(crate) fn navigate<'a>(
    item: &Item<'a>,
    name: &str,
    out: &mut Items<'a>,
    strict: bool,
) -> Result<bool, EvalError> {
    let node = match item {
        Item::Node(node) => node,
        Item::Type(info) => {
            let text = match name {
                "namespace" => Some(Cow::Borrowed(info.namespace)),
                "name" => Some(info.name.clone()),
                "baseType" => base_type(info).map(Cow::Owned),
                _ => None,
            };
            let known = text.is_some();
            out.extend(text.map(Item::String));
            return Ok(known);
        }
        _ => return Ok(true),
    };
    let Some(Value::Object(map)) = node.value else {
        // A primitive: its `id` and `extension` live in the `_name` companion.
        let type_name = match name {
            "extension" => "Extension",
            "id" => "string",
            _ => return Ok(node.type_name.is_none()),
        };
        if let Some(Value::Object(companion)) = node.companion {
            push_member(companion, name, Some(type_name), out);
        }
        return Ok(true);
    };
    let step = node
        .type_name
        .map(|type_name| lookup::step(type_name, name));
    let Some((step, def)) = step.and_then(|step| Some((step, step.def?))) else {
        // Unknown type: plain JSON navigation, including choice names.
        if has_member(map, name) {
            push_member(map, name, None, out);
        } else {
            for key in map.keys() {
                if let Some(suffix) = key.strip_prefix(name)
                    && suffix.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    push_member(map, key, choice_type(suffix), out);
                }
            }
        }
        return Ok(true);
    };
    if let Some(found) = step.found {
        if !found.element.is_choice {
            push_member(map, name, step.target, out);
            return Ok(true);
        }
        if strict && *found.element.base_name != *name {
            return Err(EvalError::Semantic(format!(
                "{}.{name}: a choice element is named `{}`, its type chosen with ofType()",
                def.name, found.element.base_name
            )));
        }
    }
    if let Some(element) = step.choice {
        // The members named `name…` (or `_name…`), usually one: each is matched to the type
        // its suffix names, and they are pushed in the order of the element's types.
        let mut present: smallvec::SmallVec<[(usize, &'a str); 2]> = smallvec::SmallVec::new();
        for key in map.keys() {
            let key = key.strip_prefix('_').unwrap_or(key);
            let Some(suffix) = key.strip_prefix(name) else {
                continue;
            };
            if let Some(index) = element
                .types
                .iter()
                .position(|t| choice_suffix_names(&t.code, suffix))
                && !present.iter().any(|(_, k)| *k == key)
            {
                present.push((index, key));
            }
        }
        present.sort_unstable_by_key(|(index, _)| *index);
        for (index, key) in present {
            if let Some(element_type) = element.types.get(index) {
                push_member(map, key, lookup::target_type(&element_type.target), out);
            }
        }
        return Ok(true);
    }
    if step.found.is_some() {
        // A choice named with its type, such as `valueQuantity`.
        push_member(map, name, step.target, out);
        return Ok(true);
    }
    if def.kind == TypeKind::Resource && name == "resourceType" {
        return Ok(true);
    }
    if lookup::get(map, name).is_some() {
        push_member(map, name, None, out);
        return Ok(true);
    }
    // An element the type does not define.
    Ok(false)
}

/// Whether navigating from the object `map` of type `type_name` by `name` gives anything,
/// when that is plain to see: `Some(present)`, or `None` where only evaluating would tell (a
/// `_name` companion, a null, an empty array or one with nulls, a choice member whose type
/// suffix the element does not allow, a type or member the R4 table does not have).
pub(crate) fn plain_presence(
    map: &Map<String, Value>,
    type_name: &str,
    name: &str,
) -> Option<bool> {
    let step = lookup::step(type_name, name);
    let plain = |value: &Value| match value {
        Value::Null => None,
        Value::Array(items) if items.is_empty() || items.iter().any(Value::is_null) => None,
        _ => Some(true),
    };
    if let Some(found) = step.found {
        if found.element.is_choice {
            return None;
        }
        return match lookup::member_and_companion(map, name) {
            (None, None) => Some(false),
            (Some(value), None) => plain(value),
            (_, Some(_)) => None,
        };
    }
    // A choice (`value` for `value[x]`): its members are `value` + a type the element allows.
    let element = step.choice?;
    let mut present = false;
    for (key, value) in map {
        let (key, companion) = match key.strip_prefix('_') {
            Some(key) => (key, true),
            None => (key.as_str(), false),
        };
        let Some(suffix) = key.strip_prefix(name) else {
            continue;
        };
        if companion
            || !element
                .types
                .iter()
                .any(|t| choice_suffix_names(&t.code, suffix))
        {
            return None;
        }
        plain(value)?;
        present = true;
    }
    Some(present)
}

/// `name` on every item of `input`. With `strict`, a name that no item's known type defines
/// is [`EvalError::UnknownElement`]; a mixed collection (`descendants().linkId`) needs only
/// one type that has it.
pub(crate) fn member<'a>(
    input: &[Item<'a>],
    name: &str,
    strict: bool,
) -> Result<Items<'a>, EvalError> {
    let mut out = Items::new();
    let mut known = false;
    let mut unknown_in: Option<&Item<'a>> = None;
    for item in input {
        if navigate(item, name, &mut out, strict)? {
            known = true;
        } else if unknown_in.is_none() {
            unknown_in = Some(item);
        }
    }
    match unknown_in {
        Some(item) if strict && !known => Err(EvalError::UnknownElement {
            type_name: item.type_name().1.into_owned(),
            element: name.to_owned(),
        }),
        _ => Ok(out),
    }
}

fn choice_type(suffix: &str) -> Option<&'static str> {
    if let Some(def) = lookup::type_def(suffix) {
        return Some(lookup::static_name(&def.name));
    }
    // A primitive: `DateTime` is `dateTime`.
    let mut chars = suffix.chars();
    let first = chars.next()?.to_ascii_lowercase();
    let rest = chars.as_str();
    fhir::r4_types::PRIMITIVE_TYPES
        .iter()
        .find(|p| p.strip_prefix(first) == Some(rest))
        .copied()
}

/// Pushes `map[key]` (each element of an array) with its `_key` companion.
fn push_member<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    type_name: Option<&'a str>,
    out: &mut Items<'a>,
) {
    let (value, companion) = lookup::member_and_companion(map, key);
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

/// The child nodes of an item, in document order.
pub(crate) fn children<'a>(item: &Item<'a>, out: &mut Items<'a>) -> Result<(), EvalError> {
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
                navigate(item, name, out, false)?;
            }
        }
        _ => {
            navigate(item, "extension", out, false)?;
        }
    }
    Ok(())
}

/// Resolves a reference inside the contained resources or the enclosing Bundle.
pub(crate) fn resolve<'a>(item: &Item<'a>, ctx: &Ctx<'a, '_>) -> Option<Item<'a>> {
    let (reference, node): (Cow<'a, str>, Option<&'a Value>) = match item {
        Item::Node(Node { value: Some(v), .. }) if v.is_object() => {
            (Cow::Borrowed(v.get("reference")?.as_str()?), Some(*v))
        }
        other => match other.to_system() {
            Item::String(s) => (s, None),
            _ => return None,
        },
    };
    if let Some(id) = reference.strip_prefix('#') {
        let resource = ctx.resource;
        // A local reference points into the contained resources of the resource that holds
        // the Reference: %resource, or a resource nested in it or in the enclosing Bundle.
        let container = node
            .and_then(|node| {
                containing_resource(resource, node)
                    .or_else(|| ctx.root_resource.and_then(|r| containing_resource(r, node)))
            })
            .unwrap_or(resource);
        if id.is_empty() {
            return Some(Item::node(container, resource_type(container)));
        }
        let contained = container.get("contained")?.as_array()?;
        let found = contained
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(id))?;
        return Some(Item::node(found, resource_type(found)));
    }
    // Other entries of the enclosing Bundle, or of %resource when it is the Bundle.
    let bundle = ctx
        .root_resource
        .or((resource_type(ctx.resource) == Some("Bundle")).then_some(ctx.resource))?;
    let relative = !reference.contains(':');
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
            || (relative
                && full_url.is_some_and(|u| {
                    u.strip_suffix(&*reference)
                        .is_some_and(|base| base.ends_with('/'))
                }))
            || typed_id
                .as_deref()
                .is_some_and(|t| reference == t || reference.ends_with(&format!("/{t}")));
        if matches {
            return Some(Item::node(resource, resource_type(resource)));
        }
    }
    None
}

/// The innermost resource in `root` (itself included) whose tree holds `node` (by identity),
/// not counting `node` itself when it is a resource.
fn containing_resource<'a>(root: &'a Value, node: &Value) -> Option<&'a Value> {
    fn walk<'a>(value: &'a Value, node: &Value, holder: &'a Value) -> Option<&'a Value> {
        if std::ptr::eq(value, node) {
            return Some(holder);
        }
        let holder = if value.get("resourceType").is_some() {
            value
        } else {
            holder
        };
        match value {
            Value::Object(map) => map.values().find_map(|v| walk(v, node, holder)),
            Value::Array(items) => items.iter().find_map(|v| walk(v, node, holder)),
            _ => None,
        }
    }
    walk(root, node, root)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{Environment, EvalError, Expression};

    #[test]
    fn strict_and_lenient_paths() {
        let patient = serde_json::json!({
            "resourceType": "Patient",
            "name": [{"given": ["Ann"]}],
            "contact": [{"name": {"family": "Lee"}}]
        });
        // (expression, items when lenient, strict outcome: Ok(items) or Err(()))
        let cases: [(&str, usize, Result<usize, ()>); 6] = [
            ("name.given", 1, Ok(1)),
            ("name.given1", 0, Err(())),
            ("Encounter.name", 0, Err(())),
            ("descendants().family", 1, Ok(1)),
            ("descendants().given", 1, Ok(1)),
            ("name.given.foo", 0, Err(())),
        ];
        for (text, lenient, strict) in cases {
            let expression = Expression::parse(text).unwrap();
            let mut env = Environment::default();
            let found = expression.evaluate(&patient, &env).map(|r| r.len());
            assert_eq!(found, Ok(lenient), "{text}");
            env.set_strict(true);
            let found = expression.evaluate(&patient, &env);
            match (found, strict) {
                (Ok(items), Ok(n)) => assert_eq!(items.len(), n, "{text}"),
                (Err(EvalError::UnknownElement { .. }), Err(())) => {}
                (other, _) => panic!("{text}: {other:?}"),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod resolve_tests {
    use crate::{Environment, Expression};

    /// (expression on the Bundle, expected count).
    fn check(cases: &[(&str, usize)]) {
        let bundle = serde_json::json!({
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": "http://example.org/fhir/Observation/o1", "resource": {
                    "resourceType": "Observation",
                    "contained": [{"resourceType": "Device", "id": "d1"}],
                    "device": {"reference": "#d1"},
                    "subject": {"reference": "Patient/p1"},
                    "focus": [{"reference": "#"}]
                }},
                {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": {
                    "resourceType": "Patient"
                }}
            ]
        });
        let env = Environment::default();
        for (text, expected) in cases {
            let expression = Expression::parse(text).unwrap();
            let found = expression.evaluate(&bundle, &env).unwrap();
            assert_eq!(found.len(), *expected, "{text}");
        }
    }

    #[test]
    fn resolve_inside_bundle_entries() {
        check(&[
            // `#id` is looked up in the resource holding the reference, not in %resource.
            (
                "entry.resource.ofType(Observation).device.resolve().ofType(Device)",
                1,
            ),
            // `#` is the holding resource itself.
            (
                "entry.resource.ofType(Observation).focus.resolve().ofType(Observation)",
                1,
            ),
            // A relative reference matches an entry's fullUrl on the same base.
            (
                "entry.resource.ofType(Observation).subject.resolve().ofType(Patient)",
                1,
            ),
            ("'#d1'.resolve()", 0),
        ]);
    }
}
