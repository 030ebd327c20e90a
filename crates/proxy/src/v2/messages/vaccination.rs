//! VXU_V04: MSH, [SFT], PID, [PD1], [NK1*], [PATIENT_VISIT: PV1, [PV2]], [GT1*],
//! [INSURANCE*], {ORDER: ORC, [TQ1*], RXA, [RXR], {[OBSERVATION: OBX, NTE*]}}.
//!
//! Each ORDER gives an Immunization; the OBXs under its RXA (VIS dates, funding eligibility, …)
//! become Observations with `partOf` the Immunization (R4 allows it), so their codes and values
//! stay as sent instead of being forced into Immunization members. Unmapped segments (PD1, NK1,
//! GT1, IN1, TQ1) are reported.

use hl7v2::Segment;
use serde_json::json;

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::{obx, pid, pv1, rxa};

/// Converts a VXU_V04.
pub fn convert_vxu_v04(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    let segments: Vec<Segment<'_>> = ctx.message().segments().collect();
    let (mut patient, mut encounter, mut orc, mut immunization) = (None, None, None, None);
    let mut idx = 0;
    while let Some(segment) = segments.get(idx).copied() {
        let mut next = idx + 1;
        match segment.name() {
            "PID" => {
                patient = Some(pid::patient(ctx, &segment));
                encounter = None;
            }
            "PV1" => {
                let pv2 = segments.get(idx + 1).filter(|s| s.name() == "PV2").copied();
                next += usize::from(pv2.is_some());
                if let Some(patient) = patient.as_deref() {
                    encounter = Some(pv1::encounter(ctx, &segment, pv2.as_ref(), patient));
                }
            }
            "ORC" => {
                orc = Some(segment);
                immunization = None;
            }
            "RXA" => {
                let rxr = segments.get(idx + 1).filter(|s| s.name() == "RXR").copied();
                next += usize::from(rxr.is_some());
                immunization = Some(rxa::immunization(
                    ctx,
                    orc.as_ref(),
                    &segment,
                    rxr.as_ref(),
                    patient.as_deref(),
                    encounter.as_deref(),
                ));
                orc = None;
            }
            "OBX" => {
                let notes = super::orders::notes_after(&segments, idx);
                next += notes.len();
                let observation = obx::observation(
                    ctx,
                    &segment,
                    &notes,
                    patient.as_deref(),
                    encounter.as_deref(),
                );
                if let (Some(observation), Some(immunization)) =
                    (observation, immunization.as_deref())
                    && let Some(resource) = ctx.resource_mut(&observation)
                {
                    resource
                        .entry("partOf")
                        .or_insert_with(|| json!([{ "reference": immunization }]));
                }
            }
            _ => {}
        }
        idx = next;
    }
    Ok(())
}
