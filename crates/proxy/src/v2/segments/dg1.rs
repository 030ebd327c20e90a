//! DG1 → Condition (and Encounter.diagnosis), per the v2-to-FHIR tables "DG1\[Condition\]" and
//! "DG1\[Encounter\]".
//!
//! Every Condition is an `encounter-diagnosis` of the patient, and of the visit when the PATIENT
//! group has a PV1; the Encounter then lists it in `diagnosis` with DG1-6 (type) as `use` and
//! DG1-15 (priority) as `rank`. DG1-2 (the coding method of v2.3) names DG1-3's coding system
//! when DG1-3 has none. DG1-21 action `D` marks the Condition `entered-in-error`; `A` (add) and
//! `U` (update) need nothing: every write is a conditional update.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::pid::{field_datetime, mapped_concept};
use crate::vocab;

/// Maps DG1 to a Condition of `patient` (during `encounter`, when given), adds it, lists it in
/// the Encounter's `diagnosis`, and returns its reference.
pub fn condition<'m>(
    ctx: &mut Context<'m>,
    dg1: &Segment<'m>,
    patient: &str,
    encounter: Option<&str>,
) -> String {
    // DG1-1 only numbers DG1 segments.
    ctx.consume(dg1, &[1]);
    let code_item = ctx.item(dg1, 3);
    let mut code = code_item.and_then(|item| dt::codeable_concept(ctx, &item, None));
    let dg1_2 = dg1.field(2);
    if let Some(item) = code_item.filter(|item| item.text(3).is_none() && !dg1_2.is_empty())
        && let Some(method) = ctx.text(dg1, 2)
    {
        match vocab::coding_system_uri(&method) {
            Some(system) => {
                if let Some(first) = code
                    .as_mut()
                    .and_then(|c| c.get_mut("coding"))
                    .and_then(|c| c.get_mut(0))
                    .and_then(Value::as_object_mut)
                {
                    first.insert("system".into(), Value::String(system.into_owned()));
                }
            }
            None => ctx.issue(
                IssueSeverity::Information,
                item.component_location(3),
                format!("coding method {method:?} (DG1-2) has no known URI"),
            ),
        }
    }
    if let Some(description) = ctx.text(dg1, 4) {
        let concept = code.get_or_insert_with(|| json!({}));
        if let Some(object) = concept.as_object_mut() {
            object
                .entry("text")
                .or_insert(Value::String(description.into_owned()));
        }
    }
    let onset = field_datetime(ctx, dg1, 5);
    let asserter = ctx
        .item(dg1, 16)
        .and_then(|item| dt::practitioner(ctx, &item));
    let recorded = field_datetime(ctx, dg1, 19);
    let identifier = ctx
        .item(dg1, 20)
        .and_then(|item| dt::entity_identifier(ctx, &item));
    let verification = match ctx.text(dg1, 21).as_deref() {
        Some("D") => Some(json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "entered-in-error"
        }]})),
        Some("A" | "U") | None => None,
        Some(other) => {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(dg1.index(), "DG1", 21),
                format!("diagnosis action code {other:?} is not in table 0206; ignored"),
            );
            None
        }
    };
    let diagnosis_use = ctx
        .item(dg1, 6)
        .and_then(|item| mapped_concept(ctx, &item, "0052", "DiagnosisType"));
    let rank = ctx
        .text(dg1, 15)
        .and_then(|text| match text.parse::<u32>() {
            Ok(rank) if rank > 0 => Some(rank),
            _ => {
                ctx.issue(
                    IssueSeverity::Error,
                    Location::field(dg1.index(), "DG1", 15),
                    format!("diagnosis priority {text:?} is not a positive integer; left out"),
                );
                None
            }
        });
    let key = identifier
        .as_ref()
        .and_then(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(dg1.index()));
    let reference = ctx.add("Condition", key, |id| {
        let mut condition = ResourceBuilder::new("Condition", &id);
        condition
            .set("identifier", identifier.map(|i| Value::from(vec![i])))
            .set("verificationStatus", verification)
            .set(
                "category",
                Some(json!([{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                    "code": "encounter-diagnosis"
                }]}])),
            )
            .set("code", code)
            .set("subject", Some(dt::reference(patient)))
            .set("encounter", encounter.map(dt::reference))
            .set("onsetDateTime", onset.map(Value::String))
            .set("recordedDate", recorded.map(Value::String))
            .set("asserter", asserter.as_deref().map(dt::reference));
        condition.build()
    });
    match encounter.and_then(|encounter| ctx.resource_mut(encounter)) {
        Some(encounter) => {
            let mut entry = serde_json::Map::new();
            entry.insert("condition".into(), dt::reference(&reference));
            if let Some(diagnosis_use) = diagnosis_use {
                entry.insert("use".into(), diagnosis_use);
            }
            if let Some(rank) = rank {
                entry.insert("rank".into(), json!(rank));
            }
            push_member(encounter, "diagnosis", Value::Object(entry));
        }
        None => {
            if diagnosis_use.is_some() || rank.is_some() {
                ctx.issue(
                    IssueSeverity::Warning,
                    Location::segment(dg1.index(), "DG1"),
                    "DG1-6/DG1-15 describe the diagnosis within a visit, and there is no PV1; left out",
                );
            }
        }
    }
    reference
}

/// Appends `value` to the array member `name` of a resource, keeping R4 member order for the
/// members the ADT mappings amend after creation (Encounter.diagnosis and participant,
/// Procedure.performer, Patient.extension, generalPractitioner and link,
/// Organization.identifier and address).
pub(crate) fn push_member(resource: &mut serde_json::Map<String, Value>, name: &str, value: Value) {
    if let Some(Value::Array(items)) = resource.get_mut(name) {
        items.push(value);
        return;
    }
    if name == "extension" {
        // Extensions come right after the resource's header members.
        let header = [
            "resourceType",
            "id",
            "meta",
            "implicitRules",
            "language",
            "text",
            "contained",
        ];
        let mut reordered = serde_json::Map::new();
        let mut pending = Some(value);
        for (key, existing) in std::mem::take(resource) {
            if !header.contains(&key.as_str())
                && let Some(value) = pending.take()
            {
                reordered.insert(name.to_owned(), Value::Array(vec![value]));
            }
            reordered.insert(key, existing);
        }
        if let Some(value) = pending {
            reordered.insert(name.to_owned(), Value::Array(vec![value]));
        }
        *resource = reordered;
        return;
    }
    let before: &[&str] = match name {
        "diagnosis" => &[
            "account",
            "hospitalization",
            "location",
            "serviceProvider",
            "partOf",
        ],
        "generalPractitioner" => &["managingOrganization", "link"],
        "participant" => &[
            "appointment",
            "period",
            "length",
            "reasonCode",
            "reasonReference",
            "diagnosis",
            "account",
            "hospitalization",
            "location",
            "serviceProvider",
            "partOf",
        ],
        "performer" => &[
            "location",
            "reasonCode",
            "reasonReference",
            "bodySite",
            "outcome",
        ],
        // Organization (the payor of IN1).
        "identifier" => &[
            "active", "type", "name", "alias", "telecom", "address", "partOf",
        ],
        "address" => &["partOf", "contact", "endpoint"],
        _ => &[],
    };
    let mut reordered = serde_json::Map::new();
    let mut inserted = false;
    for (key, existing) in std::mem::take(resource) {
        if !inserted && before.contains(&key.as_str()) {
            reordered.insert(name.to_owned(), Value::Array(vec![value.clone()]));
            inserted = true;
        }
        reordered.insert(key, existing);
    }
    if !inserted {
        reordered.insert(name.to_owned(), Value::Array(vec![value]));
    }
    *resource = reordered;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, resources_of, segment};

    #[test]
    fn dg1_maps_a_condition_and_the_encounter_diagnosis() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\rPV1|1|I\r".to_owned()
            + &segment(
                "DG1",
                &[
                    (1, "1"),
                    (2, "I10"),
                    (3, "I21.9"),
                    (4, "Acute MI"),
                    (5, "20240301"),
                    (6, "A"),
                    (15, "1"),
                ],
            );
        check(
            &message,
            "Condition",
            json!({
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I21.9"}], "text": "Acute MI"},
                "onsetDateTime": "2024-03-01"
            }),
        );
        let encounter = &resources_of(&message, "Encounter")[0];
        let diagnosis = &encounter["diagnosis"][0];
        assert_eq!(diagnosis["rank"], 1);
        assert_eq!(diagnosis["use"]["coding"][0]["code"], "AD");
        let keys: Vec<&String> = encounter.as_object().unwrap().keys().collect();
        let diagnosis_at = keys.iter().position(|k| *k == "diagnosis").unwrap();
        let subject_at = keys.iter().position(|k| *k == "subject").unwrap();
        assert!(subject_at < diagnosis_at);
    }

    #[test]
    fn dg1_delete_action_is_entered_in_error() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A08|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\r".to_owned()
            + &segment("DG1", &[(1, "1"), (3, "I21.9^MI^I10"), (21, "D")]);
        check(
            &message,
            "Condition",
            json!({"verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "entered-in-error"}]}}),
        );
    }
}
