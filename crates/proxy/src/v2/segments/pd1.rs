//! PD1 → more of the Patient, per the v2-to-FHIR table "PD1\[Patient\]": the general
//! practitioner (PD1-4, a Practitioner; PD1-3, the primary facility, an Organization), the
//! disability (PD1-6) and the congregation (PD1-14) extensions. The other PD1 fields (living
//! will, organ donor, publicity, protection…) have no Patient element in the table and stay
//! reported as unmapped.

use hl7v2::Segment;
use serde_json::json;

use super::super::context::Context;
use super::super::datatypes as dt;
use super::dg1::push_member;

/// Adds PD1's data to the Patient `patient` (a reference returned by
/// [`pid::patient`](super::pid::patient)).
pub fn amend_patient<'m>(ctx: &mut Context<'m>, pd1: &Segment<'m>, patient: &str) {
    ctx.seen(pd1);
    let mut practitioners = Vec::new();
    for item in ctx.items(pd1, 3) {
        practitioners.extend(dt::organization(ctx, &item));
    }
    for item in ctx.items(pd1, 4) {
        practitioners.extend(dt::practitioner(ctx, &item));
    }
    let mut extensions = Vec::new();
    if let Some(item) = ctx.item(pd1, 6)
        && let Some(concept) = dt::codeable_concept(ctx, &item, Some("0295"))
    {
        extensions.push(json!({
            "url": "http://hl7.org/fhir/StructureDefinition/patient-disability",
            "valueCodeableConcept": concept
        }));
    }
    for item in ctx.items(pd1, 14) {
        // XON as a string: the organization's name.
        ctx.unused_components(&item, &[1]);
        if let Some(name) = item.text(1) {
            extensions.push(json!({
                "url": "http://hl7.org/fhir/StructureDefinition/patient-congregation",
                "valueString": name
            }));
        }
    }
    let Some(resource) = ctx.resource_mut(patient) else {
        return;
    };
    for reference in practitioners {
        push_member(resource, "generalPractitioner", dt::reference(&reference));
    }
    for extension in extensions {
        push_member(resource, "extension", extension);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, resources_of, segment};

    #[test]
    fn pd1_adds_general_practitioners_and_extensions() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\r".to_owned()
            + &segment(
                "PD1",
                &[(3, "CLINIC ONE"), (4, "88^HIPPO^HAL"), (14, "St. Mary")],
            )
            + "PV1|1|I\r";
        check(
            &message,
            "Patient",
            json!({"extension": [{
                "url": "http://hl7.org/fhir/StructureDefinition/patient-congregation",
                "valueString": "St. Mary"
            }]}),
        );
        let patient = &resources_of(&message, "Patient")[0];
        assert_eq!(patient["generalPractitioner"].as_array().unwrap().len(), 2);
        let keys: Vec<&String> = patient.as_object().unwrap().keys().collect();
        assert_eq!(keys[2], "extension", "{keys:?}");
    }
}
