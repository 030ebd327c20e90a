//! PRB (with the NTEs after it) → Condition. The v2-to-FHIR IG has no PRB table yet; this
//! follows the PRB field definitions (v2.3.1–v2.8) onto R4 Condition:
//!
//! - `identifier` PRB-4 (problem instance id, EI; the key, so that PC2 updates and PC3
//!   deletions of a problem hit the same Condition).
//! - `code` PRB-3 (problem id); `category` `problem-list-item`, plus PRB-10 (classification).
//! - `clinicalStatus` PRB-14 (life cycle status) when its code or text is an R4
//!   condition-clinical code (`active`, `recurrence`, `relapse`, `inactive`, `remission`,
//!   `resolved`, any case); else left out with an issue (the binding is required).
//! - `verificationStatus` PRB-13 (confirmation status) likewise against condition-ver-status.
//! - PRB-1 (action code, table 0287) `DE` (delete) → `verificationStatus` `entered-in-error`,
//!   and no `clinicalStatus` (invariant con-5); other action codes are read and need nothing.
//! - `onsetDateTime` PRB-16, else `onsetString` PRB-17; `abatementDateTime` PRB-9 (with no
//!   PRB-14, `clinicalStatus` becomes `resolved`; with a PRB-14 that is not inactive, resolved
//!   or remission, or on a delete, PRB-9 is left out with an issue: invariant con-4);
//!   `recordedDate` PRB-7; `subject` the patient (required: without one no Condition);
//!   `encounter` the visit; `note` the NTEs.
//!
//! Not mapped: PRB-2, 5, 6, 8, 11, 12, 15, 18 and later.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::nte;

const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CLINICAL_CODES: &[&str] = &[
    "active",
    "recurrence",
    "relapse",
    "inactive",
    "remission",
    "resolved",
];
const VERIFICATION_CODES: &[&str] = &[
    "unconfirmed",
    "provisional",
    "differential",
    "confirmed",
    "refuted",
    "entered-in-error",
];

/// Maps one PRB and its NTEs to a Condition of `patient`; `None`, with an error issue, when
/// there is no patient.
pub fn condition<'m>(
    ctx: &mut Context<'m>,
    prb: &Segment<'m>,
    notes: &[Segment<'m>],
    patient: Option<&str>,
    encounter: Option<&str>,
) -> Option<String> {
    let Some(patient) = patient else {
        ctx.issue(
            IssueSeverity::Error,
            Location::segment(prb.index(), "PRB"),
            "Condition.subject is required and no PID precedes this PRB: left out",
        );
        return None;
    };
    let action = ctx.text(prb, 1).map(|code| code.into_owned());
    let deleted = action.as_deref() == Some("DE");
    let identifier = ctx
        .item(prb, 4)
        .and_then(|ei| dt::entity_identifier(ctx, &ei));
    let key = identifier
        .as_ref()
        .and_then(|identifier| {
            dt::identifier_key(identifier).or_else(|| {
                let value = identifier.get("value")?.as_str()?;
                Some(ResourceKey::Natural(format!("problem:{value}")))
            })
        })
        .unwrap_or(ResourceKey::Segment(prb.index()));
    let code = ctx
        .item(prb, 3)
        .and_then(|cwe| dt::codeable_concept(ctx, &cwe, None));
    let mut categories = vec![json!({"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
        "code": "problem-list-item",
        "display": "Problem List Item"
    }]})];
    categories.extend(
        ctx.item(prb, 10)
            .and_then(|cwe| dt::codeable_concept(ctx, &cwe, None)),
    );
    let mut clinical = ctx
        .item(prb, 14)
        .and_then(|item| status_concept(ctx, &item, CLINICAL, CLINICAL_CODES));
    let mut verification = ctx
        .item(prb, 13)
        .and_then(|item| status_concept(ctx, &item, VERIFICATION, VERIFICATION_CODES));
    if deleted {
        ctx.issue(
            IssueSeverity::Information,
            Location::field(prb.index(), "PRB", 1),
            "PRB-1 DE (delete): verificationStatus entered-in-error, without clinicalStatus (con-5)",
        );
        verification =
            Some(json!({"coding": [{"system": VERIFICATION, "code": "entered-in-error"}]}));
        clinical = None;
    }
    let onset = match ctx.item(prb, 16) {
        Some(item) => {
            ctx.unused_components(&item, &[1]);
            dt::datetime(ctx, &item, 1).map(|value| ("onsetDateTime", value))
        }
        None => ctx
            .text(prb, 17)
            .map(|text| ("onsetString", text.into_owned())),
    };
    let mut abatement = ctx.item(prb, 9).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::datetime(ctx, &item, 1)
    });
    if abatement.is_some() {
        // con-4: an abated Condition is inactive, resolved or in remission.
        let location = Location::field(prb.index(), "PRB", 9);
        let status = clinical
            .as_ref()
            .and_then(|c| c.pointer("/coding/0/code"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match status.as_deref() {
            Some("inactive" | "resolved" | "remission") => {}
            None if !deleted => {
                ctx.issue(
                    IssueSeverity::Information,
                    location,
                    "PRB-9 (actual resolution date) without a life cycle status: clinicalStatus resolved (con-4)",
                );
                clinical = Some(json!({"coding": [{"system": CLINICAL, "code": "resolved"}]}));
            }
            _ => {
                ctx.issue(
                    IssueSeverity::Warning,
                    location,
                    "PRB-9 (actual resolution date) left out: the Condition's clinicalStatus is not inactive, resolved or remission (con-4)",
                );
                abatement = None;
            }
        }
    }
    let recorded = ctx.item(prb, 7).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::datetime(ctx, &item, 1)
    });
    let notes = nte::annotations(ctx, notes);
    Some(ctx.add("Condition", key, |id| {
        let mut builder = ResourceBuilder::new("Condition", &id);
        builder
            .push("identifier", identifier)
            .set("clinicalStatus", clinical)
            .set("verificationStatus", verification)
            .set("category", Some(Value::Array(categories)))
            .set("code", code)
            .set("subject", Some(dt::reference(patient)))
            .set("encounter", encounter.map(dt::reference));
        if let Some((member, value)) = onset {
            builder.set(member, Some(Value::String(value)));
        }
        builder
            .set("abatementDateTime", abatement.map(Value::String))
            .set("recordedDate", recorded.map(Value::String))
            .set("note", Some(Value::Array(notes)));
        builder.build()
    }))
}

/// A CWE whose code or text names a code of a required FHIR value set → that coding; else
/// `None` with an issue.
fn status_concept<'m>(
    ctx: &mut Context<'m>,
    item: &Item<'m>,
    system: &str,
    codes: &[&str],
) -> Option<Value> {
    ctx.unused_components(item, &[1, 2, 3]);
    let found = [item.text(1), item.text(2)]
        .into_iter()
        .flatten()
        .find_map(|text| {
            let lower = text.to_ascii_lowercase();
            codes.iter().find(|code| **code == lower).copied()
        });
    match found {
        Some(code) => Some(json!({"coding": [{"system": system, "code": code}]})),
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                format!(
                    "{:?} is not a code of {system} (a required binding): left out",
                    item.whole().unwrap_or_default()
                ),
            );
            None
        }
    }
}
