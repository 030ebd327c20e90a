//! CX → Identifier, and the assigning-authority rules every identifier shares.
//!
//! The system of an identifier comes from its assigning authority (an HD: namespace id,
//! universal id, universal id type), in this order:
//! 1. a universal id of type `ISO` (or one that reads as an OID) → `urn:oid:<oid>`;
//! 2. a universal id of type `UUID` → `urn:uuid:<uuid>`;
//! 3. a universal id that reads as a URI (`http…://`, `urn:`) or of type `URI` → itself;
//! 4. a namespace id of a national identifier (`NPI`, `SSN`, `SSA`, `USSSA`) → its FHIR
//!    NamingSystem URI;
//! 5. any other namespace id (or a universal id of another type) →
//!    `urn:fhirgate:namespace:<id>`, percent-encoded. This is a stable URN, so the same
//!    authority always gives the same system and replays match. The site configuration has no
//!    key yet to map namespaces to an organization's own URIs; when it gets one, it belongs
//!    here.

use std::borrow::Cow;

use fhir::datatypes::Period;
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::report::IssueSeverity;
use super::people::organization_from_hd;
use super::report_unused;

/// The prefix of the systems made from a namespace id that has no URI of its own.
pub const NAMESPACE_URN_PREFIX: &str = "urn:fhirgate:namespace:";

/// National identifier namespaces with a FHIR NamingSystem URI.
const KNOWN_NAMESPACES: &[(&str, &str)] = &[
    ("NPI", "http://hl7.org/fhir/sid/us-npi"),
    ("SSN", "http://hl7.org/fhir/sid/us-ssn"),
    ("SSA", "http://hl7.org/fhir/sid/us-ssn"),
    ("USSSA", "http://hl7.org/fhir/sid/us-ssn"),
];

/// CX → Identifier: value (CX-1), system (CX-4, see the module docs), type (CX-5, table 0203),
/// assigner (CX-6, an Organization), period (CX-7, CX-8). `None` when CX-1 is empty; the other
/// components are then reported as unmapped.
pub fn identifier<'m>(ctx: &mut Context<'m>, cx: &Item<'m>) -> Option<Value> {
    let Some(value) = cx.text(1) else {
        report_unused(ctx, cx, &[]);
        return None;
    };
    report_unused(ctx, cx, &[1, 4, 5, 6, 7, 8]);
    let mut identifier = Map::new();
    if let Some(kind) = cx.text(5) {
        identifier.insert("type".into(), identifier_type(ctx, &kind, cx, 5));
    }
    let system = authority_system(
        cx.sub_text(4, 1).as_deref(),
        cx.sub_text(4, 2).as_deref(),
        cx.sub_text(4, 3).as_deref(),
    );
    if let Some(system) = system {
        identifier.insert("system".into(), Value::String(system));
    }
    identifier.insert("value".into(), Value::String(value.into_owned()));
    let period = Period {
        start: cx
            .text(7)
            .and_then(|text| ctx.datetime(&text, cx.component_location(7))),
        end: cx
            .text(8)
            .and_then(|text| ctx.datetime(&text, cx.component_location(8))),
    };
    if let Some(period) = period.to_json() {
        identifier.insert("period".into(), period);
    }
    if let Some(assigner) = organization_from_hd(
        ctx,
        cx.sub_text(6, 1).as_deref(),
        cx.sub_text(6, 2).as_deref(),
        cx.sub_text(6, 3).as_deref(),
    ) {
        identifier.insert("assigner".into(), super::reference(&assigner));
    }
    Some(Value::Object(identifier))
}

/// The key of a resource identified by this Identifier JSON: `ResourceKey::Identifier` when it
/// has both a system and a value, else `None`.
pub fn identifier_key(identifier: &Value) -> Option<ResourceKey> {
    let system = identifier.get("system")?.as_str()?;
    let value = identifier.get("value")?.as_str()?;
    (!system.is_empty() && !value.is_empty()).then(|| ResourceKey::Identifier {
        system: system.to_owned(),
        value: value.to_owned(),
    })
}

/// `Identifier.type` from an identifier type code (table 0203). A code the table does not know
/// is kept as text, with an information issue.
pub(crate) fn identifier_type<'m>(
    ctx: &mut Context<'m>,
    code: &str,
    item: &Item<'m>,
    component: usize,
) -> Value {
    match ctx.vocabulary().map("IdentifierType", code) {
        Some(mapped) => {
            let mut coding = Map::new();
            coding.insert("system".into(), Value::String(mapped.system.to_owned()));
            coding.insert("code".into(), Value::String(mapped.code.to_owned()));
            if let Some(display) = mapped.display {
                coding.insert("display".into(), Value::String(display.to_owned()));
            }
            json!({ "coding": [Value::Object(coding)] })
        }
        None => {
            ctx.issue(
                IssueSeverity::Information,
                item.component_location(component),
                format!("identifier type {code:?} is not in HL7 table 0203; kept as text"),
            );
            json!({ "text": code })
        }
    }
}

/// The identifier system for an assigning authority (HD parts), per the module docs.
pub(crate) fn authority_system(
    namespace: Option<&str>,
    universal: Option<&str>,
    universal_type: Option<&str>,
) -> Option<String> {
    let kind = universal_type.map(str::to_ascii_uppercase);
    if let Some(universal) = universal {
        match kind.as_deref() {
            Some("ISO") => return Some(oid_urn(universal)),
            Some("UUID") => return Some(format!("urn:uuid:{}", universal.to_ascii_lowercase())),
            Some("URI" | "URL") => return Some(universal.to_owned()),
            _ if is_uri(universal) => return Some(universal.to_owned()),
            _ if is_oid(universal) => return Some(oid_urn(universal)),
            _ => {}
        }
    }
    let name = namespace.or(universal)?;
    if is_uri(name) {
        return Some(name.to_owned());
    }
    if is_oid(name) {
        return Some(oid_urn(name));
    }
    if let Some((_, uri)) = KNOWN_NAMESPACES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        return Some((*uri).to_owned());
    }
    Some(format!("{NAMESPACE_URN_PREFIX}{}", urn_escape(name)))
}

fn oid_urn(oid: &str) -> String {
    match oid.strip_prefix("urn:oid:") {
        Some(_) => oid.to_owned(),
        None => format!("urn:oid:{oid}"),
    }
}

/// An OID: digits separated by dots, with at least one dot.
pub(crate) fn is_oid(text: &str) -> bool {
    text.contains('.')
        && text
            .split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

/// A URI as senders write them: `scheme://…` or `urn:…`.
pub(crate) fn is_uri(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    (lower.starts_with("urn:") || lower.contains("://")) && !text.contains(char::is_whitespace)
}

/// Percent-encodes everything but unreserved characters, so that any namespace id forms a
/// valid URN.
fn urn_escape(text: &str) -> Cow<'_, str> {
    let keep = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if text.bytes().all(keep) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for b in text.bytes() {
        if keep(b) {
            escaped.push(char::from(b));
        } else {
            escaped.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    fn check(pid3: &str, expected: &[Value], report: &[&str]) {
        let outcome = with_field(
            &SiteConfig::default(),
            &format!("PID|1||{pid3}\r"),
            "PID",
            3,
            |ctx, items| {
                items
                    .iter()
                    .filter_map(|item| identifier(ctx, item))
                    .collect::<Vec<_>>()
            },
        );
        assert_eq!(outcome.result, expected, "PID-3 {pid3:?}");
        assert_eq!(outcome.report, report, "PID-3 {pid3:?}");
    }

    #[test]
    fn identifiers() {
        check(
            "123^^^HOSP^MR",
            &[json!({
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR", "display": "Medical record number"}]},
                "system": "urn:fhirgate:namespace:HOSP",
                "value": "123"
            })],
            &[],
        );
        check(
            "123^^^&2.16.840.1.113883.19.5&ISO^MR~9^^^http://x.org/ids~7^^^Good Health",
            &[
                json!({
                    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR", "display": "Medical record number"}]},
                    "system": "urn:oid:2.16.840.1.113883.19.5",
                    "value": "123"
                }),
                json!({"system": "http://x.org/ids", "value": "9"}),
                json!({"system": "urn:fhirgate:namespace:Good%20Health", "value": "7"}),
            ],
            &[],
        );
        check(
            "123-45-6789^^^SSA^SS^^20200101^20301231",
            &[json!({
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS", "display": "Social Security number"}]},
                "system": "http://hl7.org/fhir/sid/us-ssn",
                "value": "123-45-6789",
                "period": {"start": "2020-01-01", "end": "2030-12-31"}
            })],
            &[],
        );
        // Check digits are not mapped; a local type code is kept as text; escapes are decoded.
        check(
            "A\\T\\1^7^M10^^LOCALX",
            &[json!({"type": {"text": "LOCALX"}, "value": "A&1"})],
            &[
                "unmapped component PID(1)-3[1].2",
                "unmapped component PID(1)-3[1].3",
                "information at PID(1)-3[1].5: identifier type \"LOCALX\" is not in HL7 table 0203; kept as text",
            ],
        );
        // No value: nothing, and what was there is reported.
        check(
            "^^^HOSP^MR~\"\"",
            &[],
            &[
                "unmapped component PID(1)-3[1].4",
                "unmapped component PID(1)-3[1].5",
            ],
        );
    }

    #[test]
    fn assigning_facility_becomes_the_assigner() {
        let outcome = with_field(
            &SiteConfig::default(),
            "PID|1||5^^^HOSP^MR^WEST&1.2.3&ISO\r",
            "PID",
            3,
            |ctx, items| items.first().and_then(|item| identifier(ctx, item)),
        );
        let assigner = outcome.result.as_ref().and_then(|i| i.get("assigner"));
        let org = &outcome.resources[0];
        assert_eq!(
            assigner,
            Some(&json!({"reference": format!("Organization/{}", org.id)}))
        );
        assert_eq!(org.resource["name"], "WEST");
    }

    #[test]
    fn keys_need_system_and_value() {
        assert_eq!(
            identifier_key(&json!({"system": "s", "value": "v"})),
            Some(ResourceKey::Identifier {
                system: "s".into(),
                value: "v".into()
            })
        );
        assert_eq!(identifier_key(&json!({"value": "v"})), None);
        assert_eq!(identifier_key(&json!({"system": "", "value": "v"})), None);
    }

    #[test]
    fn authority_rules() {
        let cases = [
            ((None, Some("1.2.3"), None), Some("urn:oid:1.2.3")),
            (
                (Some("X"), Some("urn:oid:1.2"), Some("ISO")),
                Some("urn:oid:1.2"),
            ),
            (
                (
                    None,
                    Some("A1B2C3D4-0000-0000-0000-000000000000"),
                    Some("UUID"),
                ),
                Some("urn:uuid:a1b2c3d4-0000-0000-0000-000000000000"),
            ),
            (
                (Some("npi"), None, None),
                Some("http://hl7.org/fhir/sid/us-npi"),
            ),
            (
                (Some("A/B"), None, None),
                Some("urn:fhirgate:namespace:A%2FB"),
            ),
            (
                (None, Some("host.example"), Some("DNS")),
                Some("urn:fhirgate:namespace:host.example"),
            ),
            ((None, None, None), None),
        ];
        for ((namespace, universal, kind), expected) in cases {
            assert_eq!(
                authority_system(namespace, universal, kind).as_deref(),
                expected,
                "{namespace:?} {universal:?} {kind:?}"
            );
        }
    }
}
