//! ORC + OBR → ServiceRequest, per the v2-to-FHIR ORC[ServiceRequest] and OBR[ServiceRequest]
//! tables.
//!
//! - `identifier`: placer (OBR-2, else ORC-2) typed PLAC, filler (OBR-3, else ORC-3) typed FILL;
//!   the placer (else the filler) keys the resource, so an order and its results in later
//!   messages are one ServiceRequest.
//! - `status` (required): ORC-5 through OrderStatus, else ORC-1 through
//!   OrderControlCode[ServiceRequest.status], else `unknown` with an issue. `intent` is `order`.
//! - `code` OBR-4, `priority` OBR-5 (only `S` → stat, `A` → asap, `R` → routine), else TQ1-9,
//!   `occurrenceDateTime` OBR-6, else `occurrenceTiming` from the group's first TQ1 (with
//!   `quantityQuantity` TQ1-2 and TQ1-11 as a note; TQ1-10 and further TQ1s stay in the
//!   report), `authoredOn` ORC-9, `requester` ORC-12 (else OBR-16), `reasonCode` OBR-31,
//!   `reasonReference` the group's DG1 Conditions, `note` the NTEs after the OBR, `subject` and
//!   `encounter` from the message's groups.

use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::nte::annotations;
use super::obx::datetime_field;
use super::tq1;
use fhir::datatypes::ResourceBuilder;

const REQUEST_STATUS: &str = "http://hl7.org/fhir/request-status";
const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

/// The placer and filler identifiers of an order (OBR-2/3, else ORC-2/3), typed PLAC and FILL.
pub fn order_identifiers<'m>(
    ctx: &mut Context<'m>,
    orc: Option<&Segment<'m>>,
    obr: Option<&Segment<'m>>,
) -> Vec<Value> {
    let mut identifiers = Vec::new();
    for (field, type_code) in [(2, "PLAC"), (3, "FILL")] {
        let item = obr
            .and_then(|obr| ctx.item(obr, field))
            .or_else(|| orc.and_then(|orc| ctx.item(orc, field)));
        // When both carry it, the ORC copy is the same order number: read, not lost.
        if let (Some(orc), Some(_)) = (orc, obr) {
            ctx.consume(orc, &[field]);
        }
        if let Some(mut identifier) = item.and_then(|item| dt::entity_identifier(ctx, &item)) {
            if let Some(map) = identifier.as_object_mut() {
                map.insert(
                    "type".into(),
                    json!({"coding": [{"system": V2_0203, "code": type_code}]}),
                );
            }
            identifiers.push(identifier);
        }
    }
    identifiers
}

/// The key of an order's resources: its first identifier, else the segment.
pub fn order_key(identifiers: &[Value], segment_idx: usize) -> ResourceKey {
    identifiers
        .iter()
        .find_map(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(segment_idx))
}

/// What an order group holds besides its ORC and OBR.
#[derive(Debug, Default, Clone, Copy)]
pub struct OrderParts<'a, 'm> {
    /// The NTEs after the OBR (or ORC).
    pub notes: &'a [Segment<'m>],
    /// The group's TQ1s.
    pub timings: &'a [Segment<'m>],
    /// The group's DG1 Conditions.
    pub reasons: &'a [String],
}

/// Maps an order (ORC and/or OBR, with the group's NTEs, TQ1s and DG1 Conditions) to a
/// ServiceRequest and returns its reference; `None` when both segments are absent.
pub fn service_request<'m>(
    ctx: &mut Context<'m>,
    orc: Option<&Segment<'m>>,
    obr: Option<&Segment<'m>>,
    parts: &OrderParts<'_, 'm>,
    subject: Option<&str>,
    encounter: Option<&str>,
) -> Option<String> {
    let anchor = obr.or(orc)?;
    let identifiers = order_identifiers(ctx, orc, obr);
    let status = orc.map_or("unknown", |orc| status(ctx, orc));
    if orc.is_none() {
        ctx.issue(
            IssueSeverity::Information,
            Location::segment(anchor.index(), anchor.name()),
            "order without ORC: ServiceRequest.status unknown",
        );
    }
    let authored = orc.and_then(|orc| datetime_field(ctx, orc, 9));
    let mut requester = orc
        .and_then(|orc| ctx.item(orc, 12))
        .and_then(|item| dt::practitioner(ctx, &item));
    let (mut code, mut priority, mut occurrence, mut reasons) = (None, None, None, Vec::new());
    if let Some(obr) = obr {
        ctx.consume(obr, &[1]);
        code = ctx
            .item(obr, 4)
            .and_then(|item| dt::codeable_concept(ctx, &item, None));
        priority = ctx.text(obr, 5).and_then(|p| match p.as_ref() {
            "S" => Some("stat"),
            "A" => Some("asap"),
            "R" => Some("routine"),
            _ => None,
        });
        occurrence = datetime_field(ctx, obr, 6);
        if requester.is_none() {
            requester = ctx
                .item(obr, 16)
                .and_then(|item| dt::practitioner(ctx, &item));
        }
        reasons = ctx
            .items(obr, 31)
            .iter()
            .filter_map(|item| dt::codeable_concept(ctx, item, None))
            .collect();
    }
    let (mut timing, mut quantity) = (None, None);
    let mut note = Vec::new();
    if let Some(tq1_segment) = parts.timings.first() {
        if priority.is_none() {
            priority = tq1::priority(ctx, tq1_segment);
        }
        if occurrence.is_none() {
            timing = tq1::timing(ctx, tq1_segment);
            quantity = tq1::quantity(ctx, tq1_segment);
            note.extend(tq1::text_instruction(ctx, tq1_segment).map(|t| json!({ "text": t })));
        }
    }
    if let Some(orc) = orc {
        ctx.seen(orc);
    }
    if subject.is_none() {
        ctx.issue(
            IssueSeverity::Warning,
            Location::segment(anchor.index(), anchor.name()),
            "order without a patient: ServiceRequest.subject is required",
        );
    }
    note.extend(annotations(ctx, parts.notes));
    let reason_references: Vec<Value> = parts.reasons.iter().map(|r| dt::reference(r)).collect();
    let key = order_key(&identifiers, anchor.index());
    Some(ctx.add("ServiceRequest", key, |id| {
        let mut builder = ResourceBuilder::new("ServiceRequest", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set_str("status", status)
            .set_str("intent", "order")
            .set("priority", priority.map(|p| json!(p)))
            .set("code", code)
            .set("quantityQuantity", quantity)
            .set("subject", subject.map(dt::reference))
            .set("encounter", encounter.map(dt::reference))
            .set("occurrenceDateTime", occurrence.map(Value::String))
            .set("occurrenceTiming", timing)
            .set("authoredOn", authored.map(Value::String))
            .set("requester", requester.map(|r| dt::reference(&r)))
            .set("reasonCode", Some(Value::Array(reasons)))
            .set("reasonReference", Some(Value::Array(reason_references)))
            .set("note", Some(Value::Array(note)));
        builder.build()
    }))
}

/// The request-status code ORC-5 (OrderStatus), else ORC-1 (OrderControlCode), maps to in the
/// v2-to-FHIR vocabulary; both fields are marked read.
pub fn mapped_request_status<'m>(ctx: &mut Context<'m>, orc: &Segment<'m>) -> Option<&'static str> {
    let order_status = ctx.text(orc, 5);
    let control = ctx.text(orc, 1);
    order_status
        .as_deref()
        .and_then(|code| ctx.vocabulary().map("OrderStatus", code))
        .or_else(|| {
            control.as_deref().and_then(|code| {
                ctx.vocabulary()
                    .map("OrderControlCode[ServiceRequest.status]", code)
            })
        })
        .filter(|m| m.system == REQUEST_STATUS)
        .map(|m| m.code)
}

/// ORC-5 (OrderStatus), else ORC-1 (OrderControlCode), else `unknown`.
pub fn status<'m>(ctx: &mut Context<'m>, orc: &Segment<'m>) -> &'static str {
    let mapped = mapped_request_status(ctx, orc);
    match mapped {
        Some("active") => "active",
        Some("on-hold") => "on-hold",
        Some("revoked") => "revoked",
        Some("completed") => "completed",
        Some("entered-in-error") => "entered-in-error",
        Some("draft") => "draft",
        _ => {
            ctx.issue(
                IssueSeverity::Information,
                Location::field(orc.index(), "ORC", 5),
                format!(
                    "no request status for ORC-5 {:?} / ORC-1 {:?}: status unknown",
                    orc.field(5).component(1).decoded().trim(),
                    orc.field(1).component(1).decoded().trim()
                ),
            );
            "unknown"
        }
    }
}
