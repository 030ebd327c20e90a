//! XAD → Address.
//!
//! line from the street address (SAD-1, or SAD-3 and SAD-2 when SAD-1 is empty; the street
//! name and dwelling number become the R4 `iso21090-ADXP-*` extensions on that line) and the
//! other designation, city, state, postalCode, country as written, district from the county
//! code, use or type from the address type (table 0190 through the `AddressType[Use]` and
//! `AddressType[Type]` maps), period from the validity range or the effective and expiration
//! dates.

use serde_json::{Map, Value, json};

use super::super::context::{Context, Item};
use super::super::report::IssueSeverity;
use super::report_unused;

const STREET_NAME: &str = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-streetName";
const HOUSE_NUMBER: &str = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-houseNumber";

/// XAD → Address; `None` when nothing but unmapped components is written. The other
/// geographic designation, census tract, representation code and the v2.6+ components from
/// XAD-15 on are reported as unmapped.
pub fn address<'m>(ctx: &mut Context<'m>, xad: &Item<'m>) -> Option<Value> {
    let mut handled = vec![1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 14];
    let mut address = Map::new();
    if let Some(code) = xad.text(7) {
        let vocabulary = ctx.vocabulary();
        if let Some(mapped) = vocabulary.map("AddressType[Use]", &code) {
            address.insert("use".into(), Value::String(mapped.code.to_owned()));
        } else if let Some(mapped) = vocabulary.map("AddressType[Type]", &code) {
            address.insert("type".into(), Value::String(mapped.code.to_owned()));
        } else {
            ctx.issue(
                IssueSeverity::Information,
                xad.component_location(7),
                format!("address type {code:?} has no Address.use or Address.type"),
            );
            handled.retain(|&n| n != 7);
        }
    }
    let street_name = xad.sub_text(1, 2);
    let house_number = xad.sub_text(1, 3);
    let street = xad.sub_text(1, 1).map(|s| s.into_owned()).or_else(|| {
        let parts: Vec<&str> = [house_number.as_deref(), street_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let mut lines = Vec::new();
    let mut line_extensions = Vec::new();
    if let Some(street) = street {
        lines.push(Value::String(street));
        let extensions: Vec<Value> = [(STREET_NAME, &street_name), (HOUSE_NUMBER, &house_number)]
            .into_iter()
            .filter_map(|(url, part)| Some(json!({"url": url, "valueString": part.as_deref()?})))
            .collect();
        line_extensions.push(if extensions.is_empty() {
            Value::Null
        } else {
            json!({ "extension": extensions })
        });
    }
    if let Some(other) = xad.text(2) {
        lines.push(Value::String(other.into_owned()));
        line_extensions.push(Value::Null);
    }
    if !lines.is_empty() {
        address.insert("line".into(), Value::Array(lines));
        if line_extensions.iter().any(|e| !e.is_null()) {
            address.insert("_line".into(), Value::Array(line_extensions));
        }
    }
    for (member, n) in [
        ("city", 3),
        ("district", 9),
        ("state", 4),
        ("postalCode", 5),
        ("country", 6),
    ] {
        // XAD-9 (county/parish) is coded in v2.6+ (`code&text&system`): its text, else its code.
        let text = if n == 9 {
            xad.sub_text(9, 2).or_else(|| xad.sub_text(9, 1))
        } else {
            xad.text(n)
        };
        if let Some(text) = text {
            address.insert(member.into(), Value::String(text.into_owned()));
        }
    }
    let start = xad
        .sub_text(12, 1)
        .map(|t| (t, 12))
        .or_else(|| xad.text(13).map(|t| (t, 13)));
    let end = xad
        .sub_text(12, 2)
        .map(|t| (t, 12))
        .or_else(|| xad.text(14).map(|t| (t, 14)));
    let mut period = Map::new();
    for (member, found) in [("start", start), ("end", end)] {
        if let Some((text, n)) = found
            && let Some(value) = ctx.datetime(&text, xad.component_location(n))
        {
            period.insert(member.into(), Value::String(value));
        }
    }
    if !period.is_empty() {
        address.insert("period".into(), Value::Object(period));
    }
    let substantive = address
        .keys()
        .any(|key| !matches!(key.as_str(), "use" | "type" | "period"));
    if !substantive {
        // A type or dates alone are no address: report them instead.
        report_unused(ctx, xad, &[]);
        return None;
    }
    report_unused(ctx, xad, &handled);
    Some(Value::Object(address))
}

#[cfg(test)]
mod tests {
    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    fn check(pid11: &str, expected: &[Value], report: &[&str]) {
        let outcome = with_field(
            &SiteConfig::default(),
            &format!("PID|1||1||X||||||{pid11}\r"),
            "PID",
            11,
            |ctx, items| {
                items
                    .iter()
                    .filter_map(|item| address(ctx, item))
                    .collect::<Vec<_>>()
            },
        );
        assert_eq!(outcome.result, expected, "PID-11 {pid11:?}");
        assert_eq!(outcome.report, report, "PID-11 {pid11:?}");
    }

    #[test]
    fn addresses() {
        check(
            "1 Main St^Apt 2^Town^MA^01234^USA^H^^Middlesex",
            &[json!({
                "use": "home", "line": ["1 Main St", "Apt 2"], "city": "Town",
                "district": "Middlesex", "state": "MA", "postalCode": "01234", "country": "USA"
            })],
            &[],
        );
        check(
            "&Main St&12^^Town^^^^M^^^^^20200101",
            &[json!({
                "type": "postal",
                "line": ["12 Main St"],
                "_line": [{"extension": [
                    {"url": STREET_NAME, "valueString": "Main St"},
                    {"url": HOUSE_NUMBER, "valueString": "12"}
                ]}],
                "city": "Town",
                "period": {"start": "2020-01-01"}
            })],
            &[],
        );
        // A coded county keeps its text, not the subcomponent separators.
        check(
            "1 Main^^Town^^^^^^&Washtenaw",
            &[json!({"line": ["1 Main"], "city": "Town", "district": "Washtenaw"})],
            &[],
        );
        check(
            "PO Box 5^^^^^^N^Geo^^Tract",
            &[json!({"line": ["PO Box 5"]})],
            &[
                "unmapped component PID(1)-11[1].7",
                "unmapped component PID(1)-11[1].8",
                "unmapped component PID(1)-11[1].10",
                "information at PID(1)-11[1].7: address type \"N\" has no Address.use or Address.type",
            ],
        );
        check("^^^^^^H", &[], &["unmapped component PID(1)-11[1].7"]);
    }
}
