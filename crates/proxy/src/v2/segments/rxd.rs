//! RXD (pharmacy/treatment dispense, with its RXRs and NTEs) → MedicationDispense.
//!
//! The v2-to-FHIR IG has no RXD table; this follows HL7 v2.5+ chapter 4A field meanings and
//! the RXR[MedicationRequest] table for the dosage:
//!
//! - `status` (required) `completed`: an RXD reports a dispense that happened, and RXD has no
//!   status field.
//! - `medicationCodeableConcept` RXD-2 (required: data-absent `unknown` with a warning),
//!   `whenHandedOver` RXD-3, `quantity` RXD-4/5, `performer` RXD-10 (each dispensing
//!   provider), `type` RXD-33 (table 0484), `substitution` RXD-11 (table 0167: N → not
//!   substituted, G/T → substituted; other codes, which are prescriber or product selection
//!   codes, an issue), `note` RXD-9 and the NTEs after the RXD, `dosageInstruction` from the
//!   RXRs (and RXD-12 total daily dose), `authorizingPrescription` the order's
//!   MedicationRequest, `subject` and `context` (the visit).
//! - RXD-1 (sub-id counter) numbers the dispenses and is consumed. The rest (prescription
//!   number, refills, lots, pharmacy and location fields) stays in the report.

use hl7v2::Segment;
use serde_json::{Map, Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::nte;
use super::obx::datetime_field;
use super::rxe::{PharmacyGroup, amount_with_units, medication, references, with_routes};
use fhir::datatypes::ResourceBuilder;

const UCUM: &str = "http://unitsofmeasure.org";

/// Maps an RXD with its group to a MedicationDispense and returns its reference.
pub fn medication_dispense<'m>(
    ctx: &mut Context<'m>,
    rxd: &Segment<'m>,
    group: &PharmacyGroup<'_, 'm>,
) -> String {
    ctx.seen(rxd);
    ctx.consume(rxd, &[1]);
    let medication = medication(ctx, rxd, 2);
    let handed_over = datetime_field(ctx, rxd, 3);
    let quantity = amount_with_units(ctx, rxd, 4, 5);
    let mut notes: Vec<Value> = ctx
        .items(rxd, 9)
        .iter()
        .filter_map(|item| {
            ctx.unused_components(item, &[1]);
            item.text(1).map(|text| json!({ "text": text }))
        })
        .collect();
    notes.extend(nte::annotations(ctx, group.notes));
    let performers: Vec<Value> = ctx
        .items(rxd, 10)
        .iter()
        .filter_map(|item| dt::practitioner(ctx, item))
        .map(|actor| json!({ "actor": dt::reference(&actor) }))
        .collect();
    let substitution = substitution(ctx, rxd);
    let mut base = Map::new();
    if let Some(max) = ctx
        .item(rxd, 12)
        .and_then(|item| dt::composite_quantity(ctx, &item))
    {
        base.insert(
            "maxDosePerPeriod".into(),
            json!({"numerator": max, "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"}}),
        );
    }
    let dosages = with_routes(ctx, vec![base], group.routes);
    let dispense_type = ctx
        .item(rxd, 33)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0484")));
    ctx.add(
        "MedicationDispense",
        ResourceKey::Segment(rxd.index()),
        |id| {
            let mut builder = ResourceBuilder::new("MedicationDispense", &id);
            builder
                .set_str("status", "completed")
                .set("medicationCodeableConcept", Some(medication))
                .set("subject", group.subject.map(dt::reference))
                .set("context", group.encounter.map(dt::reference))
                .set("supportingInformation", references(group.supporting))
                .set("performer", Some(Value::Array(performers)))
                .push("authorizingPrescription", group.based_on.map(dt::reference))
                .set("type", dispense_type)
                .set("quantity", quantity)
                .set("whenHandedOver", handed_over.map(Value::String))
                .set("note", Some(Value::Array(notes)))
                .set("dosageInstruction", Some(Value::Array(dosages)))
                .set("substitution", substitution);
            builder.build()
        },
    )
}

/// RXD-11 (table 0167) → substitution.
fn substitution<'m>(ctx: &mut Context<'m>, rxd: &Segment<'m>) -> Option<Value> {
    let item = ctx.item(rxd, 11)?;
    ctx.unused_components(&item, &[1, 2, 3]);
    let code = item.text(1)?;
    let substituted = match code.as_ref() {
        "N" => false,
        "G" | "T" => true,
        other => {
            ctx.issue(
                IssueSeverity::Information,
                item.location(),
                format!(
                    "RXD-11 {other:?} is a product selection code, not whether a substitute was dispensed: no substitution"
                ),
            );
            return None;
        }
    };
    let concept = dt::codeable_concept(ctx, &item, Some("0167"));
    Some(json!({"wasSubstituted": substituted, "type": concept}))
}
