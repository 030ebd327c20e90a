//! AL1 → AllergyIntolerance, per the v2-to-FHIR table "AL1\[AllergyIntolerance\]".
//!
//! AL1-4 (severity) is mapped as `criticality` (the table's first reading, "severity used as
//! criticality"), with the original code in the `alternate-codes` extension; a severity without
//! a criticality mapping (MO, U) keeps only that extension. `clinicalStatus` is `active`, as the
//! table assigns: an AL1 lists an allergy the patient has.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::pid::field_datetime;

/// The extension that keeps the original v2 code beside a mapped FHIR code.
pub(super) const ALTERNATE_CODES: &str = "http://hl7.org/fhir/StructureDefinition/alternate-codes";

/// What AL1-2..4 and IAM-2..4 (the same three fields) say about an allergy.
pub(super) struct Allergen {
    /// The FHIR category code from the allergen type.
    pub category: Option<String>,
    /// The allergen type as written.
    pub category_original: Option<Value>,
    /// The FHIR type (`allergy`/`intolerance`) from the allergen type.
    pub kind: Option<String>,
    /// The allergen.
    pub code: Option<Value>,
    /// The FHIR criticality from the severity.
    pub criticality: Option<String>,
    /// The severity as written.
    pub criticality_original: Option<Value>,
}

/// Reads fields 2 (allergen type), 3 (allergen) and 4 (severity) of an AL1 or IAM segment.
pub(super) fn allergen<'m>(ctx: &mut Context<'m>, segment: &Segment<'m>) -> Allergen {
    let mut category = None;
    let mut category_original = None;
    let mut kind = None;
    if let Some(item) = ctx.item(segment, 2) {
        let code = item.text(1);
        category = mapped_code(ctx, &item, "AllergenType[AllergyIntoleranceCategory]");
        kind = code
            .as_deref()
            .and_then(|code| ctx.vocabulary().map("AllergyType", code))
            .map(|m| m.code.to_owned());
        category_original = dt::codeable_concept(ctx, &item, Some("0127"));
    }
    let code = ctx
        .item(segment, 3)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let mut criticality = None;
    let mut criticality_original = None;
    if let Some(item) = ctx.item(segment, 4) {
        criticality = item
            .text(1)
            .and_then(|code| {
                ctx.vocabulary()
                    .map("AllergySeverity[AllergyIntolerance.criticality]", &code)
            })
            .map(|m| m.code.to_owned());
        criticality_original = dt::codeable_concept(ctx, &item, Some("0128"));
    }
    Allergen {
        category,
        category_original,
        kind,
        code,
        criticality,
        criticality_original,
    }
}

/// Maps AL1 to an AllergyIntolerance of `patient`, adds it, and returns its reference.
pub fn allergy<'m>(ctx: &mut Context<'m>, al1: &Segment<'m>, patient: &str) -> String {
    // AL1-1 only numbers AL1 segments.
    ctx.consume(al1, &[1]);
    let Allergen {
        category,
        category_original,
        kind,
        code,
        criticality,
        criticality_original,
    } = allergen(ctx, al1);
    let manifestations: Vec<Value> = ctx
        .items(al1, 5)
        .iter()
        .filter_map(|item| {
            // AL1-5 is ST in v2.5+ (CE before): the whole repetition is the reaction's text.
            item.whole().map(|text| json!({"text": text}))
        })
        .collect();
    let onset = field_datetime(ctx, al1, 6);
    ctx.add("AllergyIntolerance", ResourceKey::Segment(al1.index()), |id| {
        let mut allergy = ResourceBuilder::new("AllergyIntolerance", &id);
        allergy
            .set(
                "clinicalStatus",
                Some(json!({"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active"
                }]})),
            )
            .set("type", kind.map(Value::String))
            .set("category", category.map(|c| Value::from(vec![c])))
            .set(
                "_category",
                category_original
                    .map(|c| json!([{"extension": [{"url": ALTERNATE_CODES, "valueCodeableConcept": c}]}])),
            )
            .set("criticality", criticality.map(Value::String))
            .set(
                "_criticality",
                criticality_original
                    .map(|c| json!({"extension": [{"url": ALTERNATE_CODES, "valueCodeableConcept": c}]})),
            )
            .set("code", code)
            .set("patient", Some(dt::reference(patient)))
            .set("onsetDateTime", onset.map(Value::String));
        if !manifestations.is_empty() {
            allergy.set(
                "reaction",
                Some(json!([{"manifestation": manifestations}])),
            );
        }
        allergy.build()
    })
}

/// Component 1 through a v2-to-FHIR map, without reading (or reporting) the item's components:
/// the caller reads them into a CodeableConcept as well. An unmapped code is an issue.
pub(super) fn mapped_code<'m>(ctx: &mut Context<'m>, item: &Item<'m>, map: &str) -> Option<String> {
    let code = item.text(1)?;
    let mapped = ctx.vocabulary().map(map, &code).map(|m| m.code.to_owned());
    if mapped.is_none() {
        let at: Location = item.component_location(1);
        ctx.issue(
            IssueSeverity::Warning,
            at,
            format!(
                "code {code:?} is not in the v2-to-FHIR map {map}; kept only as the original code"
            ),
        );
    }
    mapped
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::check;

    #[test]
    fn al1_maps_category_criticality_code_and_reaction() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\rPV1|1|I\rAL1|1|DA|1191^Aspirin^RXNORM|SV|Hives~Wheezing|20200110\r";
        check(
            message,
            "AllergyIntolerance",
            json!({
                "type": "allergy",
                "category": ["medication"],
                "criticality": "high",
                "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1191", "display": "Aspirin"}]},
                "onsetDateTime": "2020-01-10",
                "reaction": [{"manifestation": [{"text": "Hives"}, {"text": "Wheezing"}]}],
                "_criticality": {"extension": [{
                    "url": "http://hl7.org/fhir/StructureDefinition/alternate-codes",
                    "valueCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0128", "code": "SV"}]}
                }]}
            }),
        );
    }
}
