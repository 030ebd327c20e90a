//! ROL → PractitionerRole, per the v2-to-FHIR ROL[Encounter-PractitionerRole] and
//! ROL[Patient-GeneralPractitioner] tables.
//!
//! identifier from the role instance id (ROL-1), code from the role (ROL-3, table 0443),
//! practitioner from the role person (ROL-4), period from ROL-5/6, telecom from ROL-12,
//! location from ROL-13, organization from ROL-14. The action code (ROL-2) `AD`, `UP`, `UC` or
//! `LI` (add, update, unchanged, link) is what writing the role does anyway and is consumed;
//! `DE` (delete) and the others are not applied and stay reported. The role duration (ROL-7),
//! action reason (ROL-8), provider type (ROL-9), organization unit type (ROL-10) and office
//! address (ROL-11) are reported as unmapped.
//!
//! The PractitionerRole is keyed by ROL-1 when it has a system, else by its practitioner, role
//! code and organization, so the same role listed twice is one resource.

use fhir::datatypes::ResourceBuilder;
use hl7v2::Segment;
use serde_json::{Map, Value};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes;

/// Maps one ROL to a PractitionerRole and returns its reference; `None` when the segment
/// names neither a person nor a role.
pub fn practitioner_role<'m>(ctx: &mut Context<'m>, rol: &Segment<'m>) -> Option<String> {
    ctx.seen(rol);
    let action = rol.field(2).component(1).decoded();
    if matches!(action.trim(), "AD" | "UP" | "UC" | "LI") {
        ctx.consume(rol, &[2]);
    }
    let identifier = ctx
        .item(rol, 1)
        .and_then(|item| datatypes::entity_identifier(ctx, &item));
    let code = ctx
        .item(rol, 3)
        .and_then(|item| datatypes::codeable_concept(ctx, &item, Some("0443")));
    let practitioner = ctx
        .item(rol, 4)
        .and_then(|item| datatypes::practitioner(ctx, &item));
    let mut period = Map::new();
    for (member, field) in [("start", 5), ("end", 6)] {
        if let Some(item) = ctx.item(rol, field) {
            ctx.unused_components(&item, &[1]);
            if let Some(value) = datatypes::datetime(ctx, &item, 1) {
                period.insert(member.into(), Value::String(value));
            }
        }
    }
    let telecom: Vec<Value> = ctx
        .items(rol, 12)
        .iter()
        .filter_map(|item| datatypes::contact_point(ctx, item))
        .collect();
    let locations: Vec<Value> = ctx
        .items(rol, 13)
        .iter()
        .filter_map(|item| datatypes::location(ctx, item))
        .map(|reference| datatypes::reference(&reference))
        .collect();
    let organization = ctx
        .item(rol, 14)
        .and_then(|item| datatypes::organization(ctx, &item));
    if practitioner.is_none() && code.is_none() {
        return None;
    }
    let key = identifier
        .as_ref()
        .and_then(datatypes::identifier_key)
        .unwrap_or_else(|| {
            ResourceKey::Natural(format!(
                "rol:{}|{}|{}",
                practitioner.as_deref().unwrap_or_default(),
                code.as_ref().map(Value::to_string).unwrap_or_default(),
                organization.as_deref().unwrap_or_default()
            ))
        });
    Some(ctx.add("PractitionerRole", key, |id| {
        let mut builder = ResourceBuilder::new("PractitionerRole", &id);
        builder
            .set("identifier", identifier.map(|i| Value::from(vec![i])))
            .set("period", Some(Value::Object(period)))
            .set(
                "practitioner",
                practitioner.as_deref().map(datatypes::reference),
            )
            .set(
                "organization",
                organization.as_deref().map(datatypes::reference),
            )
            .set("code", code.map(|c| Value::from(vec![c])))
            .set("location", Some(Value::Array(locations)))
            .set("telecom", Some(Value::Array(telecom)));
        builder.build()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site_config::SiteConfig;
    use crate::v2::datatypes::testing::MSH;
    use serde_json::json;

    #[test]
    fn roles() {
        let text = format!(
            "{MSH}ROL|R1^HOSP|AD|PP^Primary Care Provider^HL70443|123^House^Greg^^^^^^NPI|20240101|||||||^WPN^PH^^1^555^1234567|4W^401|Good Health\r\
             ROL||DE|AT|123^House^Greg^^^^^^NPI|||P1D\r"
        );
        let (message, _) = hl7v2::parse(text.as_bytes());
        let header = message.header();
        let config = SiteConfig::default();
        let mut ctx = Context::new(&message, &header, &config);
        let rols: Vec<_> = message.segments_named("ROL").collect();
        let first = practitioner_role(&mut ctx, &rols[0]).unwrap();
        let second = practitioner_role(&mut ctx, &rols[1]).unwrap();
        assert_ne!(first, second);
        let (resources, report) = ctx.finish();
        let find = |reference: &str| {
            resources
                .iter()
                .find(|r| format!("{}/{}", r.resource_type, r.id) == reference)
                .map(|r| r.resource.clone())
                .unwrap()
        };
        let role = find(&first);
        assert_eq!(
            role["identifier"],
            json!([{"system": "urn:fhirgate:namespace:HOSP", "value": "R1"}])
        );
        assert_eq!(role["period"], json!({"start": "2024-01-01"}));
        assert_eq!(
            role["code"],
            json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0443", "code": "PP", "display": "Primary Care Provider"}]}])
        );
        assert_eq!(
            role["telecom"],
            json!([{"system": "phone", "value": "+15551234567", "use": "work"}])
        );
        let practitioner = find(role["practitioner"]["reference"].as_str().unwrap());
        assert_eq!(practitioner["name"][0]["family"], "House");
        assert_eq!(
            find(role["organization"]["reference"].as_str().unwrap())["name"],
            "Good Health"
        );
        assert_eq!(
            find(role["location"][0]["reference"].as_str().unwrap())["name"],
            "401"
        );
        let second = find(&second);
        assert_eq!(second["practitioner"], role["practitioner"]);
        let unmapped: Vec<String> = report
            .unmapped
            .iter()
            .map(|u| u.location.to_string())
            .collect();
        assert_eq!(
            unmapped,
            [
                "MSH(0)-3",
                "MSH(0)-4",
                "MSH(0)-5",
                "MSH(0)-6",
                "MSH(0)-7",
                "MSH(0)-9",
                "MSH(0)-10",
                "MSH(0)-11",
                "MSH(0)-12",
                "ROL(2)-2",
                "ROL(2)-7"
            ]
        );
    }
}
