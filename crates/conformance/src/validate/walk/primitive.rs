//! Primitive values: the JSON type per FHIR primitive, integer ranges, the type's regex (and
//! an element's own), real calendar dates, maxLength, minValue/maxValue.

use std::borrow::Cow;

use serde_json::Value;

use super::{PrimitiveInfo, Walker, json_kind};
use crate::model::Element;
use crate::validate::{IssueSeverity, IssueType};

/// The JSON form a primitive type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonForm {
    /// `true` or `false`.
    Boolean,
    /// A JSON number without a fraction.
    Integer,
    /// A JSON number.
    Number,
    /// A JSON string.
    #[default]
    String,
}

/// The JSON form of `type_code`'s values.
pub(super) fn form(type_code: &str) -> JsonForm {
    let short = type_code
        .strip_prefix("http://hl7.org/fhirpath/System.")
        .unwrap_or(type_code);
    match short {
        "boolean" | "Boolean" => JsonForm::Boolean,
        "integer" | "positiveInt" | "unsignedInt" | "integer64" | "Integer" => JsonForm::Integer,
        "decimal" | "Decimal" => JsonForm::Number,
        _ => JsonForm::String,
    }
}

/// Checks one primitive value of `element` typed `type_code`, whose facts are `info`
/// (`None` for a type without them, such as a FHIRPath system type).
pub(super) fn check(
    walker: &mut Walker<'_>,
    element: &Element,
    value: &Value,
    type_code: &str,
    info: Option<&PrimitiveInfo>,
) {
    let form = info.map_or_else(|| form(type_code), |info| info.form);
    let text = match (form, value) {
        (JsonForm::Boolean, Value::Bool(_)) => return,
        (JsonForm::Integer | JsonForm::Number, Value::Number(n)) => Cow::Borrowed(n.as_str()),
        (JsonForm::String, Value::String(s)) => Cow::Borrowed(s.as_str()),
        (expected, _) => {
            let wanted = match expected {
                JsonForm::Boolean => "a boolean",
                JsonForm::Integer | JsonForm::Number => "a number",
                JsonForm::String => "a string",
            };
            let message = format!(
                "Error parsing JSON: the primitive value must be {wanted}, not {}",
                json_kind(value)
            );
            walker.error(IssueType::Structure, "primitive-json-type", message);
            return;
        }
    };
    if text.is_empty() {
        walker.error(
            IssueType::Value,
            "primitive-empty",
            "@value cannot be empty".into(),
        );
        return;
    }
    if form == JsonForm::Integer && !check_integer(walker, &text, type_code) {
        return;
    }
    let element_regex = element
        .regex
        .as_deref()
        .map(|pattern| (pattern, walker.cache.regex(pattern)));
    let type_regex = info.and_then(|i| Some((i.regex.as_deref()?, i.compiled.as_ref())));
    for (pattern, compiled) in [element_regex, type_regex].into_iter().flatten() {
        // The R4 primitive patterns have an equivalent hand-written matcher.
        let lexical = match info.and_then(|i| i.lexical) {
            // The type's own pattern (the same string: compared by address).
            Some(lexical)
                if info
                    .and_then(|i| i.regex.as_deref())
                    .is_some_and(|regex| std::ptr::eq(regex, pattern)) =>
            {
                Some(lexical)
            }
            _ => super::lexical::matcher(pattern),
        };
        if let Some(lexical) = lexical {
            if !lexical(&text) {
                let message = format!("The value '{text}' is not a valid {type_code}");
                walker.error(IssueType::Value, "primitive-format", message);
                return;
            }
            continue;
        }
        match compiled {
            Some(Ok(regex)) if !regex.is_match(&text) => {
                let message = format!("The value '{text}' is not a valid {type_code}");
                walker.error(IssueType::Value, "primitive-format", message);
                return;
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                let message = format!(
                    "The regex {pattern:?} could not be compiled ({error}), so the value was not checked against it"
                );
                walker.issue(
                    IssueSeverity::Warning,
                    IssueType::NotSupported,
                    "regex-not-checked",
                    message,
                );
            }
            None => {}
        }
    }
    if matches!(type_code, "date" | "dateTime" | "instant") && !calendar_ok(&text) {
        let message = format!("The value '{text}' is not a valid {type_code}: no such day");
        walker.error(IssueType::Value, "primitive-date", message);
    }
    let max_length = element
        .max_length
        .or_else(|| info.and_then(|i| i.max_length));
    if let Some(max) = max_length {
        let length = text.chars().count();
        if u32::try_from(length).map_or(true, |l| l > max) {
            let message = format!(
                "value is longer than permitted maximum length of {max} ({length} characters)"
            );
            walker.error(IssueType::Value, "primitive-max-length", message);
        }
    }
    if max_length.is_none() && text.len() > MAX_STRING_BYTES {
        let message = format!(
            "value is longer than permitted maximum length of 1 MB ({MAX_STRING_BYTES} bytes)"
        );
        walker.error(IssueType::Value, "primitive-max-length", message);
    }
    check_range(walker, element, &text, form);
    super::content::check(walker, &text, type_code);
}

/// The size limit of any string value (R4 `string`: "strings SHALL NOT exceed 1 MB").
const MAX_STRING_BYTES: usize = 1024 * 1024;

/// Checks an integer's text and range; false when it reported an issue.
fn check_integer(walker: &mut Walker<'_>, text: &str, type_code: &str) -> bool {
    let Ok(n) = text.parse::<i64>() else {
        let message = format!("The value '{text}' is not a valid integer");
        walker.error(IssueType::Value, "primitive-format", message);
        return false;
    };
    let (low, high) = match type_code {
        "positiveInt" => (1, i64::from(i32::MAX)),
        "unsignedInt" => (0, i64::from(i32::MAX)),
        "integer64" => (i64::MIN, i64::MAX),
        _ => (i64::from(i32::MIN), i64::from(i32::MAX)),
    };
    if n < low || n > high {
        let message = format!("The value {n} is outside the range of {type_code} ({low}..{high})");
        walker.error(IssueType::Value, "primitive-range", message);
        return false;
    }
    true
}

/// minValue[x] and maxValue[x]: numbers by value, dates and times by text (same format).
fn check_range(walker: &mut Walker<'_>, element: &Element, text: &str, form: JsonForm) {
    for (limit, is_min) in [(&element.min_value, true), (&element.max_value, false)] {
        let Some(limit) = limit else { continue };
        let Some(bound) = walker.cache.value(&limit.json) else {
            continue;
        };
        let outside = match (form, bound) {
            (JsonForm::Integer | JsonForm::Number, Value::Number(b)) => {
                match (text.parse::<f64>(), b.to_string().parse::<f64>()) {
                    (Ok(v), Ok(b)) => {
                        if is_min {
                            v < b
                        } else {
                            v > b
                        }
                    }
                    _ => false,
                }
            }
            (JsonForm::String, Value::String(b)) => {
                if is_min {
                    text < b.as_str()
                } else {
                    text > b.as_str()
                }
            }
            _ => false,
        };
        if outside {
            let (id, word) = if is_min {
                ("value-min", "less than the minimum")
            } else {
                ("value-max", "greater than the maximum")
            };
            let message = format!("The value '{text}' is {word} allowed value {bound}");
            walker.error(IssueType::Value, id, message);
        }
    }
}

/// True when the date part (`YYYY`, `YYYY-MM` or `YYYY-MM-DD…`) names a real day.
fn calendar_ok(text: &str) -> bool {
    let (Some(year), Some(month), Some(day)) = (
        text.get(0..4).and_then(|y| y.parse::<u32>().ok()),
        text.get(5..7).and_then(|m| m.parse::<u32>().ok()),
        text.get(8..10).and_then(|d| d.parse::<u32>().ok()),
    ) else {
        return true;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::calendar_ok;

    #[test]
    fn calendar() {
        for (text, ok) in [
            ("2020-02-29", true),
            ("2021-02-29", false),
            ("1900-02-29", false),
            ("2000-02-29T10:00:00Z", true),
            ("2024-04-31", false),
            ("2024-12-31", true),
            ("2024", true),
            ("2024-06", true),
        ] {
            assert_eq!(calendar_ok(text), ok, "{text}");
        }
    }
}
