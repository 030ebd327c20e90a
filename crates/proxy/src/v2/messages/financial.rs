//! DFT_P03, DFT_P11 (financial transactions) and BAR_P01, BAR_P02, BAR_P12 (billing account
//! records).
//!
//! Grouping (HL7 v2.8):
//! - DFT_P03: `MSH, [{SFT}], EVN, PID, [PD1], [{ROL}], [PV1], [PV2], [{ROL}], [{DB1}],
//!   [{COMMON_ORDER: ORC, [ORDER], [{OBSERVATION: OBX, [{NTE}]}]}], {FINANCIAL: FT1, [{NTE}],
//!   [{FINANCIAL_PROCEDURE: PR1, [{ROL}]}], [{FINANCIAL_COMMON_ORDER…}]}, [{DG1}], [DRG],
//!   [{GT1}], [{INSURANCE: IN1, [IN2], [{IN3}], [{ROL}]}], [ACC]`; DFT_P11 the same with the
//!   diagnoses and insurance also inside each FINANCIAL group.
//! - BAR_P01: `MSH, EVN, PID, [PD1], [{ROL}], {VISIT: [PV1], [PV2], [{ROL}], [{DB1}], [{OBX}],
//!   [{AL1}], [{DG1}], [DRG], [{PROCEDURE: PR1, [{ROL}]}], [{GT1}], [{NK1}], [{INSURANCE…}],
//!   [ACC], [UB1], [UB2]}`; BAR_P02 repeats `{PATIENT: PID, [PD1], [PV1], [{DB1}]}`; BAR_P12 is
//!   `MSH, EVN, PID, PV1, [{DG1}], [DRG], [{PROCEDURE: PR1, [{ROL}]}], [{OBX}]`.
//!
//! In all of them a PID opens a patient and a PV1 its visit, and every FT1 after them is a
//! ChargeItem of that patient and visit: one linear walk serves the five structures. PID, PV1
//! (with PV2), PD1, NK1, AL1, DG1, PR1, IN1 and EVN go through the ADT mappings, ORC/OBR
//! groups and OBX (with their NTEs) through the order mappings. The other segments (ROL, DB1,
//! NTE after FT1, DRG, GT1, IN2, IN3, ACC, UB1, UB2) stay in the report.

use hl7v2::Location;

use super::super::ConvertError;
use super::super::context::Context;
use super::super::segments::ft1;
use super::sched_common::{Subject, events, order_or_result};

/// Converts a DFT_P03 or DFT_P11 message: FT1 → ChargeItem.
pub fn convert_dft(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(ctx)
}

/// Converts a BAR_P01, BAR_P02 or BAR_P12 message: the patients and visits.
pub fn convert_bar(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    walk(ctx)
}

fn walk(ctx: &mut Context<'_>) -> Result<(), ConvertError> {
    let message = ctx.message();
    if message.first("PID").is_none() {
        return Err(ConvertError::MissingRequired {
            location: Box::new(Location::segment(message.n_segments(), "PID")),
            what: "a DFT or BAR message needs a PID segment; there is none".into(),
        });
    }
    let segments: Vec<_> = message.segments().collect();
    let mut subject = Subject::default();
    let mut position = 0;
    while let Some(segment) = segments.get(position) {
        if !subject.read(ctx, segment) {
            match segment.name() {
                "FT1" => {
                    ft1::charge_item(
                        ctx,
                        segment,
                        subject.patient.as_deref(),
                        subject.encounter.as_deref(),
                    );
                }
                "ORC" | "OBR" | "OBX" => {
                    position += order_or_result(ctx, &segments, position, &subject).1;
                }
                _ => {}
            }
        }
        position += 1;
    }
    events(ctx);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::sched_common::test_support::{check, convert, resources};

    const DFT: &str = "MSH|^~\\&|BILL|HOSP|FIN|HOSP|20191122100000+0100||DFT^P03^DFT_P03|F1|P|2.5
EVN|P03|20191122100000
PID|1||MRN1^^^HOSP^MR||DOE^JANE
PV1|1|O
FT1|1|T-1^^^HOSP||20191122|20191123|CG|71045^Xray exam chest 1 view^C4|Chest X-ray||2|100.50&USD||||||||29857009^Chest pain^SCT|9941339108^Smith^Adam||||77^Clerk^Carla
FT1|2|||20191122^20191124||PY||||1";

    #[test]
    fn ft1_makes_a_charge_item() {
        let (bundle, report) = check(
            DFT,
            "ChargeItem",
            json!({
                "identifier": [{"system": "urn:fhirgate:namespace:HOSP", "value": "T-1"}],
                "status": "billable",
                "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "71045", "display": "Xray exam chest 1 view"}], "text": "Chest X-ray"},
                "subject": {"reference": "Patient"},
                "context": {"reference": "Encounter"},
                "occurrenceDateTime": "2019-11-22",
                "performer": [{"actor": {"reference": "Practitioner"}}],
                "quantity": {"value": 2},
                "enterer": {"reference": "Practitioner"},
                "enteredDate": "2019-11-23",
                "reason": [{"coding": [{"system": "http://snomed.info/sct", "code": "29857009", "display": "Chest pain"}]}]
            }),
        );
        let items = resources(&bundle, "ChargeItem");
        assert_eq!(items.len(), 2);
        // The decimal keeps its written precision.
        assert_eq!(
            items[0]["priceOverride"].to_string(),
            r#"{"value":100.50,"currency":"USD"}"#
        );
        assert_eq!(items[1]["status"], "unknown");
        assert_eq!(
            items[1]["occurrencePeriod"],
            json!({"start": "2019-11-22", "end": "2019-11-24"})
        );
        assert_eq!(
            items[1]["code"]["extension"][0]["valueCode"], "unknown",
            "{:#}",
            items[1]
        );
        let text = report.to_string();
        assert!(text.contains("\"PY\" is not a charge"), "{text}");
    }

    #[test]
    fn bar_maps_every_patient() {
        let bar = "MSH|^~\\&|BILL|HOSP|FIN|HOSP|20191122100000+0100||BAR^P02^BAR_P02|B2|P|2.5
EVN|P02|20191122100000
PID|1||MRN1^^^HOSP^MR||DOE^JANE
PV1|1|O
PID|2||MRN2^^^HOSP^MR||ROE^RICHARD";
        let (bundle, _) = convert(bar);
        assert_eq!(resources(&bundle, "Patient").len(), 2);
        assert_eq!(resources(&bundle, "Encounter").len(), 1);
    }
}
