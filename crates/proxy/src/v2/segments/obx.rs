//! OBX (with its NTEs) → Observation, per the v2-to-FHIR OBX[Observation] table.
//!
//! - `code` OBX-3 (required: an OBX without it is left out, with an error issue); `value[x]` from
//!   OBX-5 by OBX-2 (see [`obx_value`](super::obx_value)); units OBX-6; `referenceRange` OBX-7
//!   (text, plus `low`/`high` when it reads as `a-b`); `interpretation` OBX-8 (InterpretationCodes);
//!   the nature-of-abnormal-test extension OBX-10; `status` OBX-11; `effectiveDateTime` OBX-14;
//!   `performer` OBX-16, OBX-23 (with OBX-24 as its address) and OBX-25; `method` OBX-17;
//!   `device` OBX-18; the analysis-date-time extension OBX-19; `bodySite` OBX-20; `identifier`
//!   OBX-21 (type FILL); `category` OBX-29; `note` the NTEs after the OBX.
//! - `status` is required: OBX-11 through ObservationResultStatusCodesInterpretation; codes the
//!   table leaves empty take the closest status (I, O → registered; R, S → preliminary; U, V →
//!   final; B → amended) with an information issue; no OBX-11 gives `unknown` with a warning.
//! - ED and RP values (Attachments) have no `value[x]` in R4 Observation, so each such OBX also
//!   gets a DocumentReference (status `current`, one `content` per repetition, as the
//!   OBX[DocumentReference] table says), referenced from `Observation.derivedFrom`.
//! - The key is OBX-21 when it has a system and value, else the segment.

use hl7v2::Segment;
use serde_json::{Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::obx_value;
use fhir::datatypes::ResourceBuilder;

const OBSERVATION_STATUS: &str = "http://hl7.org/fhir/observation-status";

/// Maps one OBX with the NTE segments that follow it to an Observation (and a DocumentReference
/// for ED/RP values), returning the Observation's reference; `None` when OBX-3 is empty.
pub fn observation<'m>(
    ctx: &mut Context<'m>,
    obx: &Segment<'m>,
    notes: &[Segment<'m>],
    subject: Option<&str>,
    encounter: Option<&str>,
) -> Option<String> {
    ctx.seen(obx);
    let Some(code_item) = ctx.item(obx, 3) else {
        ctx.issue(
            IssueSeverity::Error,
            hl7v2::Location::field(obx.index(), "OBX", 3),
            "OBX without an observation identifier (OBX-3) left out: Observation.code is required",
        );
        return None;
    };
    let code = dt::codeable_concept(ctx, &code_item, None);
    // OBX-1 only numbers the segments.
    ctx.consume(obx, &[1]);
    let value_type = ctx
        .text(obx, 2)
        .map(|t| t.to_ascii_uppercase())
        .unwrap_or_default();
    let units = ctx.item(obx, 6);
    let value_items = ctx.items(obx, 5);
    if value_type.is_empty() && !value_items.is_empty() {
        ctx.issue(
            IssueSeverity::Warning,
            hl7v2::Location::field(obx.index(), "OBX", 2),
            "OBX-2 (value type) empty; OBX-5 read as text",
        );
    }
    let values = obx_value::values(ctx, &value_items, &value_type, units.as_ref());
    let reference_range = reference_range(ctx, obx, units.as_ref());
    let interpretation: Vec<Value> = ctx
        .items(obx, 8)
        .iter()
        .filter_map(|item| interpretation(ctx, item))
        .collect();
    let abnormal_nature: Vec<Value> = ctx
        .items(obx, 10)
        .iter()
        .filter_map(|item| dt::codeable_concept(ctx, item, Some("0080")))
        .map(|concept| {
            json!({
                "url": "http://hl7.org/fhir/StructureDefinition/observation-nature-of-abnormal-test",
                "valueCodeableConcept": concept
            })
        })
        .collect();
    let (status, data_absent) = status(ctx, obx);
    let effective = datetime_field(ctx, obx, 14);
    let analysis = datetime_field(ctx, obx, 19).map(|at| {
        json!({
            "url": "http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time",
            "valueDateTime": at
        })
    });
    let mut performers: Vec<Value> = ctx
        .items(obx, 16)
        .iter()
        .filter_map(|item| dt::practitioner(ctx, item))
        .map(|r| dt::reference(&r))
        .collect();
    if let Some(organization) = performing_organization(ctx, obx) {
        performers.push(dt::reference(&organization));
    }
    if let Some(director) = ctx
        .item(obx, 25)
        .and_then(|item| dt::practitioner(ctx, &item))
    {
        performers.push(dt::reference(&director));
    }
    let method = ctx
        .item(obx, 17)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let device = ctx.item(obx, 18).and_then(|item| device(ctx, &item));
    let body_site = ctx
        .item(obx, 20)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let identifier = ctx.item(obx, 21).and_then(|item| {
        let mut identifier = dt::entity_identifier(ctx, &item)?;
        if let Some(map) = identifier.as_object_mut() {
            map.insert(
                "type".into(),
                json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "FILL"}]}),
            );
        }
        Some(identifier)
    });
    let category = ctx.text(obx, 29).map(|code| {
        json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0936", "code": code}]})
    });
    let note = super::nte::annotations(ctx, notes);

    let document = (!values.attachments.is_empty()).then(|| {
        let contents: Vec<Value> = values
            .attachments
            .iter()
            .map(|attachment| json!({ "attachment": attachment }))
            .collect();
        ctx.add(
            "DocumentReference",
            ResourceKey::Segment(obx.index()),
            |id| {
                let mut builder = ResourceBuilder::new("DocumentReference", &id);
                builder
                    .set_str("status", "current")
                    .set("type", code.clone())
                    .set("subject", subject.map(dt::reference))
                    .set("content", Some(Value::Array(contents)));
                builder.build()
            },
        )
    });

    let key = identifier
        .as_ref()
        .and_then(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(obx.index()));
    // One value is `value[x]`; several (a repeating single-valued OBX-5) are all components with
    // the Observation's code and no `value[x]`: R4 obs-7 forbids a component with the
    // Observation's own code beside a value.
    let several = values.values.len() > 1;
    let mut all_values = values.values.into_iter();
    let first_value = if several { None } else { all_values.next() };
    let components = all_values;
    let components: Vec<Value> = components
        .map(|(member, value)| {
            let mut component = serde_json::Map::new();
            component.insert("code".into(), code.clone().unwrap_or(Value::Null));
            component.insert(member.into(), value);
            Value::Object(component)
        })
        .collect();
    let mut extensions = abnormal_nature;
    extensions.extend(analysis);
    Some(ctx.add("Observation", key, |id| {
        let mut builder = ResourceBuilder::new("Observation", &id);
        builder
            .set(
                "extension",
                (!extensions.is_empty()).then_some(Value::Array(extensions)),
            )
            .push("identifier", identifier)
            .set_str("status", status)
            .push("category", category)
            .set("code", code)
            .set("subject", subject.map(dt::reference))
            .set("encounter", encounter.map(dt::reference))
            .set("effectiveDateTime", effective.map(Value::String))
            .set(
                "performer",
                (!performers.is_empty()).then_some(Value::Array(performers)),
            );
        if let Some((member, value)) = first_value {
            builder.set(member, Some(value));
        }
        builder
            .set("dataAbsentReason", data_absent)
            .set(
                "interpretation",
                (!interpretation.is_empty()).then_some(Value::Array(interpretation)),
            )
            .set("note", (!note.is_empty()).then_some(Value::Array(note)))
            .set("bodySite", body_site)
            .set("method", method)
            .set("device", device.map(|d| dt::reference(&d)))
            .push("referenceRange", reference_range)
            .push("derivedFrom", document.map(|d| dt::reference(&d)))
            .set(
                "component",
                (!components.is_empty()).then_some(Value::Array(components)),
            );
        builder.build()
    }))
}

/// A single DTM field through the Context's time rules.
pub(crate) fn datetime_field<'m>(
    ctx: &mut Context<'m>,
    segment: &Segment<'m>,
    field: usize,
) -> Option<String> {
    let item = ctx.item(segment, field)?;
    ctx.unused_components(&item, &[1]);
    let text = item.text(1)?;
    ctx.datetime(&text, item.location())
}

/// OBX-11 → `status` (and a `dataAbsentReason` for N and X).
fn status<'m>(ctx: &mut Context<'m>, obx: &Segment<'m>) -> (&'static str, Option<Value>) {
    let location = hl7v2::Location::field(obx.index(), "OBX", 11);
    let Some(code) = ctx.text(obx, 11) else {
        ctx.issue(
            IssueSeverity::Warning,
            location,
            "OBX-11 (result status) empty; Observation.status set to unknown",
        );
        return ("unknown", None);
    };
    let absent = |reason: &str| {
        Some(json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
            "code": reason
        }]}))
    };
    let mapped = ctx
        .vocabulary()
        .map("ObservationResultStatusCodesInterpretation", &code)
        .filter(|m| m.system == OBSERVATION_STATUS)
        .map(|m| m.code);
    let status = match mapped {
        Some("final") => "final",
        Some("amended") => "amended",
        Some("corrected") => "corrected",
        Some("preliminary") => "preliminary",
        Some("cancelled") => return ("cancelled", absent("not-performed")),
        Some("entered-in-error") => "entered-in-error",
        Some("registered") => "registered",
        _ => {
            let (fallback, absent_reason) = match code.as_ref() {
                "I" | "O" => ("registered", None),
                "R" | "S" => ("preliminary", None),
                "U" | "V" => ("final", None),
                "B" => ("amended", None),
                "N" => ("unknown", absent("not-asked")),
                _ => ("unknown", None),
            };
            ctx.issue(
                IssueSeverity::Information,
                location,
                format!(
                    "OBX-11 {code:?} has no status in the v2-to-FHIR map; Observation.status {fallback}"
                ),
            );
            return (fallback, absent_reason);
        }
    };
    (status, None)
}

/// OBX-8 → interpretation through InterpretationCodes, else as a CWE of table 0078.
fn interpretation<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<Value> {
    let code = item.text(1)?;
    match ctx.vocabulary().map("InterpretationCodes", &code) {
        Some(mapped) => {
            ctx.unused_components(item, &[1, 2, 3]);
            let mut coding = json!({"system": mapped.system, "code": mapped.code});
            if let (Some(display), Some(map)) = (mapped.display, coding.as_object_mut()) {
                map.insert("display".into(), json!(display));
            }
            Some(json!({"coding": [coding]}))
        }
        None => dt::codeable_concept(ctx, item, Some("0078")),
    }
}

/// OBX-7 → referenceRange: the text, with `low`/`high` when it reads `a-b`.
fn reference_range<'m>(
    ctx: &mut Context<'m>,
    obx: &Segment<'m>,
    units: Option<&Item<'m>>,
) -> Option<Value> {
    let item = ctx.item(obx, 7)?;
    ctx.unused_components(&item, &[1]);
    let text = item.text(1)?;
    let mut range = serde_json::Map::new();
    let bounds = text
        .get(1..)
        .and_then(|rest| rest.find('-').map(|at| at + 1))
        .and_then(|at| Some((text.get(..at)?.trim(), text.get(at + 1..)?.trim())));
    if let Some((low, high)) = bounds {
        let low_q = dt::quantity(ctx, low, units, item.location());
        let high_q = dt::quantity(ctx, high, units, item.location());
        if let (Some(low_q), Some(high_q)) = (low_q, high_q) {
            range.insert("low".into(), low_q);
            range.insert("high".into(), high_q);
        }
    }
    range.insert("text".into(), json!(text));
    Some(Value::Object(range))
}

/// OBX-23 (with OBX-24 as its address) → the performing Organization.
fn performing_organization<'m>(ctx: &mut Context<'m>, obx: &Segment<'m>) -> Option<String> {
    let organization = ctx
        .item(obx, 23)
        .and_then(|item| dt::organization(ctx, &item))?;
    // Without an organization, OBX-24 stays unread and is reported.
    let address = ctx.item(obx, 24).and_then(|item| dt::address(ctx, &item));
    if let (Some(address), Some(resource)) = (address, ctx.resource_mut(&organization))
        && !resource.contains_key("address")
    {
        resource.insert("address".into(), Value::from(vec![address]));
    }
    Some(organization)
}

/// OBX-18 (EI) → a Device identified by it.
fn device<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<String> {
    let identifier = dt::entity_identifier(ctx, item)?;
    let key = dt::identifier_key(&identifier).unwrap_or_else(|| {
        ResourceKey::Natural(
            identifier
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        )
    });
    Some(ctx.add("Device", key, |id| {
        let mut builder = ResourceBuilder::new("Device", &id);
        builder.push("identifier", Some(identifier));
        builder.build()
    }))
}

#[cfg(test)]
#[path = "obx_tests.rs"]
mod tests;
