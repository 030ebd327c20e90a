//! PL → Location, one Location per level with `partOf` up the chain.
//!
//! The levels, broadest first: facility (PL-4, an HD), building (PL-7), floor (PL-8), point
//! of care (PL-1), room (PL-2), bed (PL-3). Each level written becomes a Location with `name`
//! and `identifier.value` from its text, `mode` `instance`, a `physicalType` (location-physical-
//! type `si`, `bu`, `lvl`, `wa`, `ro`, `bd`) and `partOf` the level above it. A level's natural
//! key is its path from the facility down (`4W|401|B` differs from `3E|401|B`), so the same bed
//! named in PV1-3 and PV1-6 is one Location, and one ORU with 68 OBX does not make 68 of them.
//! The most specific level also gets the description (PL-9) and the comprehensive location
//! identifier (PL-10, an EI) and is returned.

use fhir::datatypes::ResourceBuilder;
use serde_json::{Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::cx::authority_system;
use super::report_unused;

const PHYSICAL_TYPE: &str = "http://terminology.hl7.org/CodeSystem/location-physical-type";

/// The levels: component, physical type code, display.
const LEVELS: [(usize, &str, &str); 6] = [
    (4, "si", "Site"),
    (7, "bu", "Building"),
    (8, "lvl", "Level"),
    (1, "wa", "Ward"),
    (2, "ro", "Room"),
    (3, "bd", "Bed"),
];

/// PL → Location chain (see the module docs); returns `Location/<id>` of the most specific
/// level, `None` when no level is written. The location status (PL-5), person location type
/// (PL-6) and assigning authority (PL-11) are reported as unmapped.
pub fn location<'m>(ctx: &mut Context<'m>, pl: &Item<'m>) -> Option<String> {
    let levels: Vec<(usize, &str, &str, String)> = LEVELS
        .iter()
        .filter_map(|&(n, code, display)| {
            let text = pl.sub_text(n, 1).or_else(|| pl.sub_text(n, 2))?;
            Some((n, code, display, text.into_owned()))
        })
        .collect();
    if levels.is_empty() {
        report_unused(ctx, pl, &[]);
        return None;
    }
    let mut handled: Vec<usize> = levels.iter().map(|(n, ..)| *n).collect();
    let description = pl.text(9);
    let comprehensive = pl.text(10).map(|value| {
        handled.push(10);
        let mut identifier = serde_json::Map::new();
        if let Some(system) = authority_system(
            pl.sub_text(10, 2).as_deref(),
            pl.sub_text(10, 3).as_deref(),
            pl.sub_text(10, 4).as_deref(),
        ) {
            identifier.insert("system".into(), Value::String(system));
        }
        let value = pl.sub_text(10, 1).unwrap_or(value);
        identifier.insert("value".into(), Value::String(value.into_owned()));
        Value::Object(identifier)
    });
    if description.is_some() {
        handled.push(9);
    }
    report_unused(ctx, pl, &handled);
    let mut path = String::new();
    let mut parent: Option<String> = None;
    let last = levels.len() - 1;
    for (idx, (n, code, display, text)) in levels.into_iter().enumerate() {
        if !path.is_empty() {
            path.push('|');
        }
        // `n` is a PL component number, a single digit.
        path.push(char::from_digit(u32::try_from(n).unwrap_or(0), 10).unwrap_or('0'));
        path.push('=');
        path.push_str(&text);
        let most_specific = idx == last;
        let key = ResourceKey::Natural(["pl:", &path].concat());
        // A level's resource follows from its path alone, except the description and the
        // comprehensive identifier of the most specific level: a level met again without those
        // brings nothing new, so it is not built again.
        let brings_more = most_specific && (description.is_some() || comprehensive.is_some());
        if !brings_more && let Some(known) = ctx.reference("Location", &key) {
            parent = Some(known);
            continue;
        }
        let mut identifiers = vec![json!({ "value": text })];
        if most_specific && let Some(comprehensive) = &comprehensive {
            identifiers.push(comprehensive.clone());
        }
        let part_of = parent.as_deref().map(super::reference);
        let description = description
            .as_ref()
            .filter(|_| most_specific)
            .map(|d| Value::String(d.clone().into_owned()));
        let reference = ctx.add("Location", key, |id| {
            let mut builder = ResourceBuilder::new("Location", &id);
            builder
                .set("identifier", Some(Value::Array(identifiers)))
                .set("name", Some(Value::String(text)))
                .set("description", description)
                .set("mode", Some(json!("instance")))
                .set(
                    "physicalType",
                    Some(json!({"coding": [{"system": PHYSICAL_TYPE, "code": code, "display": display}]})),
                )
                .set("partOf", part_of);
            builder.build()
        });
        parent = Some(reference);
    }
    parent
}

#[cfg(test)]
mod tests {
    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    #[test]
    fn levels_chain_and_deduplicate() {
        let outcome = with_field(
            &SiteConfig::default(),
            "PV1|1|I|4W^401^B^GHH^^N^^^Window bed~4W^401^B^GHH~3E^401^B^GHH~^^^GHH~^^^^^^^^^^AUTH\r",
            "PV1",
            3,
            |ctx, items| {
                items
                    .iter()
                    .map(|item| location(ctx, item))
                    .collect::<Vec<_>>()
            },
        );
        let refs = &outcome.result;
        assert_eq!(refs[0], refs[1]);
        assert_ne!(refs[0], refs[2]);
        assert_eq!(refs[4], None);
        // GHH, 4W, 401, B, then 3E, 401, B under GHH: seven Locations.
        assert_eq!(outcome.resources.len(), 7);
        let by_ref = |reference: &str| {
            outcome
                .resources
                .iter()
                .find(|r| format!("{}/{}", r.resource_type, r.id) == reference)
                .map(|r| r.resource.clone())
                .unwrap()
        };
        let bed = by_ref(refs[0].as_deref().unwrap());
        assert_eq!(bed["name"], "B");
        assert_eq!(bed["description"], "Window bed");
        assert_eq!(bed["physicalType"]["coding"][0]["code"], "bd");
        let room = by_ref(bed["partOf"]["reference"].as_str().unwrap());
        assert_eq!(room["physicalType"]["coding"][0]["code"], "ro");
        let ward = by_ref(room["partOf"]["reference"].as_str().unwrap());
        assert_eq!(ward["name"], "4W");
        let site = by_ref(ward["partOf"]["reference"].as_str().unwrap());
        assert_eq!(site["name"], "GHH");
        assert_eq!(site.get("partOf"), None);
        assert_eq!(
            refs[3].as_deref(),
            Some(ward["partOf"]["reference"].as_str().unwrap())
        );
        assert_eq!(
            outcome.report,
            [
                "unmapped component PV1(1)-3[1].6",
                "unmapped component PV1(1)-3[5].11"
            ]
        );
    }
}
