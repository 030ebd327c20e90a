//! MRG → the merged-away Patient and the links between the two, for merges (A18, A30, A34,
//! A35, A36, A39, A40) and identifier changes (A46, A47, A48, A49).
//!
//! The surviving Patient (the PID of the group) gets `link` `replaces` to a Patient that holds
//! MRG-1's identifiers (and MRG-7's name), `active: false`, with `link` `replaced-by` back. That
//! old Patient is keyed by its first MRG-1 identifier, so it is the same resource the earlier
//! messages wrote, and the conditional update marks it inactive. For other events (A41 account
//! merge, A42 visit merge, A44/A45 moves, …) MRG is not a patient merge: it is left unread and
//! so reported, rather than read as one.

use fhir::datatypes::ResourceBuilder;
use hl7v2::Segment;
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::dg1::push_member;

/// The trigger events whose MRG names a patient identity that another replaces.
const PATIENT_MERGES: &[&str] = &[
    "A18", "A30", "A34", "A35", "A36", "A39", "A40", "A46", "A47", "A48", "A49",
];

/// Maps MRG to the replaced Patient and links it with `surviving`; returns the replaced
/// Patient's reference, or `None` when the event is not a patient merge or MRG-1 is empty.
pub fn merge<'m>(ctx: &mut Context<'m>, mrg: &Segment<'m>, surviving: &str) -> Option<String> {
    let trigger = ctx.header().trigger_event.clone().unwrap_or_default();
    if !PATIENT_MERGES.contains(&trigger.as_str()) || mrg.field(1).is_empty() {
        return None;
    }
    let mut identifiers = Vec::new();
    for item in ctx.items(mrg, 1) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    // MRG-4 (prior patient ID, deprecated) is one more identifier of the old identity.
    if let Some(item) = ctx.item(mrg, 4) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    let mut names = Vec::new();
    for item in ctx.items(mrg, 7) {
        names.extend(dt::human_name(ctx, &item));
    }
    let key = identifiers
        .iter()
        .find_map(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(mrg.index()));
    let surviving_reference = surviving.to_owned();
    let replaced = ctx.add("Patient", key, |id| {
        let mut patient = ResourceBuilder::new("Patient", &id);
        patient
            .set("identifier", Some(Value::Array(identifiers)))
            .set("active", Some(Value::Bool(false)))
            .set("name", Some(Value::Array(names)))
            .set(
                "link",
                Some(
                    json!([{"other": dt::reference(&surviving_reference), "type": "replaced-by"}]),
                ),
            );
        patient.build()
    });
    if let Some(patient) = ctx.resource_mut(surviving) {
        push_member(
            patient,
            "link",
            json!({"other": dt::reference(&replaced), "type": "replaces"}),
        );
    }
    Some(replaced)
}

#[cfg(test)]
mod tests {
    use super::super::adt_test::{convert, resources_of};

    const A40: &str = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A40^ADT_A39|C1|P|2.5\rEVN|A40|20240305103000\rPID|1||123^^^HOSP&1.2.3&ISO^MR||DOE^JANE\rMRG|456^^^HOSP&1.2.3&ISO^MR\r";

    #[test]
    fn a40_links_the_surviving_and_the_replaced_patient() {
        let patients = resources_of(A40, "Patient");
        assert_eq!(patients.len(), 2);
        let (surviving, replaced) = (&patients[0], &patients[1]);
        assert_eq!(surviving["link"][0]["type"], "replaces");
        assert_eq!(replaced["active"], false);
        assert_eq!(replaced["link"][0]["type"], "replaced-by");
        assert_eq!(replaced["identifier"][0]["value"], "456");
        assert_eq!(
            surviving["link"][0]["other"]["reference"],
            format!("urn:uuid:{}", replaced["id"].as_str().unwrap())
        );
        assert!(!convert(A40).report.to_string().contains("MRG"));
    }

    #[test]
    fn mrg_of_a_visit_move_is_not_a_patient_merge() {
        let message = A40
            .replace("ADT^A40^ADT_A39", "ADT^A45^ADT_A45")
            .replace("EVN|A40", "EVN|A45");
        assert_eq!(resources_of(&message, "Patient").len(), 1);
        assert!(
            convert(&message)
                .report
                .to_string()
                .contains("unmapped segment MRG(3)")
        );
    }
}
