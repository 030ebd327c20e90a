//! TEMPORARY: minimal stand-ins for the `v2::datatypes` functions (same signatures), used by the
//! scheduling, document, financial, referral and problem segments until the datatype mappings
//! land on main. Removed before landing.
#![allow(missing_docs, dead_code)]

use hl7v2::Location;
use serde_json::{Value, json};

use super::super::context::{Context, Item, ResourceKey};

fn sys(ctx: &Context<'_>, name: &str) -> String {
    let _ = ctx;
    crate::vocab::coding_system_uri(name)
        .map(|s| s.into_owned())
        .unwrap_or_else(|| format!("urn:fhirgate:codesystem:{name}"))
}

pub fn identifier<'m>(ctx: &mut Context<'m>, cx: &Item<'m>) -> Option<Value> {
    ctx.unused_components(cx, &[1, 4]);
    let value = cx.text(1)?;
    let mut id = json!({"value": value});
    if let Some(a) = cx.sub_text(4, 2).or_else(|| cx.sub_text(4, 1)) {
        id["system"] = json!(format!("urn:fhirgate:id:{a}"));
    }
    Some(id)
}

pub fn identifier_key(identifier: &Value) -> Option<ResourceKey> {
    Some(ResourceKey::Identifier {
        system: identifier.get("system")?.as_str()?.to_owned(),
        value: identifier.get("value")?.as_str()?.to_owned(),
    })
}

pub fn entity_identifier<'m>(ctx: &mut Context<'m>, ei: &Item<'m>) -> Option<Value> {
    ctx.unused_components(ei, &[1, 2, 3, 4]);
    let value = ei.text(1)?;
    let mut id = json!({"value": value});
    if let Some(oid) = ei.text(3) {
        id["system"] = json!(format!("urn:oid:{oid}"));
    }
    Some(id)
}

pub fn codeable_concept<'m>(
    ctx: &mut Context<'m>,
    cwe: &Item<'m>,
    table: Option<&str>,
) -> Option<Value> {
    ctx.unused_components(cwe, &[1, 2, 3]);
    let code = cwe.text(1);
    let display = cwe.text(2);
    if code.is_none() && display.is_none() {
        return None;
    }
    let system = match cwe.text(3) {
        Some(name) => Some(sys(ctx, &name)),
        None => table.and_then(crate::vocab::v2_table_system),
    };
    let mut coding = serde_json::Map::new();
    if let Some(system) = system {
        coding.insert("system".into(), json!(system));
    }
    if let Some(code) = code {
        coding.insert("code".into(), json!(code));
    }
    if let Some(display) = display {
        coding.insert("display".into(), json!(display));
    }
    Some(json!({"coding": [coding]}))
}

pub fn code<'m>(ctx: &mut Context<'m>, item: &Item<'m>, map: &str) -> Option<String> {
    ctx.unused_components(item, &[1]);
    let code = item.text(1)?;
    ctx.vocabulary().map(map, &code).map(|m| m.code.to_owned())
}

pub fn practitioner<'m>(ctx: &mut Context<'m>, xcn: &Item<'m>) -> Option<String> {
    ctx.unused_components(xcn, &[1, 2, 3]);
    let id = xcn.text(1);
    let family = xcn.sub_text(2, 1);
    let given = xcn.text(3);
    if id.is_none() && family.is_none() {
        return None;
    }
    let key = format!(
        "{}|{}|{}",
        id.as_deref().unwrap_or(""),
        family.as_deref().unwrap_or(""),
        given.as_deref().unwrap_or("")
    );
    Some(ctx.add("Practitioner", ResourceKey::Natural(key), |uuid| {
        let mut b = fhir::datatypes::ResourceBuilder::new("Practitioner", &uuid);
        b.push("identifier", id.map(|v| json!({"value": v})));
        b.push(
            "name",
            Some(json!({"family": family, "given": given.map(|g| vec![g])})),
        );
        b.build()
    }))
}

pub fn organization<'m>(ctx: &mut Context<'m>, xon: &Item<'m>) -> Option<String> {
    ctx.unused_components(xon, &[1]);
    let name = xon.text(1)?;
    Some(ctx.add(
        "Organization",
        ResourceKey::Natural(name.to_string()),
        |uuid| {
            let mut b = fhir::datatypes::ResourceBuilder::new("Organization", &uuid);
            b.set_str("name", &name);
            b.build()
        },
    ))
}

pub fn location<'m>(ctx: &mut Context<'m>, pl: &Item<'m>) -> Option<String> {
    ctx.unused_components(pl, &[1, 2, 3, 4]);
    let name = [pl.text(4), pl.text(1), pl.text(2), pl.text(3)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return None;
    }
    Some(
        ctx.add("Location", ResourceKey::Natural(name.clone()), |uuid| {
            let mut b = fhir::datatypes::ResourceBuilder::new("Location", &uuid);
            b.set_str("name", &name);
            b.build()
        }),
    )
}

pub fn human_name<'m>(ctx: &mut Context<'m>, xpn: &Item<'m>) -> Option<Value> {
    ctx.unused_components(xpn, &[1, 2]);
    let family = xpn.sub_text(1, 1);
    let given = xpn.text(2);
    if family.is_none() && given.is_none() {
        return None;
    }
    Some(json!({"family": family, "given": given.map(|g| vec![g])}))
}

pub fn address<'m>(ctx: &mut Context<'m>, xad: &Item<'m>) -> Option<Value> {
    ctx.unused_components(xad, &[1, 3, 4, 5]);
    let line = xad.sub_text(1, 1)?;
    Some(
        json!({"line": [line], "city": xad.text(3), "state": xad.text(4), "postalCode": xad.text(5)}),
    )
}

pub fn contact_point<'m>(ctx: &mut Context<'m>, xtn: &Item<'m>) -> Option<Value> {
    ctx.unused_components(xtn, &[1, 12]);
    let value = xtn.text(1).or_else(|| xtn.text(12))?;
    Some(json!({"system": "phone", "value": value}))
}

pub fn quantity<'m>(
    ctx: &mut Context<'m>,
    value: &str,
    units: Option<&Item<'m>>,
    location: Location,
) -> Option<Value> {
    let _ = location;
    let number = fhir::datatypes::Decimal::parse(value).ok()?;
    let mut q = json!({"value": number.to_json()});
    if let Some(units) = units {
        ctx.unused_components(units, &[1]);
        if let Some(unit) = units.text(1) {
            q["unit"] = json!(unit);
        }
    }
    Some(q)
}

pub fn datetime<'m>(ctx: &mut Context<'m>, item: &Item<'m>, component: usize) -> Option<String> {
    let text = item.text(component)?;
    ctx.datetime(&text, item.component_location(component))
}

pub fn reference(reference: &str) -> Value {
    json!({"reference": reference})
}

/// PID → Patient (minimal, identifiers and name only).
pub fn patient<'m>(ctx: &mut Context<'m>, pid: &hl7v2::Segment<'m>) -> Option<String> {
    let ids: Vec<Value> = ctx
        .items(pid, 3)
        .iter()
        .filter_map(|cx| identifier(ctx, cx))
        .collect();
    let names: Vec<Value> = ctx
        .items(pid, 5)
        .iter()
        .filter_map(|xpn| human_name(ctx, xpn))
        .collect();
    let key = ids
        .iter()
        .find_map(identifier_key)
        .unwrap_or(ResourceKey::Message("patient"));
    Some(ctx.add("Patient", key, |uuid| {
        let mut b = fhir::datatypes::ResourceBuilder::new("Patient", &uuid);
        b.set("identifier", Some(Value::Array(ids)));
        b.set("name", Some(Value::Array(names)));
        b.build()
    }))
}

/// PV1 → Encounter (minimal).
pub fn encounter<'m>(
    ctx: &mut Context<'m>,
    pv1: &hl7v2::Segment<'m>,
    patient: Option<&str>,
) -> Option<String> {
    let class = ctx.text(pv1, 2);
    Some(
        ctx.add("Encounter", ResourceKey::Segment(pv1.index()), |uuid| {
            let mut b = fhir::datatypes::ResourceBuilder::new("Encounter", &uuid);
            b.set_str("status", "unknown");
            b.set("class", Some(json!({"code": class})));
            b.set("subject", patient.map(reference));
            b.build()
        }),
    )
}
