//! MDM_T01 (T01, T03, T05, T07, T09, T11) and MDM_T02 (T02, T04, T06, T08, T10): a clinical
//! document (notification, or notification with content) → one DocumentReference.
//!
//! Grouping (HL7 v2.8): `MSH, [{SFT}], EVN, PID, PV1, [{COMMON_ORDER: ORC, [{TIMING: TQ1,
//! [{TQ2}]}], OBR, [{NTE}]}], TXA, [{CON}]` and, for MDM_T02, `{OBSERVATION: OBX, [{NTE}]}`.
//! PID and PV1 give the subject and encounter, EVN the event Provenance; each COMMON_ORDER
//! group (ORC, TQ1, OBR, NTE) is a ServiceRequest (through the order mappings) that the
//! DocumentReference names in `context.related`; TXA and the OBX segments after it make the
//! DocumentReference. SFT, CON and the NTEs after OBX stay in the report.

use hl7v2::Location;

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::txa;
use super::sched_common::{Subject, events, order_or_result};

/// Converts an MDM_T01-structured message (document notification, no content).
pub fn convert_mdm_t01(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    convert(ctx, true)
}

/// Converts an MDM_T02-structured message (document notification and content).
pub fn convert_mdm_t02(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    convert(ctx, false)
}

fn convert(ctx: &mut Context<'_>, notification: bool) -> Result<(), ConvertError> {
    let message = ctx.message();
    let Some(txa_segment) = message.first("TXA") else {
        return Err(ConvertError::MissingRequired {
            location: Box::new(Location::segment(1, "TXA")),
            what: "an MDM message needs its TXA segment".into(),
        });
    };
    let segments: Vec<_> = message.segments().collect();
    let mut subject = Subject::default();
    let mut orders = Vec::new();
    let mut position = 0;
    while position < txa_segment.index() {
        if let Some(segment) = segments.get(position)
            && !subject.read(ctx, segment)
            && segment.name() == "ORC"
        {
            let (request, taken) = order_or_result(ctx, &segments, position, &subject);
            orders.extend(request);
            position += taken;
        }
        position += 1;
    }
    let observations: Vec<_> = if notification {
        Vec::new()
    } else {
        message
            .segments()
            .skip(txa_segment.index() + 1)
            .filter(|segment| segment.name() == "OBX")
            .collect()
    };
    txa::document_reference(
        ctx,
        &txa_segment,
        &observations,
        &orders,
        subject.patient.as_deref(),
        subject.encounter.as_deref(),
        notification,
    );
    events(ctx);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::sched_common::test_support::check;

    const MDM: &str = "MSH|^~\\&|DOC|HOSP|EHR|HOSP|20080131160000+0100||MDM^T02^MDM_T02|D1|P|2.5
EVN|T02|200801311600
PID|1||MRN1^^^HOSP^MR||DOE^JANE
PV1|1|I
ORC|SC|00012345^HOSP|1-1^HOSP
OBR|1|00012345^HOSP|1-1^HOSP|02585^TransthoracicEcho^PCV4
TXA|1|DS^Discharge summary|TX|200801311555||200801311600|||1234^WELBY^MARCUS|||DOC-77^HOSP|||||AU|R|AV||||||Discharge summary
OBX|1|TX|DS^Summary||Line one~Line two||||||F
OBX|2|ED|PDF^Scan||^AP^PDF^Base64^JVBERi0=||||||F";

    #[test]
    fn txa_and_obx_make_one_document_reference() {
        check(
            MDM,
            "DocumentReference",
            json!({
                "masterIdentifier": {"system": "urn:fhirgate:namespace:HOSP", "value": "DOC-77"},
                "status": "current",
                "docStatus": "final",
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0270", "code": "DS", "display": "Discharge summary"}]},
                "subject": {"reference": "Patient"},
                "date": "2008-01-31T16:00:00+01:00",
                "author": [{"reference": "Practitioner"}],
                "description": "Discharge summary",
                "securityLabel": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0272", "code": "R", "display": "Restricted"}]}],
                "content": [
                    {"attachment": {"contentType": "text/plain", "data": "TGluZSBvbmUKTGluZSB0d28=", "title": "Summary"}},
                    {"attachment": {"contentType": "application/pdf", "data": "JVBERi0=", "title": "Scan"}}
                ],
                "context": {"encounter": [{"reference": "Encounter"}], "related": [{"reference": "ServiceRequest"}]}
            }),
        );
    }

    #[test]
    fn availability_and_notifications() {
        let obsolete = MDM.replace("|AU|R|AV|", "|DI||OB|");
        check(
            &obsolete,
            "DocumentReference",
            json!({
                "status": "superseded",
                "_status": {"extension": [{
                    "url": "http://hl7.org/fhir/StructureDefinition/alternate-codes",
                    "valueCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0273", "code": "OB"}]}
                }]},
                "docStatus": "preliminary"
            }),
        );
        let notification = MDM.replace("MDM^T02^MDM_T02", "MDM^T01");
        let (_, report) = check(
            &notification,
            "DocumentReference",
            json!({"content": [{"attachment": {
                "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "not-applicable"}],
                "contentType": "text/plain"
            }}]}),
        );
        // A T01 has no OBX: the ones here are not its content, and are reported.
        assert!(report.to_string().contains("segment OBX(8)"), "{report}");
    }
}
