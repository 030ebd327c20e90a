//! RXA (+ RXR, + ORC) → Immunization, per the v2-to-FHIR RXA[Immunization] and RXR[Immunization]
//! tables.
//!
//! - `status` (required): RXA-21 `D` → entered-in-error; else RXA-20 through CompletionStatus
//!   (CP, PA → completed; RE, NA → not-done); an empty RXA-20 means complete (HL7 chapter 4A),
//!   recorded as an information issue. RXA-20 `PA` also sets `isSubpotent`.
//! - `vaccineCode` RXA-5 (required; CVX/NDC through the coding system names),
//!   `occurrenceDateTime` RXA-3 (required: absent → `occurrenceString` "unknown" with an
//!   issue), `doseQuantity` RXA-6/RXA-7 (999 means unknown and is left out),
//!   `primarySource`/`reportOrigin` RXA-9 (NIP001: 00 = new record → primary source),
//!   `performer` RXA-10 (function AP) and ORC-12 (function OP), `lotNumber` RXA-15,
//!   `expirationDate` RXA-16, `manufacturer` RXA-17 (an Organization with the MVX code as
//!   identifier), `statusReason` RXA-18, `reasonCode` RXA-19, `route` RXR-1, `site` RXR-2.
//! - `identifier` ORC-2/ORC-3 (PLAC/FILL); the filler (else placer) keys it, else the RXA.

use hl7v2::{Location, Segment};
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::obx::datetime_field;
use super::orc::{order_identifiers, order_key};
use fhir::datatypes::ResourceBuilder;

const PERFORMER_FUNCTION: &str = "http://terminology.hl7.org/CodeSystem/v2-0443";

/// Maps an RXA with its RXR and ORC to an Immunization of `patient` and returns its reference.
pub fn immunization<'m>(
    ctx: &mut Context<'m>,
    orc: Option<&Segment<'m>>,
    rxa: &Segment<'m>,
    rxr: Option<&Segment<'m>>,
    patient: Option<&str>,
    encounter: Option<&str>,
) -> String {
    ctx.consume(rxa, &[1, 2]);
    let identifiers = order_identifiers(ctx, orc, None);
    let mut performers = Vec::new();
    if let Some(orc) = orc {
        ctx.seen(orc);
        for item in ctx.items(orc, 12) {
            if let Some(actor) = dt::practitioner(ctx, &item) {
                performers.push(performer(&actor, "OP", "Ordering Provider"));
            }
        }
    }
    let occurrence = datetime_field(ctx, rxa, 3);
    if occurrence.is_none() {
        ctx.issue(
            IssueSeverity::Warning,
            Location::field(rxa.index(), "RXA", 3),
            "RXA-3 empty: Immunization.occurrence (required) set to the string \"unknown\"",
        );
    }
    let vaccine = ctx
        .item(rxa, 5)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0292")))
        .unwrap_or_else(|| {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(rxa.index(), "RXA", 5),
                "RXA-5 empty: Immunization.vaccineCode (required) set to data-absent unknown",
            );
            json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "unknown"}]})
        });
    let dose = dose_quantity(ctx, rxa);
    let (primary_source, report_origin) = match ctx.item(rxa, 9) {
        Some(item) => {
            let primary = match item.text(1).as_deref() {
                Some("00") => Some(true),
                Some(code) if code.starts_with('0') => Some(false),
                _ => None,
            };
            let origin = (primary == Some(false))
                .then(|| dt::codeable_concept(ctx, &item, None))
                .flatten();
            if primary != Some(false) {
                ctx.unused_components(&item, &[1, 2, 3]);
            }
            (primary, origin)
        }
        None => (None, None),
    };
    for item in ctx.items(rxa, 10) {
        if let Some(actor) = dt::practitioner(ctx, &item) {
            performers.push(performer(&actor, "AP", "Administering Provider"));
        }
    }
    let lot = ctx.text(rxa, 15);
    let expiration = ctx
        .text(rxa, 16)
        .and_then(|t| ctx.date(&t, Location::field(rxa.index(), "RXA", 16)));
    let manufacturer = ctx.item(rxa, 17).and_then(|item| manufacturer(ctx, &item));
    let status_reason = ctx
        .item(rxa, 18)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let reasons: Vec<Value> = ctx
        .items(rxa, 19)
        .iter()
        .filter_map(|item| dt::codeable_concept(ctx, item, None))
        .collect();
    let (status, subpotent) = status(ctx, rxa);
    let (route, site) = match rxr {
        Some(rxr) => {
            let route = ctx
                .item(rxr, 1)
                .and_then(|item| dt::codeable_concept(ctx, &item, Some("0162")));
            let site = ctx
                .item(rxr, 2)
                .and_then(|item| dt::codeable_concept(ctx, &item, Some("0163")));
            (route, site)
        }
        None => (None, None),
    };
    let key = order_key(&identifiers, rxa.index());
    ctx.add("Immunization", key, |id| {
        let mut builder = ResourceBuilder::new("Immunization", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set_str("status", status)
            .set("statusReason", status_reason)
            .set("vaccineCode", Some(vaccine))
            .set("patient", patient.map(dt::reference))
            .set("encounter", encounter.map(dt::reference));
        match occurrence {
            Some(at) => builder.set_str("occurrenceDateTime", &at),
            None => builder.set_str("occurrenceString", "unknown"),
        };
        builder
            .set("primarySource", primary_source.map(Value::Bool))
            .set("reportOrigin", report_origin)
            .set("manufacturer", manufacturer.map(|m| dt::reference(&m)))
            .set("lotNumber", lot.map(|l| json!(l)))
            .set("expirationDate", expiration.map(Value::String))
            .set("site", site)
            .set("route", route)
            .set("doseQuantity", dose)
            .set("performer", Some(Value::Array(performers)))
            .set("reasonCode", Some(Value::Array(reasons)))
            .set("isSubpotent", subpotent.then_some(Value::Bool(true)));
        builder.build()
    })
}

fn performer(actor: &str, code: &str, display: &str) -> Value {
    json!({
        "function": {"coding": [{"system": PERFORMER_FUNCTION, "code": code, "display": display}]},
        "actor": dt::reference(actor)
    })
}

/// RXA-6 amount with RXA-7 units; 999 is "unknown amount".
fn dose_quantity<'m>(ctx: &mut Context<'m>, rxa: &Segment<'m>) -> Option<Value> {
    let amount = ctx.text(rxa, 6);
    let units = ctx.item(rxa, 7);
    let amount = amount?;
    if amount == "999" {
        ctx.issue(
            IssueSeverity::Information,
            Location::field(rxa.index(), "RXA", 6),
            "RXA-6 999 means an unknown amount: no doseQuantity",
        );
        return None;
    }
    dt::quantity(
        ctx,
        &amount,
        units.as_ref(),
        Location::field(rxa.index(), "RXA", 6),
    )
}

/// RXA-17 (CWE, MVX) → an Organization named RXA-17.2 with the code as identifier.
fn manufacturer<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<String> {
    ctx.unused_components(item, &[1, 2, 3]);
    let code = item.text(1);
    let name = item.text(2);
    let system = item
        .text(3)
        .and_then(|s| crate::vocab::coding_system_uri(&s).map(|u| u.into_owned()));
    let mut identifier = Map::new();
    if let Some(system) = system {
        identifier.insert("system".into(), json!(system));
    }
    if let Some(code) = &code {
        identifier.insert("value".into(), json!(code));
    }
    let identifier = Value::Object(identifier);
    let key = dt::identifier_key(&identifier).unwrap_or_else(|| {
        super::super::context::ResourceKey::Natural(format!(
            "manufacturer|{}|{}",
            code.as_deref().unwrap_or_default(),
            name.as_deref().unwrap_or_default()
        ))
    });
    if code.is_none() && name.is_none() {
        return None;
    }
    Some(ctx.add("Organization", key, |id| {
        let mut builder = ResourceBuilder::new("Organization", &id);
        builder
            .push("identifier", Some(identifier))
            .set("name", name.map(|n| json!(n)));
        builder.build()
    }))
}

/// RXA-21 / RXA-20 → status, and whether the dose was partial (subpotent).
fn status<'m>(ctx: &mut Context<'m>, rxa: &Segment<'m>) -> (&'static str, bool) {
    let completion = ctx.text(rxa, 20);
    let action = ctx.text(rxa, 21);
    if action.as_deref() == Some("D") {
        return ("entered-in-error", false);
    }
    let Some(completion) = completion else {
        ctx.issue(
            IssueSeverity::Information,
            Location::field(rxa.index(), "RXA", 20),
            "RXA-20 empty: complete assumed (HL7 chapter 4A)",
        );
        return ("completed", false);
    };
    let subpotent = completion.as_ref() == "PA";
    match ctx
        .vocabulary()
        .map("CompletionStatus", &completion)
        .map(|m| m.code)
    {
        Some("not-done") => ("not-done", false),
        Some("completed") => ("completed", subpotent),
        _ => {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(rxa.index(), "RXA", 20),
                format!("RXA-20 {completion:?} is not a completion status: completed assumed"),
            );
            ("completed", false)
        }
    }
}
