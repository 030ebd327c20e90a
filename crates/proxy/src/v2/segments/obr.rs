//! OBR (a result group) → DiagnosticReport, per the v2-to-FHIR OBR[DiagnosticReport] table.
//!
//! `identifier` OBR-2/3 (PLAC/FILL, shared with the ServiceRequest), `status` OBR-25 through
//! ResultStatus[Non-Queries] (required: `unknown` with an issue when empty or unmapped), `code`
//! OBR-4, `effective` OBR-7 (a Period with OBR-8 as its end), `issued` OBR-22 (an instant only),
//! `category` OBR-24 (table 0074), `basedOn` the ServiceRequest, `result` the group's
//! Observations, `specimen` the group's Specimens.

use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::Context;
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::obx::datetime_field;
use super::orc::{order_identifiers, order_key};
use fhir::datatypes::ResourceBuilder;

/// What a DiagnosticReport links to.
#[derive(Debug, Default, Clone)]
pub struct ReportLinks<'a> {
    /// The patient.
    pub subject: Option<&'a str>,
    /// The encounter.
    pub encounter: Option<&'a str>,
    /// The order's ServiceRequest.
    pub based_on: Option<&'a str>,
    /// The group's Observations.
    pub results: &'a [String],
    /// The group's Specimens.
    pub specimens: &'a [String],
}

/// Maps a result group's OBR to a DiagnosticReport and returns its reference.
pub fn diagnostic_report<'m>(
    ctx: &mut Context<'m>,
    orc: Option<&Segment<'m>>,
    obr: &Segment<'m>,
    links: &ReportLinks<'_>,
) -> String {
    let identifiers = order_identifiers(ctx, orc, Some(obr));
    let code = ctx
        .item(obr, 4)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let code = code.unwrap_or_else(|| {
        ctx.issue(
            IssueSeverity::Warning,
            Location::field(obr.index(), "OBR", 4),
            "OBR-4 empty: DiagnosticReport.code (required) has only a text",
        );
        json!({"text": "unknown"})
    });
    let status = status(ctx, obr);
    let start = datetime_field(ctx, obr, 7);
    let end = datetime_field(ctx, obr, 8);
    let issued = datetime_field(ctx, obr, 22).filter(|t| t.len() > 10);
    let category = ctx.text(obr, 24).map(|code| {
        json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": code}]})
    });
    let key = order_key(&identifiers, obr.index());
    let references = |list: &[String]| -> Option<Value> {
        (!list.is_empty()).then(|| Value::Array(list.iter().map(|r| dt::reference(r)).collect()))
    };
    let results = references(links.results);
    let specimens = references(links.specimens);
    ctx.add("DiagnosticReport", key, |id| {
        let mut builder = ResourceBuilder::new("DiagnosticReport", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .push("basedOn", links.based_on.map(dt::reference))
            .set_str("status", status)
            .push("category", category)
            .set("code", Some(code))
            .set("subject", links.subject.map(dt::reference))
            .set("encounter", links.encounter.map(dt::reference));
        match (start, end) {
            (start, Some(end)) => {
                builder.set("effectivePeriod", Some(json!({"start": start, "end": end})));
            }
            (Some(start), None) => {
                builder.set("effectiveDateTime", Some(Value::String(start)));
            }
            (None, None) => {}
        }
        builder
            .set("issued", issued.map(Value::String))
            .set("specimen", specimens)
            .set("result", results);
        builder.build()
    })
}

/// OBR-25 through ResultStatus[Non-Queries], else `unknown`.
fn status<'m>(ctx: &mut Context<'m>, obr: &Segment<'m>) -> &'static str {
    let code = ctx.text(obr, 25);
    let mapped = code
        .as_deref()
        .and_then(|code| ctx.vocabulary().map("ResultStatus[Non-Queries]", code))
        .map(|m| m.code);
    match mapped {
        Some("registered") => "registered",
        Some("partial") => "partial",
        Some("preliminary") => "preliminary",
        Some("final") => "final",
        Some("amended") => "amended",
        Some("corrected") => "corrected",
        Some("appended") => "appended",
        Some("cancelled") => "cancelled",
        Some("entered-in-error") => "entered-in-error",
        _ => {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(obr.index(), "OBR", 25),
                format!(
                    "OBR-25 {:?} has no DiagnosticReport status: unknown",
                    code.as_deref().unwrap_or("")
                ),
            );
            "unknown"
        }
    }
}
