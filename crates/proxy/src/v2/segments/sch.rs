//! SCH (and the TQ1 that follows it in SIU messages) → Appointment, per the v2-to-FHIR table
//! `SCH[Appointment]`.
//!
//! - SCH-1 / SCH-2 (placer / filler appointment id, EI) → `identifier` typed `PLAC` / `FILL`
//!   (table 0203). The Appointment's id comes from the filler id, else the placer id: a
//!   reschedule (S13) or cancellation (S15) of the same appointment updates the same resource.
//! - SCH-7 (appointment reason) → `reasonCode` (table 0276, plus the SNOMED CT coding of the
//!   `AppointmentReasonCodes` map), or `appointmentType` when its CWE-3 says `HL70277`;
//!   SCH-8 (appointment type, table 0277) → `appointmentType`.
//! - SCH-9 / SCH-10 (duration and units) → `minutesDuration` when the units are minutes, hours
//!   or whole minutes of seconds.
//! - Start and end: TQ1-7 / TQ1-8, else SCH-11 components 4 / 5 (TQ), as `instant`s.
//! - SCH-12 / SCH-16 / SCH-20 (placer contact, filler contact, entered by) → participants
//!   (Practitioner) typed `placer contact`, `filler contact` (text: the table's codes are not in
//!   any code system) and `enterer` (provenance-participant-type).
//! - SCH-25 (filler status, table 0278) → `status` through `FillerStatusCodes[Appointment]`.
//!   When it is empty, the first AIS-10 decides ([`set_status_if_absent`]); when that is empty
//!   too, the trigger event does ([`finish`]: S12–S14 `booked`, S15/S16 `cancelled`,
//!   S17 `entered-in-error`, S26 `noshow`, otherwise `proposed`), with an issue.
//! - SCH-26 / SCH-27 (placer / filler order number) → `basedOn`, a logical reference by
//!   identifier to the ServiceRequest (which the order feed creates).
//!
//! Not mapped (so reported when valued): SCH-3..6, SCH-13..15, SCH-17..19, SCH-21..24, and every
//! TQ1 field but 7 and 8.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::resources::{add_minutes, duration_minutes, participant, participation_status};

/// The member order of an R4 Appointment, used to tidy members added in several passes.
const APPOINTMENT_ORDER: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "identifier",
    "status",
    "cancelationReason",
    "serviceCategory",
    "serviceType",
    "specialty",
    "appointmentType",
    "reasonCode",
    "reasonReference",
    "priority",
    "description",
    "supportingInformation",
    "start",
    "end",
    "minutesDuration",
    "slot",
    "created",
    "comment",
    "patientInstruction",
    "basedOn",
    "participant",
    "requestedPeriod",
];

/// Maps SCH (with the message's TQ1 segments) to an Appointment and returns its reference.
pub fn appointment<'m>(ctx: &mut Context<'m>, sch: &Segment<'m>, tq1: &[Segment<'m>]) -> String {
    let placer = ctx
        .item(sch, 1)
        .and_then(|ei| typed_identifier(ctx, &ei, "PLAC", "Placer Identifier"));
    let filler = ctx
        .item(sch, 2)
        .and_then(|ei| typed_identifier(ctx, &ei, "FILL", "Filler Identifier"));
    let key = [&filler, &placer]
        .into_iter()
        .flatten()
        .find_map(|identifier| {
            dt::identifier_key(identifier).or_else(|| {
                let value = identifier.get("value")?.as_str()?;
                let kind = identifier.pointer("/type/coding/0/code")?.as_str()?;
                Some(ResourceKey::Natural(format!("appointment:{kind}:{value}")))
            })
        })
        .unwrap_or(ResourceKey::Segment(sch.index()));

    let mut reason_codes = Vec::new();
    let mut appointment_types = Vec::new();
    for item in ctx.items(sch, 7) {
        let is_type = item
            .text(3)
            .is_some_and(|system| system.eq_ignore_ascii_case("HL70277"));
        if is_type {
            appointment_types.extend(dt::codeable_concept(ctx, &item, Some("0277")));
        } else if let Some(mut concept) = dt::codeable_concept(ctx, &item, Some("0276")) {
            add_mapped_coding(ctx, &item, "AppointmentReasonCodes", &mut concept);
            reason_codes.push(concept);
        }
    }
    if let Some(item) = ctx.item(sch, 8) {
        appointment_types.extend(dt::codeable_concept(ctx, &item, Some("0277")));
    }
    if appointment_types.len() > 1 {
        ctx.issue(
            IssueSeverity::Warning,
            Location::field(sch.index(), "SCH", 8),
            "Appointment.appointmentType holds one concept: SCH-8 left out for SCH-7's",
        );
    }
    let minutes = minutes_duration(ctx, sch);
    let (start, end) = start_end(ctx, sch, tq1);
    let status = ctx.item(sch, 25).and_then(|item| filler_status(ctx, &item));

    let mut participants = Vec::new();
    for (field, kind) in [(12, "placer contact"), (16, "filler contact")] {
        if let Some(item) = ctx.item(sch, field) {
            let actor = dt::practitioner(ctx, &item);
            participants
                .extend(actor.map(|actor| {
                    participant(vec![json!({"text": kind})], Some(actor), None, None)
                }));
        }
    }
    if let Some(item) = ctx.item(sch, 20) {
        let enterer = json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "enterer",
            "display": "Enterer"
        }]});
        if let Some(actor) = dt::practitioner(ctx, &item) {
            participants.push(participant(vec![enterer], Some(actor), None, None));
        }
    }
    let mut based_on = Vec::new();
    for (field, code) in [(26, "PLAC"), (27, "FILL")] {
        for item in ctx.items(sch, field) {
            if let Some(identifier) = typed_identifier(ctx, &item, code, "") {
                based_on.push(json!({"type": "ServiceRequest", "identifier": identifier}));
            }
        }
    }
    let identifiers: Vec<Value> = [placer, filler].into_iter().flatten().collect();
    ctx.add("Appointment", key, |id| {
        let mut builder = ResourceBuilder::new("Appointment", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set("status", status.map(Value::String))
            .set("appointmentType", appointment_types.into_iter().next())
            .set("reasonCode", Some(Value::Array(reason_codes)))
            .set("start", start.map(Value::String))
            .set("end", end.map(Value::String))
            .set("minutesDuration", minutes.map(Value::from))
            .set("basedOn", Some(Value::Array(based_on)))
            .set("participant", Some(Value::Array(participants)));
        builder.build()
    })
}

/// An EI → Identifier with the given table 0203 type (`PLAC`, `FILL`).
fn typed_identifier<'m>(
    ctx: &mut Context<'m>,
    ei: &Item<'m>,
    code: &str,
    display: &str,
) -> Option<Value> {
    let mut identifier = dt::entity_identifier(ctx, ei)?;
    let mut coding =
        json!({"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": code});
    if !display.is_empty() {
        coding["display"] = json!(display);
    }
    with_type(&mut identifier, json!({"coding": [coding]}));
    Some(identifier)
}

/// Sets an Identifier's `type`, keeping R4 member order (use, type, system, value…).
pub(super) fn with_type(identifier: &mut Value, kind: Value) {
    if let Some(object) = identifier.as_object_mut() {
        let mut ordered = Map::new();
        if let Some(use_) = object.remove("use") {
            ordered.insert("use".into(), use_);
        }
        object.remove("type");
        ordered.insert("type".into(), kind);
        ordered.append(object);
        *object = ordered;
    }
}

/// Adds the coding a v2-to-FHIR concept map gives for component 1 (for example SNOMED CT for
/// an appointment reason) to a concept.
fn add_mapped_coding(ctx: &Context<'_>, item: &Item<'_>, map: &str, concept: &mut Value) {
    let Some(code) = item.text(1) else { return };
    let Some(mapped) = ctx.vocabulary().map(map, &code) else {
        return;
    };
    if let Some(codings) = concept.get_mut("coding").and_then(Value::as_array_mut) {
        let mut coding = json!({"system": mapped.system, "code": mapped.code});
        if let Some(display) = mapped.display {
            coding["display"] = json!(display);
        }
        if !codings.contains(&coding) {
            codings.push(coding);
        }
    }
}

/// A filler status (table 0278) → an AppointmentStatus code; an unknown code is an issue.
pub(super) fn filler_status<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<String> {
    ctx.unused_components(item, &[1, 2, 3]);
    let code = item.text(1)?;
    match ctx
        .vocabulary()
        .map("FillerStatusCodes[Appointment]", &code)
    {
        Some(mapped) => Some(mapped.code.to_owned()),
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                format!("filler status {code:?} has no AppointmentStatus (table 0278 map)"),
            );
            None
        }
    }
}

/// SCH-9 with its SCH-10 units → whole minutes.
fn minutes_duration<'m>(ctx: &mut Context<'m>, sch: &Segment<'m>) -> Option<u64> {
    let value = ctx.text(sch, 9)?;
    let units = ctx.item(sch, 10);
    if let Some(units) = &units {
        ctx.unused_components(units, &[1, 2, 3]);
    }
    let location = Location::field(sch.index(), "SCH", 9);
    let minutes = duration_minutes(&value, units.as_ref().and_then(|u| u.text(1)).as_deref());
    match minutes {
        Some(minutes) if minutes > 0 => u64::try_from(minutes).ok(),
        _ => {
            ctx.issue(
                IssueSeverity::Warning,
                location,
                format!("SCH-9/SCH-10 duration {value:?} is not a whole, positive number of minutes: left out"),
            );
            None
        }
    }
}

/// Start and end, from TQ1-7/8 first, else SCH-11.4/11.5. Only full date-times qualify
/// (`Appointment.start` is an `instant`).
fn start_end<'m>(
    ctx: &mut Context<'m>,
    sch: &Segment<'m>,
    tq1: &[Segment<'m>],
) -> (Option<String>, Option<String>) {
    let mut start = None;
    let mut end = None;
    for segment in tq1 {
        ctx.consume(segment, &[1]);
        for (field, slot) in [(7, &mut start), (8, &mut end)] {
            if let Some(item) = ctx.item(segment, field) {
                let value = instant(ctx, &item, 1);
                if slot.is_none() {
                    *slot = value;
                }
            }
        }
    }
    if let Some(tq) = ctx.item(sch, 11) {
        ctx.unused_components(&tq, &[4, 5]);
        for (component, slot) in [(4, &mut start), (5, &mut end)] {
            let Some(text) = tq.sub_text(component, 1) else {
                continue;
            };
            let value = ctx.datetime(&text, tq.component_location(component));
            if slot.is_none() {
                *slot = value.filter(|v| v.len() > 10);
            } else if value.is_some() && value != *slot {
                ctx.issue(
                    IssueSeverity::Warning,
                    tq.component_location(component),
                    "SCH-11 differs from TQ1: the TQ1 time is kept",
                );
            }
        }
    }
    (start, end)
}

/// A DTM component as an `instant`, or `None` with an issue when it has no time of day.
fn instant<'m>(ctx: &mut Context<'m>, item: &Item<'m>, component: usize) -> Option<String> {
    ctx.unused_components(item, &[component]);
    let value = dt::datetime(ctx, item, component)?;
    if value.len() > 10 {
        Some(value)
    } else {
        ctx.issue(
            IssueSeverity::Warning,
            item.location(),
            "an Appointment time must be an instant (date, time and offset): left out",
        );
        None
    }
}

/// Sets `Appointment.status` when SCH-25 did not.
pub fn set_status_if_absent(ctx: &mut Context<'_>, appointment: &str, status: String) {
    if let Some(resource) = ctx.resource_mut(appointment) {
        resource.entry("status").or_insert(Value::String(status));
    }
}

/// Adds a participant to the Appointment.
pub fn add_participant(ctx: &mut Context<'_>, appointment: &str, participant: Value) {
    if let Some(resource) = ctx.resource_mut(appointment) {
        match resource.get_mut("participant") {
            Some(Value::Array(items)) => {
                if !items.contains(&participant) {
                    items.push(participant);
                }
            }
            _ => {
                resource.insert("participant".into(), Value::Array(vec![participant]));
            }
        }
    }
}

/// Appends to an array member of the Appointment (for example `serviceType`), skipping
/// duplicates.
pub fn push_member(ctx: &mut Context<'_>, appointment: &str, member: &str, value: Value) {
    if let Some(resource) = ctx.resource_mut(appointment) {
        let items = resource
            .entry(member)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = items
            && !items.contains(&value)
        {
            items.push(value);
        }
    }
}

/// The Appointment's start, for AI* offsets.
pub fn start_of(ctx: &mut Context<'_>, appointment: &str) -> Option<String> {
    ctx.resource_mut(appointment)?
        .get("start")?
        .as_str()
        .map(str::to_owned)
}

/// Completes the Appointment once every segment is read: the status from the trigger event when
/// nothing set it, the end from start + duration, start and end dropped when only one is known
/// (invariant app-2), a participant for the patient, and members in R4 order.
pub fn finish(ctx: &mut Context<'_>, appointment: &str, patients: &[String], sch: &Segment<'_>) {
    let trigger = ctx.header().trigger_event.clone().unwrap_or_default();
    let location = Location::field(sch.index(), "SCH", 25);
    let Some(resource) = ctx.resource_mut(appointment) else {
        return;
    };
    let mut issues = Vec::new();
    if !resource.contains_key("status") {
        let status = match trigger.as_str() {
            "S12" | "S13" | "S14" => "booked",
            "S15" | "S16" => "cancelled",
            "S17" => "entered-in-error",
            "S26" => "noshow",
            _ => "proposed",
        };
        resource.insert("status".into(), json!(status));
        issues.push(format!(
            "no filler status in SCH-25 or AIS-10: Appointment.status {status:?} from trigger event {trigger:?}"
        ));
    }
    if resource.contains_key("start") && !resource.contains_key("end") {
        let end = resource
            .get("minutesDuration")
            .and_then(Value::as_i64)
            .zip(resource.get("start").and_then(Value::as_str))
            .and_then(|(minutes, start)| add_minutes(start, minutes));
        if let Some(end) = end {
            resource.insert("end".into(), json!(end));
        }
    }
    if resource.contains_key("start") != resource.contains_key("end") {
        resource.remove("start");
        resource.remove("end");
        issues.push(
            "Appointment start and end come together (invariant app-2): the lone one is left out"
                .to_owned(),
        );
    }
    let status = resource
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("proposed")
        .to_owned();
    if !resource.contains_key("start")
        && !matches!(status.as_str(), "proposed" | "cancelled" | "waitlist")
    {
        issues.push(format!(
            "a {status} Appointment should have start and end (invariant app-3); the message has none"
        ));
    }
    for (idx, patient) in patients.iter().enumerate() {
        let participant = participant(Vec::new(), Some(patient.clone()), None, None);
        let participants = resource
            .entry("participant")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = participants {
            items.insert(idx.min(items.len()), participant);
        }
    }
    let default_status = participation_status(&status);
    for participant in resource
        .get_mut("participant")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(participant) = participant.as_object_mut()
            && !participant.contains_key("status")
        {
            // Keep R4 member order: type, actor, required, status, period.
            let period = participant.remove("period");
            participant.insert("status".into(), json!(default_status));
            if let Some(period) = period {
                participant.insert("period".into(), period);
            }
        }
    }
    if !resource.contains_key("participant") {
        issues.push("Appointment.participant is required; the message names no participant".into());
    }
    let mut members = std::mem::take(resource);
    let mut ordered = Map::new();
    for name in APPOINTMENT_ORDER {
        if let Some(value) = members.remove(*name) {
            ordered.insert((*name).to_owned(), value);
        }
    }
    ordered.append(&mut members);
    *resource = ordered;
    for issue in issues {
        ctx.issue(IssueSeverity::Warning, location.clone(), issue);
    }
}
