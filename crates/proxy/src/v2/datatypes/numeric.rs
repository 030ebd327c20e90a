//! NM with units → Quantity, CQ → Quantity, SN → Quantity/Range/Ratio/string, MO → Money.
//!
//! Decimals keep the text as written (`1.50` stays `1.50`, through
//! [`fhir::datatypes::Decimal`]). A number FHIR's grammar rejects but that is plainly a number
//! (`+5`, `.5`, `5.`, `007`) is repaired, with an information issue; anything else is left out
//! with an error issue. Units: the unit text is CWE-2, else CWE-1; the UCUM code is CWE-1 when
//! [`vocab::ucum_unit`] knows it (a rewrite such as `mmHg` → `mm[Hg]` is an information issue),
//! else the Quantity carries the unit text only.

use std::borrow::Cow;

use fhir::datatypes::{Decimal, Quantity, QuantityComparator};
use hl7v2::Location;
use serde_json::{Value, json};

use super::super::context::{Context, Item};
use super::super::report::IssueSeverity;
use super::report_unused;
use crate::vocab;

const UCUM: &str = "http://unitsofmeasure.org";

/// An NM value with its units (a CWE such as OBX-6) → Quantity; `None` (with an error issue)
/// when the value is not a number. `location` is where the value is, for issues.
pub fn quantity<'m>(
    ctx: &mut Context<'m>,
    value: &str,
    units: Option<&Item<'m>>,
    location: Location,
) -> Option<Value> {
    let value = decimal(ctx, value, location)?;
    let mut quantity = Quantity {
        value: Some(value),
        ..Quantity::default()
    };
    if let Some(units) = units {
        report_unused(ctx, units, &[1, 2, 3]);
        set_unit(
            ctx,
            &mut quantity,
            units.text(1),
            units.text(2),
            units.text(3),
            units.component_location(1),
        );
    }
    quantity.to_json()
}

/// CQ → Quantity: the quantity (CQ-1) and its units (CQ-2, a CWE written as subcomponents).
pub fn composite_quantity<'m>(ctx: &mut Context<'m>, cq: &Item<'m>) -> Option<Value> {
    let Some(text) = cq.text(1) else {
        report_unused(ctx, cq, &[]);
        return None;
    };
    let Some(value) = decimal(ctx, &text, cq.component_location(1)) else {
        report_unused(ctx, cq, &[1]);
        return None;
    };
    report_unused(ctx, cq, &[1, 2]);
    let mut quantity = Quantity {
        value: Some(value),
        ..Quantity::default()
    };
    set_unit(
        ctx,
        &mut quantity,
        cq.sub_text(2, 1),
        cq.sub_text(2, 2),
        cq.sub_text(2, 3),
        cq.component_location(2),
    );
    quantity.to_json()
}

/// SN → `("Quantity", …)` for a number with an optional comparator, `("Range", …)` for
/// `n1-n2`, `("Ratio", …)` for `n1/n2` or `n1:n2`, and `("String", …)` (the value as written)
/// for anything else, such as `2^+` or `<>` comparisons. Units are the caller's (OBX-6).
pub fn structured_numeric<'m>(
    ctx: &mut Context<'m>,
    sn: &Item<'m>,
) -> Option<(&'static str, Value)> {
    let comparator = sn.text(1);
    let first = sn.text(2);
    let separator = sn.text(3);
    let second = sn.text(4);
    if first.is_none() && second.is_none() {
        report_unused(ctx, sn, &[]);
        return None;
    }
    report_unused(ctx, sn, &[1, 2, 3, 4]);
    let as_written = || {
        let parts: Vec<&str> = [&comparator, &first, &separator, &second]
            .into_iter()
            .filter_map(|part| part.as_deref())
            .collect();
        ("String", Value::String(parts.concat()))
    };
    let comparator = match comparator.as_deref() {
        None | Some("=") => None,
        Some(text) => match QuantityComparator::from_code(text) {
            Some(comparator) => Some(comparator),
            None => return Some(as_written()),
        },
    };
    let number = |ctx: &mut Context<'m>, text: &Option<Cow<'m, str>>, n: usize| {
        text.as_deref()
            .and_then(|text| decimal(ctx, text, sn.component_location(n)))
    };
    match (separator.as_deref(), &first, &second) {
        (None, Some(_), None) => {
            let value = number(ctx, &first, 2)?;
            let quantity = Quantity {
                value: Some(value),
                comparator,
                ..Quantity::default()
            };
            Some(("Quantity", quantity.to_json()?))
        }
        (Some("-"), Some(_), Some(_)) if comparator.is_none() => {
            let low = number(ctx, &first, 2)?;
            let high = number(ctx, &second, 4)?;
            Some((
                "Range",
                json!({"low": {"value": low.to_json()}, "high": {"value": high.to_json()}}),
            ))
        }
        (Some("/" | ":"), Some(_), Some(_)) => {
            let numerator = Quantity {
                value: Some(number(ctx, &first, 2)?),
                comparator,
                ..Quantity::default()
            };
            let denominator = number(ctx, &second, 4)?;
            Some((
                "Ratio",
                json!({"numerator": numerator.to_json(), "denominator": {"value": denominator.to_json()}}),
            ))
        }
        _ => Some(as_written()),
    }
}

/// MO → Money: value (MO-1) and currency (MO-2, ISO 4217 as written).
pub fn money<'m>(ctx: &mut Context<'m>, mo: &Item<'m>) -> Option<Value> {
    let Some(text) = mo.text(1) else {
        report_unused(ctx, mo, &[]);
        return None;
    };
    let Some(value) = decimal(ctx, &text, mo.component_location(1)) else {
        report_unused(ctx, mo, &[1]);
        return None;
    };
    report_unused(ctx, mo, &[1, 2]);
    let mut money = serde_json::Map::new();
    money.insert("value".into(), value.to_json());
    if let Some(currency) = mo.text(2) {
        money.insert("currency".into(), Value::String(currency.into_owned()));
    }
    Some(Value::Object(money))
}

/// Sets the unit text, and the UCUM system and code when the unit is known to UCUM.
fn set_unit(
    ctx: &mut Context<'_>,
    quantity: &mut Quantity,
    code: Option<Cow<'_, str>>,
    text: Option<Cow<'_, str>>,
    coding_system: Option<Cow<'_, str>>,
    location: Location,
) {
    quantity.unit = text.as_deref().or(code.as_deref()).map(str::to_owned);
    let Some(code) = code else {
        return;
    };
    // A unit coded in another system (for example `385055001^Tablet^SCT`) is that system's
    // code, never UCUM, even when its text happens to parse as UCUM.
    if let Some(name) = coding_system.as_deref() {
        let uri = vocab::coding_system_uri(name);
        if uri.as_deref() != Some(UCUM) {
            if let Some(uri) = uri {
                quantity.system = Some(uri.into_owned());
                quantity.code = Some(code.into_owned());
            }
            return;
        }
    }
    if let Some((ucum, rewritten)) = vocab::ucum_unit(&code) {
        if rewritten {
            ctx.issue(
                IssueSeverity::Information,
                location,
                format!("unit {code:?} written as UCUM {ucum:?}"),
            );
        }
        quantity.system = Some(UCUM.to_owned());
        quantity.code = Some(ucum.to_owned());
    }
}

/// The decimal of an NM, repaired when it is plainly a number in a form FHIR rejects.
fn decimal(ctx: &mut Context<'_>, text: &str, location: Location) -> Option<Decimal> {
    let text = text.trim();
    if let Ok(decimal) = Decimal::parse(text) {
        return Some(decimal);
    }
    let repaired = repair_number(text);
    match repaired.as_deref().map(Decimal::parse) {
        Some(Ok(decimal)) => {
            ctx.issue(
                IssueSeverity::Information,
                location,
                format!("number {text:?} written as {:?}", decimal.as_str()),
            );
            Some(decimal)
        }
        _ => {
            ctx.issue(
                IssueSeverity::Error,
                location,
                format!("{text:?} is not a number; left out"),
            );
            None
        }
    }
}

/// `+5` → `5`, `.5` → `0.5`, `5.` → `5`, `007.50` → `7.50`, `-.5` → `-0.5`; `None` for
/// anything that is not digits with at most one point and a sign.
fn repair_number(text: &str) -> Option<String> {
    let (sign, unsigned) = match text.as_bytes().first() {
        Some(b'+') => ("", text.get(1..)?),
        Some(b'-') => ("-", text.get(1..)?),
        _ => ("", text),
    };
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(integer) || !fraction.is_none_or(all_digits) {
        return None;
    }
    if integer.is_empty() && fraction.is_none_or(str::is_empty) {
        return None;
    }
    let integer = integer.trim_start_matches('0');
    let integer = if integer.is_empty() { "0" } else { integer };
    Some(match fraction.filter(|f| !f.is_empty()) {
        Some(fraction) => format!("{sign}{integer}.{fraction}"),
        None => format!("{sign}{integer}"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    /// Runs `f` on the first repetition of OBX-5 with OBX-6 at hand.
    fn run<R>(
        obx: &str,
        f: impl for<'m> FnOnce(&mut Context<'m>, &Item<'m>, Option<&Item<'m>>) -> R,
    ) -> (R, Vec<String>) {
        let text = format!("OBX|1|NM|X||{obx}\r");
        let outcome = with_field(&SiteConfig::default(), &text, "OBX", 5, |ctx, items| {
            let segment = ctx.message().first("OBX").unwrap();
            let units = ctx.item(&segment, 6);
            f(ctx, &items[0], units.as_ref())
        });
        (outcome.result, outcome.report)
    }

    fn check_quantity(obx: &str, expected: Option<&str>, report: &[&str]) {
        let (result, lines) = run(obx, |ctx, value, units| {
            let text = value.text(1).unwrap_or_default();
            quantity(ctx, &text, units, value.location())
        });
        assert_eq!(
            result.map(|v| v.to_string()).as_deref(),
            expected,
            "{obx:?}"
        );
        assert_eq!(lines, report, "{obx:?}");
    }

    #[test]
    fn quantities_keep_decimals_and_find_ucum() {
        check_quantity(
            "1.50|mg/dL^milligrams per deciliter^UCUM",
            Some(
                r#"{"value":1.50,"unit":"milligrams per deciliter","system":"http://unitsofmeasure.org","code":"mg/dL"}"#,
            ),
            &[],
        );
        check_quantity(
            "120|mmHg",
            Some(
                r#"{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}"#,
            ),
            &["information at OBX(1)-6[1].1: unit \"mmHg\" written as UCUM \"mm[Hg]\""],
        );
        check_quantity(
            ".5|widgets^^L",
            Some(r#"{"value":0.5,"unit":"widgets"}"#),
            &["information at OBX(1)-5[1]: number \".5\" written as \"0.5\""],
        );
        check_quantity(
            "007.10",
            Some(r#"{"value":7.10}"#),
            &["information at OBX(1)-5[1]: number \"007.10\" written as \"7.10\""],
        );
        check_quantity(
            "1e9x|mg",
            None,
            &["error at OBX(1)-5[1]: \"1e9x\" is not a number; left out"],
        );
        // A unit coded in SNOMED CT is a SNOMED code, even though `385055001` parses as UCUM.
        check_quantity(
            "2|385055001^Tablet^SCT",
            Some(
                r#"{"value":2,"unit":"Tablet","system":"http://snomed.info/sct","code":"385055001"}"#,
            ),
            &[],
        );
        check_quantity(
            "-",
            None,
            &["error at OBX(1)-5[1]: \"-\" is not a number; left out"],
        );
    }

    #[test]
    fn structured_numerics() {
        let cases: [(&str, Option<(&str, &str)>); 8] = [
            ("^100", Some(("Quantity", r#"{"value":100}"#))),
            (
                ">^1.0",
                Some(("Quantity", r#"{"value":1.0,"comparator":">"}"#)),
            ),
            ("=^5", Some(("Quantity", r#"{"value":5}"#))),
            (
                "^1^-^5",
                Some(("Range", r#"{"low":{"value":1},"high":{"value":5}}"#)),
            ),
            (
                "^1^:^128",
                Some((
                    "Ratio",
                    r#"{"numerator":{"value":1},"denominator":{"value":128}}"#,
                )),
            ),
            ("^2^+", Some(("String", r#""2+""#))),
            ("<>^3", Some(("String", r#""<>3""#))),
            ("<", None),
        ];
        for (sn, expected) in cases {
            let (result, _) = run(sn, |ctx, item, _| structured_numeric(ctx, item));
            let result = result.map(|(kind, value)| (kind, value.to_string()));
            assert_eq!(
                result.as_ref().map(|(kind, value)| (*kind, value.as_str())),
                expected,
                "{sn:?}"
            );
        }
    }

    #[test]
    fn composite_quantities_and_money() {
        let (result, report) = run("3.0^h&hours&UCUM", |ctx, item, _| {
            composite_quantity(ctx, item)
        });
        assert_eq!(
            result.map(|v| v.to_string()).as_deref(),
            Some(r#"{"value":3.0,"unit":"hours","system":"http://unitsofmeasure.org","code":"h"}"#)
        );
        assert!(report.is_empty());
        let (result, report) = run("12.00^USD^x", |ctx, item, _| money(ctx, item));
        assert_eq!(
            result.map(|v| v.to_string()).as_deref(),
            Some(r#"{"value":12.00,"currency":"USD"}"#)
        );
        assert_eq!(report, ["unmapped component OBX(1)-5[1].3"]);
        let (result, _) = run("abc^USD", |ctx, item, _| money(ctx, item));
        assert_eq!(result, None);
    }

    #[test]
    fn number_repairs() {
        for (text, expected) in [
            ("+5", Some("5")),
            ("-.5", Some("-0.5")),
            ("5.", Some("5")),
            ("00", Some("0")),
            (".", None),
            ("1.2.3", None),
            ("", None),
            ("+", None),
            ("١٢", None),
        ] {
            assert_eq!(repair_number(text).as_deref(), expected, "{text:?}");
        }
    }
}
