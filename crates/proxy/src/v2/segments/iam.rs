//! IAM (with its IAR reactions) → AllergyIntolerance, per the v2-to-FHIR table
//! "IAM\[AllergyIntolerance\]" (ADT_A60).
//!
//! Read like AL1 (category, type, code, criticality with the original code kept), plus the
//! allergy's identifier (IAM-7, its key), onset (IAM-11, else the text IAM-12), recorded date
//! (IAM-13) and recorder (IAM-14/IAM-15: the Patient for `SEL`, else a RelatedPerson). IAM-6
//! action `D` marks it `entered-in-error`; `A`/`U` need nothing (every write is a conditional
//! update). IAM-17 is left unread: its codes (table 0438: confirmed, unconfirmed, erroneous…)
//! are verification states, which the required clinical-status value set cannot hold. Each IAR
//! after the IAM is a reaction: IAR-1 manifestation, IAR-2 severity, IAR-4 a note.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::al1::{ALTERNATE_CODES, Allergen, allergen};
use super::pid::{field_datetime, mapped_concept};

/// Maps IAM and its `reactions` (the IAR segments after it) to an AllergyIntolerance of
/// `patient`, adds it, and returns its reference.
pub fn allergy<'m>(
    ctx: &mut Context<'m>,
    iam: &Segment<'m>,
    reactions: &[Segment<'m>],
    patient: &str,
) -> String {
    // IAM-1 only numbers IAM segments.
    ctx.consume(iam, &[1]);
    let Allergen {
        category,
        category_original,
        kind,
        code,
        criticality,
        criticality_original,
    } = allergen(ctx, iam);
    let mut manifest_text = ctx
        .items(iam, 5)
        .iter()
        .filter_map(|item| item.whole().map(|text| json!({"text": text})))
        .collect::<Vec<_>>();
    let verification = action(ctx, iam);
    let identifier = ctx
        .item(iam, 7)
        .and_then(|item| dt::entity_identifier(ctx, &item));
    let onset = field_datetime(ctx, iam, 11);
    let onset_text = if onset.is_none() {
        ctx.text(iam, 12)
    } else {
        None
    };
    let recorded = field_datetime(ctx, iam, 13);
    let recorder = recorder(ctx, iam, patient);

    let mut reaction_list = Vec::new();
    if !manifest_text.is_empty() {
        reaction_list.push(json!({"manifestation": std::mem::take(&mut manifest_text)}));
    }
    for iar in reactions {
        reaction_list.extend(reaction(ctx, iar));
    }
    let key = identifier
        .as_ref()
        .and_then(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(iam.index()));
    ctx.add("AllergyIntolerance", key, |id| {
        let mut allergy = ResourceBuilder::new("AllergyIntolerance", &id);
        allergy
            .set("identifier", identifier.map(|i| Value::from(vec![i])))
            .set(
                "clinicalStatus",
                Some(json!({"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active"
                }]})),
            )
            .set("verificationStatus", verification)
            .set("type", kind.map(Value::String))
            .set("category", category.map(|c| Value::from(vec![c])))
            .set(
                "_category",
                category_original.map(|c| {
                    json!([{"extension": [{"url": ALTERNATE_CODES, "valueCodeableConcept": c}]}])
                }),
            )
            .set("criticality", criticality.map(Value::String))
            .set(
                "_criticality",
                criticality_original.map(|c| {
                    json!({"extension": [{"url": ALTERNATE_CODES, "valueCodeableConcept": c}]})
                }),
            )
            .set("code", code)
            .set("patient", Some(dt::reference(patient)))
            .set("onsetDateTime", onset.map(Value::String))
            .set("onsetString", onset_text.map(|t| Value::String(t.into_owned())))
            .set("recordedDate", recorded.map(Value::String))
            .set("recorder", recorder.as_deref().map(dt::reference))
            .set("reaction", Some(Value::Array(reaction_list)));
        allergy.build()
    })
}

/// IAM-6 (table 0206): `D` → `entered-in-error`; `A`/`U` → nothing to record.
fn action<'m>(ctx: &mut Context<'m>, iam: &Segment<'m>) -> Option<Value> {
    let item = ctx.item(iam, 6)?;
    ctx.unused_components(&item, &[1, 2, 3]);
    match item.text(1).as_deref() {
        Some("D") => Some(json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
            "code": "entered-in-error"
        }]})),
        Some("A" | "U") | None => None,
        Some(other) => {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(iam.index(), "IAM", 6),
                format!("allergy action code {other:?} is not in table 0206; ignored"),
            );
            None
        }
    }
}

/// IAM-14 (who reported it) with IAM-15 (their relationship): the Patient for `SEL`, else a
/// RelatedPerson. Without IAM-15 the reporter's kind is unknown and IAM-14 stays unread.
fn recorder<'m>(ctx: &mut Context<'m>, iam: &Segment<'m>, patient: &str) -> Option<String> {
    let relationship_item = ctx.item(iam, 15)?;
    if relationship_item.text(1).as_deref() == Some("SEL") {
        ctx.unused_components(&relationship_item, &[1, 2, 3]);
        // The reporter is the patient, whose names are PID-5's.
        ctx.consume(iam, &[14]);
        return Some(patient.to_owned());
    }
    let relationship = mapped_concept(ctx, &relationship_item, "0063", "Relationship");
    let name = ctx
        .item(iam, 14)
        .and_then(|item| dt::human_name(ctx, &item));
    Some(
        ctx.add("RelatedPerson", ResourceKey::Segment(iam.index()), |id| {
            let mut person = ResourceBuilder::new("RelatedPerson", &id);
            person
                .set("patient", Some(dt::reference(patient)))
                .set("relationship", relationship.map(|r| Value::from(vec![r])))
                .set("name", name.map(|n| Value::from(vec![n])));
            person.build()
        }),
    )
}

/// One IAR → an AllergyIntolerance.reaction; `None` without IAR-1 (manifestation is required).
fn reaction<'m>(ctx: &mut Context<'m>, iar: &Segment<'m>) -> Option<Value> {
    ctx.seen(iar);
    let manifestation = ctx
        .item(iar, 1)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let Some(manifestation) = manifestation else {
        ctx.issue(
            IssueSeverity::Warning,
            Location::field(iar.index(), "IAR", 1),
            "IAR without a reaction code: reaction.manifestation is required; left out",
        );
        return None;
    };
    let severity = ctx.item(iar, 2).and_then(|item| {
        ctx.unused_components(&item, &[1, 2, 3]);
        item.text(1).and_then(|code| {
            ctx.vocabulary()
                .map(
                    "AllergySeverity[AllergyIntolerance.reaction.severity]",
                    &code,
                )
                .map(|m| m.code.to_owned())
        })
    });
    let note = ctx.text(iar, 4);
    let mut reaction = serde_json::Map::new();
    reaction.insert("manifestation".into(), Value::from(vec![manifestation]));
    if let Some(severity) = severity {
        reaction.insert("severity".into(), Value::String(severity));
    }
    if let Some(note) = note {
        reaction.insert("note".into(), json!([{"text": note}]));
    }
    Some(Value::Object(reaction))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, segment};

    #[test]
    fn iam_with_iar_maps_to_an_allergy_with_reactions() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A60^ADT_A60|C1|P|2.5\rPID|1||123^^^HOSP^MR||DOE^JANE\r".to_owned()
            + &segment(
                "IAM",
                &[
                    (1, "1"),
                    (2, "FA^Food allergy^HL70127"),
                    (3, "12345^Peanut^L"),
                    (6, "A"),
                    (7, "56789^^1.2.3^ISO"),
                    (11, "201805"),
                    (13, "202010051600"),
                    (14, "DOE^ROSA"),
                    (15, "SPO^Spouse"),
                ],
            )
            + "IAR|34567^Skin rash^L|MI^Mild|AL^Allergy|No action taken\r";
        check(
            &message,
            "AllergyIntolerance",
            json!({
                "type": "allergy",
                "category": ["food"],
                "onsetDateTime": "2018-05",
                "recordedDate": "2020-10-05T16:00:00-05:00",
                "reaction": [{
                    "manifestation": [{"coding": [{"code": "34567", "display": "Skin rash"}]}],
                    "severity": "mild",
                    "note": [{"text": "No action taken"}]
                }]
            }),
        );
    }
}
