//! RXR → the route part of a Dosage, per the v2-to-FHIR RXR[MedicationRequest] table (also
//! used for MedicationDispense.dosageInstruction): `route` RXR-1 (table 0162), `site` RXR-2
//! (table 0163), `method` RXR-4 (table 0165), `additionalInstruction` RXR-5. RXR-3
//! (administration device: the table names only a to-be-defined extension) and RXR-6 (site
//! modifier: no Dosage member) stay in the report.

use hl7v2::Segment;
use serde_json::{Map, Value};

use super::super::context::Context;
use super::super::datatypes as dt;

/// The Dosage members RXR gives (`route`, `site`, `method`, `additionalInstruction`), to merge
/// into a Dosage.
pub fn dosage_route<'m>(ctx: &mut Context<'m>, rxr: &Segment<'m>) -> Map<String, Value> {
    ctx.seen(rxr);
    let mut dosage = Map::new();
    for (field, member, table) in [
        (1, "route", Some("0162")),
        (2, "site", Some("0163")),
        (4, "method", Some("0165")),
        (5, "additionalInstruction", None),
    ] {
        let concept = ctx
            .item(rxr, field)
            .and_then(|item| dt::codeable_concept(ctx, &item, table));
        if let Some(concept) = concept {
            let value = if member == "additionalInstruction" {
                Value::Array(vec![concept])
            } else {
                concept
            };
            dosage.insert(member.into(), value);
        }
    }
    dosage
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::site_config::SiteConfig;
    use crate::v2::datatypes::testing::MSH;

    #[test]
    fn route_site_method() {
        let text = format!("{MSH}RXR|IV^Intravenous|LA^Left arm||IVP^IV PUSH||\r");
        let (message, _) = hl7v2::parse(text.as_bytes());
        let header = message.header();
        let config = SiteConfig::default();
        let mut ctx = Context::new(&message, &header, &config);
        let rxr = message.first("RXR").unwrap();
        let dosage = dosage_route(&mut ctx, &rxr);
        assert_eq!(
            Value::Object(dosage),
            json!({
                "route": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0162", "code": "IV", "display": "Intravenous"}]},
                "site": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0163", "code": "LA", "display": "Left arm"}]},
                "method": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0165", "code": "IVP", "display": "IV PUSH"}]}
            })
        );
    }
}
