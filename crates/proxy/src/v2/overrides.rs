//! Site overrides: Z-segments and vendor fields written where the site configuration says.
//!
//! After a message structure's conversion (and before its Provenance), every
//! `segment_overrides` entry of the [`SiteConfig`](crate::site_config::SiteConfig) is applied:
//! the field (`ZPI-2`, or a component `PID-16.2`, or a subcomponent) is read in every segment
//! with that id, which marks it as used, and its value is written into the first resource of
//! the target type:
//! - as an **extension** (`url` + `value[x]` of the configured type; one extension per
//!   repetition). Scalar types (`string`, `code`, `uri`, `boolean` from `Y`/`N`, `integer`,
//!   `decimal` kept as written, `date`, `dateTime` through the Context's time rules) take the
//!   text of the field or component; `Coding`, `CodeableConcept` (CWE), `Identifier` (CX) and
//!   `Reference` (`Type/id`, else a display) take the whole field through the datatype mappings;
//! - or into an **element** path of simple dotted members (`Patient.maritalStatus.text`;
//!   objects are created on the way, an array member steps into its first element), replacing
//!   what was there, as a string.
//!
//! A value that cannot be converted, or a resource type the conversion did not produce, is an
//! issue, and the value is reported as unmapped: an override never hides data silently. The
//! other components of a field whose component is overridden stay reported too.

use std::collections::BTreeMap;

use hl7v2::Location;
use serde_json::{Map, Value, json};

use super::context::{Context, Item};
use super::datatypes;
use super::report::IssueSeverity;
use crate::site_config::{FieldOverride, Target, ValueType};

/// Applies the site's field overrides to the resources converted so far.
pub fn apply(ctx: &mut Context<'_>) {
    let config = ctx.config();
    // Per repetition read, by (segment, field, repetition).
    let mut read: BTreeMap<(usize, usize, usize), Read<'_>> = BTreeMap::new();
    for entry in &config.segment_overrides {
        let segments: Vec<_> = ctx
            .message()
            .segments_named(entry.field.segment_id())
            .collect();
        for segment in segments {
            ctx.seen(&segment);
            let field = usize::from(entry.field.field);
            for item in ctx.items(&segment, field) {
                let written = apply_one(ctx, entry, &item);
                let repetition = item.location().repetition.unwrap_or(1);
                let slot = read
                    .entry((item.segment_idx(), field, repetition))
                    .or_insert_with(|| Read {
                        item,
                        written: Vec::new(),
                        whole: false,
                    });
                match (written, entry.field.component) {
                    (true, Some(component)) => slot.written.push(usize::from(component)),
                    (true, None) if reads_first_component_only(entry) => slot.written.push(1),
                    (true, None) => slot.whole = true,
                    (false, _) => {}
                }
            }
        }
    }
    // What no override wrote stays reported, component by component.
    for slot in read.into_values() {
        if !slot.whole {
            ctx.unused_components(&slot.item, &slot.written);
        }
    }
}

/// One repetition read by overrides: the components whose value was written, and whether a
/// whole-field override wrote it.
struct Read<'m> {
    item: Item<'m>,
    written: Vec<usize>,
    whole: bool,
}

/// Writes one repetition's value; false when nothing was written (an issue says why).
fn apply_one<'m>(ctx: &mut Context<'m>, entry: &FieldOverride, item: &Item<'m>) -> bool {
    let location = match entry.field.component {
        Some(component) => item.component_location(usize::from(component)),
        None => item.location(),
    };
    let text = text_at(entry, item);
    let (resource_type, written) = match &entry.target {
        Target::Extension {
            resource,
            url,
            value_type,
        } => {
            let Some(value) = extension_value(ctx, entry, item, text.as_deref(), *value_type)
            else {
                ctx.issue(
                    IssueSeverity::Warning,
                    location,
                    format!(
                        "override {}: the value does not convert to {value_type:?}; not written",
                        entry.field
                    ),
                );
                return false;
            };
            let Some(target) = first_of(ctx, resource) else {
                return missing_resource(ctx, entry, resource, location);
            };
            let Some(resource_json) = ctx.resource_mut(&target) else {
                return missing_resource(ctx, entry, resource, location);
            };
            let (member, value) = value;
            let extension = json!({ "url": url, member: value });
            match resource_json.get_mut("extension") {
                Some(Value::Array(extensions)) => extensions.push(extension),
                _ => insert_extension(resource_json, extension),
            }
            (resource, true)
        }
        Target::Element { resource, path } => {
            let Some(text) = text else {
                return false;
            };
            let Some(target) = first_of(ctx, resource) else {
                return missing_resource(ctx, entry, resource, location);
            };
            let Some(resource_json) = ctx.resource_mut(&target) else {
                return missing_resource(ctx, entry, resource, location);
            };
            let members: Vec<&str> = path.split('.').skip(1).collect();
            (
                resource,
                set_path(resource_json, &members, Value::String(text)),
            )
        }
    };
    if !written {
        ctx.issue(
            IssueSeverity::Warning,
            location,
            format!(
                "override {}: the element path does not fit the {resource_type}; not written",
                entry.field
            ),
        );
    }
    written
}

fn missing_resource(
    ctx: &mut Context<'_>,
    entry: &FieldOverride,
    resource: &str,
    location: Location,
) -> bool {
    ctx.issue(
        IssueSeverity::Warning,
        location,
        format!(
            "override {}: this message produced no {resource}; not written",
            entry.field
        ),
    );
    false
}

/// The text at the override's place: the whole repetition, a component or a subcomponent.
fn text_at(entry: &FieldOverride, item: &Item<'_>) -> Option<String> {
    let text = match (entry.field.component, entry.field.subcomponent) {
        (None, _) => item.whole(),
        (Some(component), None) => item.text(usize::from(component)),
        (Some(component), Some(sub)) => item.sub_text(usize::from(component), usize::from(sub)),
    };
    text.map(|t| t.into_owned())
}

/// The `value[x]` member name and value for an extension.
fn extension_value<'m>(
    ctx: &mut Context<'m>,
    entry: &FieldOverride,
    item: &Item<'m>,
    text: Option<&str>,
    value_type: ValueType,
) -> Option<(&'static str, Value)> {
    let location = item.location();
    let whole_field = entry.field.component.is_none();
    Some(match value_type {
        ValueType::String => ("valueString", Value::String(text?.to_owned())),
        ValueType::Code => (
            "valueCode",
            Value::String(first_component(entry, item, text)?),
        ),
        ValueType::Uri => ("valueUri", Value::String(text?.to_owned())),
        ValueType::Boolean => match text? {
            "Y" | "y" | "true" => ("valueBoolean", Value::Bool(true)),
            "N" | "n" | "false" => ("valueBoolean", Value::Bool(false)),
            _ => return None,
        },
        ValueType::Integer => (
            "valueInteger",
            Value::from(text?.trim().parse::<i32>().ok()?),
        ),
        ValueType::Decimal => (
            "valueDecimal",
            fhir::datatypes::Decimal::parse(text?.trim())
                .ok()?
                .to_json(),
        ),
        ValueType::Date => (
            "valueDate",
            Value::String(ctx.date(&first_component(entry, item, text)?, location)?),
        ),
        ValueType::DateTime => (
            "valueDateTime",
            Value::String(ctx.datetime(&first_component(entry, item, text)?, location)?),
        ),
        ValueType::CodeableConcept if whole_field => (
            "valueCodeableConcept",
            datatypes::codeable_concept(ctx, item, None)?,
        ),
        ValueType::Coding if whole_field => {
            let concept = datatypes::codeable_concept(ctx, item, None)?;
            ("valueCoding", concept.get("coding")?.get(0)?.clone())
        }
        ValueType::Identifier if whole_field => {
            ("valueIdentifier", datatypes::identifier(ctx, item)?)
        }
        ValueType::Reference => {
            let text = text?;
            let is_literal = text.split_once('/').is_some_and(|(kind, id)| {
                kind.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && !id.is_empty()
            });
            let key = if is_literal { "reference" } else { "display" };
            ("valueReference", json!({ key: text }))
        }
        // A composite type from one component has no datatype mapping to go through.
        ValueType::CodeableConcept | ValueType::Coding | ValueType::Identifier => {
            let code = text?;
            match value_type {
                ValueType::Identifier => ("valueIdentifier", json!({ "value": code })),
                ValueType::Coding => ("valueCoding", json!({ "code": code })),
                _ => (
                    "valueCodeableConcept",
                    json!({ "coding": [{ "code": code }] }),
                ),
            }
        }
    })
}

/// For a whole-field override of a scalar code or date: the first component (the rest is
/// reported); for a component override: its text.
fn first_component<'m>(
    entry: &FieldOverride,
    item: &Item<'m>,
    text: Option<&str>,
) -> Option<String> {
    match entry.field.component {
        Some(_) => text.map(str::to_owned),
        None => item.text(1).map(|t| t.into_owned()),
    }
}

/// Whole-field overrides of a code, date or dateTime read the first component only.
fn reads_first_component_only(entry: &FieldOverride) -> bool {
    matches!(
        entry.target,
        Target::Extension {
            value_type: ValueType::Code | ValueType::Date | ValueType::DateTime,
            ..
        }
    )
}

/// The reference of the first resource of `resource_type` added so far.
fn first_of(ctx: &Context<'_>, resource_type: &str) -> Option<String> {
    ctx.resources()
        .iter()
        .find(|pending| pending.resource_type == resource_type)
        .map(|pending| format!("{}/{}", pending.resource_type, pending.id))
}

/// Inserts `extension` where R4 puts it: after `resourceType`, `id`, `meta`,
/// `implicitRules`, `language`, `text` and `contained`.
fn insert_extension(resource: &mut Map<String, Value>, extension: Value) {
    const BEFORE: &[&str] = &[
        "resourceType",
        "id",
        "meta",
        "implicitRules",
        "language",
        "text",
        "contained",
    ];
    let index = resource
        .keys()
        .take_while(|key| BEFORE.contains(&key.as_str()))
        .count();
    resource.shift_insert(index, "extension".to_owned(), Value::Array(vec![extension]));
}

/// Sets `value` at the dotted member path, creating objects on the way; an array member steps
/// into its first element. False when the path crosses a value that is not an object.
fn set_path(object: &mut Map<String, Value>, members: &[&str], value: Value) -> bool {
    let Some((last, rest)) = members.split_last() else {
        return false;
    };
    let mut current = object;
    for member in rest {
        let next = current
            .entry((*member).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let next = match next {
            Value::Array(elements) => {
                if elements.is_empty() {
                    elements.push(Value::Object(Map::new()));
                }
                match elements.first_mut() {
                    Some(first) => first,
                    None => return false,
                }
            }
            other => other,
        };
        match next {
            Value::Object(map) => current = map,
            _ => return false,
        }
    }
    current.insert((*last).to_owned(), value);
    true
}

#[cfg(test)]
#[path = "overrides_tests.rs"]
mod tests;
