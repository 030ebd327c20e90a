//! OBX-5 (observation value) by its OBX-2 value type, per the OBX[Observation] table.
//!
//! | OBX-2 | FHIR |
//! |---|---|
//! | NM | `valueQuantity` (decimal text kept, OBX-6 units); `<5`, `>=10` read as SN |
//! | SN | `valueQuantity` / `valueRange` / `valueRatio`, else `valueString` |
//! | CQ | `valueQuantity` (its own units, else OBX-6) |
//! | ST, TX, FT | `valueString`; repetitions joined with newlines, formatting escapes decoded |
//! | CE, CWE, CNE, CF, IS | `valueCodeableConcept` |
//! | DT, DTM, TS | `valueDateTime` |
//! | TM | `valueTime` (an offset is dropped: FHIR `time` has none) |
//! | DR | `valuePeriod`; NR: `valueRange` |
//! | ED, RP | an Attachment each (the caller puts them into a DocumentReference) |
//! | NA, HD, VR, unknown | `valueString` (see DIFFERENCES.md) |
//!
//! A value type allowing one value (all but the text types and ED/RP) with several repetitions:
//! the Observation has no `value[x]` and every repetition becomes an `Observation.component`
//! with the same code (R4 obs-7 forbids such a component beside `value[x]`), so that nothing is
//! dropped.

use std::borrow::Cow;

use hl7v2::Location;
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;

/// The mapped OBX-5.
#[derive(Debug, Default)]
pub(crate) struct Values {
    /// `(member name, value)` per value, such as `("valueQuantity", {...})`.
    pub values: Vec<(&'static str, Value)>,
    /// Attachments (ED, RP).
    pub attachments: Vec<Value>,
}

/// Maps every repetition of OBX-5 by `value_type`, with `units` from OBX-6.
pub(crate) fn values<'m>(
    ctx: &mut Context<'m>,
    items: &[Item<'m>],
    value_type: &str,
    units: Option<&Item<'m>>,
) -> Values {
    let mut out = Values::default();
    match value_type {
        "ST" | "TX" | "FT" | "" => {
            let lines: Vec<Cow<'m, str>> = items.iter().filter_map(Item::whole).collect();
            if !lines.is_empty() {
                out.values.push(("valueString", json!(lines.join("\n"))));
            }
        }
        "ED" | "RP" => {
            for item in items {
                if let Some(attachment) = attachment(ctx, item, value_type) {
                    out.attachments.push(attachment);
                }
            }
        }
        _ => {
            for item in items {
                if let Some(value) = one_value(ctx, item, value_type, units) {
                    out.values.push(value);
                }
            }
        }
    }
    out
}

fn one_value<'m>(
    ctx: &mut Context<'m>,
    item: &Item<'m>,
    value_type: &str,
    units: Option<&Item<'m>>,
) -> Option<(&'static str, Value)> {
    let location = item.location();
    match value_type {
        "NM" => {
            ctx.unused_components(item, &[1]);
            let text = item.text(1)?;
            if let Some(quantity) = comparator_quantity(ctx, &text, units, location.clone()) {
                return Some(("valueQuantity", quantity));
            }
            match dt::quantity(ctx, &text, units, location.clone()) {
                Some(quantity) => Some(("valueQuantity", quantity)),
                None => {
                    ctx.issue(
                        IssueSeverity::Warning,
                        location,
                        "NM value is not a number; kept as valueString",
                    );
                    Some(("valueString", json!(text)))
                }
            }
        }
        "SN" => structured(ctx, item, units),
        "CQ" => {
            let mut quantity = dt::composite_quantity(ctx, item)?;
            if quantity.get("unit").is_none()
                && quantity.get("code").is_none()
                && let (Some(units), Some(value)) = (units, quantity.get("value").cloned())
            {
                quantity = dt::quantity(ctx, &plain(&value), Some(units), location)?;
            }
            Some(("valueQuantity", quantity))
        }
        "CE" | "CWE" | "CNE" | "CF" | "IS" | "ID" => {
            dt::codeable_concept(ctx, item, None).map(|c| ("valueCodeableConcept", c))
        }
        "DT" | "DTM" | "TS" | "DIN" => {
            ctx.unused_components(item, &[1]);
            let text = item.text(1)?;
            ctx.datetime(&text, location)
                .map(|v| ("valueDateTime", json!(v)))
        }
        "TM" => {
            ctx.unused_components(item, &[1]);
            let text = item.text(1)?;
            match time(&text) {
                Some((value, had_offset)) => {
                    if had_offset {
                        ctx.issue(
                            IssueSeverity::Information,
                            location,
                            "offset of a TM value dropped: FHIR time has none",
                        );
                    }
                    Some(("valueTime", json!(value)))
                }
                None => {
                    ctx.issue(IssueSeverity::Error, location, "invalid TM value left out");
                    None
                }
            }
        }
        "DR" => {
            ctx.unused_components(item, &[1, 2]);
            let start = item
                .sub_text(1, 1)
                .and_then(|t| ctx.datetime(&t, item.component_location(1)));
            let end = item
                .sub_text(2, 1)
                .and_then(|t| ctx.datetime(&t, item.component_location(2)));
            fhir::datatypes::prune_empty(json!({"start": start, "end": end}))
                .map(|p| ("valuePeriod", p))
        }
        "NR" => {
            ctx.unused_components(item, &[1, 2]);
            let mut range = Map::new();
            for (n, name) in [(1, "low"), (2, "high")] {
                if let Some(text) = item.text(n)
                    && let Some(q) = dt::quantity(ctx, &text, units, item.component_location(n))
                {
                    range.insert(name.into(), q);
                }
            }
            (!range.is_empty()).then(|| ("valueRange", Value::Object(range)))
        }
        "HD" => {
            ctx.unused_components(item, &[1, 2]);
            item.text(1)
                .or_else(|| item.text(2))
                .map(|t| ("valueString", json!(t)))
        }
        _ => {
            // NA (numeric array: SampledData needs a period the message does not have), VR and
            // unknown types keep their text.
            if !matches!(value_type, "NA" | "VR") {
                ctx.issue(
                    IssueSeverity::Warning,
                    location,
                    format!("OBX-2 value type {value_type:?} not mapped by type; kept as text"),
                );
            }
            let separator = if value_type == "VR" { "-" } else { " " };
            let parts: Vec<Cow<'m, str>> = (1..=item.n_components())
                .filter_map(|n| item.text(n))
                .collect();
            ctx.unused_components(item, &(1..=item.n_components()).collect::<Vec<_>>());
            (!parts.is_empty()).then(|| ("valueString", json!(parts.join(separator))))
        }
    }
}

/// The text of a JSON number or string.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `<5`, `<=0.1`, `>100`: an NM written with a comparator (a common sender habit).
fn comparator_quantity<'m>(
    ctx: &mut Context<'m>,
    text: &str,
    units: Option<&Item<'m>>,
    location: Location,
) -> Option<Value> {
    let (comparator, number) = ["<=", ">=", "<", ">"]
        .iter()
        .find_map(|c| text.strip_prefix(c).map(|rest| (*c, rest.trim())))?;
    let mut quantity = dt::quantity(ctx, number, units, location.clone())?;
    if let Some(map) = quantity.as_object_mut() {
        map.insert("comparator".into(), json!(comparator));
    }
    ctx.issue(
        IssueSeverity::Information,
        location,
        "NM value written with a comparator; read as SN",
    );
    Some(quantity)
}

fn structured<'m>(
    ctx: &mut Context<'m>,
    item: &Item<'m>,
    units: Option<&Item<'m>>,
) -> Option<(&'static str, Value)> {
    let unit = units.and_then(|units| {
        let q = dt::quantity(ctx, "0", Some(units), item.location())?;
        let mut members = q.as_object()?.clone();
        members.remove("value");
        Some(members)
    });
    match dt::structured_numeric(ctx, item) {
        Some((kind, mut value)) => {
            if let Some(unit) = unit {
                let paths: &[&str] = match kind {
                    "Range" => &["low", "high"],
                    "Ratio" => &["numerator"],
                    "Quantity" => &[""],
                    _ => &[],
                };
                for path in paths {
                    let target = if path.is_empty() {
                        Some(&mut value)
                    } else {
                        value.get_mut(*path)
                    };
                    if let Some(Value::Object(target)) = target {
                        for (name, member) in &unit {
                            target.entry(name.clone()).or_insert(member.clone());
                        }
                    }
                }
            }
            let member = match kind {
                "Quantity" => "valueQuantity",
                "Range" => "valueRange",
                "Ratio" => "valueRatio",
                _ => "valueString",
            };
            Some((member, value))
        }
        None => {
            let text: Vec<Cow<'m, str>> = (1..=4).filter_map(|n| item.text(n)).collect();
            let mut text = text.join(" ");
            if let Some(unit) = units.and_then(|u| u.text(1)) {
                text = format!("{text} {unit}");
            }
            (!text.is_empty()).then(|| ("valueString", json!(text)))
        }
    }
}

/// HL7 TM (`HH[MM[SS[.S+]]][+/-ZZZZ]`) → FHIR time, and whether an offset was dropped.
pub(crate) fn time(text: &str) -> Option<(String, bool)> {
    let (clock, had_offset) = match text.find(['+', '-']) {
        Some(at) => (text.get(..at)?, true),
        None => (text, false),
    };
    let (whole, fraction) = match clock.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (clock, None),
    };
    if !whole.bytes().all(|b| b.is_ascii_digit()) || ![2, 4, 6].contains(&whole.len()) {
        return None;
    }
    let part = |range: std::ops::Range<usize>| -> Option<u32> {
        whole.get(range).map_or(Some(0), |p| p.parse().ok())
    };
    let (hour, minute, second) = (part(0..2)?, part(2..4)?, part(4..6)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut value = format!("{hour:02}:{minute:02}:{second:02}");
    if let Some(fraction) = fraction.filter(|f| !f.is_empty()) {
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value.push('.');
        value.push_str(fraction);
    }
    Some((value, had_offset))
}

/// ED (`source^type^subtype^encoding^data`) or RP (`pointer^application^type^subtype`) → an
/// Attachment. ED data is kept as base64: Base64 as sent, `A` (ASCII) and `Hex` re-encoded.
pub fn attachment<'m>(ctx: &mut Context<'m>, item: &Item<'m>, value_type: &str) -> Option<Value> {
    let location = item.location();
    let (type_at, mut attachment) = if value_type == "RP" {
        ctx.unused_components(item, &[1, 3, 4]);
        let url = item.text(1)?;
        (3, json!({"url": url}))
    } else {
        // ED-1 (the source application) says who made the data, not what it is.
        ctx.unused_components(item, &[1, 2, 3, 4, 5]);
        let data = item.text(5)?;
        let encoding = item.text(4).unwrap_or(Cow::Borrowed("A"));
        let data = match encoding.to_ascii_uppercase().as_str() {
            "BASE64" => data.split_whitespace().collect::<String>(),
            "HEX" => match hex_bytes(&data) {
                Some(bytes) => base64(&bytes),
                None => {
                    ctx.issue(IssueSeverity::Error, location, "ED data is not valid hex");
                    return None;
                }
            },
            _ => base64(data.as_bytes()),
        };
        (2, json!({"data": data}))
    };
    if let Some(content_type) = content_type(item.text(type_at), item.text(type_at + 1))
        && let Some(map) = attachment.as_object_mut()
    {
        map.insert("contentType".into(), json!(content_type));
    }
    Some(attachment)
}

/// A MIME type from ED/RP type and subtype (HL7 tables 0191 and 0291).
fn content_type(kind: Option<Cow<'_, str>>, subtype: Option<Cow<'_, str>>) -> Option<String> {
    let kind = kind.map(|k| k.to_ascii_lowercase());
    let subtype = subtype.map(|s| s.to_ascii_lowercase());
    if let Some(subtype) = subtype.as_deref()
        && subtype.contains('/')
    {
        return Some(subtype.to_owned());
    }
    let major = match kind.as_deref() {
        Some("ap" | "application") => "application",
        Some("im" | "image") => "image",
        Some("au" | "audio") => "audio",
        Some("tx" | "text") => "text",
        Some("multipart") => "multipart",
        Some("video") => "video",
        Some(other) if other.contains('/') => return Some(other.to_owned()),
        _ => return subtype.map(|s| format!("application/{s}")),
    };
    let minor = match subtype.as_deref() {
        Some("octet-stream") | None if major == "text" => "plain",
        Some(sub) => sub,
        None => return None,
    };
    Some(format!("{major}/{minor}"))
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
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
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                let idx = usize::try_from((n >> shift) & 63).unwrap_or(0);
                out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_time_and_content_type() {
        for (input, expected) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v")] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        assert_eq!(
            hex_bytes("666F6F").map(|b| base64(&b)).as_deref(),
            Some("Zm9v")
        );
        assert_eq!(time("1230"), Some(("12:30:00".into(), false)));
        assert_eq!(time("123005.25-0500"), Some(("12:30:05.25".into(), true)));
        assert_eq!(time("2530"), None);
        let ct = |k: &str, s: &str| {
            content_type(
                (!k.is_empty()).then_some(Cow::Borrowed(k)),
                (!s.is_empty()).then_some(Cow::Borrowed(s)),
            )
        };
        assert_eq!(ct("Application", "PDF").as_deref(), Some("application/pdf"));
        assert_eq!(ct("TEXT", "").as_deref(), Some("text/plain"));
        assert_eq!(ct("IM", "JPEG").as_deref(), Some("image/jpeg"));
        assert_eq!(ct("", "").as_deref(), None);
    }
}
