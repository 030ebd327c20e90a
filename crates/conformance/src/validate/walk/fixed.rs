//! fixed[x] (the value is exactly this, member set included) and pattern[x] (the value
//! contains this: objects member by member, arrays with each pattern item matched by some
//! item).

use serde_json::Value;

use super::Walker;
use crate::model::Element;
use crate::validate::IssueType;

/// Checks `value` against the element's fixed and pattern values.
pub(super) fn check(walker: &mut Walker<'_>, element: &Element, value: &Value) {
    if let Some(fixed) = element
        .fixed
        .as_ref()
        .and_then(|f| walker.cache.value(&f.json))
        && !equals(value, fixed)
    {
        let message = format!(
            "Value is '{}' but is fixed to '{}'",
            compact(value),
            compact(fixed)
        );
        walker.error(IssueType::Value, "value-fixed", message);
    }
    if let Some(pattern) = element
        .pattern
        .as_ref()
        .and_then(|p| walker.cache.value(&p.json))
        && !contains(value, pattern)
    {
        let message = format!(
            "The value '{}' does not match the pattern '{}' required by the profile",
            compact(value),
            compact(pattern)
        );
        walker.error(IssueType::Value, "value-pattern", message);
    }
}

/// Exact equality, member sets included; numbers by their text (precision is part of a FHIR
/// decimal, so `1.0` is not `1.00`).
pub(crate) fn equals(value: &Value, fixed: &Value) -> bool {
    value == fixed
}

/// True when `value` contains `pattern`.
pub(crate) fn contains(value: &Value, pattern: &Value) -> bool {
    match (value, pattern) {
        (Value::Object(v), Value::Object(p)) => p
            .iter()
            .all(|(key, pv)| v.get(key).is_some_and(|vv| contains(vv, pv))),
        (Value::Array(v), Value::Array(p)) => {
            p.iter().all(|pi| v.iter().any(|vi| contains(vi, pi)))
        }
        (a, b) => a == b,
    }
}

/// The JSON text, shortened for messages.
fn compact(value: &Value) -> String {
    let mut text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.len() > 200 {
        let mut end = 200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::contains;
    use serde_json::json;

    #[test]
    fn pattern_containment() {
        let cc = json!({"coding": [{"system": "s", "code": "a", "display": "A"}, {"system": "t", "code": "b"}], "text": "x"});
        for (pattern, expected) in [
            (json!({"coding": [{"system": "t", "code": "b"}]}), true),
            (json!({"coding": [{"system": "s", "code": "b"}]}), false),
            (json!({"text": "x"}), true),
            (json!({"text": "y"}), false),
            (json!({"coding": [{"code": "a"}, {"code": "b"}]}), true),
        ] {
            assert_eq!(contains(&cc, &pattern), expected, "{pattern}");
        }
    }
}
