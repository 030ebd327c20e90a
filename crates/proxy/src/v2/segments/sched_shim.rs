//! TEMPORARY: a minimal PID → Patient and PV1 → Encounter for the scheduling, document,
//! financial, referral and problem structures, until the ADT segment mappings (`pid`, `pv1`)
//! land on main; then `messages::sched_common` calls those and this file goes.
//!
//! Only PID-3 (identifiers), PID-5 (names) and PV1-2 (class) are read; every other field
//! stays in the report.

use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes::{human_name, identifier, identifier_key, reference};

/// PID → Patient (minimal, identifiers and name only).
pub fn patient<'m>(ctx: &mut Context<'m>, pid: &hl7v2::Segment<'m>) -> Option<String> {
    let ids: Vec<Value> = ctx
        .items(pid, 3)
        .iter()
        .filter_map(|cx| identifier(ctx, cx))
        .collect();
    let names: Vec<Value> = ctx
        .items(pid, 5)
        .iter()
        .filter_map(|xpn| human_name(ctx, xpn))
        .collect();
    let key = ids
        .iter()
        .find_map(identifier_key)
        .unwrap_or(ResourceKey::Message("patient"));
    Some(ctx.add("Patient", key, |uuid| {
        let mut b = fhir::datatypes::ResourceBuilder::new("Patient", &uuid);
        b.set("identifier", Some(Value::Array(ids)));
        b.set("name", Some(Value::Array(names)));
        b.build()
    }))
}

/// PV1 → Encounter (minimal: status `unknown`, class from PV1-2 in table 0004).
pub fn encounter<'m>(
    ctx: &mut Context<'m>,
    pv1: &hl7v2::Segment<'m>,
    patient: Option<&str>,
) -> Option<String> {
    let class = ctx.text(pv1, 2).map(|code| code.into_owned());
    Some(
        ctx.add("Encounter", ResourceKey::Segment(pv1.index()), |uuid| {
            let mut b = fhir::datatypes::ResourceBuilder::new("Encounter", &uuid);
            b.set_str("status", "unknown");
            b.set(
                "class",
                Some(json!({
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0004",
                    "code": class.unwrap_or_else(|| "U".to_owned())
                })),
            );
            b.set("subject", patient.map(reference));
            b.build()
        }),
    )
}
