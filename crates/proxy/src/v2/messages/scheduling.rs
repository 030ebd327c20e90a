//! SIU_S12 (S12–S24, S26, S27 by table 0354): a scheduled appointment → one Appointment.
//!
//! Grouping (HL7 v2.8): `MSH, SCH, [{TQ1}], [{NTE}], [{PATIENT: PID, [PD1], [PV1], [PV2],
//! [{OBX}], [{DG1}]}], {RESOURCES: RGS, [{SERVICE: AIS, [{NTE}]}], [{GENERAL_RESOURCE: AIG,
//! [{NTE}]}], [{LOCATION_RESOURCE: AIL, [{NTE}]}], [{PERSONNEL_RESOURCE: AIP, [{NTE}]}]}`.
//! Every group ends up in the one Appointment, so the walk is linear: SCH and the top TQ1s make
//! the Appointment, each PID adds a patient participant, each AI* segment a service or a
//! participant, and every NTE (top-level or in a resource group) a line of
//! `Appointment.comment`. PID, PD1, PV1 (with PV2) and DG1 go through the ADT mappings, the
//! PATIENT group's OBX segments through the OBX mapping.

use hl7v2::Location;
use serde_json::Value;

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::{resources, sch};
use super::sched_common::{Subject, note_text, order_or_result};

/// Converts an SIU_S12-structured message.
pub fn convert_siu_s12(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    let message = ctx.message();
    let Some(sch_segment) = message.first("SCH") else {
        return Err(ConvertError::MissingRequired {
            location: Box::new(Location::segment(1, "SCH")),
            what: "an SIU message needs its SCH segment".into(),
        });
    };
    // TQ1 of the top level: after SCH and before the first group.
    let tq1: Vec<_> = message
        .segments()
        .skip(sch_segment.index() + 1)
        .take_while(|segment| matches!(segment.name(), "TQ1" | "NTE"))
        .filter(|segment| segment.name() == "TQ1")
        .collect();
    let appointment = sch::appointment(ctx, &sch_segment, &tq1);
    let mut subject = Subject::default();
    let mut patients = Vec::new();
    let mut comments = Vec::new();
    let segments: Vec<_> = message.segments().collect();
    let mut position = sch_segment.index() + 1;
    while let Some(segment) = segments.get(position) {
        if subject.read(ctx, segment) {
            if segment.name() == "PID" {
                patients.extend(subject.patient.clone());
            }
        } else {
            match segment.name() {
                "NTE" => comments.extend(note_text(ctx, segment)),
                "RGS" => ctx.consume(segment, &[1]),
                "AIS" | "AIG" | "AIL" | "AIP" => resources::resource(ctx, segment, &appointment),
                // The PATIENT group's OBX (it has no NTEs of its own).
                "OBX" => {
                    order_or_result(ctx, &segments[..=position], position, &subject);
                }
                _ => {}
            }
        }
        position += 1;
    }
    if !comments.is_empty()
        && let Some(resource) = ctx.resource_mut(&appointment)
    {
        resource.insert("comment".into(), Value::String(comments.join("\n")));
    }
    sch::finish(ctx, &appointment, &patients, &sch_segment);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::sched_common::test_support::{check, convert, resources};

    const SIU: &str = "MSH|^~\\&|SCH|HOSP|EHR|HOSP|20210914112000+0200||SIU^S12^SIU_S12|M1|P|2.5
SCH|P-1^PLACER|F-9^FILLER||||Add|EMERGENCY|Normal|60|min|^^^20210924093000^20210924103000|||||||||||||Booked
NTE|1||Bring reports
PID|1||MRN1^^^HOSP^MR||DOE^JANE
RGS|1
AIS|1|A|76164006^Biopsy of colon^SCT|20210924093000|||50|min||Booked
NTE|1||Fasting
AIL|1||055^Room01^^GH Clinic|||20210924093000|||50|min||Booked
AIP|1||1210^GE^Robert|010^Gastroenterologist^L||20210924093000|||50|min||Pending
AIP|2|D|1211^OUT^Olga";

    #[test]
    fn sch_and_resources_make_one_appointment() {
        let (bundle, report) = check(
            SIU,
            "Appointment",
            json!({
                "status": "booked",
                "serviceType": [{"coding": [{"system": "http://snomed.info/sct", "code": "76164006", "display": "Biopsy of colon"}]}],
                "appointmentType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0277", "code": "Normal"}]},
                "reasonCode": [{"coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": "EMERGENCY"},
                    {"system": "http://snomed.info/sct", "code": "373110003", "display": "Emergency procedure (procedure)"}
                ]}],
                "start": "2021-09-24T09:30:00+02:00",
                "end": "2021-09-24T10:30:00+02:00",
                "minutesDuration": 60,
                "comment": "Bring reports\nFasting",
                "participant": [
                    {"actor": {"reference": "Patient"}, "status": "accepted"},
                    {"actor": {"reference": "Location"}, "status": "accepted",
                     "period": {"start": "2021-09-24T09:30:00+02:00", "end": "2021-09-24T10:20:00+02:00"}},
                    {"type": [{"coding": [{"code": "010", "display": "Gastroenterologist"}]}],
                     "actor": {"reference": "Practitioner"}, "status": "needs-action",
                     "period": {"start": "2021-09-24T09:30:00+02:00", "end": "2021-09-24T10:20:00+02:00"}}
                ]
            }),
        );
        let appointment = &resources(&bundle, "Appointment")[0];
        assert_eq!(appointment["identifier"][1]["value"], "F-9");
        assert_eq!(
            appointment["identifier"][1]["type"]["coding"][0]["code"],
            "FILL"
        );
        let text = report.to_string();
        assert!(text.contains("action code D"), "{text}");
        assert!(!text.contains("AIS(5)-7"), "{text}");
    }

    #[test]
    fn status_falls_back_to_ais_then_to_the_trigger() {
        let without_sch25 = SIU.replace("||||||||||||||Booked\nNTE", "||||||||||||||\nNTE");
        check(&without_sch25, "Appointment", json!({"status": "booked"}));
        let cancel = "MSH|^~\\&|SCH|HOSP|EHR|HOSP|20210914112000+0200||SIU^S15^SIU_S15|M2|P|2.5
SCH|P-1^PLACER
AIP|1||1210^GE^Robert";
        let (_, report) = check(
            cancel,
            "Appointment",
            json!({"status": "cancelled", "participant": [
                {"actor": {"reference": "Practitioner"}, "status": "declined"}
            ]}),
        );
        assert!(report.to_string().contains("from trigger event \"S15\""));
    }

    #[test]
    fn a_lone_start_is_completed_from_the_duration_or_dropped() {
        let message = "MSH|^~\\&|SCH|HOSP|EHR|HOSP|20210914112000+0200||SIU^S12|M3|P|2.5
SCH|P-1||||||||90|min|^^^20210924093000|||||||||||||Booked
AIL|1||055^Room01";
        check(
            message,
            "Appointment",
            json!({"start": "2021-09-24T09:30:00+02:00", "end": "2021-09-24T11:00:00+02:00"}),
        );
        let no_duration = message.replace("|90|min|", "|||");
        let (bundle, report) = convert(&no_duration);
        let appointment = &resources(&bundle, "Appointment")[0];
        assert!(appointment.get("start").is_none(), "{appointment:#}");
        assert!(report.to_string().contains("app-2"));
    }

    #[test]
    fn offsets_devices_and_contacts() {
        // AIG-8 empty: AIG-9/10 (30 min) after the Appointment's start, AIG-11/12 long.
        let message = "MSH|^~\\&|SCH|HOSP|EHR|HOSP|20210914112000+0200||SIU^S12|M4|P|2.5
SCH|P-1|||||||||||9941339109^Smith^Adam||||||||||||Booked
TQ1|||||||20210924093000|20210924103000
AIG|1||5001^EVIS X12 Colonoscope^L|101^Equipment^L|||||30|min|1|h";
        let (bundle, _) = check(
            message,
            "Appointment",
            json!({
                "start": "2021-09-24T09:30:00+02:00",
                "participant": [
                    {"type": [{"text": "placer contact"}], "actor": {"reference": "Practitioner"}, "status": "accepted"},
                    {"type": [{"coding": [{"code": "101", "display": "Equipment"}]}],
                     "actor": {"reference": "Device"}, "status": "accepted",
                     "period": {"start": "2021-09-24T10:00:00+02:00", "end": "2021-09-24T11:00:00+02:00"}}
                ]
            }),
        );
        let device = &resources(&bundle, "Device")[0];
        assert_eq!(device["identifier"], json!([{"value": "5001"}]));
        assert_eq!(
            device["deviceName"],
            json!([{"name": "EVIS X12 Colonoscope", "type": "user-friendly-name"}])
        );
    }
}
