//! IN1 → Coverage (with its payor Organization), per the v2-to-FHIR table "IN1\[Coverage\]".
//!
//! `Coverage.status` (required) has no source in IN1: an insurance listed in an ADT or BAR
//! message is the patient's current one, so it is `active`. The payor (required) is IN1-4's
//! Organization, which also takes IN1-3 (the company's identifier) and IN1-5 (its address);
//! without IN1-4 it is a display-only reference to IN1-3, with an issue. The subscriber is the
//! Patient when IN1-17 is `SEL` (self), else a RelatedPerson named by IN1-16. IN2 and IN3 are
//! not mapped (reported).

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::dg1::push_member;
use super::pid::{field_datetime, mapped_concept};

const SUBSCRIBER_ID: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Coverage.subscriberId";

/// Maps IN1 to a Coverage of `patient`, adds it, and returns its reference.
pub fn coverage<'m>(ctx: &mut Context<'m>, in1: &Segment<'m>, patient: &str) -> String {
    // IN1-1 only numbers IN1 segments.
    ctx.consume(in1, &[1]);
    let plan = ctx.item(in1, 2).and_then(|item| {
        // CWE → Identifier: the plan's code is the value; its text and system stay reported.
        ctx.unused_components(&item, &[1]);
        item.text(1).map(|code| json!({"value": code}))
    });
    let mut company_ids = Vec::new();
    for item in ctx.items(in1, 3) {
        company_ids.extend(dt::identifier(ctx, &item));
    }
    let payor = ctx
        .item(in1, 4)
        .and_then(|item| dt::organization(ctx, &item));
    let mut company_addresses = Vec::new();
    for item in ctx.items(in1, 5) {
        company_addresses.extend(dt::address(ctx, &item));
    }
    let payor_reference = match &payor {
        Some(reference) => {
            if let Some(organization) = ctx.resource_mut(reference) {
                for id in company_ids {
                    push_member(organization, "identifier", id);
                }
                for address in company_addresses {
                    push_member(organization, "address", address);
                }
            }
            dt::reference(reference)
        }
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(in1.index(), "IN1", 4),
                "Coverage.payor is required and IN1-4 (insurance company) is empty; a reference by identifier is used",
            );
            match company_ids.into_iter().next() {
                Some(identifier) => json!({"identifier": identifier}),
                None => json!({"display": "unknown payor"}),
            }
        }
    };
    let mut holders = Vec::new();
    for item in ctx.items(in1, 11) {
        holders.extend(dt::organization(ctx, &item));
    }
    let start = field_datetime(ctx, in1, 12);
    let end = field_datetime(ctx, in1, 13);
    let kind = ctx
        .item(in1, 15)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0086")));
    let relationship_item = ctx.item(in1, 17);
    let is_self = relationship_item.and_then(|item| item.text(1)).as_deref() == Some("SEL");
    let relationship =
        relationship_item.and_then(|item| mapped_concept(ctx, &item, "0063", "Relationship"));
    // With IN1-17 `SEL` the insured is the patient, whose names are PID-5's: IN1-16 then adds
    // nothing and is read only to build the RelatedPerson otherwise.
    let mut insured_names = Vec::new();
    for item in ctx.items(in1, 16) {
        insured_names.extend(dt::human_name(ctx, &item));
    }
    let subscriber = if is_self {
        Some(patient.to_owned())
    } else if insured_names.is_empty() {
        None
    } else {
        let relationship = relationship.clone();
        Some(
            ctx.add("RelatedPerson", ResourceKey::Segment(in1.index()), |id| {
                let mut person = ResourceBuilder::new("RelatedPerson", &id);
                person
                    .set("patient", Some(dt::reference(patient)))
                    .set("relationship", relationship.map(|r| Value::from(vec![r])))
                    .set("name", Some(Value::Array(insured_names)));
                person.build()
            }),
        )
    };
    let mut extensions = Vec::new();
    for item in ctx.items(in1, 49) {
        if let Some(identifier) = dt::identifier(ctx, &item) {
            extensions.push(json!({"url": SUBSCRIBER_ID, "valueIdentifier": identifier}));
        }
    }
    ctx.add("Coverage", ResourceKey::Segment(in1.index()), |id| {
        let mut coverage = ResourceBuilder::new("Coverage", &id);
        coverage
            .set("extension", Some(Value::Array(extensions)))
            .set("identifier", plan.map(|p| Value::from(vec![p])))
            .set_str("status", "active")
            .set("type", kind)
            .set(
                "policyHolder",
                holders.first().map(|holder| dt::reference(holder)),
            )
            .set("subscriber", subscriber.as_deref().map(dt::reference))
            .set("beneficiary", Some(dt::reference(patient)))
            .set("relationship", relationship)
            .set("period", Some(json!({"start": start, "end": end})))
            .set("payor", Some(Value::from(vec![payor_reference])));
        coverage.build()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, resources_of, segment};

    #[test]
    fn in1_maps_a_coverage_with_its_payor() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\rPV1|1|I\r".to_owned()
            + &segment(
                "IN1",
                &[
                    (1, "1"),
                    (2, "BAV^Blue Advantage"),
                    (3, "IC-1^^^BCBS^NIIP"),
                    (4, "Blue Cross"),
                    (5, "1 MILKY WAY^^VERONA^WI"),
                    (12, "20240101"),
                    (16, "DOE^JANE"),
                    (17, "SEL^Self"),
                ],
            );
        check(
            &message,
            "Coverage",
            json!({"status": "active", "identifier": [{"value": "BAV"}], "period": {"start": "2024-01-01"}}),
        );
        let coverage = &resources_of(&message, "Coverage")[0];
        let patient = &resources_of(&message, "Patient")[0];
        assert_eq!(coverage["subscriber"], coverage["beneficiary"]);
        assert!(
            coverage["beneficiary"]["reference"]
                .as_str()
                .unwrap()
                .ends_with(patient["id"].as_str().unwrap())
        );
        let payor = &resources_of(&message, "Organization")[0];
        assert_eq!(payor["name"], "Blue Cross");
        assert!(payor.get("address").is_some(), "{payor:#}");
    }
}
