//! What the scheduling, document, financial, referral and problem structures share: the patient
//! and visit they are about, and note text.
//!
//! PID, PV1 (with its PV2) and EVN are mapped by the ADT segment mappings; these structures
//! keep the references to hand to their own resources (Appointment participant,
//! DocumentReference subject, ChargeItem subject, ServiceRequest subject, Condition subject).

use hl7v2::Segment;

use super::super::context::Context;
use super::super::segments::orc::{self, OrderParts};
use super::super::segments::{al1, dg1, evn, in1, nk1, obx, pd1, pid, pr1, pv1};

/// The patient and visit that the following segments are about.
#[derive(Debug, Clone, Default)]
pub(super) struct Subject {
    /// `Patient/<id>` from the last PID.
    pub patient: Option<String>,
    /// `Encounter/<id>` from the last PV1 of that patient.
    pub encounter: Option<String>,
}

impl Subject {
    /// Reads a PID (a new patient, whose visit is not known yet), a PV1 (the visit of the
    /// current patient), or a segment of the patient's group that the ADT mappings know (PD1,
    /// NK1, AL1, DG1, PR1, IN1). Returns false for any other segment, and for those when no
    /// patient precedes them (they stay in the report).
    pub fn read<'m>(&mut self, ctx: &mut Context<'m>, segment: &Segment<'m>) -> bool {
        match segment.name() {
            "PID" => {
                self.patient = Some(pid::patient(ctx, segment));
                self.encounter = None;
                true
            }
            "PV1" => {
                // A visit without its patient has no Encounter.subject: left to the report.
                let Some(patient) = &self.patient else {
                    return false;
                };
                // PV2, when present, directly follows its PV1.
                let pv2 = ctx
                    .message()
                    .segment(segment.index() + 1)
                    .filter(|next| next.name() == "PV2");
                self.encounter = Some(pv1::encounter(ctx, segment, pv2.as_ref(), patient));
                true
            }
            name => {
                let Some(patient) = self.patient.as_deref() else {
                    return false;
                };
                let encounter = self.encounter.as_deref();
                match name {
                    "PD1" => pd1::amend_patient(ctx, segment, patient),
                    "NK1" => {
                        nk1::related_person(ctx, segment, patient);
                    }
                    "AL1" => {
                        al1::allergy(ctx, segment, patient);
                    }
                    "DG1" => {
                        dg1::condition(ctx, segment, patient, encounter);
                    }
                    "PR1" => {
                        pr1::procedure(ctx, segment, patient, encounter);
                    }
                    "IN1" => {
                        in1::coverage(ctx, segment, patient);
                    }
                    _ => return false,
                }
                true
            }
        }
    }

    /// The subject of a message whose PID and PV1 come after the segments that need them
    /// (REF_I12): the first PID and the first PV1 after it (with its PV2), read up front.
    pub fn first_of<'m>(ctx: &mut Context<'m>) -> Subject {
        let mut subject = Subject::default();
        let message = ctx.message();
        if let Some(pid) = message.first("PID") {
            subject.read(ctx, &pid);
            let pv1 = message
                .segments()
                .skip(pid.index())
                .find(|segment| segment.name() == "PV1");
            if let Some(pv1) = pv1 {
                subject.read(ctx, &pv1);
            }
        }
        subject
    }
}

/// Maps the order group or result that starts at `segments[position]`: an ORC with its TQ1s,
/// OBR and NTEs, or an OBR (without ORC) with its NTEs → a ServiceRequest (through the order
/// mappings); an OBX with its NTEs → an Observation. Returns the ServiceRequest made, and how
/// many segments after `position` the group took (the caller skips them). Any other segment
/// takes nothing.
pub(super) fn order_or_result<'m>(
    ctx: &mut Context<'m>,
    segments: &[Segment<'m>],
    position: usize,
    subject: &Subject,
) -> (Option<String>, usize) {
    let Some(first) = segments.get(position) else {
        return (None, 0);
    };
    let following = |from: usize, names: &[&str]| -> Vec<Segment<'m>> {
        segments
            .iter()
            .skip(from)
            .take_while(|segment| names.contains(&segment.name()))
            .copied()
            .collect()
    };
    let patient = subject.patient.as_deref();
    let encounter = subject.encounter.as_deref();
    match first.name() {
        "ORC" | "OBR" => {
            let mut next = position + 1;
            let (orc, timings) = if first.name() == "ORC" {
                let timings: Vec<Segment<'m>> = following(next, &["TQ1"]);
                next += timings.len();
                (Some(*first), timings)
            } else {
                (None, Vec::new())
            };
            let obr = if first.name() == "OBR" {
                Some(*first)
            } else {
                let obr = segments
                    .get(next)
                    .filter(|segment| segment.name() == "OBR")
                    .copied();
                next += usize::from(obr.is_some());
                obr
            };
            let notes = following(next, &["NTE"]);
            next += notes.len();
            let parts = OrderParts {
                notes: &notes,
                timings: &timings,
                reasons: &[],
            };
            let request =
                orc::service_request(ctx, orc.as_ref(), obr.as_ref(), &parts, patient, encounter);
            (request, next - position - 1)
        }
        "OBX" => {
            let notes = following(position + 1, &["NTE"]);
            obx::observation(ctx, first, &notes, patient, encounter);
            (None, notes.len())
        }
        _ => (None, 0),
    }
}

/// Maps every EVN of the message to its event Provenance (after the other resources, which it
/// targets).
pub(super) fn events(ctx: &mut Context<'_>) {
    let message = ctx.message();
    for segment in message.segments_named("EVN") {
        evn::provenance(ctx, &segment);
    }
}

/// NTE-3 (comment, repeating FT) as one text, repetitions on their own lines. NTE-1 (set id)
/// is consumed; NTE-2 (source) and NTE-4 (comment type) are left to the report.
pub(super) fn note_text<'m>(ctx: &mut Context<'m>, nte: &Segment<'m>) -> Option<String> {
    ctx.consume(nte, &[1]);
    let lines: Vec<String> = ctx
        .items(nte, 3)
        .iter()
        .filter_map(|item| item.whole().map(|text| text.into_owned()))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Test support for the scheduling, document, financial, referral and problem structures.
#[cfg(test)]
pub(super) mod test_support {
    use serde_json::Value;

    use crate::v2::Converter;
    use crate::v2::report::Report;

    /// Converts an ER7 message (segments separated by `\n` for readability).
    pub fn convert(message: &str) -> (Value, Report) {
        let text = message.trim().replace('\n', "\r");
        let conversion = Converter::default()
            .convert(text.as_bytes())
            .unwrap_or_else(|error| panic!("conversion failed: {error}"));
        (conversion.bundle, conversion.report)
    }

    /// The resources of one type in a Bundle.
    pub fn resources(bundle: &Value, resource_type: &str) -> Vec<Value> {
        bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| entry["resource"].clone())
            .filter(|resource| resource["resourceType"] == resource_type)
            .collect()
    }

    /// Checks that the first resource of `resource_type` has each member of `expected` as
    /// given (members not in `expected` are not compared), with reference ids replaced by
    /// their type (`{"reference": "Patient"}`) so that fixtures do not spell uuids.
    pub fn check(message: &str, resource_type: &str, expected: Value) -> (Value, Report) {
        let (bundle, report) = convert(message);
        let resource = resources(&bundle, resource_type)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {resource_type} in {bundle:#}"));
        let types: std::collections::HashMap<String, String> = bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let url = entry["fullUrl"].as_str()?.to_owned();
                let kind = entry["resource"]["resourceType"].as_str()?.to_owned();
                Some((url, kind))
            })
            .collect();
        let resource = without_ids(resource, &types);
        let Value::Object(expected) = expected else {
            panic!("expected members as an object")
        };
        for (member, value) in expected {
            assert_eq!(
                resource.get(&member),
                Some(&value),
                "{resource_type}.{member} in {resource:#}\nreport:\n{report}"
            );
        }
        (bundle, report)
    }

    /// Replaces `Type/<uuid>` and `urn:uuid:…` references by the resource type alone.
    fn without_ids(value: Value, types: &std::collections::HashMap<String, String>) -> Value {
        match value {
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(name, value)| {
                        if name == "reference" {
                            let text = value.as_str().unwrap_or_default();
                            let kind = types.get(text).cloned().unwrap_or_else(|| {
                                text.split('/').next().unwrap_or_default().to_owned()
                            });
                            (name, Value::String(kind))
                        } else {
                            (name, without_ids(value, types))
                        }
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| without_ids(item, types))
                    .collect(),
            ),
            other => other,
        }
    }
}
