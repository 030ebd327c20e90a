//! Temporary stand-in for `v2::datatypes` (same signatures), used by the order mappings until the
//! datatype mappings land. Removed when they do.

use hl7v2::Location;
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item, ResourceKey};
use crate::vocab::{coding_system_uri, ucum_unit, v2_table_system};

/// CWE → CodeableConcept (first triplet).
pub fn codeable_concept<'m>(
    ctx: &mut Context<'m>,
    cwe: &Item<'m>,
    table: Option<&str>,
) -> Option<Value> {
    ctx.unused_components(cwe, &[1, 2, 3]);
    let code = cwe.text(1);
    let display = cwe.text(2);
    let system = cwe
        .text(3)
        .and_then(|s| coding_system_uri(&s).map(|u| u.into_owned()))
        .or_else(|| table.and_then(v2_table_system));
    let mut coding = Map::new();
    if let Some(system) = system {
        coding.insert("system".into(), json!(system));
    }
    if let Some(code) = &code {
        coding.insert("code".into(), json!(code));
    }
    if let Some(display) = &display {
        coding.insert("display".into(), json!(display));
    }
    let mut concept = Map::new();
    if code.is_some() {
        concept.insert("coding".into(), json!([coding]));
    }
    if let Some(display) = display {
        concept.insert("text".into(), json!(display));
    }
    (!concept.is_empty()).then_some(Value::Object(concept))
}

/// NM + units → Quantity.
pub fn quantity<'m>(
    ctx: &mut Context<'m>,
    value: &str,
    units: Option<&Item<'m>>,
    _location: Location,
) -> Option<Value> {
    let decimal = fhir::datatypes::Decimal::parse(value.trim()).ok()?;
    let mut quantity = Map::new();
    quantity.insert("value".into(), decimal.to_json());
    if let Some(units) = units {
        ctx.unused_components(units, &[1, 2, 3]);
        if let Some(unit) = units.text(1) {
            quantity.insert("unit".into(), json!(unit));
            if let Some((code, _)) = ucum_unit(&unit) {
                quantity.insert("system".into(), json!("http://unitsofmeasure.org"));
                quantity.insert("code".into(), json!(code));
            }
        }
    }
    Some(Value::Object(quantity))
}

/// CQ → Quantity.
pub fn composite_quantity<'m>(ctx: &mut Context<'m>, cq: &Item<'m>) -> Option<Value> {
    ctx.unused_components(cq, &[1, 2]);
    let value = cq.text(1)?;
    let decimal = fhir::datatypes::Decimal::parse(&value).ok()?;
    let mut quantity = Map::new();
    quantity.insert("value".into(), decimal.to_json());
    if let Some(unit) = cq.sub_text(2, 1) {
        quantity.insert("unit".into(), json!(unit));
    }
    Some(Value::Object(quantity))
}

/// SN → (kind, value).
pub fn structured_numeric<'m>(
    ctx: &mut Context<'m>,
    sn: &Item<'m>,
) -> Option<(&'static str, Value)> {
    ctx.unused_components(sn, &[1, 2, 3, 4]);
    let comparator = sn.text(1);
    let first = sn.text(2)?;
    let separator = sn.text(3);
    let second = sn.text(4);
    let number = |text: &str| {
        fhir::datatypes::Decimal::parse(text)
            .ok()
            .map(|d| d.to_json())
    };
    match (separator.as_deref(), second) {
        (Some(":" | "/"), Some(second)) => Some((
            "Ratio",
            json!({"numerator": {"value": number(&first)?}, "denominator": {"value": number(&second)?}}),
        )),
        (Some("-"), Some(second)) => Some((
            "Range",
            json!({"low": {"value": number(&first)?}, "high": {"value": number(&second)?}}),
        )),
        (None, None) => {
            let mut quantity = Map::new();
            quantity.insert("value".into(), number(&first)?);
            if let Some(comparator) = comparator.filter(|c| c != "=") {
                quantity.insert("comparator".into(), json!(comparator));
            }
            Some(("Quantity", Value::Object(quantity)))
        }
        _ => None,
    }
}

/// EI → Identifier.
pub fn entity_identifier<'m>(ctx: &mut Context<'m>, ei: &Item<'m>) -> Option<Value> {
    ctx.unused_components(ei, &[1, 2, 3]);
    let value = ei.text(1)?;
    let system = ei
        .text(3)
        .map(|oid| format!("urn:oid:{oid}"))
        .or_else(|| ei.text(2).map(|ns| format!("urn:fhirgate:ns:{ns}")));
    let mut identifier = Map::new();
    if let Some(system) = system {
        identifier.insert("system".into(), json!(system));
    }
    identifier.insert("value".into(), json!(value));
    Some(Value::Object(identifier))
}

/// Identifier with system and value → key.
pub fn identifier_key(identifier: &Value) -> Option<ResourceKey> {
    Some(ResourceKey::Identifier {
        system: identifier.get("system")?.as_str()?.to_owned(),
        value: identifier.get("value")?.as_str()?.to_owned(),
    })
}

/// XCN → Practitioner reference.
pub fn practitioner<'m>(ctx: &mut Context<'m>, xcn: &Item<'m>) -> Option<String> {
    ctx.unused_components(xcn, &[1, 2, 3]);
    let id = xcn.text(1);
    let family = xcn.text(2);
    let given = xcn.text(3);
    if id.is_none() && family.is_none() {
        return None;
    }
    let key = ResourceKey::Natural(format!(
        "{}|{}|{}",
        id.as_deref().unwrap_or_default(),
        family.as_deref().unwrap_or_default(),
        given.as_deref().unwrap_or_default()
    ));
    Some(ctx.add("Practitioner", key, |uuid| {
        let mut builder = fhir::datatypes::ResourceBuilder::new("Practitioner", &uuid);
        builder.push("identifier", id.map(|id| json!({"value": id})));
        builder.push(
            "name",
            Some(json!({"family": family, "given": given.map(|g| vec![g])})),
        );
        builder.build()
    }))
}

/// XON → Organization reference.
pub fn organization<'m>(ctx: &mut Context<'m>, xon: &Item<'m>) -> Option<String> {
    ctx.unused_components(xon, &[1, 10]);
    let name = xon.text(1);
    let id = xon.text(10);
    if name.is_none() && id.is_none() {
        return None;
    }
    let key = ResourceKey::Natural(format!(
        "{}|{}",
        id.as_deref().unwrap_or_default(),
        name.as_deref().unwrap_or_default()
    ));
    Some(ctx.add("Organization", key, |uuid| {
        let mut builder = fhir::datatypes::ResourceBuilder::new("Organization", &uuid);
        builder.push("identifier", id.map(|id| json!({"value": id})));
        builder.set("name", name.map(|n| json!(n)));
        builder.build()
    }))
}

/// XAD → Address.
pub fn address<'m>(ctx: &mut Context<'m>, xad: &Item<'m>) -> Option<Value> {
    ctx.unused_components(xad, &[1, 3, 4, 5, 6]);
    let line = xad.text(1);
    let value = json!({
        "line": line.map(|l| vec![l]),
        "city": xad.text(3),
        "state": xad.text(4),
        "postalCode": xad.text(5),
        "country": xad.text(6),
    });
    fhir::datatypes::prune_empty(value)
}

/// `{"reference": ...}`.
pub fn reference(reference: &str) -> Value {
    json!({ "reference": reference })
}
