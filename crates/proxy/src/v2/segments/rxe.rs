//! RXE (pharmacy/treatment encoded order, with its ORC, TQ1s, RXRs and NTEs) →
//! MedicationRequest (intent `order`).
//!
//! The v2-to-FHIR IG has no RXE table; RXE shares most fields with RXO, so this follows the
//! RXO[MedicationRequest], RXR[MedicationRequest], TQ1[MedicationRequest] and ORC tables, with
//! RXE's own field numbers (HL7 v2.5+ chapter 4A):
//!
//! - `medicationCodeableConcept` RXE-2 (required: absent → data-absent `unknown` with a
//!   warning). `identifier` ORC-2/3 (PLAC/FILL), plus RXE-15 (prescription number).
//! - `status` (required): ORC-5 through OrderStatus, else ORC-1 through
//!   OrderControlCode[ServiceRequest.status] (request `revoked` → `cancelled`), else `active`
//!   with an information issue (an encoded order being sent is in force). `intent` `order`.
//! - `dosageInstruction`: one per TQ1 (the group's own TQ1s, else the ORC's TIMING TQ1s, else
//!   RXE-1 as a TQ), each with `text` (TQ1-11, RXE-21), `additionalInstruction` (TQ1-10 text,
//!   RXE-7, RXR-5), `timing` (TQ1, see [`tq1`](super::tq1)), `route`/`site`/`method` (the
//!   first RXR; more RXRs give more Dosages), `doseAndRate` (RXE-3/4/5: `doseQuantity`, or
//!   `doseRange` when RXE-4 is valued; `rateQuantity` RXE-23/24) and `maxDosePerPeriod`
//!   (RXE-19 per day).
//! - `dispenseRequest`: `validityPeriod.start` ORC-15, `numberOfRepeatsAllowed` RXE-12,
//!   `quantity` RXE-10/11. `substitution.allowedCodeableConcept` RXE-9 (table 0167).
//! - `priority` TQ1-9, `authoredOn` ORC-9 (else RXE-32), `requester` ORC-12 (else RXE-13),
//!   `reasonCode` RXE-27, `note` the NTEs after the RXE, `basedOn` the RXO's original order.
//! - Not mapped (left in the report): RXE-6 dosage form (a Medication resource member), RXE-8,
//!   RXE-14, RXE-16..18, RXE-20, RXE-22, RXE-25/26, RXE-28..31, RXE-33..44.

use hl7v2::{Location, Segment};
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::obx::datetime_field;
use super::orc::{order_identifiers, order_key};
use super::{nte, rxr, tq1};
use fhir::datatypes::ResourceBuilder;

const UCUM: &str = "http://unitsofmeasure.org";

/// The segments around a pharmacy order segment (RXO, RXE or RXD) and what they are about.
#[derive(Debug, Default, Clone)]
pub struct PharmacyGroup<'a, 'm> {
    /// The ORDER group's ORC.
    pub orc: Option<Segment<'m>>,
    /// The TQ1s that apply (the segment's own, else the ORC's TIMING group).
    pub timings: &'a [Segment<'m>],
    /// The RXRs after the segment.
    pub routes: &'a [Segment<'m>],
    /// The NTEs after the segment.
    pub notes: &'a [Segment<'m>],
    /// The patient.
    pub subject: Option<&'a str>,
    /// The visit.
    pub encounter: Option<&'a str>,
    /// A MedicationRequest this one is based on (RXE on RXO) or authorized by (RXD).
    pub based_on: Option<&'a str>,
    /// The group's Observations (OBX), as `supportingInformation`.
    pub supporting: &'a [String],
}

/// Maps an RXE with its group to a MedicationRequest and returns its reference.
pub fn medication_request<'m>(
    ctx: &mut Context<'m>,
    rxe: &Segment<'m>,
    group: &PharmacyGroup<'_, 'm>,
) -> String {
    ctx.seen(rxe);
    let orc = group.orc.as_ref();
    let mut identifiers = order_identifiers(ctx, orc, None);
    if let Some(number) = ctx.text(rxe, 15) {
        identifiers.push(json!({"type": {"text": "Prescription number"}, "value": number}));
    }
    let status = match orc {
        Some(orc) => status(ctx, orc),
        None => assumed_active(ctx, rxe),
    };
    let medication = medication(ctx, rxe, 2);
    let dose = dose_and_rate(ctx, rxe, [3, 4, 5], Some([23, 24]));
    let max_per_day = ctx
        .item(rxe, 19)
        .and_then(|item| dt::composite_quantity(ctx, &item))
        .map(|numerator| {
            json!({"numerator": numerator, "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"}})
        });
    let instructions: Vec<Value> = ctx
        .items(rxe, 7)
        .iter()
        .filter_map(|item| instruction(ctx, item))
        .collect();
    let special: Vec<String> = ctx
        .items(rxe, 21)
        .iter()
        .filter_map(|item| {
            ctx.unused_components(item, &[1, 2]);
            item.text(2)
                .or_else(|| item.text(1))
                .map(|t| t.into_owned())
        })
        .collect();
    let mut base = Map::new();
    if let Some(dose) = dose {
        base.insert("doseAndRate".into(), Value::from(vec![dose]));
    }
    if let Some(max) = max_per_day {
        base.insert("maxDosePerPeriod".into(), max);
    }
    let legacy = if group.timings.is_empty() {
        ctx.item(rxe, 1).map(|item| legacy_timing(ctx, &item))
    } else {
        // With TQ1s, RXE-1 (the withdrawn TQ) is not read: it stays in the report.
        None
    };
    let extra = Instructions {
        texts: special,
        additional: instructions,
    };
    let (dosages, priority) = timed_dosages(ctx, &base, group.timings, legacy.as_ref(), &extra);
    let dosages = with_routes(ctx, dosages, group.routes);
    let substitution = ctx.item(rxe, 9).and_then(|item| {
        dt::codeable_concept(ctx, &item, Some("0167")).map(|c| json!({"allowedCodeableConcept": c}))
    });
    let mut dispense = Map::new();
    if let Some(start) = orc.and_then(|orc| datetime_field(ctx, orc, 15)) {
        dispense.insert("validityPeriod".into(), json!({ "start": start }));
    }
    if let Some(refills) = whole_number(ctx, rxe, 12) {
        dispense.insert("numberOfRepeatsAllowed".into(), json!(refills));
    }
    if let Some(quantity) = amount_with_units(ctx, rxe, 10, 11) {
        dispense.insert("quantity".into(), quantity);
    }
    let authored = orc
        .and_then(|orc| datetime_field(ctx, orc, 9))
        .or_else(|| datetime_field(ctx, rxe, 32));
    let requester = requester(ctx, orc, rxe, 13);
    let reasons: Vec<Value> = ctx
        .items(rxe, 27)
        .iter()
        .filter_map(|item| dt::codeable_concept(ctx, item, None))
        .collect();
    let note = nte::annotations(ctx, group.notes);
    let key = order_key(&identifiers, rxe.index());
    ctx.add("MedicationRequest", key, |id| {
        let mut builder = ResourceBuilder::new("MedicationRequest", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set_str("status", status)
            .set_str("intent", "order")
            .set("priority", priority.map(|p| json!(p)))
            .set("medicationCodeableConcept", Some(medication))
            .set("subject", group.subject.map(dt::reference))
            .set("encounter", group.encounter.map(dt::reference))
            .set("supportingInformation", references(group.supporting))
            .set("authoredOn", authored.map(Value::String))
            .set("requester", requester.map(|r| dt::reference(&r)))
            .set("reasonCode", Some(Value::Array(reasons)))
            .push("basedOn", group.based_on.map(dt::reference))
            .set("note", Some(Value::Array(note)))
            .set("dosageInstruction", Some(Value::Array(dosages)))
            .set("dispenseRequest", Some(Value::Object(dispense)))
            .set("substitution", substitution);
        builder.build()
    })
}

/// References to the resources, or `None` for none.
pub fn references(list: &[String]) -> Option<Value> {
    (!list.is_empty()).then(|| Value::Array(list.iter().map(|r| dt::reference(r)).collect()))
}

/// ORC-5 (OrderStatus), else ORC-1 (OrderControlCode), as a MedicationRequest status; else
/// `active` with an issue.
pub fn status<'m>(ctx: &mut Context<'m>, orc: &Segment<'m>) -> &'static str {
    let mapped = super::orc::mapped_request_status(ctx, orc);
    match mapped {
        Some("active") => "active",
        Some("on-hold") => "on-hold",
        Some("revoked") => "cancelled",
        Some("completed") => "completed",
        Some("entered-in-error") => "entered-in-error",
        Some("draft") => "draft",
        _ => assumed_active(ctx, orc),
    }
}

fn assumed_active(ctx: &mut Context<'_>, segment: &Segment<'_>) -> &'static str {
    ctx.issue(
        IssueSeverity::Information,
        Location::segment(segment.index(), segment.name()),
        "no order status in ORC-5/ORC-1: MedicationRequest.status active assumed",
    );
    "active"
}

/// The medication code in `field` (required): absent → data-absent `unknown` with a warning.
pub fn medication<'m>(ctx: &mut Context<'m>, segment: &Segment<'m>, field: usize) -> Value {
    ctx.item(segment, field)
        .and_then(|item| dt::codeable_concept(ctx, &item, None))
        .unwrap_or_else(|| {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(segment.index(), segment.name(), field),
                format!(
                    "{}-{field} empty: medication (required) set to data-absent unknown",
                    segment.name()
                ),
            );
            json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "unknown"}]})
        })
}

/// A doseAndRate element: `[minimum, maximum, units]` fields give `doseQuantity`, or
/// `doseRange` when the maximum is valued; `[rate amount, rate units]` give `rateQuantity`.
pub fn dose_and_rate<'m>(
    ctx: &mut Context<'m>,
    segment: &Segment<'m>,
    [min_field, max_field, units_field]: [usize; 3],
    rate: Option<[usize; 2]>,
) -> Option<Value> {
    let min = ctx.text(segment, min_field);
    let max = ctx.text(segment, max_field);
    let units = ctx.item(segment, units_field);
    let location = |field| Location::field(segment.index(), segment.name(), field);
    let mut element = Map::new();
    let low = min.and_then(|v| dt::quantity(ctx, &v, units.as_ref(), location(min_field)));
    let high = max.and_then(|v| dt::quantity(ctx, &v, units.as_ref(), location(max_field)));
    match (low, high) {
        (Some(low), None) => {
            element.insert("doseQuantity".into(), low);
        }
        (low, Some(high)) => {
            let mut range = Map::new();
            if let Some(low) = low {
                range.insert("low".into(), low);
            }
            range.insert("high".into(), high);
            element.insert("doseRange".into(), Value::Object(range));
        }
        (None, None) => {}
    }
    if let Some([amount_field, units_field]) = rate
        && let Some(rate) = amount_with_units(ctx, segment, amount_field, units_field)
    {
        element.insert("rateQuantity".into(), rate);
    }
    (!element.is_empty()).then_some(Value::Object(element))
}

/// An NM field with the CWE units field after it → Quantity.
pub fn amount_with_units<'m>(
    ctx: &mut Context<'m>,
    segment: &Segment<'m>,
    amount_field: usize,
    units_field: usize,
) -> Option<Value> {
    let amount = ctx.text(segment, amount_field);
    let units = ctx.item(segment, units_field);
    let location = Location::field(segment.index(), segment.name(), amount_field);
    dt::quantity(ctx, &amount?, units.as_ref(), location)
}

/// An NM field that must be a whole number (refills); anything else is an error issue.
pub fn whole_number<'m>(ctx: &mut Context<'m>, segment: &Segment<'m>, field: usize) -> Option<u64> {
    let text = ctx.text(segment, field)?;
    let number = text.trim().parse::<u64>().ok();
    if number.is_none() {
        ctx.issue(
            IssueSeverity::Error,
            Location::field(segment.index(), segment.name(), field),
            format!(
                "{}-{field} {text:?} is not a whole number: left out",
                segment.name()
            ),
        );
    }
    number
}

/// ORC-12, else the segment's own provider field, as a Practitioner reference.
pub fn requester<'m>(
    ctx: &mut Context<'m>,
    orc: Option<&Segment<'m>>,
    segment: &Segment<'m>,
    field: usize,
) -> Option<String> {
    orc.and_then(|orc| ctx.item(orc, 12))
        .and_then(|item| dt::practitioner(ctx, &item))
        .or_else(|| {
            ctx.item(segment, field)
                .and_then(|item| dt::practitioner(ctx, &item))
        })
}

/// An instruction CWE: free text written in the code component (no system, no text) is
/// taken as text, anything else as a CodeableConcept.
pub fn instruction<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<Value> {
    if item.text(2).is_none() && item.text(3).is_none() && item.n_components() <= 1 {
        return item.text(1).map(|text| json!({ "text": text }));
    }
    dt::codeable_concept(ctx, item, None)
}

/// Instructions that apply to every Dosage of a request.
#[derive(Debug, Default)]
pub struct Instructions {
    /// Lines of `Dosage.text`.
    pub texts: Vec<String>,
    /// `Dosage.additionalInstruction` entries.
    pub additional: Vec<Value>,
}

/// One Dosage per TQ1 (else one from the legacy TQ, else one), each `base` plus the TQ1's
/// `timing`, TQ1-2 as `doseQuantity` when `base` has no dose, TQ1-10 as an
/// `additionalInstruction` text and TQ1-11 as `text`; with the first TQ1-9 priority.
pub fn timed_dosages<'m>(
    ctx: &mut Context<'m>,
    base: &Map<String, Value>,
    timings: &[Segment<'m>],
    legacy: Option<&LegacyTiming>,
    extra: &Instructions,
) -> (Vec<Map<String, Value>>, Option<&'static str>) {
    let mut priority = None;
    let mut dosages = Vec::new();
    let mut slots: Vec<Option<&Segment<'m>>> = timings.iter().map(Some).collect();
    if slots.is_empty() {
        slots.push(None);
    }
    for timing in slots {
        let mut dosage = base.clone();
        let mut texts = Vec::new();
        let mut additional = Vec::new();
        if let Some(tq1_segment) = timing {
            if let Some(quantity) = tq1::quantity(ctx, tq1_segment) {
                // TQ1-2 is the dose per occurrence when the order segment did not give one.
                dosage
                    .entry("doseAndRate")
                    .or_insert_with(|| json!([{ "doseQuantity": quantity }]));
            }
            if let Some(timing) = tq1::timing(ctx, tq1_segment) {
                dosage.insert("timing".into(), timing);
            }
            priority = priority.or_else(|| tq1::priority(ctx, tq1_segment));
            additional.extend(tq1::condition_text(ctx, tq1_segment).map(|t| json!({"text": t})));
            texts.extend(tq1::text_instruction(ctx, tq1_segment));
        } else if let Some(legacy) = legacy {
            if let Some(timing) = &legacy.timing {
                dosage.insert("timing".into(), timing.clone());
            }
            priority = priority.or(legacy.priority);
            texts.extend(legacy.text.clone());
        }
        texts.extend(extra.texts.iter().cloned());
        additional.extend(extra.additional.iter().cloned());
        if !texts.is_empty() {
            dosage.insert("text".into(), json!(texts.join("\n")));
        }
        if !additional.is_empty() {
            dosage.insert("additionalInstruction".into(), Value::Array(additional));
        }
        dosages.push(dosage);
    }
    (dosages, priority)
}

/// Adds the RXR members to the Dosages: the first RXR to every Dosage; each further RXR is
/// another way to give the same dose, so a copy of the first Dosage with its route.
pub fn with_routes<'m>(
    ctx: &mut Context<'m>,
    dosages: Vec<Map<String, Value>>,
    routes: &[Segment<'m>],
) -> Vec<Value> {
    let route_parts: Vec<Map<String, Value>> = routes
        .iter()
        .map(|rxr_segment| rxr::dosage_route(ctx, rxr_segment))
        .collect();
    let mut out = Vec::new();
    let first_route = route_parts.first();
    for dosage in &dosages {
        out.push(merged(dosage, first_route));
    }
    if let Some(first) = dosages.first() {
        for extra in route_parts.iter().skip(1) {
            out.push(merged(first, Some(extra)));
        }
    }
    let mut sequence = 1;
    out.into_iter()
        .filter(|d| !d.as_object().is_some_and(Map::is_empty))
        .map(|mut dosage| {
            if let Some(map) = dosage.as_object_mut() {
                let mut ordered = Map::new();
                ordered.insert("sequence".into(), json!(sequence));
                sequence += 1;
                for name in DOSAGE_ORDER {
                    if let Some(value) = map.remove(*name) {
                        ordered.insert((*name).to_owned(), value);
                    }
                }
                return Value::Object(ordered);
            }
            dosage
        })
        .collect()
}

/// Dosage members in R4 order.
const DOSAGE_ORDER: &[&str] = &[
    "text",
    "additionalInstruction",
    "patientInstruction",
    "timing",
    "site",
    "route",
    "method",
    "doseAndRate",
    "maxDosePerPeriod",
];

fn merged(dosage: &Map<String, Value>, route: Option<&Map<String, Value>>) -> Value {
    let mut out = dosage.clone();
    for (name, value) in route.into_iter().flatten() {
        if name == "additionalInstruction" {
            let list = out.entry(name.clone()).or_insert_with(|| json!([]));
            if let (Some(list), Some(more)) = (list.as_array_mut(), value.as_array()) {
                list.extend(more.iter().cloned());
            }
        } else {
            out.insert(name.clone(), value.clone());
        }
    }
    Value::Object(out)
}

/// What an RXE-1/RXO-1-style TQ (quantity/timing, withdrawn in v2.5 but still sent) gives.
#[derive(Debug, Default)]
pub struct LegacyTiming {
    /// TQ-2.1 repeat pattern → `code`, TQ-4/TQ-5 → `repeat.boundsPeriod`.
    pub timing: Option<Value>,
    /// TQ-6 priority (first code).
    pub priority: Option<&'static str>,
    /// TQ-8 text.
    pub text: Option<String>,
}

/// TQ → [`LegacyTiming`]; TQ-1, TQ-3, TQ-7 and TQ-9..12 stay in the report.
pub fn legacy_timing<'m>(ctx: &mut Context<'m>, tq: &Item<'m>) -> LegacyTiming {
    ctx.unused_components(tq, &[2, 4, 5, 6, 8]);
    let mut timing = Map::new();
    let mut repeat = Map::new();
    let start = tq
        .sub_text(4, 1)
        .and_then(|t| ctx.datetime(&t, tq.component_location(4)));
    let end = tq
        .sub_text(5, 1)
        .and_then(|t| ctx.datetime(&t, tq.component_location(5)));
    if start.is_some() || end.is_some() {
        let mut period = Map::new();
        period.extend(start.map(|s| ("start".to_owned(), json!(s))));
        period.extend(end.map(|e| ("end".to_owned(), json!(e))));
        repeat.insert("boundsPeriod".into(), Value::Object(period));
    }
    if !repeat.is_empty() {
        timing.insert("repeat".into(), Value::Object(repeat));
    }
    if let Some(code) = tq.sub_text(2, 1) {
        timing.insert(
            "code".into(),
            json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0335", "code": code}]}),
        );
    }
    let priority = tq.sub_text(6, 1).and_then(|code| {
        match ctx
            .vocabulary()
            .map("ExtendedPriorityCodes", code.get(..1).unwrap_or_default())
            .map(|m| m.code)
        {
            Some("stat") => Some("stat"),
            Some("asap") => Some("asap"),
            Some("routine") => Some("routine"),
            _ => {
                ctx.issue(
                    IssueSeverity::Information,
                    tq.component_location(6),
                    format!("TQ-6 priority {code:?} has no request priority: left out"),
                );
                None
            }
        }
    });
    LegacyTiming {
        timing: (!timing.is_empty()).then_some(Value::Object(timing)),
        priority,
        text: tq.text(8).map(|t| t.into_owned()),
    }
}

/// The key of a MedicationRequest keyed by an order's identifiers, for a second request of the
/// same order (RXO's original order beside RXE's encoded one).
pub fn derived_key(identifiers: &[Value], role: &str, segment_idx: usize) -> ResourceKey {
    match order_key(identifiers, segment_idx) {
        ResourceKey::Identifier { system, value } => {
            ResourceKey::Natural(format!("{role}|{system}|{value}"))
        }
        other => other,
    }
}

#[cfg(test)]
#[path = "pharmacy_tests.rs"]
mod tests;
