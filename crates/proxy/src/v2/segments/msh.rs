//! MSH (and EVN) → the message's Provenance.
//!
//! Every converted message gets one Provenance: what it produced (`target`, every resource in the
//! Bundle), when (`recorded`, MSH-7 with its offset; never the wall clock, so output stays
//! deterministic), which trigger (`activity`, table 0003), who sent it (`agent`, MSH-3/MSH-4),
//! the source message (`entity`, MSH-10 and MSH-9) and the mapping version (`policy`).

use fhir::datatypes::ResourceBuilder;
use hl7v2::Location;
use serde_json::{Value, json};

use super::super::MAPPING_VERSION;
use super::super::context::{Context, ResourceKey};
use super::super::report::IssueSeverity;

/// MSH fields that steer parsing and acknowledgement (delimiters, processing id, version,
/// acknowledgement types, character set, receiver): consumed by the transport, not mapped.
const TRANSPORT_FIELDS: &[usize] = &[5, 6, 11, 12, 15, 16, 18];

/// Adds the message's Provenance, targeting every resource added so far.
pub fn provenance(context: &mut Context<'_>) {
    let header = context.header();
    let Some(msh) = context.message().first("MSH") else {
        return;
    };
    context.consume(&msh, &[3, 4, 7, 9, 10]);
    context.consume(&msh, TRANSPORT_FIELDS);
    let targets: Vec<Value> = context
        .resources()
        .iter()
        .map(|pending| json!({"reference": format!("{}/{}", pending.resource_type, pending.id)}))
        .collect();
    let recorded = header
        .timestamp_raw
        .as_deref()
        .and_then(|raw| context.datetime(raw, Location::field(msh.index(), "MSH", 7)))
        .filter(|value| value.len() > 10);
    if recorded.is_none() {
        context.issue(
            IssueSeverity::Warning,
            Location::field(msh.index(), "MSH", 7),
            "Provenance.recorded needs MSH-7 as a date-time with an offset (or a site time zone); \
             it is written as absent (data-absent-reason unknown)",
        );
    }
    let sender = [&header.sending_application, &header.sending_facility]
        .iter()
        .filter_map(|hd| hd.as_ref())
        .map(|hd| {
            hd.namespace_id
                .clone()
                .or_else(|| hd.universal_id.clone())
                .unwrap_or_default()
        })
        .filter(|name| !name.is_empty())
        .collect::<Vec<_>>()
        .join(" @ ");
    let facility_oid = header
        .sending_facility
        .as_ref()
        .filter(|hd| {
            hd.universal_id_type
                .as_deref()
                .is_some_and(|kind| kind.eq_ignore_ascii_case("ISO"))
        })
        .and_then(|hd| hd.universal_id.clone());
    let mut who = serde_json::Map::new();
    if let Some(oid) = facility_oid {
        who.insert(
            "identifier".into(),
            json!({"system": "urn:ietf:rfc:3986", "value": format!("urn:oid:{oid}")}),
        );
    }
    who.insert(
        "display".into(),
        Value::String(if sender.is_empty() {
            "unknown sender".to_owned()
        } else {
            sender
        }),
    );
    let message_type = [
        header.message_code.as_deref(),
        header.trigger_event.as_deref(),
        header.structure.as_deref(),
    ]
    .iter()
    .flatten()
    .copied()
    .collect::<Vec<_>>()
    .join("^");
    let activity = header.trigger_event.as_deref().map(|trigger| {
        json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0003",
            "code": trigger
        }]})
    });
    let entity_what = {
        let mut what = serde_json::Map::new();
        if let Some(control_id) = &header.control_id {
            what.insert("identifier".into(), json!({"value": control_id}));
        }
        what.insert(
            "display".into(),
            Value::String(format!(
                "HL7v2 {} message, version {}",
                if message_type.is_empty() {
                    "?"
                } else {
                    &message_type
                },
                header.version.as_deref().unwrap_or("?")
            )),
        );
        Value::Object(what)
    };
    context.add("Provenance", ResourceKey::Message("provenance"), |id| {
        let mut builder = ResourceBuilder::new("Provenance", &id);
        builder
            .set("target", Some(Value::Array(targets)))
            .set("recorded", recorded.clone().map(Value::String))
            // `recorded` is required: when it cannot be known, say so rather than guess.
            .set(
                "_recorded",
                recorded.is_none().then(|| {
                    json!({"extension": [{
                        "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                        "valueCode": "unknown"
                    }]})
                }),
            )
            .set(
                "policy",
                Some(json!([format!("urn:fhirgate:mapping:{MAPPING_VERSION}")])),
            )
            .set("activity", activity)
            .set(
                "agent",
                Some(json!([{
                    "type": {"coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                        "code": "author"
                    }]},
                    "who": Value::Object(who)
                }])),
            )
            .set(
                "entity",
                Some(json!([{"role": "source", "what": entity_what}])),
            );
        builder.build()
    });
}
