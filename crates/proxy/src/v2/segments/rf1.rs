//! RF1 (with the PRD provider segments) → a referral ServiceRequest. The v2-to-FHIR IG has no
//! RF1 or PRD table yet; this follows their field definitions (v2.8) onto R4 ServiceRequest:
//!
//! - `identifier` RF1-6 (originating referral id, typed `PLAC`) and RF1-11 (external ids).
//! - `status` (required) RF1-1 (table 0283): `A` (accepted) and `P` (pending: sent, awaiting
//!   the referred-to provider, still actionable) → `active`; `R` (rejected) and `E` (expired)
//!   → `revoked`; else `unknown` with an issue.
//! - `intent` `order`; `category` SNOMED CT 3457005 "Patient referral"; `priority` RF1-2
//!   (table 0280: `S` stat, `A` asap, `R` routine); `code` RF1-3 (referral type, table 0281).
//! - `occurrencePeriod` RF1-7 (effective) – RF1-8 (expiration); `authoredOn` RF1-9 (process
//!   date, when the referral originated); `reasonCode` RF1-10 (table 0336); `note` RF1-14
//!   (reason text) and the message's closing NTEs.
//! - `performer` RF1-19 (authorized provider, Organization), RF1-20 (authorized health
//!   professional, Practitioner), and every PRD whose role (PRD-1, table 0286) is `RT`
//!   (referred to) or `CP` (consulting); `requester` the PRD whose role is `RP` (referring).
//! - A PRD → a Practitioner: name PRD-2, address PRD-3, telecom PRD-5, identifier PRD-7.1
//!   (PLN id, its type PRD-7.2 from table 0338 as the identifier type); without a name, the
//!   Organization of PRD-10 (XON) instead. Other roles (`PP` primary care provider…) are left
//!   out with an issue.
//! - `subject` the patient (required: without one no ServiceRequest); `encounter` the visit.
//!
//! Not mapped: RF1-4, 5, 12, 13, 15..18, 21 and later; PRD-4, 6, 8, 9, 11 and later.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::sch::with_type;

/// Maps RF1 with the PRD segments and closing notes (as Annotations) to a ServiceRequest;
/// `None`, with an error issue, when there is no patient.
pub fn referral<'m>(
    ctx: &mut Context<'m>,
    rf1: &Segment<'m>,
    providers: &[Segment<'m>],
    notes: Vec<Value>,
    patient: Option<&str>,
    encounter: Option<&str>,
) -> Option<String> {
    let Some(patient) = patient else {
        ctx.issue(
            IssueSeverity::Error,
            Location::segment(rf1.index(), "RF1"),
            "ServiceRequest.subject is required and the message has no PID: referral left out",
        );
        return None;
    };
    let mut identifiers = Vec::new();
    if let Some(ei) = ctx.item(rf1, 6)
        && let Some(mut identifier) = dt::entity_identifier(ctx, &ei)
    {
        with_type(
            &mut identifier,
            json!({"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                "code": "PLAC",
                "display": "Placer Identifier"
            }]}),
        );
        identifiers.push(identifier);
    }
    for ei in ctx.items(rf1, 11) {
        identifiers.extend(dt::entity_identifier(ctx, &ei));
    }
    let key = identifiers
        .iter()
        .find_map(|identifier| {
            dt::identifier_key(identifier).or_else(|| {
                let value = identifier.get("value")?.as_str()?;
                Some(ResourceKey::Natural(format!("referral:{value}")))
            })
        })
        .unwrap_or(ResourceKey::Segment(rf1.index()));
    let status = coded(
        ctx,
        rf1,
        1,
        "0283",
        &[
            ("A", "active"),
            ("P", "active"),
            ("R", "revoked"),
            ("E", "revoked"),
        ],
    )
    .unwrap_or("unknown");
    let priority = coded(
        ctx,
        rf1,
        2,
        "0280",
        &[("S", "stat"), ("A", "asap"), ("R", "routine")],
    );
    let code = ctx
        .item(rf1, 3)
        .and_then(|cwe| dt::codeable_concept(ctx, &cwe, Some("0281")));
    let mut period = serde_json::Map::new();
    for (field, member) in [(7, "start"), (8, "end")] {
        if let Some(item) = ctx.item(rf1, field) {
            ctx.unused_components(&item, &[1]);
            if let Some(value) = dt::datetime(ctx, &item, 1) {
                period.insert(member.into(), json!(value));
            }
        }
    }
    let authored = ctx.item(rf1, 9).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::datetime(ctx, &item, 1)
    });
    let reasons: Vec<Value> = ctx
        .items(rf1, 10)
        .iter()
        .filter_map(|cwe| dt::codeable_concept(ctx, cwe, Some("0336")))
        .collect();
    let mut all_notes: Vec<Value> = ctx
        .items(rf1, 14)
        .iter()
        .filter_map(|item| item.whole())
        .map(|text| json!({"text": text}))
        .collect();
    all_notes.extend(notes);
    let mut performers: Vec<Value> = Vec::new();
    for item in ctx.items(rf1, 19) {
        performers.extend(dt::organization(ctx, &item).map(|r| dt::reference(&r)));
    }
    for item in ctx.items(rf1, 20) {
        performers.extend(dt::practitioner(ctx, &item).map(|r| dt::reference(&r)));
    }
    let mut requester = None;
    for prd in providers {
        let Some((role, reference)) = provider(ctx, prd) else {
            continue;
        };
        match role.as_str() {
            "RP" if requester.is_none() => requester = Some(dt::reference(&reference)),
            "RT" | "CP" => performers.push(dt::reference(&reference)),
            other => ctx.issue(
                IssueSeverity::Warning,
                Location::field(prd.index(), "PRD", 1),
                format!("PRD-1 role {other:?} has no place on a referral ServiceRequest (RP is the requester; RT, CP performers): left out"),
            ),
        }
    }
    let category = json!({"coding": [{
        "system": "http://snomed.info/sct",
        "code": "3457005",
        "display": "Patient referral"
    }]});
    Some(ctx.add("ServiceRequest", key, |id| {
        let mut builder = ResourceBuilder::new("ServiceRequest", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set_str("status", status)
            .set_str("intent", "order")
            .push("category", Some(category))
            .set("priority", priority.map(Value::from))
            .set("code", code)
            .set("subject", Some(dt::reference(patient)))
            .set("encounter", encounter.map(dt::reference))
            .set("occurrencePeriod", Some(Value::Object(period)))
            .set("authoredOn", authored.map(Value::String))
            .set("requester", requester)
            .set("performer", Some(Value::Array(performers)))
            .set("reasonCode", Some(Value::Array(reasons)))
            .set("note", Some(Value::Array(all_notes)));
        builder.build()
    }))
}

/// A coded field mapped through a small table; an unknown code is an issue and `None`.
fn coded<'m>(
    ctx: &mut Context<'m>,
    segment: &Segment<'m>,
    field: usize,
    table: &str,
    map: &[(&str, &'static str)],
) -> Option<&'static str> {
    let item = ctx.item(segment, field)?;
    ctx.unused_components(&item, &[1, 2, 3]);
    let code = item.text(1)?;
    let found = map
        .iter()
        .find(|(v2, _)| code.eq_ignore_ascii_case(v2))
        .map(|(_, fhir)| *fhir);
    if found.is_none() {
        ctx.issue(
            IssueSeverity::Warning,
            item.location(),
            format!("{code:?} is not a known code of table {table}: left out"),
        );
    }
    found
}

/// PRD → (role code, reference to the Practitioner or Organization).
fn provider<'m>(ctx: &mut Context<'m>, prd: &Segment<'m>) -> Option<(String, String)> {
    let role = ctx.items(prd, 1).into_iter().next().and_then(|item| {
        ctx.unused_components(&item, &[1, 2, 3]);
        item.text(1).map(|code| code.to_ascii_uppercase())
    })?;
    let names: Vec<Value> = ctx
        .items(prd, 2)
        .iter()
        .filter_map(|xpn| dt::human_name(ctx, xpn))
        .collect();
    if names.is_empty() {
        let organization = ctx
            .item(prd, 10)
            .and_then(|xon| dt::organization(ctx, &xon));
        if organization.is_none() {
            ctx.issue(
                IssueSeverity::Warning,
                Location::segment(prd.index(), "PRD"),
                "PRD names no provider (PRD-2) or organization (PRD-10): left out",
            );
        }
        return organization.map(|reference| (role, reference));
    }
    let addresses: Vec<Value> = ctx
        .items(prd, 3)
        .iter()
        .filter_map(|xad| dt::address(ctx, xad))
        .collect();
    let telecom: Vec<Value> = ctx
        .items(prd, 5)
        .iter()
        .filter_map(|xtn| dt::contact_point(ctx, xtn))
        .collect();
    let identifiers: Vec<Value> = ctx
        .items(prd, 7)
        .iter()
        .filter_map(|pln| {
            ctx.unused_components(pln, &[1, 2]);
            let value = pln.text(1)?;
            let mut identifier = serde_json::Map::new();
            if let Some(kind) = pln.text(2) {
                identifier.insert(
                    "type".into(),
                    json!({"coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0338",
                        "code": kind
                    }]}),
                );
            }
            identifier.insert("value".into(), json!(value));
            Some(Value::Object(identifier))
        })
        .collect();
    let natural = match identifiers.first().and_then(|i| i.get("value")?.as_str()) {
        Some(id) => format!("prd:id:{id}"),
        None => format!(
            "prd:name:{}",
            names.first().map(Value::to_string).unwrap_or_default()
        ),
    };
    let reference = ctx.add("Practitioner", ResourceKey::Natural(natural), |id| {
        let mut builder = ResourceBuilder::new("Practitioner", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set("name", Some(Value::Array(names)))
            .set("telecom", Some(Value::Array(telecom)))
            .set("address", Some(Value::Array(addresses)));
        builder.build()
    });
    Some((role, reference))
}
