//! EI (and the first, placer, half of an EIP) → Identifier.
//!
//! EI-1 is the value; the system comes from the namespace id, universal id and its type (EI-2,
//! EI-3, EI-4) by the assigning-authority rules of [`super::cx`]. In an EIP, the placer
//! identifier is component 1 written as subcomponents; it is read from there, and the filler
//! half (component 2) is reported unless the caller maps it.

use serde_json::{Map, Value};

use super::super::context::{Context, Item};
use super::cx::authority_system;
use super::report_unused;

/// EI → Identifier (`system` from EI-2..4, `value` from EI-1). When component 1 holds
/// subcomponents the item is an EIP and its placer identifier (component 1) is read. `None`
/// when there is no value.
pub fn entity_identifier<'m>(ctx: &mut Context<'m>, ei: &Item<'m>) -> Option<Value> {
    let is_eip = (2..=4).any(|s| ei.sub_text(1, s).is_some());
    let (value, namespace, universal, kind) = if is_eip {
        report_unused(ctx, ei, &[1]);
        (
            ei.sub_text(1, 1),
            ei.sub_text(1, 2),
            ei.sub_text(1, 3),
            ei.sub_text(1, 4),
        )
    } else {
        let Some(value) = ei.text(1) else {
            report_unused(ctx, ei, &[]);
            return None;
        };
        report_unused(ctx, ei, &[1, 2, 3, 4]);
        (Some(value), ei.text(2), ei.text(3), ei.text(4))
    };
    let value = value?;
    let mut identifier = Map::new();
    if let Some(system) =
        authority_system(namespace.as_deref(), universal.as_deref(), kind.as_deref())
    {
        identifier.insert("system".into(), Value::String(system));
    }
    identifier.insert("value".into(), Value::String(value.into_owned()));
    Some(Value::Object(identifier))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    fn check(obr3: &str, expected: Option<Value>, report: &[&str]) {
        let outcome = with_field(
            &SiteConfig::default(),
            &format!("OBR|1||{obr3}\r"),
            "OBR",
            3,
            |ctx, items| items.first().and_then(|item| entity_identifier(ctx, item)),
        );
        assert_eq!(outcome.result, expected, "{obr3:?}");
        assert_eq!(outcome.report, report, "{obr3:?}");
    }

    #[test]
    fn entity_identifiers() {
        check(
            "F123^LAB",
            Some(json!({"system": "urn:fhirgate:namespace:LAB", "value": "F123"})),
            &[],
        );
        check(
            "F123^^1.2.840.1^ISO",
            Some(json!({"system": "urn:oid:1.2.840.1", "value": "F123"})),
            &[],
        );
        check("F123", Some(json!({"value": "F123"})), &[]);
        check(
            "P1&PLACER^F1&FILLER",
            Some(json!({"system": "urn:fhirgate:namespace:PLACER", "value": "P1"})),
            &["unmapped component OBR(1)-3[1].2"],
        );
        check(
            "^LAB^^^extra",
            None,
            &[
                "unmapped component OBR(1)-3[1].2",
                "unmapped component OBR(1)-3[1].5",
            ],
        );
    }
}
