//! The resources PID names besides the Patient: the account (PID-18, per "PID\[Account\]") and
//! the mother (PID-21, per "CX\[RelatedPerson-Mother\]").

use fhir::datatypes::ResourceBuilder;
use hl7v2::Segment;
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;

/// PID-18 → an `active` Account of `patient` (the table's assignment), keyed by its identifier.
pub fn account<'m>(ctx: &mut Context<'m>, pid: &Segment<'m>, patient: &str) -> Option<String> {
    let item = ctx.item(pid, 18)?;
    let identifier = dt::identifier(ctx, &item)?;
    let key = dt::identifier_key(&identifier).unwrap_or(ResourceKey::Segment(pid.index()));
    Some(ctx.add("Account", key, |id| {
        let mut account = ResourceBuilder::new("Account", &id);
        account
            .set("identifier", Some(Value::from(vec![identifier])))
            .set_str("status", "active")
            .set("subject", Some(json!([dt::reference(patient)])));
        account.build()
    }))
}

/// PID-21 (every repetition is an identifier of the one mother) → a RelatedPerson of `patient`
/// with the v3 RoleCode `MTH`.
pub fn mother<'m>(ctx: &mut Context<'m>, pid: &Segment<'m>, patient: &str) -> Option<String> {
    let mut identifiers = Vec::new();
    for item in ctx.items(pid, 21) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    if identifiers.is_empty() {
        return None;
    }
    let key = identifiers
        .iter()
        .find_map(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(pid.index()));
    Some(ctx.add("RelatedPerson", key, |id| {
        let mut mother = ResourceBuilder::new("RelatedPerson", &id);
        mother
            .set("identifier", Some(Value::Array(identifiers)))
            .set("patient", Some(dt::reference(patient)))
            .set(
                "relationship",
                Some(json!([{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                    "code": "MTH",
                    "display": "mother"
                }]}])),
            );
        mother.build()
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, segment};

    #[test]
    fn pid_18_and_21_give_the_account_and_the_mother() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01|C1|P|2.5\r"
            .to_owned()
            + &segment(
                "PID",
                &[
                    (1, "1"),
                    (3, "123^^^HOSP&1.2.3&ISO^MR"),
                    (5, "DOE^BABY"),
                    (18, "ACC9^^^HOSP&1.2.3&ISO^AN"),
                    (21, "77^^^HOSP&1.2.3&ISO^MR"),
                ],
            );
        check(
            &message,
            "Account",
            json!({"status": "active", "identifier": [{"value": "ACC9"}]}),
        );
        check(
            &message,
            "RelatedPerson",
            json!({
                "identifier": [{"value": "77"}],
                "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH", "display": "mother"}]}]
            }),
        );
    }
}
