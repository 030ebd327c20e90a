//! TQ1 (timing/quantity) → Timing, per the v2-to-FHIR TQ1[MedicationRequest] and
//! TQ1[ServiceRequest] tables. The Timing is the same for both; the other members differ by
//! target, so each is a separate function and a caller reads only what it maps:
//!
//! - [`timing`]: TQ1-3 repeat pattern → `code` (RPT-1, table 0335), `repeat.period`/`periodUnit`
//!   (RPT-5/6), `repeat.when` (RPT-8, table 0528 codes that are event timings) and
//!   `repeat.offset` (RPT-9/10, in minutes); TQ1-4 → `repeat.timeOfDay`; TQ1-5 →
//!   `repeat.offset` when RPT-9 is empty; TQ1-6 → `repeat.boundsDuration` when TQ1-7 and TQ1-8
//!   are empty (otherwise TQ1-6 stays in the report: computing a bound from it is arithmetic
//!   the table asks for but a sender rarely means); TQ1-7/8 → `repeat.boundsPeriod`; TQ1-13 →
//!   `repeat.duration`/`durationUnit`; TQ1-14 → `repeat.count` (the table says `countMax`, but
//!   R4 tim-8 forbids `countMax` without `count`, and a total is an exact count). When TQ1-4
//!   gives times of day, RPT-8 is not mapped to `repeat.when` (R4 tim-10 forbids both) and stays
//!   in the report with an issue; an offset without an event is left out with an issue (R4
//!   tim-9). TQ1-1 is consumed.
//! - [`priority`]: TQ1-9 through ExtendedPriorityCodes (table 0485) → request priority.
//! - [`quantity`] (TQ1-2), [`condition_text`] (TQ1-10), [`text_instruction`] (TQ1-11).
//! - TQ1-12 (conjunction) has no FHIR member and stays in the report.

use hl7v2::{Location, Segment};
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;

const UCUM: &str = "http://unitsofmeasure.org";
const TIMING_EVENT: &str = "http://terminology.hl7.org/CodeSystem/v3-TimingEvent";

/// TQ1 → a FHIR Timing (see the module docs); `None` when nothing of it is valued.
pub fn timing<'m>(ctx: &mut Context<'m>, tq1: &Segment<'m>) -> Option<Value> {
    // TQ1-1 only numbers the segments.
    ctx.consume(tq1, &[1]);
    let mut repeat = Map::new();
    let mut code = None;
    let mut offset_from_pattern = false;
    let times: Vec<Value> = ctx
        .items(tq1, 4)
        .iter()
        .filter_map(|item| {
            ctx.unused_components(item, &[1]);
            let text = item.text(1)?;
            let time = time_of_day(&text);
            if time.is_none() {
                ctx.issue(
                    IssueSeverity::Error,
                    item.location(),
                    format!("TQ1-4 {text:?} is not a time of day: left out"),
                );
            }
            time.map(Value::String)
        })
        .collect();
    let patterns = ctx.items(tq1, 3);
    for (n, rpt) in patterns.iter().enumerate() {
        if n > 0 {
            // One Timing holds one pattern; a second one is a separate schedule.
            ctx.issue(
                IssueSeverity::Warning,
                rpt.location(),
                "TQ1-3 repetition beyond the first not mapped: a Timing holds one repeat pattern",
            );
            continue;
        }
        code = repeat_code(rpt);
        let mut handled = vec![1];
        if let Some((value, unit)) = cq_parts(rpt.text(5), rpt.text(6)) {
            repeat.insert("period".into(), value);
            repeat.insert("periodUnit".into(), json!(unit));
            handled.extend([5, 6]);
        }
        if let Some(event) = rpt.text(8)
            && !times.is_empty()
        {
            ctx.issue(
                IssueSeverity::Warning,
                rpt.component_location(8),
                format!(
                    "TQ1-3 RPT-8 {event:?} not mapped: TQ1-4 gives times of day, and R4 forbids `when` beside `timeOfDay`"
                ),
            );
        } else if let Some(event) = rpt.text(8) {
            let mapped = ctx
                .vocabulary()
                .map("EventRelatedPeriod", &event)
                .filter(|m| m.system == TIMING_EVENT)
                .map(|m| m.code.to_owned());
            if let Some(when) = mapped {
                repeat.insert("when".into(), Value::from(vec![when]));
                handled.push(8);
            }
        }
        if let Some(minutes) = minutes(rpt.text(9).as_deref(), rpt.text(10).as_deref()) {
            repeat.insert("offset".into(), json!(minutes));
            offset_from_pattern = true;
            handled.extend([9, 10]);
        }
        ctx.unused_components(rpt, &handled);
    }
    if !offset_from_pattern && let Some(item) = ctx.item(tq1, 5) {
        ctx.unused_components(&item, &[1, 2]);
        match minutes(item.text(1).as_deref(), item.sub_text(2, 1).as_deref()) {
            Some(minutes) => {
                repeat.insert("offset".into(), json!(minutes));
            }
            None => ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                "TQ1-5 has no whole number of minutes in known time units: left out",
            ),
        }
    }
    let start = ctx.item(tq1, 7).and_then(|item| datetime(ctx, &item));
    let end = ctx.item(tq1, 8).and_then(|item| datetime(ctx, &item));
    if start.is_none()
        && end.is_none()
        && let Some(item) = ctx.item(tq1, 6)
        && let Some(duration) = duration(ctx, &item)
    {
        repeat.insert("boundsDuration".into(), duration);
    }
    if start.is_some() || end.is_some() {
        let mut period = Map::new();
        if let Some(start) = start {
            period.insert("start".into(), json!(start));
        }
        if let Some(end) = end {
            period.insert("end".into(), json!(end));
        }
        repeat.insert("boundsPeriod".into(), Value::Object(period));
    }
    if let Some(item) = ctx.item(tq1, 13) {
        ctx.unused_components(&item, &[1, 2]);
        match cq_parts(item.text(1), item.sub_text(2, 1)) {
            Some((value, unit)) => {
                repeat.insert("duration".into(), value);
                repeat.insert("durationUnit".into(), json!(unit));
            }
            None => ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                "TQ1-13 needs a number and a time unit (s, min, h, d, wk, mo, a): left out",
            ),
        }
    }
    if let Some(total) = ctx.text(tq1, 14) {
        match total.parse::<u32>() {
            Ok(count) if count > 0 => {
                repeat.insert("count".into(), json!(count));
            }
            _ => ctx.issue(
                IssueSeverity::Error,
                Location::field(tq1.index(), "TQ1", 14),
                format!("TQ1-14 {total:?} is not a positive whole number: left out"),
            ),
        }
    }
    if !times.is_empty() {
        repeat.insert("timeOfDay".into(), Value::Array(times));
    }
    if !repeat.contains_key("when") && repeat.remove("offset").is_some() {
        ctx.issue(
            IssueSeverity::Warning,
            Location::field(tq1.index(), "TQ1", 3),
            "Timing offset (RPT-9/10 or TQ1-5) left out: R4 allows an offset only with an event (`when`, tim-9)",
        );
    }
    let repeat = ordered_repeat(repeat);
    let mut timing = Map::new();
    if !repeat.is_empty() {
        timing.insert("repeat".into(), Value::Object(repeat));
    }
    if let Some(code) = code {
        timing.insert("code".into(), code);
    }
    (!timing.is_empty()).then_some(Value::Object(timing))
}

/// TQ1-9 (the first repetition) through ExtendedPriorityCodes → `stat`, `asap` or `routine`.
pub fn priority<'m>(ctx: &mut Context<'m>, tq1: &Segment<'m>) -> Option<&'static str> {
    let item = ctx.item(tq1, 9)?;
    ctx.unused_components(&item, &[1, 2, 3]);
    let code = item.text(1)?;
    let mapped = ctx
        .vocabulary()
        .map("ExtendedPriorityCodes", &code)
        .map(|m| m.code);
    match mapped {
        Some("stat") => Some("stat"),
        Some("asap") => Some("asap"),
        Some("routine") => Some("routine"),
        _ => {
            ctx.issue(
                IssueSeverity::Information,
                item.location(),
                format!("TQ1-9 {code:?} has no request priority: left out"),
            );
            None
        }
    }
}

/// TQ1-2 (CQ) → Quantity.
pub fn quantity<'m>(ctx: &mut Context<'m>, tq1: &Segment<'m>) -> Option<Value> {
    let item = ctx.item(tq1, 2)?;
    dt::composite_quantity(ctx, &item)
}

/// TQ1-10 (condition text).
pub fn condition_text<'m>(ctx: &mut Context<'m>, tq1: &Segment<'m>) -> Option<String> {
    ctx.text(tq1, 10).map(|t| t.into_owned())
}

/// TQ1-11 (text instruction).
pub fn text_instruction<'m>(ctx: &mut Context<'m>, tq1: &Segment<'m>) -> Option<String> {
    ctx.text(tq1, 11).map(|t| t.into_owned())
}

/// RPT-1 (a CWE written as subcomponents) → Timing.code; BID/TID/QID/QOD take the
/// GTSAbbreviation system the vocabulary gives, other codes table 0335.
fn repeat_code(rpt: &Item<'_>) -> Option<Value> {
    let code = rpt.sub_text(1, 1);
    let display = rpt.sub_text(1, 2);
    let mut coding = Map::new();
    if let Some(code) = &code {
        let system = crate::vocab::Vocabulary::builtin()
            .map("RepeatPattern", code)
            .filter(|m| m.code == code.as_ref())
            .map(|m| m.system.to_owned())
            .or_else(|| {
                rpt.sub_text(1, 3)
                    .and_then(|name| crate::vocab::coding_system_uri(&name).map(|u| u.into_owned()))
            })
            .unwrap_or_else(|| "http://terminology.hl7.org/CodeSystem/v2-0335".to_owned());
        coding.insert("system".into(), json!(system));
        coding.insert("code".into(), json!(code));
    }
    if let Some(display) = &display {
        coding.insert("display".into(), json!(display));
    }
    if coding.is_empty() {
        return None;
    }
    Some(json!({ "coding": [Value::Object(coding)] }))
}

/// A number and a time unit → (decimal, UCUM unit of time), when both read.
fn cq_parts(
    value: Option<std::borrow::Cow<'_, str>>,
    unit: Option<std::borrow::Cow<'_, str>>,
) -> Option<(Value, &'static str)> {
    let value = fhir::datatypes::Decimal::parse(value?.trim()).ok()?;
    let unit = unit_of_time(&unit?)?;
    Some((value.to_json(), unit))
}

/// CQ with a time unit → Duration (UCUM); `None` with an issue when the unit is not a time.
fn duration<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<Value> {
    ctx.unused_components(item, &[1, 2]);
    match cq_parts(item.text(1), item.sub_text(2, 1)) {
        Some((value, unit)) => Some(json!({
            "value": value, "unit": unit, "system": UCUM, "code": unit
        })),
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                "TQ1-6 needs a number and a time unit (s, min, h, d, wk, mo, a): left out",
            );
            None
        }
    }
}

/// A DTM field's first component.
fn datetime<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<String> {
    ctx.unused_components(item, &[1]);
    dt::datetime(ctx, item, 1)
}

/// A v2 time unit (ISO, ANSI, UCUM or plain words) → the UCUM unit FHIR's units-of-time use.
pub(crate) fn unit_of_time(unit: &str) -> Option<&'static str> {
    Some(match unit.trim().to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "min" | "mins" | "minute" | "minutes" => "min",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "d",
        "wk" | "w" | "week" | "weeks" => "wk",
        "mo" | "month" | "months" => "mo",
        "a" | "y" | "yr" | "year" | "years" => "a",
        _ => return None,
    })
}

/// A whole number of minutes from a quantity in a time unit.
fn minutes(value: Option<&str>, unit: Option<&str>) -> Option<u64> {
    let value: f64 = value?.trim().parse().ok()?;
    let factor = match unit_of_time(unit?)? {
        "s" => 1.0 / 60.0,
        "min" => 1.0,
        "h" => 60.0,
        "d" => 1440.0,
        "wk" => 10080.0,
        _ => return None,
    };
    let minutes = value * factor;
    (minutes >= 0.0 && minutes.fract() == 0.0 && minutes < 1e12).then_some(minutes as u64)
}

/// A TM (`HHMM[SS]`, also written `HH:MM[:SS]`) → FHIR `time` (`hh:mm:ss`).
fn time_of_day(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    let whole = digits.split(['.', '+', '-']).next()?;
    if !whole.chars().all(|c| c.is_ascii_digit()) || !matches!(whole.len(), 2 | 4 | 6) {
        return None;
    }
    let part = |at: usize| whole.get(at..at + 2).unwrap_or("00");
    let (hours, minutes, seconds) = (part(0), part(2), part(4));
    let valid = hours < "24" && minutes < "60" && seconds < "60";
    valid.then(|| format!("{hours}:{minutes}:{seconds}"))
}

/// Timing.repeat members in R4 order.
fn ordered_repeat(mut repeat: Map<String, Value>) -> Map<String, Value> {
    const ORDER: &[&str] = &[
        "boundsDuration",
        "boundsPeriod",
        "count",
        "countMax",
        "duration",
        "durationUnit",
        "period",
        "periodUnit",
        "timeOfDay",
        "when",
        "offset",
    ];
    let mut ordered = Map::new();
    for name in ORDER {
        if let Some(value) = repeat.remove(*name) {
            ordered.insert((*name).to_owned(), value);
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::site_config::SiteConfig;
    use crate::v2::datatypes::testing::{MSH, report_lines};

    fn check(tq1: &str, expected: Value, expected_priority: Option<&str>, report: &[&str]) {
        let text = format!("{MSH}{tq1}\r");
        let (message, _) = hl7v2::parse(text.as_bytes());
        let header = message.header();
        let config = SiteConfig::default();
        let mut ctx = Context::new(&message, &header, &config);
        let segment = message.first("TQ1").unwrap();
        let result = timing(&mut ctx, &segment);
        let result_priority = priority(&mut ctx, &segment);
        let (_, full_report) = ctx.finish();
        assert_eq!(result.unwrap_or(Value::Null), expected);
        assert_eq!(result_priority, expected_priority);
        assert_eq!(report_lines(&full_report), report);
    }

    #[test]
    fn pattern_bounds_and_priority() {
        check(
            "TQ1|1||TID|||3^D&day&ISO|||R^Routine^HL70485",
            json!({
                "repeat": {"boundsDuration": {"value": 3, "unit": "d", "system": UCUM, "code": "d"}},
                "code": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                    "code": "TID"
                }]}
            }),
            Some("routine"),
            &[],
        );
    }

    #[test]
    fn full_repeat() {
        check(
            "TQ1|1|2^&cp|P&Post (after)&HL70335^^^^180^min^^PCM^360^s|113005~12:00|3^Hr|17^Hr&ucum|20191104103000+0215|20191104113000+0215|S|Cond|Text||1^h|2",
            json!({
                "repeat": {
                    "boundsPeriod": {"start": "2019-11-04T10:30:00+02:15", "end": "2019-11-04T11:30:00+02:15"},
                    "count": 2,
                    "duration": 1,
                    "durationUnit": "h",
                    "period": 180,
                    "periodUnit": "min",
                    "timeOfDay": ["11:30:05", "12:00:00"]
                },
                "code": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0335",
                    "code": "P",
                    "display": "Post (after)"
                }]}
            }),
            Some("stat"),
            &[
                "unmapped component TQ1(1)-3[1].8",
                "warning at TQ1(1)-3[1].8: TQ1-3 RPT-8 \"PCM\" not mapped: TQ1-4 gives times of day, and R4 forbids `when` beside `timeOfDay`",
                "warning at TQ1(1)-3: Timing offset (RPT-9/10 or TQ1-5) left out: R4 allows an offset only with an event (`when`, tim-9)",
            ],
        );
    }

    #[test]
    fn event_timing_without_times_of_day_is_when() {
        check(
            "TQ1|1||^^^^^^^ACM^30^min",
            json!({"repeat": {"when": ["ACM"], "offset": 30}}),
            None,
            &[],
        );
    }

    #[test]
    fn bad_values_are_issues() {
        check(
            "TQ1|1||||||||X^Unknown||||5^parsecs|0",
            Value::Null,
            None,
            &[
                "warning at TQ1(1)-13[1]: TQ1-13 needs a number and a time unit (s, min, h, d, wk, mo, a): left out",
                "error at TQ1(1)-14: TQ1-14 \"0\" is not a positive whole number: left out",
                "information at TQ1(1)-9[1]: TQ1-9 \"X\" has no request priority: left out",
            ],
        );
    }
}
