//! RXO (the order as the placer wrote it, ORDER_DETAIL of RDE/RDS) → MedicationRequest with
//! intent `original-order`, per the v2-to-FHIR RXO[MedicationRequest] table.
//!
//! `medicationCodeableConcept` RXO-1 (required), `dosageInstruction` (`doseAndRate` RXO-2/3/4,
//! `rateQuantity` RXO-21/22, timing and TQ1 texts from the ORC's TIMING TQ1s, route from the ORDER_DETAIL
//! RXRs, RXO-7 as `additionalInstruction`), `substitution` RXO-9 (AllowSubstitution, table
//! 0161), `dispenseRequest.quantity` RXO-11/12, `numberOfRepeatsAllowed` RXO-13, `requester`
//! ORC-12 (else RXO-14), `reasonCode` RXO-20, `status`/`authoredOn` from the ORC.
//!
//! The ORC's placer and filler numbers identify the encoded order (RXE), which carries them;
//! this request has no identifier of its own and is keyed from them (`original-order|…`), so a
//! replay gives the same id. RXO-5 (dosage form) and RXO-18/19/25/26 (strength) are Medication
//! resource members, and RXO-6, 8, 10, 15..17, 24, 27..36 have no MedicationRequest member:
//! they stay in the report.

use hl7v2::Segment;
use serde_json::{Map, Value, json};

use super::super::context::Context;
use super::super::datatypes as dt;
use super::nte;
use super::orc::order_identifiers;
use super::rxe::{
    Instructions, PharmacyGroup, amount_with_units, derived_key, dose_and_rate, instruction,
    medication, requester, status, timed_dosages, whole_number, with_routes,
};
use fhir::datatypes::ResourceBuilder;

/// Maps an RXO with its group to an original-order MedicationRequest and returns its reference.
pub fn original_order<'m>(
    ctx: &mut Context<'m>,
    rxo: &Segment<'m>,
    group: &PharmacyGroup<'_, 'm>,
) -> String {
    ctx.seen(rxo);
    let orc = group.orc.as_ref();
    let identifiers = order_identifiers(ctx, orc, None);
    let status = orc.map_or("active", |orc| status(ctx, orc));
    let medication = medication(ctx, rxo, 1);
    let mut base = Map::new();
    if let Some(dose) = dose_and_rate(ctx, rxo, [2, 3, 4], Some([21, 22])) {
        base.insert("doseAndRate".into(), Value::from(vec![dose]));
    }
    let instructions: Vec<Value> = ctx
        .items(rxo, 7)
        .iter()
        .filter_map(|item| instruction(ctx, item))
        .collect();
    let extra = Instructions {
        texts: Vec::new(),
        additional: instructions,
    };
    let (dosages, priority) = timed_dosages(ctx, &base, group.timings, None, &extra);
    let dosages = with_routes(ctx, dosages, group.routes);
    let substitution = ctx.item(rxo, 9).and_then(|item| {
        ctx.unused_components(&item, &[1, 2, 3]);
        let code = item.text(1)?;
        let mapped = ctx.vocabulary().map("AllowSubstitution", &code);
        Some(match mapped {
            Some(m) => json!({"allowedCodeableConcept": {"coding": [{"system": m.system, "code": m.code}]}}),
            None => json!({"allowedCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0161", "code": code}]}}),
        })
    });
    let mut dispense = Map::new();
    if let Some(refills) = whole_number(ctx, rxo, 13) {
        dispense.insert("numberOfRepeatsAllowed".into(), json!(refills));
    }
    if let Some(quantity) = amount_with_units(ctx, rxo, 11, 12) {
        dispense.insert("quantity".into(), quantity);
    }
    let authored = orc.and_then(|orc| super::obx::datetime_field(ctx, orc, 9));
    let requester = requester(ctx, orc, rxo, 14);
    let reasons: Vec<Value> = ctx
        .items(rxo, 20)
        .iter()
        .filter_map(|item| dt::codeable_concept(ctx, item, None))
        .collect();
    let note = nte::annotations(ctx, group.notes);
    let key = derived_key(&identifiers, "original-order", rxo.index());
    ctx.add("MedicationRequest", key, |id| {
        let mut builder = ResourceBuilder::new("MedicationRequest", &id);
        builder
            .set_str("status", status)
            .set_str("intent", "original-order")
            .set("priority", priority.map(|p| json!(p)))
            .set("medicationCodeableConcept", Some(medication))
            .set("subject", group.subject.map(dt::reference))
            .set("encounter", group.encounter.map(dt::reference))
            .set("authoredOn", authored.map(Value::String))
            .set("requester", requester.map(|r| dt::reference(&r)))
            .set("reasonCode", Some(Value::Array(reasons)))
            .set("note", Some(Value::Array(note)))
            .set("dosageInstruction", Some(Value::Array(dosages)))
            .set("dispenseRequest", Some(Value::Object(dispense)))
            .set("substitution", substitution);
        builder.build()
    })
}
