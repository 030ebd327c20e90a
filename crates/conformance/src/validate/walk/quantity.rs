//! minValueQuantity / maxValueQuantity: a Quantity (or Age, Duration, …) against the limit,
//! after converting both to the same UCUM unit.
//!
//! The conversion covers what limits use: the metric atoms with the UCUM prefixes (`g`, `kg`,
//! `mg`, `mL`, `mmol`, …) and the units of time (`s`, `min`, `h`, `d`, `wk`, `mo`, `a`).
//! Other units are compared only when the codes are equal; otherwise the limit is reported as
//! not checked (a warning), never skipped.

use serde_json::{Map, Value};

use super::Walker;
use crate::model::Element;
use crate::validate::member::Member as _;
use crate::validate::{IssueSeverity, IssueType};

const UCUM: &str = "http://unitsofmeasure.org";

/// UCUM prefixes and their factors.
const PREFIXES: [(&str, f64); 17] = [
    ("Y", 1e24),
    ("Z", 1e21),
    ("E", 1e18),
    ("P", 1e15),
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("da", 1e1),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
];

/// Metric atoms that take a prefix, as (atom, dimension).
const METRIC: [(&str, &str); 12] = [
    ("g", "g"),
    ("m", "m"),
    ("L", "L"),
    ("l", "L"),
    ("s", "s"),
    ("mol", "mol"),
    ("eq", "eq"),
    ("U", "U"),
    ("Pa", "Pa"),
    ("J", "J"),
    ("Hz", "Hz"),
    ("K", "K"),
];

/// Units of time that take no prefix, in seconds.
const TIME: [(&str, f64); 6] = [
    ("min", 60.0),
    ("h", 3600.0),
    ("d", 86_400.0),
    ("wk", 604_800.0),
    ("mo", 2_629_800.0),
    ("a", 31_557_600.0),
];

/// `value` in the base unit of its dimension: (amount, dimension).
fn canonical(value: f64, code: &str) -> Option<(f64, &'static str)> {
    if let Some((_, seconds)) = TIME.iter().find(|(unit, _)| *unit == code) {
        return Some((value * seconds, "s"));
    }
    if let Some((_, dimension)) = METRIC.iter().find(|(atom, _)| *atom == code) {
        return Some((value, dimension));
    }
    PREFIXES.iter().find_map(|(prefix, factor)| {
        let atom = code.strip_prefix(prefix)?;
        let (_, dimension) = METRIC.iter().find(|(a, _)| *a == atom)?;
        Some((value * factor, *dimension))
    })
}

/// (value, system, code) of a Quantity object.
fn parts(quantity: &Map<String, Value>) -> Option<(f64, Option<&str>, Option<&str>)> {
    let value = quantity
        .member("value")?
        .as_number()?
        .to_string()
        .parse()
        .ok()?;
    let system = quantity.member("system").and_then(Value::as_str);
    let code = quantity.member("code").and_then(Value::as_str);
    Some((value, system, code))
}

/// Checks `quantity` against the Quantity limits of `element`.
pub(super) fn check(walker: &mut Walker<'_>, element: &Element, quantity: &Map<String, Value>) {
    for (limit, is_min) in [(&element.min_value, true), (&element.max_value, false)] {
        let Some(Value::Object(bound)) = limit.as_ref().and_then(|l| walker.cache.value(&l.json))
        else {
            continue;
        };
        let (Some(actual), Some(bound)) = (parts(quantity), parts(bound)) else {
            continue;
        };
        let show = |(value, _, code): (f64, Option<&str>, Option<&str>)| {
            format!("{value} {}", code.unwrap_or(""))
        };
        let compared = match (actual, bound) {
            ((v, _, a), (b, _, c)) if a == c => Some((v, b)),
            ((v, Some(UCUM), Some(a)), (b, Some(UCUM), Some(c))) => {
                match (canonical(v, a), canonical(b, c)) {
                    (Some((v, x)), Some((b, y))) if x == y => Some((v, b)),
                    _ => None,
                }
            }
            _ => None,
        };
        let word = if is_min { "minValue" } else { "maxValue" };
        match compared {
            Some((v, b)) if (is_min && v < b) || (!is_min && v > b) => {
                let relation = if is_min { "less" } else { "greater" };
                let message = format!(
                    "The value in the instance ({}) is {relation} than the specified {word} ({}) after UCUM conversion",
                    show(actual),
                    show(bound)
                );
                let id = if is_min { "value-min" } else { "value-max" };
                walker.error(IssueType::Value, id, message);
            }
            Some(_) => {}
            None => walker.issue(
                IssueSeverity::Warning,
                IssueType::NotSupported,
                "value-range-not-checked",
                format!(
                    "The {word} ({}) was not checked: the units of {} cannot be compared with it",
                    show(bound),
                    show(actual)
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn conversions() {
        for (value, code, expect) in [
            (1.0, "kg", Some((1000.0, "g"))),
            (5.0, "mg", Some((0.005, "g"))),
            (2.0, "mL", Some((0.002, "L"))),
            (1.0, "mmol", Some((0.001, "mol"))),
            (2.0, "h", Some((7200.0, "s"))),
            (1.0, "a", Some((31_557_600.0, "s"))),
            (1.0, "m", Some((1.0, "m"))),
            (1.0, "[lb_av]", None),
        ] {
            let got = canonical(value, code);
            match (got, expect) {
                (Some((v, d)), Some((w, e))) => {
                    assert!((v - w).abs() < 1e-9 && d == e, "{code}: {v} {d}");
                }
                (None, None) => {}
                _ => panic!("{code}: {got:?}"),
            }
        }
    }
}
