//! NK1 → RelatedPerson, per the v2-to-FHIR table "NK1\[RelatedPerson\]".
//!
//! One RelatedPerson per NK1, keyed by its first NK1-33 identifier (with system and value),
//! else by the segment. NK1-13 (organization name), NK1-10…NK1-11 (job) and the other fields the
//! table leaves out are reported as unmapped.

use fhir::datatypes::ResourceBuilder;
use hl7v2::Segment;
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::pid::{mapped_concept, with_member};

/// Maps NK1 to a RelatedPerson of `patient`, adds it, and returns its reference.
pub fn related_person<'m>(ctx: &mut Context<'m>, nk1: &Segment<'m>, patient: &str) -> String {
    // NK1-1 only numbers NK1 segments.
    ctx.consume(nk1, &[1]);
    let mut names = Vec::new();
    for field in [2, 30] {
        for item in ctx.items(nk1, field) {
            names.extend(dt::human_name(ctx, &item));
        }
    }
    let mut relationships = Vec::new();
    if let Some(item) = ctx.item(nk1, 3) {
        relationships.extend(mapped_concept(ctx, &item, "0063", "Relationship"));
    }
    if let Some(item) = ctx.item(nk1, 7) {
        relationships.extend(mapped_concept(ctx, &item, "0131", "ContactRole"));
    }
    let mut addresses = Vec::new();
    for field in [4, 32] {
        for item in ctx.items(nk1, field) {
            addresses.extend(dt::address(ctx, &item));
        }
    }
    let mut telecom = Vec::new();
    for (field, default_use) in [(5, ""), (6, "work"), (31, ""), (40, ""), (41, "")] {
        for item in ctx.items(nk1, field) {
            let use_given = item.text(2).is_some();
            if let Some(point) = dt::contact_point(ctx, &item) {
                telecom.push(if use_given || default_use.is_empty() {
                    point
                } else {
                    with_member(point, "use", default_use)
                });
            }
        }
    }
    let mut identifiers = Vec::new();
    for item in ctx.items(nk1, 33) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    if let Some(item) = ctx.item(nk1, 12) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    if let Some(ssn) = ctx.text(nk1, 37) {
        identifiers.push(json!({
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS"}]},
            "system": "http://hl7.org/fhir/sid/us-ssn",
            "value": ssn
        }));
    }
    let key = identifiers
        .first()
        .and_then(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(nk1.index()));
    let gender = ctx
        .item(nk1, 15)
        .and_then(|item| dt::code(ctx, &item, "AdministrativeSex"));
    let birth_date = ctx.item(nk1, 16).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::date(ctx, &item, 1)
    });
    let start = ctx.item(nk1, 8).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::datetime(ctx, &item, 1)
    });
    let end = ctx.item(nk1, 9).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::datetime(ctx, &item, 1)
    });
    let language = ctx
        .item(nk1, 20)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0296")));
    ctx.add("RelatedPerson", key, |id| {
        let mut person = ResourceBuilder::new("RelatedPerson", &id);
        person
            .set("identifier", Some(Value::Array(identifiers)))
            .set("patient", Some(dt::reference(patient)))
            .set("relationship", Some(Value::Array(relationships)))
            .set("name", Some(Value::Array(names)))
            .set("telecom", Some(Value::Array(telecom)))
            .set("gender", gender.map(Value::String))
            .set("birthDate", birth_date.map(Value::String))
            .set("address", Some(Value::Array(addresses)))
            .set("period", Some(json!({"start": start, "end": end})))
            .set(
                "communication",
                language.map(|language| json!([{"language": language}])),
            );
        person.build()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, resources_of, segment};

    #[test]
    fn nk1_maps_to_a_related_person_of_the_patient() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\r".to_owned()
            + &segment(
                "NK1",
                &[
                    (1, "1"),
                    (2, "DOE^JOHN"),
                    (3, "SPO^Spouse^HL70063"),
                    (6, "555-0000"),
                    (7, "C"),
                    (8, "20200101"),
                    (15, "M"),
                ],
            )
            + "PV1|1|I\r";
        check(
            &message,
            "RelatedPerson",
            json!({
                "relationship": [
                    {"coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "SPS"},
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0063", "code": "SPO", "display": "Spouse"}
                    ]},
                    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]}
                ],
                "gender": "male",
                "period": {"start": "2020-01-01"}
            }),
        );
        let person = &resources_of(&message, "RelatedPerson")[0];
        let patient = &resources_of(&message, "Patient")[0];
        assert!(
            person["patient"]["reference"]
                .as_str()
                .unwrap()
                .ends_with(patient["id"].as_str().unwrap())
        );
        assert_eq!(person["telecom"][0]["use"], "work");
    }
}
