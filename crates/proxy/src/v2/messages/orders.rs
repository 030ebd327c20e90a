//! Order and result messages: ORU_R01, ORM_O01, OML_O21, OUL_R22/R23/R24, OMG_O19.
//!
//! One walk serves them all, following their abstract syntax in message order:
//! - `PID` starts a PATIENT(_RESULT) group with its own Patient (several patients in one
//!   message each get their own subject); `PV1` (with `PV2`) gives its Encounter.
//! - `ORC` starts an ORDER group; `OBR` (with its NTEs) joins it, or starts a new group when
//!   the current one already has an OBR. In OUL_R22/R23 the ORC follows its OBR and joins it.
//! - `OBX` (with its NTEs) → an Observation of the group; `SPM` → a Specimen of the group (in
//!   OUL_R22/R23, where SPECIMEN encloses the orders, of every following group until the next
//!   SPM or PID).
//! - At the end of a group: a ServiceRequest from ORC+OBR; for result structures (ORU, OUL) a
//!   DiagnosticReport with the group's Observations as `result`, based on the ServiceRequest.
//! - `TQ1` → the group's ServiceRequest timing and priority; `DG1` → a Condition of the
//!   patient, the ServiceRequest's `reasonReference`.
//! - Segments without a mapping here (FT1, CTI, BLG, SAC, PD1, NK1, …) are reported as
//!   unmapped, never dropped silently.

use hl7v2::Segment;

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::{dg1, obr, obx, orc, pid, pv1, spm};

/// How a structure's groups are laid out.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// ORU and OUL carry results: each OBR group is also a DiagnosticReport.
    results: bool,
    /// OUL_R22/R23: SPECIMEN encloses the ORDER groups.
    specimen_first: bool,
}

/// ORU_R01 (unsolicited observation results).
pub fn convert_oru_r01(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(
        ctx,
        Layout {
            results: true,
            specimen_first: false,
        },
    );
    Ok(())
}

/// OUL_R22 and OUL_R23 (specimen-oriented laboratory results).
pub fn convert_oul_specimen(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(
        ctx,
        Layout {
            results: true,
            specimen_first: true,
        },
    );
    Ok(())
}

/// OUL_R24 (order-oriented laboratory results).
pub fn convert_oul_r24(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(
        ctx,
        Layout {
            results: true,
            specimen_first: false,
        },
    );
    Ok(())
}

/// ORM_O01, OML_O21 and OMG_O19 (orders).
pub fn convert_order(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(
        ctx,
        Layout {
            results: false,
            specimen_first: false,
        },
    );
    Ok(())
}

/// One ORDER(_OBSERVATION) group being read.
#[derive(Default)]
struct Group<'m> {
    orc: Option<Segment<'m>>,
    obr: Option<Segment<'m>>,
    notes: Vec<Segment<'m>>,
    timings: Vec<Segment<'m>>,
    reasons: Vec<String>,
    results: Vec<String>,
    specimens: Vec<String>,
}

struct Walk<'m> {
    layout: Layout,
    patient: Option<String>,
    encounter: Option<String>,
    group: Option<Group<'m>>,
    /// OUL_R22/R23: the enclosing SPECIMEN group's Specimens.
    enclosing_specimens: Vec<String>,
}

impl<'m> Walk<'m> {
    fn finish_group(&mut self, ctx: &mut Context<'m>) {
        let Some(group) = self.group.take() else {
            return;
        };
        let patient = self.patient.as_deref();
        let encounter = self.encounter.as_deref();
        let request = orc::service_request(
            ctx,
            group.orc.as_ref(),
            group.obr.as_ref(),
            &orc::OrderParts {
                notes: &group.notes,
                timings: &group.timings,
                reasons: &group.reasons,
            },
            patient,
            encounter,
        );
        if let (true, Some(obr_segment)) = (self.layout.results, group.obr.as_ref()) {
            let links = obr::ReportLinks {
                subject: patient,
                encounter,
                based_on: request.as_deref(),
                results: &group.results,
                specimens: &group.specimens,
            };
            obr::diagnostic_report(ctx, group.orc.as_ref(), obr_segment, &links);
        }
    }

    fn new_group(&mut self, ctx: &mut Context<'m>) -> &mut Group<'m> {
        self.finish_group(ctx);
        let specimens = self.enclosing_specimens.clone();
        self.group.insert(Group {
            specimens,
            ..Group::default()
        })
    }
}

/// The NTE segments right after position `idx`.
pub(super) fn notes_after<'m>(segments: &[Segment<'m>], idx: usize) -> Vec<Segment<'m>> {
    segments
        .iter()
        .skip(idx + 1)
        .take_while(|s| s.name() == "NTE")
        .copied()
        .collect()
}

fn walk(ctx: &mut Context<'_>, layout: Layout) {
    let segments: Vec<Segment<'_>> = ctx.message().segments().collect();
    let mut walk = Walk {
        layout,
        patient: None,
        encounter: None,
        group: None,
        enclosing_specimens: Vec::new(),
    };
    let mut idx = 0;
    while let Some(segment) = segments.get(idx).copied() {
        let mut next = idx + 1;
        match segment.name() {
            "PID" => {
                walk.finish_group(ctx);
                walk.enclosing_specimens.clear();
                walk.patient = Some(pid::patient(ctx, &segment));
                walk.encounter = None;
            }
            "PV1" => {
                let pv2 = segments.get(idx + 1).filter(|s| s.name() == "PV2").copied();
                if pv2.is_some() {
                    next += 1;
                }
                if let Some(patient) = walk.patient.clone() {
                    walk.encounter = Some(pv1::encounter(ctx, &segment, pv2.as_ref(), &patient));
                }
            }
            "ORC" => {
                let joins_previous_obr = layout.specimen_first
                    && idx > 0
                    && segments.get(idx - 1).is_some_and(|s| s.name() == "OBR")
                    && walk.group.as_ref().is_some_and(|g| g.orc.is_none());
                let notes = notes_after(&segments, idx);
                next += notes.len();
                let group = if joins_previous_obr {
                    match walk.group.as_mut() {
                        Some(group) => group,
                        None => walk.new_group(ctx),
                    }
                } else {
                    walk.new_group(ctx)
                };
                group.orc = Some(segment);
                group.notes.extend(notes);
            }
            "OBR" => {
                let notes = notes_after(&segments, idx);
                next += notes.len();
                let reuse = walk.group.as_ref().is_some_and(|g| g.obr.is_none());
                let group = match walk.group.as_mut() {
                    Some(group) if reuse => group,
                    _ => walk.new_group(ctx),
                };
                group.obr = Some(segment);
                group.notes.extend(notes);
            }
            "OBX" => {
                let notes = notes_after(&segments, idx);
                next += notes.len();
                let observation = obx::observation(
                    ctx,
                    &segment,
                    &notes,
                    walk.patient.as_deref(),
                    walk.encounter.as_deref(),
                );
                if let (Some(observation), Some(group)) = (observation, walk.group.as_mut()) {
                    group.results.push(observation);
                }
            }
            "TQ1" => {
                if let Some(group) = walk.group.as_mut() {
                    group.timings.push(segment);
                }
            }
            "DG1" => {
                if let (Some(patient), true) = (walk.patient.clone(), walk.group.is_some()) {
                    let condition =
                        dg1::condition(ctx, &segment, &patient, walk.encounter.as_deref());
                    if let Some(group) = walk.group.as_mut() {
                        group.reasons.push(condition);
                    }
                }
            }
            "SPM" => {
                let specimen = spm::specimen(ctx, &segment, walk.patient.as_deref());
                let inside_group = walk.group.as_ref().is_some_and(|g| g.obr.is_some());
                if layout.specimen_first {
                    walk.finish_group(ctx);
                    walk.enclosing_specimens = vec![specimen];
                } else if let (true, Some(group)) = (inside_group, walk.group.as_mut()) {
                    group.specimens.push(specimen);
                }
            }
            _ => {}
        }
        idx = next;
    }
    walk.finish_group(ctx);
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::v2::Converter;

    const MSH: &str =
        "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240305103000-0500||ORU^R01^ORU_R01|C1|P|2.5.1\r";

    fn resources(message: &str, resource_type: &str) -> Vec<Value> {
        let conversion = Converter::default().convert(message.as_bytes()).unwrap();
        conversion.bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["resource"].clone())
            .filter(|r| r["resourceType"] == resource_type)
            .collect()
    }

    #[test]
    fn each_patient_result_group_has_its_own_subject_and_reports() {
        let message = format!(
            "{MSH}PID|1||111^^^HOSP^MR||ONE^ANN\r\
             OBR|1|P1^HOSP|F1^LAB|2345-7^Glucose^LN|||202403050900||||||||||||||||||F\r\
             OBX|1|NM|2345-7^Glucose^LN||5.5|mmol/L|||||F\r\
             OBX|2|NM|2339-0^Glucose^LN||6.1|mmol/L|||||F\r\
             PID|1||222^^^HOSP^MR||TWO^BOB\r\
             ORC|RE|P2^HOSP|F2^LAB\r\
             OBR|1|P2^HOSP|F2^LAB|718-7^Hemoglobin^LN|||202403050915||||||||||||||||||P\r\
             NTE|1||Hemolysed\r\
             OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL|||||P\r\
             SPM|1|S2&HOSP||BLD^Blood^HL70487\r"
        );
        let reports = resources(&message, "DiagnosticReport");
        assert_eq!(reports.len(), 2);
        assert_ne!(reports[0]["subject"], reports[1]["subject"]);
        assert_eq!(reports[0]["status"], "final");
        assert_eq!(reports[0]["result"].as_array().unwrap().len(), 2);
        assert_eq!(reports[1]["status"], "preliminary");
        assert_eq!(reports[1]["result"].as_array().unwrap().len(), 1);
        assert_eq!(reports[1]["specimen"].as_array().unwrap().len(), 1);
        assert_eq!(reports[0]["effectiveDateTime"], "2024-03-05T09:00:00-05:00");
        let requests = resources(&message, "ServiceRequest");
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0]["intent"], "order");
        assert_eq!(requests[1]["note"][0]["text"], "Hemolysed");
        assert_eq!(
            reports[1]["basedOn"][0]["reference"],
            format!("urn:uuid:{}", requests[1]["id"].as_str().unwrap())
        );
        let observations = resources(&message, "Observation");
        assert_eq!(observations.len(), 3);
        assert_eq!(observations[2]["subject"], reports[1]["subject"]);
    }

    #[test]
    fn order_group_tq1_gives_timing_and_priority_and_dg1_a_reason() {
        let message = "MSH|^~\\&|CPOE|HOSP|LAB|HOSP|20240305103000-0500||OML^O21^OML_O21|C3|P|2.5.1\r\
             PID|1||444^^^HOSP^MR||THREE^CAT\r\
             ORC|NW|P9^HOSP||||||||||1234^WELBY^MARCUS\r\
             TQ1|1|1^{tbl}&tablet|Q4H|||||20240305120000-0500|A^ASAP^HL70485||Fasting\r\
             OBR|1|P9^HOSP||2345-7^Glucose^LN\r\
             DG1|1||E11.9^Type 2 diabetes^I10||20240301|W\r";
        let requests = resources(message, "ServiceRequest");
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request["priority"], "asap");
        assert_eq!(
            request["occurrenceTiming"],
            serde_json::json!({
                "repeat": {"boundsPeriod": {"end": "2024-03-05T12:00:00-05:00"}},
                "code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0335", "code": "Q4H"}]}
            })
        );
        assert_eq!(request["quantityQuantity"]["value"], 1);
        assert_eq!(request["note"][0]["text"], "Fasting");
        let conditions = resources(message, "Condition");
        assert_eq!(conditions.len(), 1);
        assert_eq!(
            request["reasonReference"][0]["reference"],
            format!("urn:uuid:{}", conditions[0]["id"].as_str().unwrap())
        );
    }

    #[test]
    fn vxu_gives_an_immunization_with_route_site_and_linked_observations() {
        let message = "MSH|^~\\&|IIS|HOSP|EHR|HOSP|20240305103000-0500||VXU^V04^VXU_V04|C2|P|2.5.1\r\
             PID|1||333^^^HOSP^MR||KID^AMY\r\
             ORC|RE||IZ-9^HOSP\r\
             RXA|0|1|20240301||08^HepB^CVX|0.5|mL^mL^UCUM||00^New^NIP001||||||LOT1|20250101|MSD^Merck^MVX|||PA|A\r\
             RXR|C28161^Intramuscular^NCIT|LA^Left Arm^HL70163\r\
             OBX|1|CE|64994-7^Eligibility^LN||V02^Medicaid^HL70064||||||F\r";
        let immunizations = resources(message, "Immunization");
        assert_eq!(immunizations.len(), 1);
        let immunization = &immunizations[0];
        assert_eq!(immunization["status"], "completed");
        assert_eq!(immunization["isSubpotent"], true);
        assert_eq!(immunization["occurrenceDateTime"], "2024-03-01");
        assert_eq!(immunization["lotNumber"], "LOT1");
        assert_eq!(immunization["expirationDate"], "2025-01-01");
        assert_eq!(immunization["primarySource"], true);
        assert_eq!(immunization["vaccineCode"]["coding"][0]["code"], "08");
        assert_eq!(immunization["route"]["coding"][0]["code"], "C28161");
        assert_eq!(immunization["site"]["coding"][0]["code"], "LA");
        assert_eq!(immunization["identifier"][0]["value"], "IZ-9");
        let observations = resources(message, "Observation");
        assert_eq!(
            observations[0]["partOf"][0]["reference"],
            format!("urn:uuid:{}", immunization["id"].as_str().unwrap())
        );
    }
}
