//! PR1 → Procedure, per the v2-to-FHIR table "PR1\[Procedure\]".
//!
//! `Procedure.status` (required) "depends on the message context", says the table: in ADT and
//! BAR messages a PR1 reports a procedure done, so it is `completed` when PR1-5 (its date/time)
//! is valued, else `unknown` with an issue. PR1-7 (minutes) would need date arithmetic on
//! PR1-5 for `performedPeriod.end`, PR1-16 (modifiers) has no R4 place that keeps the code
//! intact, and PR1-25 (parent procedure) needs a Procedure the message may not hold: all three
//! stay reported as unmapped.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::pid::field_datetime;

/// Maps PR1 to a Procedure of `patient` (during `encounter`, when given), adds it, and returns
/// its reference.
pub fn procedure<'m>(
    ctx: &mut Context<'m>,
    pr1: &Segment<'m>,
    patient: &str,
    encounter: Option<&str>,
) -> String {
    // PR1-1 only numbers PR1 segments.
    ctx.consume(pr1, &[1]);
    let mut code = ctx
        .item(pr1, 3)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0088")));
    if let Some(description) = ctx.text(pr1, 4) {
        let concept = code.get_or_insert_with(|| json!({}));
        if let Some(object) = concept.as_object_mut() {
            object
                .entry("text")
                .or_insert(Value::String(description.into_owned()));
        }
    }
    let performed = field_datetime(ctx, pr1, 5);
    let status = if performed.is_some() {
        "completed"
    } else {
        ctx.issue(
            IssueSeverity::Warning,
            Location::field(pr1.index(), "PR1", 5),
            "Procedure.status is required: without PR1-5 the procedure is not known to be done; `unknown` used",
        );
        "unknown"
    };
    let category = ctx
        .item(pr1, 6)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0230")));
    let mut performers = Vec::new();
    for (field, function) in [
        (8, Some(("88189002", "Anesthesiologist"))),
        (11, Some(("304292004", "Surgeon"))),
        (12, None),
    ] {
        for item in ctx.items(pr1, field) {
            if let Some(reference) = dt::practitioner(ctx, &item) {
                let function = function.map(|(code, display)| {
                    json!({"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]})
                });
                let mut performer = serde_json::Map::new();
                if let Some(function) = function {
                    performer.insert("function".into(), function);
                }
                performer.insert("actor".into(), dt::reference(&reference));
                performers.push(Value::Object(performer));
            }
        }
    }
    let reason = ctx
        .item(pr1, 15)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let identifier = ctx
        .item(pr1, 19)
        .and_then(|item| dt::entity_identifier(ctx, &item));
    let location = ctx.item(pr1, 23).and_then(|item| dt::location(ctx, &item));
    let key = identifier
        .as_ref()
        .and_then(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(pr1.index()));
    ctx.add("Procedure", key, |id| {
        let mut procedure = ResourceBuilder::new("Procedure", &id);
        procedure
            .set("identifier", identifier.map(|i| Value::from(vec![i])))
            .set_str("status", status)
            .set("category", category)
            .set("code", code)
            .set("subject", Some(dt::reference(patient)))
            .set("encounter", encounter.map(dt::reference))
            .set("performedDateTime", performed.map(Value::String))
            .set("performer", Some(Value::Array(performers)))
            .set("location", location.as_deref().map(dt::reference))
            .set("reasonCode", reason.map(|r| Value::from(vec![r])));
        procedure.build()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, resources_of, segment};

    #[test]
    fn pr1_maps_a_completed_procedure_with_performers() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A03|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\rPV1|1|I\r".to_owned()
            + &segment(
                "PR1",
                &[
                    (1, "1"),
                    (3, "73761001^Colonoscopy^SCT"),
                    (5, "202403011030"),
                    (6, "D"),
                    (8, "11^GAS^ANNA"),
                    (11, "22^CUT^BOB"),
                ],
            );
        check(
            &message,
            "Procedure",
            json!({
                "status": "completed",
                "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0230", "code": "D"}]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001", "display": "Colonoscopy"}]},
                "performedDateTime": "2024-03-01T10:30:00-05:00"
            }),
        );
        let procedure = &resources_of(&message, "Procedure")[0];
        assert_eq!(procedure["performer"].as_array().unwrap().len(), 2);
        assert_eq!(
            procedure["performer"][1]["function"]["coding"][0]["code"],
            "304292004"
        );
        assert!(procedure.get("encounter").is_some());
    }

    #[test]
    fn pr1_without_a_date_is_unknown() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A03|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\rPR1|1||73761001^Colonoscopy^SCT\r";
        check(message, "Procedure", json!({"status": "unknown"}));
    }
}
