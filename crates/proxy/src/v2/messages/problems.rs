//! PPR_PC1 (PC1 add, PC2 update, PC3 delete): patient problems → Conditions.
//!
//! Grouping (HL7 v2.5): `MSH, PID, [PATIENT_VISIT: PV1, [PV2]], {PROBLEM: PRB, [{NTE}],
//! [{VAR}], [{PROBLEM_ROLE: ROL, [{VAR}]}], [{PATHWAY: PTH, [{VAR}]}], [{GOAL…}],
//! [{ORDER…}], [{PROBLEM_OBSERVATION: OBX, [{NTE}]}]}`. Each PRB with the NTEs directly after it
//! is one Condition of the patient (see [`prb`](super::super::segments::prb)); the other parts
//! of a PROBLEM group (VAR, ROL, PTH, GOL, ORC, OBX) stay in the report.

use hl7v2::{Location, Segment};

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::prb;
use super::sched_common::{Subject, events};

/// Converts a PPR_PC1-structured message.
pub fn convert_ppr_pc1<'m>(ctx: &mut Context<'m>) -> Result<(), ConvertError> {
    let segments: Vec<Segment<'m>> = ctx.message().segments().collect();
    if !segments.iter().any(|segment| segment.name() == "PRB") {
        return Err(ConvertError::MissingRequired {
            location: Box::new(Location::segment(segments.len(), "PRB")),
            what: "a PPR message needs a PRB segment (the PROBLEM group); there is none".into(),
        });
    }
    let mut subject = Subject::default();
    for (position, segment) in segments.iter().enumerate() {
        if subject.read(ctx, segment) {
            continue;
        }
        if segment.name() == "PRB" {
            let notes: Vec<Segment<'m>> = segments
                .iter()
                .skip(position + 1)
                .take_while(|next| next.name() == "NTE")
                .copied()
                .collect();
            prb::condition(
                ctx,
                segment,
                &notes,
                subject.patient.as_deref(),
                subject.encounter.as_deref(),
            );
        }
    }
    events(ctx);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::sched_common::test_support::check;

    const PPR: &str = "MSH|^~\\&|||||20040629164652-0500||PPR^PC1|331|P|2.3.1
PID|||10290^^^WEST^MR||KARLS^TOM
PRB|AD|200406291646|596.5^BLADDER DYSFUNCTION^I9|26744^WEST|||20040629||||||confirmed|ACTIVE||20040601
NTE|1||Patient reports nocturia";

    #[test]
    fn prb_makes_a_condition() {
        check(
            PPR,
            "Condition",
            json!({
                "identifier": [{"system": "urn:fhirgate:namespace:WEST", "value": "26744"}],
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item", "display": "Problem List Item"}]}],
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-9-cm", "code": "596.5", "display": "BLADDER DYSFUNCTION"}]},
                "subject": {"reference": "Patient"},
                "onsetDateTime": "2004-06-01",
                "recordedDate": "2004-06-29",
                "note": [{"text": "Patient reports nocturia"}]
            }),
        );
    }

    #[test]
    fn a_deleted_problem_is_entered_in_error() {
        let delete = PPR
            .replace("PPR^PC1", "PPR^PC3")
            .replace("PRB|AD|", "PRB|DE|");
        let (bundle, _) = check(
            &delete,
            "Condition",
            json!({
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "entered-in-error"}]}
            }),
        );
        let condition =
            &super::super::sched_common::test_support::resources(&bundle, "Condition")[0];
        assert!(condition.get("clinicalStatus").is_none(), "{condition:#}");
    }

    #[test]
    fn an_abated_problem_is_resolved_or_loses_the_abatement() {
        // PRB-9 without PRB-14: resolved (con-4).
        let resolved = PPR.replace("||||||confirmed|ACTIVE||", "||20040620||||confirmed|||");
        check(
            &resolved,
            "Condition",
            json!({
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]},
                "abatementDateTime": "2004-06-20"
            }),
        );
        // PRB-9 with PRB-14 ACTIVE: the abatement is left out.
        let active = PPR.replace(
            "||||||confirmed|ACTIVE||",
            "||20040620||||confirmed|ACTIVE||",
        );
        let (bundle, _) = check(
            &active,
            "Condition",
            json!({
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}
            }),
        );
        let condition =
            &super::super::sched_common::test_support::resources(&bundle, "Condition")[0];
        assert!(
            condition.get("abatementDateTime").is_none(),
            "{condition:#}"
        );
    }
}
