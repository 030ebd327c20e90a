//! Test support for the ADT segment mappings: convert a focused ER7 fixture and compare a
//! resource of the Bundle with a `json!` fragment.

use serde_json::Value;

use crate::site_config::SiteConfig;
use crate::v2::{Conversion, Converter};

/// Converts `message` with the default site configuration (a collection Bundle would change
/// nothing here: the resources are compared, not the requests).
pub(crate) fn convert(message: &str) -> Conversion {
    match Converter::new(SiteConfig::default()).convert(message.as_bytes()) {
        Ok(conversion) => conversion,
        Err(error) => panic!("conversion failed: {error}\n{message}"),
    }
}

/// The resources of type `resource_type` in the Bundle converted from `message`, in order.
pub(crate) fn resources_of(message: &str, resource_type: &str) -> Vec<Value> {
    let bundle = convert(message).bundle;
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| entry["resource"].clone())
        .filter(|resource| resource["resourceType"] == resource_type)
        .collect()
}

/// Asserts that the first resource of `resource_type` contains `expected`: every member of
/// `expected` is present with that value (objects compared member by member, recursively;
/// arrays item by item with the same length; scalars exactly).
pub(crate) fn check(message: &str, resource_type: &str, expected: Value) {
    let resources = resources_of(message, resource_type);
    let Some(actual) = resources.first() else {
        panic!("no {resource_type} in the Bundle of\n{message}");
    };
    if let Err(path) = contains(actual, &expected, String::new()) {
        panic!(
            "{resource_type} differs at {path}\nexpected fragment: {expected:#}\nactual: {actual:#}"
        );
    }
}

fn contains(actual: &Value, expected: &Value, path: String) -> Result<(), String> {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            for (name, value) in expected {
                let here = format!("{path}.{name}");
                match actual.get(name) {
                    Some(found) => contains(found, value, here)?,
                    None => return Err(here),
                }
            }
            Ok(())
        }
        (Value::Array(actual), Value::Array(expected)) if actual.len() == expected.len() => {
            for (idx, (found, value)) in actual.iter().zip(expected).enumerate() {
                contains(found, value, format!("{path}[{idx}]"))?;
            }
            Ok(())
        }
        (actual, expected) if actual == expected => Ok(()),
        _ => Err(path),
    }
}

/// One segment from its non-empty fields, by number: `segment("PV1", &[(2, "I"), (19, "V1")])`
/// is `PV1||I|…|V1\r`; keeps fixtures readable when the fields of interest are far apart.
pub(crate) fn segment(name: &str, fields: &[(usize, &str)]) -> String {
    let last = fields.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let mut text = name.to_owned();
    for n in 1..=last {
        text.push('|');
        if let Some((_, value)) = fields.iter().find(|(field, _)| *field == n) {
            text.push_str(value);
        }
    }
    text.push('\r');
    text
}
