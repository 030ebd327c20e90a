//! EVN → a Provenance of the event, per the v2-to-FHIR table "EVN\[Provenance\]".
//!
//! The message's own Provenance (MSH: who sent it, when, which mapping) is
//! [`msh::provenance`](super::msh::provenance)'s. EVN says something else: when the event was
//! recorded (EVN-2) and happened (EVN-6), why (EVN-4) and who did it (EVN-5). That is a second
//! Provenance, whose targets are the resources the message's PATIENT groups produced; so it is
//! built after them (the ADT walk calls [`provenance`] last). Without EVN-2 as a full date-time
//! (`Provenance.recorded` is a required instant) there is no event Provenance and EVN-2…EVN-7
//! stay reported as unmapped. EVN-1 (the trigger event, a copy of MSH-9.2 since v2.3) is checked
//! against MSH-9.2 and consumed; EVN-3 (planned date/time) and EVN-7 (event facility) have no
//! Provenance element and stay reported.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::pid::{field_datetime, mapped_concept};

/// Maps EVN to the event's Provenance, targeting every resource added so far (except
/// Provenances). Returns its reference, or `None` when EVN-2 does not give `recorded`.
pub fn provenance<'m>(ctx: &mut Context<'m>, evn: &Segment<'m>) -> Option<String> {
    ctx.seen(evn);
    let trigger = ctx.header().trigger_event.clone();
    if let Some(item) = ctx.item(evn, 1) {
        ctx.unused_components(&item, &[1]);
        let code = item.text(1);
        if code.as_deref() != trigger.as_deref() {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                format!(
                    "EVN-1 {:?} differs from MSH-9.2 {:?}; MSH-9.2 is used",
                    code.as_deref().unwrap_or(""),
                    trigger.as_deref().unwrap_or("")
                ),
            );
        }
    }
    let recorded_raw = evn.field(2);
    if recorded_raw.is_empty() {
        return None;
    }
    let recorded = field_datetime(ctx, evn, 2).filter(|value| value.len() > 10);
    let Some(recorded) = recorded else {
        ctx.issue(
            IssueSeverity::Warning,
            Location::field(evn.index(), "EVN", 2),
            "EVN-2 is not a full date-time (Provenance.recorded is an instant); no event Provenance",
        );
        return None;
    };
    let targets: Vec<Value> = ctx
        .resources()
        .iter()
        .filter(|pending| pending.resource_type != "Provenance")
        .map(|pending| json!({"reference": format!("{}/{}", pending.resource_type, pending.id)}))
        .collect();
    let reason = ctx.item(evn, 4).and_then(|item| {
        if item.text(1).as_deref() == Some("U") {
            ctx.unused_components(&item, &[1]);
            Some(json!({"extension": [{
                "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                "valueCode": "unknown"
            }]}))
        } else {
            mapped_concept(ctx, &item, "0062", "EventReason")
        }
    });
    let mut agents = Vec::new();
    for item in ctx.items(evn, 5) {
        if let Some(reference) = dt::practitioner(ctx, &item) {
            agents.push(json!({
                "type": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "code": "enterer"
                }]},
                "who": dt::reference(&reference)
            }));
        }
    }
    if agents.is_empty() {
        // Provenance.agent is required: the sending system stands in for the operator.
        let sender = ctx
            .header()
            .sending_application
            .as_ref()
            .map(|hd| hd.raw.clone())
            .filter(|raw| !raw.is_empty())
            .unwrap_or_else(|| "unknown sender".to_owned());
        agents.push(json!({"who": {"display": sender}}));
    }
    let occurred = field_datetime(ctx, evn, 6);
    let activity = trigger.map(|trigger| {
        json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0003",
            "code": trigger
        }]})
    });
    Some(ctx.add("Provenance", ResourceKey::Message("event"), |id| {
        let mut provenance = ResourceBuilder::new("Provenance", &id);
        provenance
            .set("target", Some(Value::Array(targets)))
            .set("occurredDateTime", occurred.map(Value::String))
            .set_str("recorded", &recorded)
            .set("reason", reason.map(|reason| Value::from(vec![reason])))
            .set("activity", activity)
            .set("agent", Some(Value::Array(agents)));
        provenance.build()
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{convert, resources_of};

    #[test]
    fn evn_gives_an_event_provenance_targeting_the_patient() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\rEVN|A01|20240305102000|||OP1^CLERK^ANN|20240305100000\rPID|1||123^^^HOSP^MR||DOE^JANE\rPV1|1|I\r";
        let provenances = resources_of(message, "Provenance");
        let event = provenances
            .iter()
            .find(|p| p.get("occurredDateTime").is_some())
            .unwrap();
        assert_eq!(event["recorded"], "2024-03-05T10:20:00-05:00");
        assert_eq!(event["occurredDateTime"], "2024-03-05T10:00:00-05:00");
        assert_eq!(event["target"].as_array().unwrap().len(), 2, "{event:#}");
        assert_eq!(event["agent"][0]["type"]["coding"][0]["code"], "enterer");
        assert_eq!(
            event["activity"],
            json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0003", "code": "A01"}]})
        );
    }

    #[test]
    fn evn_without_recorded_time_leaves_the_other_fields_reported() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\rEVN|A02||||OP1^CLERK\rPID|1||123^^^HOSP^MR||DOE^JANE\rPV1|1|I\r";
        let conversion = convert(message);
        let report = conversion.report.to_string();
        assert!(report.contains("unmapped field EVN(1)-5"), "{report}");
        assert!(report.contains("EVN-1 \"A02\" differs"), "{report}");
    }
}
