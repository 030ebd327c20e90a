//! FT1 → ChargeItem. The v2-to-FHIR IG has no FT1 table yet; this follows the FT1 field
//! definitions (v2.8) onto R4 ChargeItem:
//!
//! - `identifier` FT1-2 (transaction id, CX; the key when it has a system).
//! - `status` (required) from FT1-6 (transaction type, table 0017): `CG` (charge) →
//!   `billable`; credits, payments, adjustments and co-payments (`CD`, `PY`, `AJ`, `CO`) are not
//!   charges R4 can tell apart, so they are `unknown` with a warning, as is an empty FT1-6.
//! - `code` (required) FT1-7 (transaction code, table 0132) with FT1-8 (description) as its
//!   text; with neither, a `data-absent-reason` and an issue.
//! - `subject` the patient (required: without one no ChargeItem is made, with an error);
//!   `context` the visit.
//! - `occurrenceDateTime` / `occurrencePeriod` FT1-4 (DR); `enteredDate` FT1-5.
//! - `quantity` FT1-10; `priceOverride` FT1-11.1 (extended amount: CP, whose first
//!   component is MO, quantity & denomination); `reason` FT1-19 (diagnoses, table 0051);
//!   `performer.actor` FT1-20; `enterer` FT1-24.
//!
//! Not mapped: FT1-3, 9, 12..18 (R4 ChargeItem has no unit price, department, insurance or
//! location), 21..23, 25 and later.

use fhir::datatypes::{Decimal, ResourceBuilder};
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;

const DATA_ABSENT: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

/// Maps one FT1 to a ChargeItem for `patient` (in `encounter`) and returns its reference;
/// `None`, with an error issue, when there is no patient.
pub fn charge_item<'m>(
    ctx: &mut Context<'m>,
    ft1: &Segment<'m>,
    patient: Option<&str>,
    encounter: Option<&str>,
) -> Option<String> {
    let Some(patient) = patient else {
        ctx.issue(
            IssueSeverity::Error,
            Location::segment(ft1.index(), "FT1"),
            "ChargeItem.subject is required and no PID precedes this FT1: left out",
        );
        return None;
    };
    // FT1-1 only numbers FT1 segments.
    ctx.consume(ft1, &[1]);
    let identifier = ctx.item(ft1, 2).and_then(|cx| dt::identifier(ctx, &cx));
    let key = identifier
        .as_ref()
        .and_then(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(ft1.index()));
    let occurrence = ctx.item(ft1, 4).and_then(|dr| occurrence(ctx, &dr));
    let entered = ctx.item(ft1, 5).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::datetime(ctx, &item, 1)
    });
    let status = status(ctx, ft1);
    let code = code(ctx, ft1);
    let quantity = ctx
        .text(ft1, 10)
        .and_then(|value| dt::quantity(ctx, &value, None, Location::field(ft1.index(), "FT1", 10)));
    let price = ctx.item(ft1, 11).and_then(|cp| price(ctx, &cp));
    let reasons: Vec<Value> = ctx
        .items(ft1, 19)
        .iter()
        .filter_map(|cwe| dt::codeable_concept(ctx, cwe, Some("0051")))
        .collect();
    let performers: Vec<Value> = ctx
        .items(ft1, 20)
        .iter()
        .filter_map(|xcn| dt::practitioner(ctx, xcn))
        .map(|reference| json!({"actor": dt::reference(&reference)}))
        .collect();
    let enterer = ctx
        .item(ft1, 24)
        .and_then(|xcn| dt::practitioner(ctx, &xcn))
        .map(|reference| dt::reference(&reference));
    Some(ctx.add("ChargeItem", key, |id| {
        let mut builder = ResourceBuilder::new("ChargeItem", &id);
        builder
            .push("identifier", identifier)
            .set_str("status", status)
            .set("code", Some(code))
            .set("subject", Some(dt::reference(patient)))
            .set("context", encounter.map(dt::reference));
        if let Some((member, value)) = occurrence {
            builder.set(member, Some(value));
        }
        builder
            .set("performer", Some(Value::Array(performers)))
            .set("quantity", quantity)
            .set("priceOverride", price)
            .set("enterer", enterer)
            .set("enteredDate", entered.map(Value::String))
            .set("reason", Some(Value::Array(reasons)));
        builder.build()
    }))
}

/// FT1-6 → `status`.
fn status<'m>(ctx: &mut Context<'m>, ft1: &Segment<'m>) -> &'static str {
    let location = Location::field(ft1.index(), "FT1", 6);
    let code = ctx.item(ft1, 6).and_then(|item| {
        ctx.unused_components(&item, &[1, 2, 3]);
        item.text(1).map(|code| code.into_owned())
    });
    match code.as_deref() {
        Some("CG") => "billable",
        Some(other) => {
            ctx.issue(
                IssueSeverity::Warning,
                location,
                format!(
                    "FT1-6 transaction type {other:?} is not a charge: ChargeItem.status unknown"
                ),
            );
            "unknown"
        }
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                location,
                "FT1-6 (transaction type) is empty: ChargeItem.status unknown",
            );
            "unknown"
        }
    }
}

/// FT1-7 with FT1-8 as text → `code`.
fn code<'m>(ctx: &mut Context<'m>, ft1: &Segment<'m>) -> Value {
    let concept = ctx
        .item(ft1, 7)
        .and_then(|cwe| dt::codeable_concept(ctx, &cwe, Some("0132")));
    let description = ctx.text(ft1, 8);
    match (concept, description) {
        (Some(mut concept), description) => {
            if let (Some(text), Some(object)) = (description, concept.as_object_mut()) {
                object.insert("text".into(), json!(text));
            }
            concept
        }
        (None, Some(text)) => json!({"text": text}),
        (None, None) => {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(ft1.index(), "FT1", 7),
                "ChargeItem.code is required and FT1-7/FT1-8 are empty: data-absent-reason",
            );
            json!({"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]})
        }
    }
}

/// FT1-4 (DR: start ^ end, each a TS) → `occurrenceDateTime` or `occurrencePeriod`.
fn occurrence<'m>(ctx: &mut Context<'m>, dr: &Item<'m>) -> Option<(&'static str, Value)> {
    ctx.unused_components(dr, &[1, 2]);
    let mut parts = [None, None];
    for (component, slot) in [1, 2].into_iter().zip(parts.iter_mut()) {
        if let Some(text) = dr.sub_text(component, 1) {
            *slot = ctx.datetime(&text, dr.component_location(component));
        }
    }
    match parts {
        [Some(start), None] => Some(("occurrenceDateTime", json!(start))),
        [None, None] => None,
        [start, end] => Some(("occurrencePeriod", json!({"start": start, "end": end}))),
    }
}

/// CP (price: MO as quantity & denomination, then price type and ranges) → Money from the
/// price alone; the other CP components are reported.
fn price<'m>(ctx: &mut Context<'m>, cp: &Item<'m>) -> Option<Value> {
    ctx.unused_components(cp, &[1]);
    let text = cp.sub_text(1, 1)?;
    let Ok(value) = Decimal::parse(&text) else {
        ctx.issue(
            IssueSeverity::Error,
            cp.component_location(1),
            format!("price {text:?} is not a decimal: left out"),
        );
        return None;
    };
    let mut money = json!({"value": value.to_json()});
    if let Some(currency) = cp.sub_text(1, 2) {
        money["currency"] = json!(currency);
    }
    Some(money)
}
