//! Pharmacy orders and dispenses: RDE_O11, RDE_O25 and RDS_O13.
//!
//! Abstract syntax (v2.5–2.8, PRT and other additions ignored by the walk and reported):
//! MSH, NTE*, [PATIENT: PID, PD1, NTE*, [PATIENT_VISIT: PV1, PV2], [INSURANCE…], GT1, AL1*],
//! {ORDER: ORC, [TIMING: TQ1, TQ2*]*, [ORDER_DETAIL: RXO, NTE*, RXR+, [RXC+, NTE*]],
//! [ENCODING:] RXE, NTE*, {TIMING_ENCODED: TQ1, TQ2*}, RXR+, RXC*, (RDS: RXD, NTE*, RXR+,
//! RXC*), {OBSERVATION: OBX, NTE*}*, FT1*, BLG, CTI*}. In RDE the ENCODING segments sit
//! directly in ORDER; in RDS they form the optional ENCODING group before the RXD.
//!
//! The walk tracks which part of the ORDER group a TQ1, RXR or NTE belongs to by the last of
//! ORC, RXO, RXE or RXD seen. At the end of each ORDER: RXO → the original-order
//! MedicationRequest; RXE → the order MedicationRequest (`basedOn` the original order; its
//! timing from its own TQ1s, else the ORC's); RXD → a MedicationDispense authorized by the RXE's
//! (else the RXO's) MedicationRequest. OBXs become Observations, referenced as
//! `supportingInformation` by the dispense (RDS) or the order. RXC, TQ2, FT1, BLG, CTI, PD1,
//! PRT, IN1, GT1 and AL1 have no mapping here and are reported.

use hl7v2::Segment;

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::rxe::PharmacyGroup;
use super::super::segments::{obx, pid, pv1, rxd, rxe, rxo};

/// RDE_O11 and RDE_O25 (pharmacy/treatment encoded orders).
pub fn convert_rde(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(ctx);
    Ok(())
}

/// RDS_O13 (pharmacy/treatment dispense).
pub fn convert_rds_o13(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(ctx);
    Ok(())
}

/// A pharmacy segment of the ORDER group with the segments that qualify it.
#[derive(Default)]
struct Part<'m> {
    segment: Option<Segment<'m>>,
    timings: Vec<Segment<'m>>,
    routes: Vec<Segment<'m>>,
    notes: Vec<Segment<'m>>,
}

/// One ORDER group being read.
#[derive(Default)]
struct Order<'m> {
    /// ORC and its TIMING TQ1s (`segment` is the ORC).
    order: Part<'m>,
    detail: Part<'m>,
    encoded: Part<'m>,
    dispense: Part<'m>,
    observations: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Order,
    Detail,
    Encoded,
    Dispense,
}

impl<'m> Order<'m> {
    fn part(&mut self, stage: Stage) -> &mut Part<'m> {
        match stage {
            Stage::Order => &mut self.order,
            Stage::Detail => &mut self.detail,
            Stage::Encoded => &mut self.encoded,
            Stage::Dispense => &mut self.dispense,
        }
    }

    fn finish(self, ctx: &mut Context<'m>, subject: Option<&str>, encounter: Option<&str>) {
        let orc = self.order.segment;
        let dispensed = self.dispense.segment.is_some();
        let no_observations: &[String] = &[];
        let original = self.detail.segment.map(|rxo_segment| {
            let group = PharmacyGroup {
                orc,
                timings: &self.order.timings,
                routes: &self.detail.routes,
                notes: &self.detail.notes,
                subject,
                encounter,
                based_on: None,
                supporting: no_observations,
            };
            rxo::original_order(ctx, &rxo_segment, &group)
        });
        let encoded = self.encoded.segment.map(|rxe_segment| {
            let timings = if self.encoded.timings.is_empty() {
                &self.order.timings
            } else {
                &self.encoded.timings
            };
            let group = PharmacyGroup {
                orc,
                timings,
                routes: &self.encoded.routes,
                notes: &self.encoded.notes,
                subject,
                encounter,
                based_on: original.as_deref(),
                supporting: if dispensed {
                    no_observations
                } else {
                    &self.observations
                },
            };
            rxe::medication_request(ctx, &rxe_segment, &group)
        });
        if let Some(rxd_segment) = self.dispense.segment {
            let group = PharmacyGroup {
                orc,
                timings: &[],
                routes: &self.dispense.routes,
                notes: &self.dispense.notes,
                subject,
                encounter,
                based_on: encoded.as_deref().or(original.as_deref()),
                supporting: &self.observations,
            };
            rxd::medication_dispense(ctx, &rxd_segment, &group);
        }
    }
}

fn walk(ctx: &mut Context<'_>) {
    let segments: Vec<Segment<'_>> = ctx.message().segments().collect();
    let (mut patient, mut encounter) = (None::<String>, None::<String>);
    let mut order: Option<Order<'_>> = None;
    let mut stage = Stage::Order;
    let mut idx = 0;
    while let Some(segment) = segments.get(idx).copied() {
        let mut next = idx + 1;
        match segment.name() {
            "PID" => {
                if let Some(done) = order.take() {
                    done.finish(ctx, patient.as_deref(), encounter.as_deref());
                }
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
                if let Some(done) = order.take() {
                    done.finish(ctx, patient.as_deref(), encounter.as_deref());
                }
                let mut fresh = Order::default();
                fresh.order.segment = Some(segment);
                order = Some(fresh);
                stage = Stage::Order;
            }
            "RXO" | "RXE" | "RXD" => {
                stage = match segment.name() {
                    "RXO" => Stage::Detail,
                    "RXE" => Stage::Encoded,
                    _ => Stage::Dispense,
                };
                let current = order.get_or_insert_with(Order::default);
                let part = current.part(stage);
                if part.segment.is_some() {
                    // A second RXE/RXD in one ORDER breaks the syntax: a group of its own
                    // (with the same ORC) keeps both.
                    let orc = current.order.segment;
                    if let Some(done) = order.take() {
                        done.finish(ctx, patient.as_deref(), encounter.as_deref());
                    }
                    let mut fresh = Order::default();
                    fresh.order.segment = orc;
                    fresh.part(stage).segment = Some(segment);
                    order = Some(fresh);
                } else {
                    part.segment = Some(segment);
                }
            }
            "TQ1" | "RXR" | "NTE" => {
                if let Some(current) = order.as_mut() {
                    let part = current.part(stage);
                    match segment.name() {
                        "TQ1" => part.timings.push(segment),
                        "RXR" => part.routes.push(segment),
                        _ => part.notes.push(segment),
                    }
                }
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
                if let (Some(observation), Some(current)) = (observation, order.as_mut()) {
                    current.observations.push(observation);
                }
            }
            _ => {}
        }
        idx = next;
    }
    if let Some(done) = order.take() {
        done.finish(ctx, patient.as_deref(), encounter.as_deref());
    }
}
