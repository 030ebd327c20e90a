//! AIS, AIG, AIL and AIP (the SIU resource groups) → the Appointment, per the v2-to-FHIR tables
//! `AIS[Appointment]`, `AIG[Appointment]`, `AIL[Appointment]` and `AIP[Appointment]`.
//!
//! - AIS-3 (universal service id) → `Appointment.serviceType`; AIS-10 (filler status) →
//!   `Appointment.status` when SCH-25 is empty.
//! - AIG-3 (resource id, CWE) → a participant whose actor is a Device (identifier AIG-3.1,
//!   name AIG-3.2: an AIG names equipment, and nothing in AIG says reliably that it is a
//!   location), typed by AIG-4.
//! - AIL-3 (PL) → a participant whose actor is the Location.
//! - AIP-3 (XCN, repeating) → participants whose actor is the Practitioner, typed by AIP-4.
//! - Each participant's `period` comes from its start date/time, else from the Appointment's
//!   start plus the start offset, and ends at start plus the duration (units: `s`, `min`, `h`,
//!   `d`, `wk`; empty means minutes).
//! - Each participant's `status` (required) comes from its filler status (AIG-14, AIL-12,
//!   AIP-12) through `FillerStatusCodes[Appointment]` and then [`participation_status`]; when
//!   empty, from the Appointment's final status the same way.
//! - A segment whose action code (field 2) is `D` (delete) adds nothing, with an issue.
//!
//! Not mapped: AIS-9/11/12, AIG-5/6/7/13, AIL-4/5/11, AIP-5/11, RGS-2/3.

use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::sch::{self, filler_status};

/// The fields of one AI* segment: start, start offset, its units, duration, its units, status.
struct Fields {
    start: usize,
    offset: usize,
    duration: usize,
    status: usize,
}

const AIS: Fields = Fields {
    start: 4,
    offset: 5,
    duration: 7,
    status: 10,
};
const AIG: Fields = Fields {
    start: 8,
    offset: 9,
    duration: 11,
    status: 14,
};
const AIL_AIP: Fields = Fields {
    start: 6,
    offset: 7,
    duration: 9,
    status: 12,
};

/// Maps one AIS, AIG, AIL or AIP segment into the Appointment. Other segments are ignored.
pub fn resource<'m>(ctx: &mut Context<'m>, segment: &Segment<'m>, appointment: &str) {
    let name = segment.name();
    ctx.consume(segment, &[1]);
    if let Some(action) = ctx.text(segment, 2)
        && action.eq_ignore_ascii_case("D")
    {
        ctx.issue(
            IssueSeverity::Information,
            Location::field(segment.index(), name, 2),
            format!(
                "{name} with action code D (delete): the resource is not added to the Appointment"
            ),
        );
        return;
    }
    match name {
        "AIS" => service(ctx, segment, appointment),
        "AIG" => general(ctx, segment, appointment),
        "AIL" => location(ctx, segment, appointment),
        "AIP" => personnel(ctx, segment, appointment),
        _ => {}
    }
}

fn service<'m>(ctx: &mut Context<'m>, ais: &Segment<'m>, appointment: &str) {
    for item in ctx.items(ais, 3) {
        if let Some(concept) = dt::codeable_concept(ctx, &item, None) {
            sch::push_member(ctx, appointment, "serviceType", concept);
        }
    }
    if let Some(item) = ctx.item(ais, AIS.status)
        && let Some(status) = filler_status(ctx, &item)
    {
        sch::set_status_if_absent(ctx, appointment, status);
    }
    // AIS times belong to the service, not to a participant: they fill the Appointment's
    // start and end when SCH and TQ1 gave none.
    if let Some(period) = period(ctx, ais, &AIS, appointment)
        && let Some(resource) = ctx.resource_mut(appointment)
        && !resource.contains_key("start")
        && let (Some(start), Some(end)) = (period.get("start"), period.get("end"))
    {
        resource.insert("start".into(), start.clone());
        resource.insert("end".into(), end.clone());
    }
}

fn general<'m>(ctx: &mut Context<'m>, aig: &Segment<'m>, appointment: &str) {
    let actor = ctx.item(aig, 3).and_then(|item| {
        ctx.unused_components(&item, &[1, 2, 3]);
        let code = item.text(1)?;
        let name = item.text(2);
        let system = item.text(3);
        let key = ResourceKey::Natural(format!(
            "aig:{}|{code}",
            system.as_deref().unwrap_or_default()
        ));
        Some(ctx.add("Device", key, |id| {
            let mut device = fhir::datatypes::ResourceBuilder::new("Device", &id);
            device
                .push("identifier", Some(json!({"value": code})))
                .push(
                    "deviceName",
                    name.map(|name| json!({"name": name, "type": "user-friendly-name"})),
                );
            device.build()
        }))
    });
    let types: Vec<Value> = ctx
        .items(aig, 4)
        .iter()
        .filter_map(|item| dt::codeable_concept(ctx, item, None))
        .collect();
    add(
        ctx,
        aig,
        &AIG,
        appointment,
        actor.into_iter().collect(),
        types,
    );
}

fn location<'m>(ctx: &mut Context<'m>, ail: &Segment<'m>, appointment: &str) {
    let actors = ctx
        .items(ail, 3)
        .iter()
        .filter_map(|item| dt::location(ctx, item))
        .collect();
    add(ctx, ail, &AIL_AIP, appointment, actors, Vec::new());
}

fn personnel<'m>(ctx: &mut Context<'m>, aip: &Segment<'m>, appointment: &str) {
    let actors = ctx
        .items(aip, 3)
        .iter()
        .filter_map(|item| dt::practitioner(ctx, item))
        .collect();
    let types: Vec<Value> = ctx
        .items(aip, 4)
        .iter()
        .filter_map(|item| dt::codeable_concept(ctx, item, Some("0182")))
        .collect();
    add(ctx, aip, &AIL_AIP, appointment, actors, types);
}

/// Adds one participant per actor, with the segment's period and status.
fn add<'m>(
    ctx: &mut Context<'m>,
    segment: &Segment<'m>,
    fields: &Fields,
    appointment: &str,
    actors: Vec<String>,
    types: Vec<Value>,
) {
    let period = period(ctx, segment, fields, appointment);
    // Without its own filler status, a participant's status follows the Appointment's,
    // which is known only at the end ([`sch::finish`]).
    let status = ctx
        .item(segment, fields.status)
        .and_then(|item| filler_status(ctx, &item));
    let status = status.as_deref().map(participation_status);
    if actors.is_empty() {
        ctx.issue(
            IssueSeverity::Warning,
            Location::segment(segment.index(), segment.name()),
            format!("{} names no resource: no participant added", segment.name()),
        );
    }
    for actor in actors {
        let value = participant(types.clone(), Some(actor), period.clone(), status);
        sch::add_participant(ctx, appointment, value);
    }
}

/// An Appointment.participant in R4 member order.
pub fn participant(
    types: Vec<Value>,
    actor: Option<String>,
    period: Option<Value>,
    status: Option<&str>,
) -> Value {
    let mut participant = serde_json::Map::new();
    if !types.is_empty() {
        participant.insert("type".into(), Value::Array(types));
    }
    if let Some(actor) = actor {
        participant.insert("actor".into(), dt::reference(&actor));
    }
    if let Some(status) = status {
        participant.insert("status".into(), json!(status));
    }
    if let Some(period) = period {
        participant.insert("period".into(), period);
    }
    Value::Object(participant)
}

/// An AppointmentStatus → the ParticipationStatus a participant of such an appointment has:
/// booked, arrived, checked-in and fulfilled → `accepted`; cancelled, noshow and
/// entered-in-error → `declined`; proposed, pending and waitlist → `needs-action`.
pub fn participation_status(appointment_status: &str) -> &'static str {
    match appointment_status {
        "booked" | "arrived" | "fulfilled" | "checked-in" => "accepted",
        "cancelled" | "noshow" | "entered-in-error" => "declined",
        _ => "needs-action",
    }
}

/// The participant period: start (or the Appointment's start plus the offset) and end (start
/// plus the duration).
fn period<'m>(
    ctx: &mut Context<'m>,
    segment: &Segment<'m>,
    fields: &Fields,
    appointment: &str,
) -> Option<Value> {
    let name = segment.name();
    let start = match ctx.item(segment, fields.start) {
        Some(item) => {
            ctx.unused_components(&item, &[1]);
            dt::datetime(ctx, &item, 1)
        }
        None => match ctx.text(segment, fields.offset) {
            Some(offset) => {
                let units = unit_text(ctx, segment, fields.offset + 1);
                let base = sch::start_of(ctx, appointment);
                let start = duration_minutes(&offset, units.as_deref())
                    .zip(base)
                    .and_then(|(minutes, base)| add_minutes(&base, minutes));
                if start.is_none() {
                    ctx.issue(
                        IssueSeverity::Warning,
                        Location::field(segment.index(), name, fields.offset),
                        "start offset left out: no Appointment start, or units not understood",
                    );
                }
                start
            }
            None => None,
        },
    };
    let start = start?;
    let mut period = json!({"start": start});
    if let Some(duration) = ctx.text(segment, fields.duration) {
        let units = unit_text(ctx, segment, fields.duration + 1);
        let end = duration_minutes(&duration, units.as_deref())
            .and_then(|minutes| add_minutes(&start, minutes));
        match end {
            Some(end) => period["end"] = json!(end),
            None => ctx.issue(
                IssueSeverity::Warning,
                Location::field(segment.index(), name, fields.duration),
                format!(
                    "duration {duration:?} left out: units not understood or start without a time"
                ),
            ),
        }
    }
    Some(period)
}

fn unit_text<'m>(ctx: &mut Context<'m>, segment: &Segment<'m>, field: usize) -> Option<String> {
    let item = ctx.item(segment, field)?;
    // Units are CNE: the code (component 1) decides; the text and system say the same.
    ctx.unused_components(&item, &[1, 2, 3]);
    item.text(1).map(|text| text.into_owned())
}

/// A duration with its units (`s`, `min`, `h`, `d`, `wk` and spelled-out forms, any case;
/// `None` means minutes) → whole minutes, or `None` when not a whole number of minutes.
pub fn duration_minutes(value: &str, units: Option<&str>) -> Option<i64> {
    let value: f64 = value.trim().parse().ok()?;
    let factor = match units.map(str::to_ascii_lowercase).as_deref() {
        None | Some("min" | "m" | "mins" | "minute" | "minutes") => 1.0,
        Some("s" | "sec" | "second" | "seconds") => 1.0 / 60.0,
        Some("h" | "hr" | "hrs" | "hour" | "hours") => 60.0,
        Some("d" | "day" | "days") => 1440.0,
        Some("wk" | "week" | "weeks") => 10080.0,
        Some(_) => return None,
    };
    let minutes = value * factor;
    if !minutes.is_finite() || minutes.fract() != 0.0 || minutes.abs() > 1e9 {
        return None;
    }
    // Whole and bounded above: the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    Some(minutes as i64)
}

/// A FHIR dateTime with a time and offset plus `minutes`, keeping its offset; `None` for a
/// date without time.
pub fn add_minutes(datetime: &str, minutes: i64) -> Option<String> {
    let civil_part = datetime.get(..19)?;
    let rest = datetime.get(19..)?;
    let offset = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if offset.is_empty() {
        return None;
    }
    let civil: jiff::civil::DateTime = civil_part.parse().ok()?;
    let later = civil
        .checked_add(jiff::Span::new().try_minutes(minutes).ok()?)
        .ok()?;
    Some(format!("{}{offset}", later.strftime("%Y-%m-%dT%H:%M:%S")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_convert_to_whole_minutes() {
        for (value, units, expected) in [
            ("50", Some("min"), Some(50)),
            ("60", Some("s"), Some(1)),
            ("30", Some("s"), None),
            ("2", Some("hr"), Some(120)),
            ("1.5", Some("H"), Some(90)),
            ("45", None, Some(45)),
            ("3", Some("furlongs"), None),
            ("abc", Some("min"), None),
        ] {
            assert_eq!(
                duration_minutes(value, units),
                expected,
                "{value} {units:?}"
            );
        }
    }

    #[test]
    fn minutes_are_added_keeping_the_offset() {
        for (start, minutes, expected) in [
            (
                "2021-09-24T09:30:00+02:15",
                50,
                Some("2021-09-24T10:20:00+02:15"),
            ),
            ("2021-12-31T23:30:00.250Z", 60, Some("2022-01-01T00:30:00Z")),
            ("2021-09-24", 50, None),
        ] {
            assert_eq!(add_minutes(start, minutes).as_deref(), expected, "{start}");
        }
    }
}
