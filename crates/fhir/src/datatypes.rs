//! Small typed builders for the R4 datatypes the translator writes.
//!
//! Each builder is a plain struct of `Option` and `Vec` fields with a `to_json(&self) ->
//! Option<Value>` that returns `None` when nothing is set. The output follows three rules:
//! - members come in the order the R4 (4.0.1) definitions list them, so output is stable and
//!   readable;
//! - empty parts are omitted: no empty or blank strings, no empty arrays, no empty objects;
//! - R4 names only (no R4B or R5 elements).
//!
//! Codes with a required binding (`Identifier.use`, `ContactPoint.system`, ...) are enums, see
//! [`IdentifierUse`] and its siblings. Decimals are [`Decimal`]s, which keep their source text.
//! Resources are started with [`ResourceBuilder`].
//!
//! The builders do not validate: a `Period` whose end precedes its start is written as given.
//! Validation is the `conformance` crate's job.
//!
//! ```
//! use fhir::datatypes::{Coding, CodeableConcept};
//!
//! let concept = CodeableConcept {
//!     coding: vec![Coding::new("http://loinc.org", "2345-7")],
//!     text: Some("Glucose".into()),
//! };
//! let json = concept.to_json().map(|value| value.to_string());
//! assert_eq!(
//!     json.as_deref(),
//!     Some(r#"{"coding":[{"system":"http://loinc.org","code":"2345-7"}],"text":"Glucose"}"#)
//! );
//! ```

mod codes;
mod general;
mod person;
mod resource;

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Number, Value};

pub use codes::{
    AddressType, AddressUse, ContactPointSystem, ContactPointUse, IdentifierUse, NameUse,
    QuantityComparator,
};
pub use general::{CodeableConcept, Coding, Identifier, Period, Quantity, Reference};
pub use person::{Address, ContactPoint, HumanName};
pub use resource::{Extension, ExtensionValue, Meta, ResourceBuilder};

/// An error building a datatype from source text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatatypeError {
    /// The text is not a FHIR `decimal` (the JSON number grammar, such as `-1.50` or `1e3`).
    #[error("{text:?} is not a decimal number")]
    NotADecimal {
        /// The rejected text.
        text: String,
    },
    /// The `value[x]` type name of an extension is not a type name (ASCII letters and digits,
    /// starting with a letter).
    #[error("{type_name:?} is not a value[x] type name")]
    BadValueType {
        /// The rejected type name.
        type_name: String,
    },
}

/// A FHIR `decimal`, kept as the text it was written with (`1.00` stays `1.00`).
///
/// One exception: serde_json writes an exponent as a lower-case `e` with an explicit sign, so
/// `1.50E3` becomes `1.50e+3`. The digits, and so the precision, are kept. Every number read by
/// serde_json gets the same treatment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(Number);

impl Decimal {
    /// Parses `text` with the JSON number grammar, which is also FHIR's decimal grammar.
    ///
    /// Rejects surrounding whitespace, a leading `+`, a bare `.5` or `5.`, `NaN` and the like:
    /// repairing those is the harmonizer's job, and a repair must be visible.
    pub fn parse(text: &str) -> Result<Decimal, DatatypeError> {
        Number::from_str(text)
            .map(Decimal)
            .map_err(|_| DatatypeError::NotADecimal {
                text: text.to_owned(),
            })
    }

    /// The decimal as written (with the exponent normalized, see the type's docs).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The decimal as a JSON number that serializes as its source text.
    pub fn to_json(&self) -> Value {
        Value::Number(self.0.clone())
    }
}

impl FromStr for Decimal {
    type Err = DatatypeError;

    fn from_str(text: &str) -> Result<Decimal, DatatypeError> {
        Decimal::parse(text)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Removes empty parts from a JSON tree: `null`, blank strings, and arrays and objects that are
/// empty once their own empty parts are gone. Returns `None` when nothing is left.
///
/// [`ResourceBuilder::set`] applies it to every value it is given, so hand-built values follow
/// the same rules as the typed builders.
pub fn prune_empty(value: Value) -> Option<Value> {
    // Builders mostly produce clean values: check without rebuilding first.
    if is_clean(&value) {
        return Some(value);
    }
    prune_dirty(value)
}

/// True when pruning would change nothing: no null, blank string, empty array or object, and
/// no primitive array with a `_` companion (those need aligning).
fn is_clean(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.trim().is_empty(),
        Value::Array(items) => !items.is_empty() && items.iter().all(is_clean),
        Value::Object(members) => {
            !members.is_empty()
                && members
                    .iter()
                    .all(|(name, member)| !name.starts_with('_') && is_clean(member))
        }
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn prune_dirty(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(text) => (!text.trim().is_empty()).then_some(Value::String(text)),
        Value::Array(items) => {
            let items: Vec<Value> = items.into_iter().filter_map(prune_empty).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(mut members) => {
            align_primitive_arrays(&mut members);
            let aligned: Vec<bool> = members
                .iter()
                .map(|(name, member)| member.is_array() && is_aligned(&members, name))
                .collect();
            let members: Map<String, Value> = members
                .into_iter()
                .zip(aligned)
                .filter_map(|((name, member), aligned)| {
                    let pruned = if aligned {
                        prune_positional(member)
                    } else {
                        prune_empty(member)
                    };
                    pruned.map(|member| (name, member))
                })
                .collect();
            (!members.is_empty()).then_some(Value::Object(members))
        }
        other @ (Value::Bool(_) | Value::Number(_)) => Some(other),
    }
}

/// A primitive array `x` and its companion `_x` are parallel: index `i` of one belongs to index
/// `i` of the other. This drops the indexes where both are empty and keeps the others, with
/// `null` where one side is empty, so that pruning never shifts an extension onto another value.
/// A companion left with no extension at all is removed.
fn align_primitive_arrays(members: &mut Map<String, Value>) {
    let names: Vec<String> = members
        .keys()
        .filter_map(|name| name.strip_prefix('_'))
        .filter(|name| members.get(*name).is_some_and(Value::is_array))
        .map(str::to_owned)
        .collect();
    for name in names {
        let companion = format!("_{name}");
        let (Some(Value::Array(values)), Some(Value::Array(extras))) =
            (members.get(&name), members.get(&companion))
        else {
            continue;
        };
        let mut kept_values = Vec::new();
        let mut kept_extras = Vec::new();
        for idx in 0..values.len().max(extras.len()) {
            let value = values.get(idx).cloned().and_then(prune_empty);
            let extra = extras.get(idx).cloned().and_then(prune_empty);
            if value.is_some() || extra.is_some() {
                kept_values.push(value.unwrap_or(Value::Null));
                kept_extras.push(extra.unwrap_or(Value::Null));
            }
        }
        if kept_extras.iter().all(Value::is_null) {
            members.shift_remove(&companion);
            kept_values.retain(|value| !value.is_null());
        } else {
            members.insert(companion, Value::Array(kept_extras));
        }
        members.insert(name, Value::Array(kept_values));
    }
}

/// Whether `name` is one side of an aligned primitive array pair.
fn is_aligned(members: &Map<String, Value>, name: &str) -> bool {
    match name.strip_prefix('_') {
        Some(base) => members.get(base).is_some_and(Value::is_array),
        None => members.contains_key(&format!("_{name}")),
    }
}

/// Prunes an array position by position: an empty item becomes `null` instead of going away;
/// an array of only `null`s goes away.
fn prune_positional(member: Value) -> Option<Value> {
    match member {
        Value::Array(items) => {
            let items: Vec<Value> = items
                .into_iter()
                .map(|item| prune_empty(item).unwrap_or(Value::Null))
                .collect();
            items
                .iter()
                .any(|item| !item.is_null())
                .then_some(Value::Array(items))
        }
        other => prune_empty(other),
    }
}

/// Writes the members of one JSON object in call order, skipping empty ones.
struct ObjectWriter {
    members: Map<String, Value>,
}

impl ObjectWriter {
    fn new() -> ObjectWriter {
        ObjectWriter {
            members: Map::new(),
        }
    }

    /// Writes a string member unless it is absent or blank.
    fn string(&mut self, name: &str, value: Option<&str>) {
        if let Some(text) = value.filter(|text| !text.trim().is_empty()) {
            self.members
                .insert(name.to_owned(), Value::String(text.to_owned()));
        }
    }

    /// Writes an array of strings, leaving out blank ones, unless none is left.
    fn strings(&mut self, name: &str, values: &[String]) {
        let items: Vec<Value> = values
            .iter()
            .filter(|text| !text.trim().is_empty())
            .map(|text| Value::String(text.clone()))
            .collect();
        self.array(name, items);
    }

    /// Writes a member unless it is absent.
    fn value(&mut self, name: &str, value: Option<Value>) {
        if let Some(value) = value {
            self.members.insert(name.to_owned(), value);
        }
    }

    /// Writes an array member unless it is empty.
    fn array(&mut self, name: &str, items: Vec<Value>) {
        if !items.is_empty() {
            self.members.insert(name.to_owned(), Value::Array(items));
        }
    }

    /// The object, or `None` when no member was written.
    fn finish(self) -> Option<Value> {
        (!self.members.is_empty()).then_some(Value::Object(self.members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_decimal(text: &str, expected: Option<&str>) {
        let parsed = Decimal::parse(text);
        match expected {
            Some(serialized) => {
                let decimal = parsed.unwrap_or_else(|error| panic!("{text:?}: {error}"));
                assert_eq!(decimal.as_str(), serialized, "{text:?}");
                assert_eq!(decimal.to_json().to_string(), serialized, "{text:?}");
            }
            None => assert_eq!(
                parsed,
                Err(DatatypeError::NotADecimal {
                    text: text.to_owned()
                }),
                "{text:?}"
            ),
        }
    }

    #[test]
    fn decimals() {
        let cases = [
            ("1.00", Some("1.00")),
            ("0", Some("0")),
            ("-0.50", Some("-0.50")),
            // FIXME: serde_json writes exponents as `e` with a sign; the digits are kept.
            ("1e3", Some("1e+3")),
            ("6.02E+23", Some("6.02e+23")),
            ("1.50E-3", Some("1.50e-3")),
            (
                "123456789012345678901234567890.000",
                Some("123456789012345678901234567890.000"),
            ),
            ("", None),
            (" 1", None),
            ("1 ", None),
            ("+1", None),
            (".5", None),
            ("5.", None),
            ("01", None),
            ("1,5", None),
            ("NaN", None),
            ("abc", None),
            ("0x10", None),
            ("1.0.0", None),
        ];
        for (text, expected) in cases {
            check_decimal(text, expected);
        }
    }

    #[test]
    fn prune() {
        let cases = [
            (json!(null), None),
            (json!(""), None),
            (json!("  "), None),
            (json!([]), None),
            (json!({}), None),
            (json!({"a": "", "b": [null, {}], "c": {"d": []}}), None),
            (json!(false), Some(json!(false))),
            (json!(0), Some(json!(0))),
            (json!(" x "), Some(json!(" x "))),
            (
                json!({"a": "x", "b": ["", "y", {}], "c": {"d": "", "e": 1}}),
                Some(json!({"a": "x", "b": ["y"], "c": {"e": 1}})),
            ),
            // A primitive array and its `_` companion stay parallel.
            (
                json!({"line": ["12 Main St", ""], "_line": [{"extension": [{"url": "u", "valueString": "v"}]}, null]}),
                Some(
                    json!({"line": ["12 Main St"], "_line": [{"extension": [{"url": "u", "valueString": "v"}]}]}),
                ),
            ),
            (
                json!({"given": ["A", "B"], "_given": [null, {"id": "b"}]}),
                Some(json!({"given": ["A", "B"], "_given": [null, {"id": "b"}]})),
            ),
            (
                json!({"given": ["", "B"], "_given": [{"id": "a"}, null]}),
                Some(json!({"given": [null, "B"], "_given": [{"id": "a"}, null]})),
            ),
            (
                json!({"given": ["A", "", "C"], "_given": [null, null, {}]}),
                Some(json!({"given": ["A", "C"]})),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(prune_empty(input.clone()), expected, "{input}");
        }
    }
}
