//! TXA (with the OBX segments that carry the document) → DocumentReference, per the v2-to-FHIR
//! table `TXA[DocumentReference]` and the `MDM_T02` message table (`OBX[DocumentReference]`).
//!
//! - `status` (required): TXA-19 availability `AV` or empty → `current`; `OB` (obsolete) →
//!   `superseded`; `CA` (cancelled) → `entered-in-error`; `UN` (unavailable) → `current`. For
//!   `CA`, `OB` and `UN` the v2 code is also kept, as the table says, in the `alternate-codes`
//!   extension on `status` (table 0273).
//! - `docStatus`: TXA-17 completion status (table 0271): `AU` and `LA` (authenticated, legally
//!   authenticated) → `final`; `DI`, `DO`, `IP`, `IN`, `PA` → `preliminary`.
//! - `masterIdentifier` TXA-12 (also the resource's key); `identifier` TXA-16 (file name);
//!   `type` TXA-2 (table 0270); `date` TXA-6 when it has a time (an `instant`; a date alone
//!   is left out with an issue); `author` TXA-9; `authenticator` TXA-10; `description` TXA-25;
//!   `securityLabel` TXA-18 through `DocumentConfidentialityStatus`; `subject` the patient;
//!   `context.encounter` the visit; `context.related` TXA-14 / TXA-15 (placer / filler order
//!   number) as logical references to the ServiceRequest, after direct references to the
//!   ServiceRequests of the message's order groups.
//! - `content` (required): text OBX values (TX, FT, ST) are joined line by line into one
//!   `text/plain` attachment (base64 `data`); each ED or RP value is an attachment of its own
//!   (its MIME type from ED-2/ED-3 or RP-3/RP-4); OBX-3's text is the attachment `title`. TXA-3
//!   (presentation, table 0191) gives the content type of text. An MDM_T01 notification
//!   carries no content: its one `content` has an attachment with only its content type and a
//!   `data-absent-reason` of `not-applicable` (a notification has no content to give), with an
//!   information issue.
//!
//! Not mapped: TXA-4/5/7/8/11/13/20..24/26..28, and OBX fields other than 1, 2, 3 and 5.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::obx_value;
use super::sch::with_type;

const ALTERNATE_CODES: &str = "http://hl7.org/fhir/StructureDefinition/alternate-codes";
const DATA_ABSENT: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

/// Maps a TXA and its content OBX segments to a DocumentReference related to `orders` (the
/// message's ServiceRequests) and returns its reference.
/// `notification` is true for MDM_T01-structured messages, which carry no content.
pub fn document_reference<'m>(
    ctx: &mut Context<'m>,
    txa: &Segment<'m>,
    observations: &[Segment<'m>],
    orders: &[String],
    patient: Option<&str>,
    encounter: Option<&str>,
    notification: bool,
) -> String {
    ctx.consume(txa, &[1]);
    let master = ctx
        .item(txa, 12)
        .and_then(|ei| dt::entity_identifier(ctx, &ei));
    let key = master
        .as_ref()
        .and_then(|identifier| {
            dt::identifier_key(identifier).or_else(|| {
                let value = identifier.get("value")?.as_str()?;
                Some(ResourceKey::Natural(format!("document:{value}")))
            })
        })
        .unwrap_or(ResourceKey::Segment(txa.index()));
    let file_name = ctx
        .text(txa, 16)
        .map(|name| json!({"value": name.into_owned()}));
    let (status, status_extension) = availability(ctx, txa);
    let doc_status = completion(ctx, txa);
    let kind = ctx
        .item(txa, 2)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0270")));
    let date = ctx.item(txa, 6).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        let value = dt::datetime(ctx, &item, 1)?;
        if value.len() > 10 {
            Some(value)
        } else {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                "DocumentReference.date is an instant: TXA-6 without a time is left out",
            );
            None
        }
    });
    let authors: Vec<Value> = ctx
        .items(txa, 9)
        .iter()
        .filter_map(|xcn| dt::practitioner(ctx, xcn))
        .map(|reference| dt::reference(&reference))
        .collect();
    let authenticator = ctx
        .item(txa, 10)
        .and_then(|xcn| dt::practitioner(ctx, &xcn))
        .map(|reference| dt::reference(&reference));
    let description = ctx.text(txa, 25).map(|text| json!(text.into_owned()));
    let security: Vec<Value> = ctx
        .item(txa, 18)
        .and_then(|item| mapped_concept(ctx, &item, "DocumentConfidentialityStatus"))
        .into_iter()
        .collect();
    let mut related: Vec<Value> = orders.iter().map(|order| dt::reference(order)).collect();
    for (field, code) in [(14, "PLAC"), (15, "FILL")] {
        for item in ctx.items(txa, field) {
            if let Some(mut identifier) = dt::entity_identifier(ctx, &item) {
                with_type(
                    &mut identifier,
                    json!({"coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                        "code": code
                    }]}),
                );
                related.push(json!({"type": "ServiceRequest", "identifier": identifier}));
            }
        }
    }
    let text_type = ctx.item(txa, 3).and_then(|item| presentation(ctx, &item));
    let content = if notification {
        ctx.issue(
            IssueSeverity::Information,
            Location::segment(txa.index(), "TXA"),
            "an MDM_T01 notification carries no document content: content.attachment has a data-absent-reason",
        );
        vec![json!({"attachment": {
            "extension": [{"url": DATA_ABSENT, "valueCode": "not-applicable"}],
            "contentType": text_type.as_deref().unwrap_or("text/plain")
        }})]
    } else {
        content(ctx, observations, text_type.as_deref(), txa)
    };
    let mut context = serde_json::Map::new();
    if let Some(encounter) = encounter {
        context.insert("encounter".into(), json!([dt::reference(encounter)]));
    }
    if !related.is_empty() {
        context.insert("related".into(), Value::Array(related));
    }
    ctx.add("DocumentReference", key, |id| {
        let mut builder = ResourceBuilder::new("DocumentReference", &id);
        builder
            .set("masterIdentifier", master)
            .push("identifier", file_name)
            .set("status", Some(json!(status)))
            .set("_status", status_extension)
            .set("docStatus", doc_status.map(Value::from))
            .set("type", kind)
            .set("subject", patient.map(dt::reference))
            .set("date", date.map(Value::String))
            .set("author", Some(Value::Array(authors)))
            .set("authenticator", authenticator)
            .set("description", description)
            .set("securityLabel", Some(Value::Array(security)))
            .set("content", Some(Value::Array(content)))
            .set("context", Some(Value::Object(context)));
        builder.build()
    })
}

/// TXA-19 → `status`, with the `_status` alternate-codes extension for CA, OB and UN.
fn availability<'m>(ctx: &mut Context<'m>, txa: &Segment<'m>) -> (&'static str, Option<Value>) {
    let Some(item) = ctx.item(txa, 19) else {
        return ("current", None);
    };
    ctx.unused_components(&item, &[1]);
    let code = item.text(1).unwrap_or_default();
    let status = match code.as_ref() {
        "AV" => return ("current", None),
        "OB" => "superseded",
        "CA" => "entered-in-error",
        "UN" => "current",
        other => {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                format!("TXA-19 {other:?} is not in table 0273: status current"),
            );
            "current"
        }
    };
    let extension = json!({"extension": [{
        "url": ALTERNATE_CODES,
        "valueCodeableConcept": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0273",
            "code": code
        }]}
    }]});
    (status, Some(extension))
}

/// TXA-17 (table 0271) → `docStatus`.
fn completion<'m>(ctx: &mut Context<'m>, txa: &Segment<'m>) -> Option<&'static str> {
    let item = ctx.item(txa, 17)?;
    ctx.unused_components(&item, &[1]);
    let code = item.text(1)?;
    match code.as_ref() {
        "AU" | "LA" => Some("final"),
        "DI" | "DO" | "IP" | "IN" | "PA" => Some("preliminary"),
        other => {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                format!("TXA-17 {other:?} is not in table 0271: docStatus left out"),
            );
            None
        }
    }
}

/// A code mapped through a v2-to-FHIR concept map, as a CodeableConcept.
fn mapped_concept<'m>(ctx: &mut Context<'m>, item: &Item<'m>, map: &str) -> Option<Value> {
    ctx.unused_components(item, &[1]);
    let code = item.text(1)?;
    match ctx.vocabulary().map(map, &code) {
        Some(mapped) => {
            let mut coding = json!({"system": mapped.system, "code": mapped.code});
            if let Some(display) = mapped.display {
                coding["display"] = json!(display);
            }
            Some(json!({"coding": [coding]}))
        }
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                format!("{code:?} is not in the {map} map: left out"),
            );
            None
        }
    }
}

/// TXA-3 (table 0191) → the MIME type of text content.
fn presentation<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<String> {
    ctx.unused_components(item, &[1]);
    let code = item.text(1)?;
    let mime = match code.to_ascii_uppercase().as_str() {
        "TX" | "TEXT" | "FT" | "ST" => "text/plain",
        "HTML" | "HT" => "text/html",
        "RTF" => "text/rtf",
        "XML" => "text/xml",
        "PDF" => "application/pdf",
        _ => {
            ctx.issue(
                IssueSeverity::Warning,
                item.location(),
                format!("TXA-3 {code:?} has no MIME type: text content is text/plain"),
            );
            return None;
        }
    };
    Some(mime.to_owned())
}

/// The OBX segments → `content`.
fn content<'m>(
    ctx: &mut Context<'m>,
    observations: &[Segment<'m>],
    text_type: Option<&str>,
    txa: &Segment<'m>,
) -> Vec<Value> {
    let mut lines: Vec<String> = Vec::new();
    let mut text_title = None;
    let mut attachments = Vec::new();
    for obx in observations {
        ctx.consume(obx, &[1]);
        let value_type = ctx
            .text(obx, 2)
            .map(|t| t.to_ascii_uppercase())
            .unwrap_or_default();
        let title = ctx.item(obx, 3).and_then(|item| {
            ctx.unused_components(&item, &[1, 2]);
            item.text(2)
                .or_else(|| item.text(1))
                .map(|t| t.into_owned())
        });
        match value_type.as_str() {
            "TX" | "FT" | "ST" => {
                for item in ctx.items(obx, 5) {
                    lines.extend(item.whole().map(|text| text.into_owned()));
                }
                text_title = text_title.or(title);
            }
            "ED" | "RP" => {
                for item in ctx.items(obx, 5) {
                    if let Some(mut attachment) = obx_value::attachment(ctx, &item, &value_type) {
                        if let (Some(title), Some(object)) = (&title, attachment.as_object_mut()) {
                            object.insert("title".into(), json!(title));
                        }
                        attachments.push(json!({"attachment": attachment}));
                    }
                }
            }
            other => ctx.issue(
                IssueSeverity::Warning,
                Location::field(obx.index(), "OBX", 2),
                format!("OBX value type {other:?} is not document content: OBX-5 left out"),
            ),
        }
    }
    let mut content = Vec::new();
    if !lines.is_empty() {
        let mut attachment = serde_json::Map::new();
        attachment.insert(
            "contentType".into(),
            json!(text_type.unwrap_or("text/plain")),
        );
        attachment.insert("data".into(), json!(base64(lines.join("\n").as_bytes())));
        if let Some(title) = text_title {
            attachment.insert("title".into(), json!(title));
        }
        content.push(json!({"attachment": attachment}));
    }
    content.extend(attachments);
    if content.is_empty() {
        ctx.issue(
            IssueSeverity::Warning,
            Location::segment(txa.index(), "TXA"),
            "DocumentReference.content is required and no OBX carries document content: the attachment has a data-absent-reason",
        );
        content.push(json!({"attachment": {
            "extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}],
            "contentType": text_type.unwrap_or("text/plain")
        }}));
    }
    content
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (idx, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if idx <= chunk.len() {
                let sextet = ((n >> shift) & 0x3f) as usize;
                out.push(char::from(ALPHABET.get(sextet).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_pads() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("Hello\nworld", "SGVsbG8Kd29ybGQ="),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
    }
}
