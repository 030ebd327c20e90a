//! SPM → Specimen, per the v2-to-FHIR SPM[Specimen] table.
//!
//! `identifier` SPM-2 (placer PLAC and filler FILL parts of the EIP), `type` SPM-4 (table 0487),
//! `collection.method` SPM-7, `collection.bodySite` SPM-8, `collection.quantity` SPM-12,
//! `collection.collected[x]` SPM-17 (a Period when it has an end), `receivedTime` SPM-18,
//! `condition` SPM-24, `subject`. Keyed by its first identifier, else the segment.

use hl7v2::Segment;
use serde_json::{Map, Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::obx::datetime_field;
use fhir::datatypes::ResourceBuilder;

/// Maps an SPM to a Specimen and returns its reference.
pub fn specimen<'m>(ctx: &mut Context<'m>, spm: &Segment<'m>, subject: Option<&str>) -> String {
    ctx.consume(spm, &[1]);
    let mut identifiers = Vec::new();
    if let Some(item) = ctx.item(spm, 2) {
        ctx.unused_components(&item, &[1, 2]);
        for (n, type_code) in [(1, "PLAC"), (2, "FILL")] {
            if let Some(value) = item.sub_text(n, 1) {
                let mut identifier = Map::new();
                identifier.insert(
                    "type".into(),
                    json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": type_code}]}),
                );
                if let Some(oid) = item.sub_text(n, 3) {
                    identifier.insert("system".into(), json!(format!("urn:oid:{oid}")));
                }
                identifier.insert("value".into(), json!(value));
                identifiers.push(Value::Object(identifier));
            }
        }
    }
    let kind = ctx
        .item(spm, 4)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0487")));
    let method = ctx
        .item(spm, 7)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0488")));
    let body_site = ctx
        .item(spm, 8)
        .and_then(|item| dt::codeable_concept(ctx, &item, None));
    let quantity = ctx
        .item(spm, 12)
        .and_then(|item| dt::composite_quantity(ctx, &item));
    let mut collection = Map::new();
    if let Some(item) = ctx.item(spm, 17) {
        ctx.unused_components(&item, &[1, 2]);
        let start = item
            .sub_text(1, 1)
            .and_then(|t| ctx.datetime(&t, item.component_location(1)));
        let end = item
            .sub_text(2, 1)
            .and_then(|t| ctx.datetime(&t, item.component_location(2)));
        match (start, end) {
            (start, Some(end)) => {
                collection.insert(
                    "collectedPeriod".into(),
                    json!({"start": start, "end": end}),
                );
            }
            (Some(start), None) => {
                collection.insert("collectedDateTime".into(), json!(start));
            }
            (None, None) => {}
        }
    }
    if let Some(quantity) = quantity {
        collection.insert("quantity".into(), quantity);
    }
    if let Some(method) = method {
        collection.insert("method".into(), method);
    }
    if let Some(body_site) = body_site {
        collection.insert("bodySite".into(), body_site);
    }
    let received = datetime_field(ctx, spm, 18);
    let conditions: Vec<Value> = ctx
        .items(spm, 24)
        .iter()
        .filter_map(|item| dt::codeable_concept(ctx, item, Some("0493")))
        .collect();
    let key = identifiers
        .iter()
        .find_map(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(spm.index()));
    ctx.add("Specimen", key, |id| {
        let mut builder = ResourceBuilder::new("Specimen", &id);
        builder
            .set("identifier", Some(Value::Array(identifiers)))
            .set("type", kind)
            .set("subject", subject.map(dt::reference))
            .set("receivedTime", received.map(Value::String))
            .set("collection", Some(Value::Object(collection)))
            .set("condition", Some(Value::Array(conditions)));
        builder.build()
    })
}
