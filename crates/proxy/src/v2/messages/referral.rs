//! REF_I12 (I12–I15 by table 0354): a patient referral → a ServiceRequest.
//!
//! Grouping (HL7 v2.8): `MSH, [{SFT}], [UAC], [RF1], [{AUTHORIZATION_CONTACT: AUT, [CTD]}],
//! {PROVIDER_CONTACT: PRD, [{CTD}]}, PID, [{NK1}], [{GT1}], [{INSURANCE: IN1, [IN2], [IN3]}],
//! [ACC], [{DG1}], [{DRG}], [{AL1}], [{PROCEDURE: PR1, [{AUTHORIZATION_CONTACT…}]}],
//! [{OBSERVATION: OBR, [{NTE}], [{RESULTS_NOTES: OBX, [{NTE}]}]}], [PATIENT_VISIT: PV1,
//! [PV2]], [{NTE}]`.
//!
//! The referral (RF1) and its providers (PRD) come before the patient (PID) and the visit
//! (PV1, near the end), so those two are read first; then RF1 with every PRD and the closing
//! NTEs (after PV1/PV2) makes the ServiceRequest, NK1, AL1, DG1, PR1 and IN1 go through the
//! ADT mappings, and the OBSERVATION group (OBR, OBX, their NTEs) through the order mappings.
//! AUT, CTD, GT1, IN2, IN3, ACC and DRG stay in the report.

use hl7v2::Segment;

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::{nte, rf1};
use super::sched_common::{Subject, events, order_or_result};

/// Converts a REF_I12-structured message.
pub fn convert_ref_i12<'m>(ctx: &mut Context<'m>) -> Result<(), ConvertError> {
    let segments: Vec<Segment<'m>> = ctx.message().segments().collect();
    let mut subject = Subject::first_of(ctx);
    let providers: Vec<Segment<'m>> = segments
        .iter()
        .filter(|segment| segment.name() == "PRD")
        .copied()
        .collect();
    // The closing NTEs: those after the last PV1/PV2, with nothing but NTEs between.
    let closing: Vec<Segment<'m>> = segments
        .iter()
        .rev()
        .take_while(|segment| segment.name() == "NTE")
        .copied()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let closing = match closing
        .first()
        .and_then(|first| first.index().checked_sub(1))
    {
        Some(before)
            if segments
                .get(before)
                .is_some_and(|segment| matches!(segment.name(), "PV1" | "PV2")) =>
        {
            closing
        }
        _ => Vec::new(),
    };
    let mut position = 0;
    while let Some(segment) = segments.get(position) {
        match segment.name() {
            // PID and PV1 were read up front.
            "PID" | "PV1" => {}
            "OBR" | "OBX" => position += order_or_result(ctx, &segments, position, &subject).1,
            _ => {
                subject.read(ctx, segment);
            }
        }
        position += 1;
    }
    let notes = nte::annotations(ctx, &closing);
    if let Some(rf1_segment) = ctx.message().first("RF1") {
        rf1::referral(
            ctx,
            &rf1_segment,
            &providers,
            notes,
            subject.patient.as_deref(),
            subject.encounter.as_deref(),
        );
    }
    events(ctx);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::sched_common::test_support::check;

    const REF: &str = "MSH|^~\\&|GHH|HOSP|RHH|HOSP|20220125162000+0000||REF^I12^REF_I12|R1|P|2.5
RF1|P^Pending^HL70283|R^Routine^HL70280|Med^Medical^HL70281||O|226839^EPIC|20220125|20220210|20220124|O^Provider Ordered^HL70336|11001^EXTID|||Referral to specialist
PRD|RP^Referring Provider^HL70286|POWELL^ROBERT|1031 HEALTHCARE DRIVE^^ANN ARBOR^MI^99999||^WPN^PH^^^626^5551234||PLN1001^SL
PRD|RT^Referred to Provider^HL70286|McWILLIAMS^PAUL
PID|1||PATID1234^^^HOSP^MR||EVERYMAN^ADAM
DG1|1||K63.3^Ulcer of Intestine^I10
PV1|1|O
NTE|||Lab test";

    #[test]
    fn rf1_and_prd_make_a_referral() {
        check(
            REF,
            "ServiceRequest",
            json!({
                "identifier": [
                    {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC", "display": "Placer Identifier"}]}, "system": "urn:fhirgate:namespace:EPIC", "value": "226839"},
                    {"system": "urn:fhirgate:namespace:EXTID", "value": "11001"}
                ],
                "status": "active",
                "intent": "order",
                "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]}],
                "priority": "routine",
                "code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0281", "code": "Med", "display": "Medical"}]},
                "subject": {"reference": "Patient"},
                "encounter": {"reference": "Encounter"},
                "occurrencePeriod": {"start": "2022-01-25", "end": "2022-02-10"},
                "authoredOn": "2022-01-24",
                "requester": {"reference": "Practitioner"},
                "performer": [{"reference": "Practitioner"}],
                "reasonCode": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0336", "code": "O", "display": "Provider Ordered"}]}],
                "note": [{"text": "Referral to specialist"}, {"text": "Lab test"}]
            }),
        );
    }

    #[test]
    fn without_a_patient_there_is_no_referral() {
        let no_pid: String = REF
            .lines()
            .filter(|line| !line.starts_with("PID") && !line.starts_with("DG1"))
            .collect::<Vec<_>>()
            .join("\n");
        let (bundle, report) = super::super::sched_common::test_support::convert(&no_pid);
        let requests =
            super::super::sched_common::test_support::resources(&bundle, "ServiceRequest");
        assert!(requests.is_empty(), "{requests:#?}");
        assert!(report.to_string().contains("no PID"), "{report}");
    }
}
