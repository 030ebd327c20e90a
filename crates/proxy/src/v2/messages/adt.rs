//! ADT (and the ADT-shaped) message structures: the segment grouping and the walk.
//!
//! Every ADT structure is a sequence of PATIENT groups whose members hang off the group's PID:
//! `MSH EVN [SFT] PID [PD1] [ROL] [NK1] PV1 [PV2] [ROL] [DB1] [OBX] [AL1] [DG1] [DRG]
//! [{PR1 [ROL]}] [GT1] [{IN1 [IN2] [IN3] [ROL]}] [ACC] [UB1] [UB2] [PDA]` for ADT_A01 and its
//! kin (ADT_A02…A16, A21, A38, A60 are subsets of it), and `{PID [PD1] [MRG] [PV1]}` repeated
//! for ADT_A39 (A40–A42) and ADT_A17 (two patients swapping beds); ADT_A45 is
//! `PID [PD1] {MRG PV1}`. So one walk serves them all: a PID opens a PATIENT group, and the
//! segments after it, up to the next PID, belong to that patient (and PV1 opens its visit, which
//! DG1, PR1 and OBX then point to). Segments a structure does not use are left unread and so
//! reported, never guessed at.
//!
//! Updates (A08, A31) need no special handling: every Patient and Encounter with a business
//! identifier is written with a conditional update on it, so an update message replaces the
//! resource's content on the server, and the deterministic id makes a replay idempotent.

use hl7v2::{Location, Segment};

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::{al1, dg1, evn, in1, mrg, nk1, pd1, pid, pr1, pv1};

/// Converts an ADT message: walks its PATIENT groups in order and maps each segment.
pub fn convert<'m>(ctx: &mut Context<'m>) -> Result<(), ConvertError> {
    let segments: Vec<Segment<'m>> = ctx.message().segments().collect();
    if !segments.iter().any(|segment| segment.name() == "PID") {
        return Err(ConvertError::MissingRequired {
            location: Box::new(Location::segment(segments.len(), "PID")),
            what: "an ADT message needs a PID segment (the PATIENT group); there is none".into(),
        });
    }
    let mut patient: Option<String> = None;
    let mut encounter: Option<String> = None;
    let mut events = Vec::new();
    for (position, segment) in segments.iter().enumerate() {
        if segment.name() == "EVN" {
            events.push(*segment);
            continue;
        }
        if segment.name() == "PID" {
            patient = Some(pid::patient(ctx, segment));
            encounter = None;
            continue;
        }
        // Every other segment belongs to the PATIENT group opened by the last PID; before the
        // first PID there is none, and the segment stays unread (reported).
        let Some(patient) = patient.as_deref() else {
            continue;
        };
        match segment.name() {
            "PD1" => pd1::amend_patient(ctx, segment, patient),
            "NK1" => {
                nk1::related_person(ctx, segment, patient);
            }
            "PV1" => {
                // PV2 directly follows its PV1 in every ADT structure.
                let pv2 = segments
                    .get(position + 1)
                    .filter(|next| next.name() == "PV2");
                encounter = Some(pv1::encounter(ctx, segment, pv2, patient));
            }
            "AL1" => {
                al1::allergy(ctx, segment, patient);
            }
            "DG1" => {
                dg1::condition(ctx, segment, patient, encounter.as_deref());
            }
            "PR1" => {
                pr1::procedure(ctx, segment, patient, encounter.as_deref());
            }
            "IN1" => {
                in1::coverage(ctx, segment, patient);
            }
            "MRG" => {
                mrg::merge(ctx, segment, patient);
            }
            _ => {}
        }
    }
    // The event Provenance targets what the PATIENT groups produced, so it comes last.
    for evn in &events {
        evn::provenance(ctx, evn);
    }
    Ok(())
}
