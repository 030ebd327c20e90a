//! XCN → Practitioner, XON → Organization, HD → Organization.
//!
//! Each returns the reference of a resource added to the context, deduplicated: the same
//! person or organization named twice in a message (PV1-7 and OBR-16) is one resource. The key
//! is the identifier when it has a system; an id number without an assigning authority is a
//! natural key of that number within the source system; without any id, the normalized name
//! (upper case, single spaces) is the natural key.

use fhir::datatypes::ResourceBuilder;
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::cx::{authority_system, identifier_key, identifier_type};
use super::names::{XCN, name_with};
use super::normalized;
use super::report_unused;

/// XCN → Practitioner: identifier (XCN-1, system from the assigning authority XCN-9, type from
/// XCN-13), name (XCN-2..6, 10, 17, 19..21), qualification (the degree, XCN-7, table 0360).
/// Returns `Practitioner/<id>`; `None` when there is neither an id nor a name. The source table,
/// check digits, assigning facility and the other components are reported as unmapped.
pub fn practitioner<'m>(ctx: &mut Context<'m>, xcn: &Item<'m>) -> Option<String> {
    let (name, mut handled) = name_with(ctx, xcn, &XCN);
    let identifier = xcn.text(1).map(|value| {
        let mut identifier = Map::new();
        if let Some(kind) = xcn.text(13) {
            identifier.insert("type".into(), identifier_type(ctx, &kind, xcn, 13));
        }
        if let Some(system) = authority_system(
            xcn.sub_text(9, 1).as_deref(),
            xcn.sub_text(9, 2).as_deref(),
            xcn.sub_text(9, 3).as_deref(),
        ) {
            identifier.insert("system".into(), Value::String(system));
        }
        identifier.insert("value".into(), Value::String(value.into_owned()));
        Value::Object(identifier)
    });
    let key = match &identifier {
        Some(identifier) => identifier_key(identifier).or_else(|| {
            let value = identifier.get("value")?.as_str()?;
            Some(ResourceKey::Natural(format!("xcn-id:{value}")))
        }),
        None => name.as_ref().map(|_| {
            let parts: Vec<String> = [2, 3, 4, 5, 6]
                .iter()
                .map(|&n| xcn.text(n).map(|t| normalized(&t)).unwrap_or_default())
                .collect();
            ResourceKey::Natural(format!("xcn-name:{}", parts.join("|")))
        }),
    };
    let Some(key) = key else {
        report_unused(ctx, xcn, &[]);
        return None;
    };
    if identifier.is_some() {
        handled.extend([1, 9, 13]);
    }
    let qualification = xcn.text(7).map(|degree| {
        handled.push(7);
        json!([{"code": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0360",
            "code": degree
        }]}}])
    });
    report_unused(ctx, xcn, &handled);
    Some(ctx.add("Practitioner", key, |id| {
        let mut builder = ResourceBuilder::new("Practitioner", &id);
        builder
            .set("identifier", identifier.map(|i| Value::from(vec![i])))
            .set("name", name.map(|n| Value::from(vec![n])))
            .set("qualification", qualification);
        builder.build()
    }))
}

/// XON → Organization: name (XON-1), identifier (XON-10, else XON-3; system from the assigning
/// authority XON-6, type from XON-7). Returns `Organization/<id>`; `None` when there is neither
/// a name nor an id. The name type (XON-2), check digits, assigning facility and name
/// representation code are reported as unmapped.
pub fn organization<'m>(ctx: &mut Context<'m>, xon: &Item<'m>) -> Option<String> {
    let name = xon.text(1);
    let id_component = if xon.text(10).is_some() { 10 } else { 3 };
    let identifier = xon.text(id_component).map(|value| {
        let mut identifier = Map::new();
        if let Some(kind) = xon.text(7) {
            identifier.insert("type".into(), identifier_type(ctx, &kind, xon, 7));
        }
        if let Some(system) = authority_system(
            xon.sub_text(6, 1).as_deref(),
            xon.sub_text(6, 2).as_deref(),
            xon.sub_text(6, 3).as_deref(),
        ) {
            identifier.insert("system".into(), Value::String(system));
        }
        identifier.insert("value".into(), Value::String(value.into_owned()));
        Value::Object(identifier)
    });
    let key = match (&identifier, &name) {
        (Some(identifier), _) => identifier_key(identifier).or_else(|| {
            let value = identifier.get("value")?.as_str()?;
            Some(ResourceKey::Natural(format!("xon-id:{value}")))
        }),
        (None, Some(name)) => Some(ResourceKey::Natural(format!("org:{}", normalized(name)))),
        (None, None) => None,
    };
    let Some(key) = key else {
        report_unused(ctx, xon, &[]);
        return None;
    };
    let mut handled = vec![1];
    if identifier.is_some() {
        handled.extend([id_component, 6, 7]);
    }
    report_unused(ctx, xon, &handled);
    Some(ctx.add("Organization", key, |id| {
        let mut builder = ResourceBuilder::new("Organization", &id);
        builder
            .set("identifier", identifier.map(|i| Value::from(vec![i])))
            .set("name", name.map(|n| Value::String(n.into_owned())));
        builder.build()
    }))
}

/// HD → Organization: name and first identifier from the namespace id (HD-1), second
/// identifier from the universal id (HD-2) and its type (HD-3; an ISO OID or a UUID is written
/// as a URI with system `urn:ietf:rfc:3986`). Returns `Organization/<id>`.
pub fn organization_hd<'m>(ctx: &mut Context<'m>, hd: &Item<'m>) -> Option<String> {
    let reference = organization_from_hd(
        ctx,
        hd.text(1).as_deref(),
        hd.text(2).as_deref(),
        hd.text(3).as_deref(),
    );
    report_unused(ctx, hd, if reference.is_some() { &[1, 2, 3] } else { &[] });
    reference
}

/// An Organization from HD parts (a whole HD, or one written as subcomponents in CX-6 and the
/// like). `None` when there is neither a namespace id nor a universal id.
pub(crate) fn organization_from_hd(
    ctx: &mut Context<'_>,
    namespace: Option<&str>,
    universal: Option<&str>,
    universal_type: Option<&str>,
) -> Option<String> {
    if namespace.is_none() && universal.is_none() {
        return None;
    }
    let mut identifiers = Vec::new();
    if let Some(namespace) = namespace {
        identifiers.push(json!({ "value": namespace }));
    }
    let mut key = None;
    if let Some(universal) = universal {
        let kind = universal_type.map(str::to_ascii_uppercase);
        let as_uri = match kind.as_deref() {
            Some("ISO" | "UUID") => authority_system(None, Some(universal), kind.as_deref()),
            _ => None,
        };
        let mut identifier = Map::new();
        if let Some(kind) = universal_type {
            identifier.insert(
                "type".into(),
                json!({"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0301",
                    "code": kind
                }]}),
            );
        }
        match as_uri {
            Some(uri) => {
                identifier.insert("system".into(), json!("urn:ietf:rfc:3986"));
                identifier.insert("value".into(), Value::String(uri.clone()));
                key = Some(ResourceKey::Identifier {
                    system: "urn:ietf:rfc:3986".into(),
                    value: uri,
                });
            }
            None => {
                identifier.insert("value".into(), Value::String(universal.to_owned()));
            }
        }
        identifiers.push(Value::Object(identifier));
    }
    let key = key.unwrap_or_else(|| {
        ResourceKey::Natural(format!(
            "hd:{}|{}",
            namespace.unwrap_or_default(),
            universal.unwrap_or_default()
        ))
    });
    let name = namespace.or(universal).map(str::to_owned);
    Some(ctx.add("Organization", key, |id| {
        let mut builder = ResourceBuilder::new("Organization", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set("name", name.map(Value::String));
        builder.build()
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    /// Runs `f` on every repetition of PV1-7 and returns the references and resources.
    fn run(
        pv1: &str,
        field: usize,
        f: for<'m> fn(&mut Context<'m>, &Item<'m>) -> Option<String>,
    ) -> (Vec<Option<String>>, Vec<Value>, Vec<String>) {
        let outcome = with_field(&SiteConfig::default(), pv1, "PV1", field, |ctx, items| {
            items.iter().map(|item| f(ctx, item)).collect::<Vec<_>>()
        });
        let resources = outcome
            .resources
            .iter()
            .map(|r| {
                let mut resource = r.resource.clone();
                if let Some(object) = resource.as_object_mut() {
                    object.remove("id");
                }
                resource
            })
            .collect();
        (outcome.result, resources, outcome.report)
    }

    #[test]
    fn practitioners_are_deduplicated_by_id_or_name() {
        let (refs, resources, report) = run(
            "PV1|1|I|||||123^SMITH^JOHN^A^III^DR^MD^^NPI^L^^^NPI~123^SMITH^J^^^^^^NPI~^Who^Doctor~^WHO^doctor\r",
            7,
            practitioner,
        );
        assert_eq!(refs[0], refs[1]);
        assert_eq!(refs[2], refs[3]);
        assert_ne!(refs[0], refs[2]);
        assert_eq!(
            resources,
            [
                json!({
                    "resourceType": "Practitioner",
                    "identifier": [{
                        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "NPI", "display": "National provider identifier"}]},
                        "system": "http://hl7.org/fhir/sid/us-npi",
                        "value": "123"
                    }],
                    "name": [{"use": "official", "family": "SMITH", "given": ["JOHN", "A"], "prefix": ["DR"], "suffix": ["III"]}],
                    "qualification": [{"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0360", "code": "MD"}]}}]
                }),
                json!({"resourceType": "Practitioner", "name": [{"family": "Who", "given": ["Doctor"]}]}),
            ]
        );
        // The shorter second mentions are not lost silently: the report says the first won.
        assert_eq!(report.len(), 2, "{report:?}");
        assert!(
            report
                .iter()
                .all(|line| line.starts_with("information at ?: Practitioner/")
                    && line.contains("mentioned twice")),
            "{report:?}"
        );
    }

    #[test]
    fn practitioner_without_authority_and_garbage() {
        let (refs, resources, report) = run(
            "PV1|1|I|||||77^Jones^^^^^^SRC^^^9^M10~^^^^^^^^^L\r",
            7,
            practitioner,
        );
        assert!(refs[0].is_some());
        assert_eq!(refs[1], None);
        assert_eq!(
            resources,
            [
                json!({"resourceType": "Practitioner", "identifier": [{"value": "77"}], "name": [{"family": "Jones"}]})
            ]
        );
        assert_eq!(
            report,
            [
                "unmapped component PV1(1)-7[1].8",
                "unmapped component PV1(1)-7[1].11",
                "unmapped component PV1(1)-7[1].12",
                "unmapped component PV1(1)-7[2].10",
            ]
        );
    }

    #[test]
    fn organizations() {
        let (refs, resources, report) = run(
            &format!(
                "PV1{}Good Health^L^^^^&1.2.3&ISO^XX^^^ORG1~GOOD  health\r",
                "|".repeat(45)
            ),
            45,
            organization,
        );
        assert_ne!(refs[0], refs[1]);
        assert_eq!(
            resources,
            [
                json!({
                    "resourceType": "Organization",
                    "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "XX", "display": "Organization identifier"}]}, "system": "urn:oid:1.2.3", "value": "ORG1"}],
                    "name": "Good Health"
                }),
                json!({"resourceType": "Organization", "name": "GOOD  health"}),
            ]
        );
        assert_eq!(report, ["unmapped component PV1(1)-45[1].2"]);
    }

    #[test]
    fn organizations_from_hd() {
        let (refs, resources, report) = run(
            &format!("PV1{}GHH^1.2.3^ISO~GHH^1.2.3^ISO\r", "|".repeat(39)),
            39,
            organization_hd,
        );
        assert_eq!(refs[0], refs[1]);
        assert_eq!(
            resources,
            [json!({
                "resourceType": "Organization",
                "identifier": [
                    {"value": "GHH"},
                    {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0301", "code": "ISO"}]}, "system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.3"}
                ],
                "name": "GHH"
            })]
        );
        assert!(report.is_empty());
    }
}
