//! JSON shape: arrays for repeating elements and single values otherwise, no empty arrays,
//! the `_name` companions of primitives (`id` and `extension` only), and counting values.

use serde_json::Value;

use super::{Holder, Walker};
use crate::model::{Element, Max};
use crate::validate::IssueType;

impl<'a> Walker<'a> {
    /// The JSON shape of a member against the base definition: arrays for repeating
    /// elements, no empty arrays.
    pub(super) fn check_shape(
        &mut self,
        element: &Element,
        value: &Value,
        companion: Option<&Value>,
    ) {
        let repeating = !matches!(element.max, Max::Count(0 | 1));
        for v in [Some(value), companion].into_iter().flatten() {
            match (repeating, v) {
                (_, Value::Null) => {}
                (true, Value::Array(items)) if items.is_empty() => self.error(
                    IssueType::Structure,
                    "structure-empty-array",
                    "Array cannot be empty - the property should not be present if it has no values".into(),
                ),
                (true, Value::Array(_)) | (false, Value::Object(_) | Value::String(_) | Value::Number(_) | Value::Bool(_)) => {}
                (true, _) => self.error(
                    IssueType::Structure,
                    "structure-not-array",
                    format!("The property {} must be a JSON Array, not {}", element.name(), json_kind(v)),
                ),
                (false, _) => self.error(
                    IssueType::Structure,
                    "structure-array",
                    format!("The property {} must not be a JSON Array", element.name()),
                ),
            }
        }
    }

    /// Walks a primitive's `_name` companion: only `id` and `extension`.
    pub(super) fn walk_companion(
        &mut self,
        type_code: &'a str,
        element_path: &'a str,
        companion: &'a Value,
    ) {
        let Some(object) = companion.as_object() else {
            let message = format!(
                "The primitive extension must be a JSON Object, not {}",
                json_kind(companion)
            );
            self.error(IssueType::Structure, "structure-not-object", message);
            return;
        };
        if object.contains_key("value") {
            self.error(
                IssueType::Structure,
                "structure-unknown",
                "Unrecognized property 'value'".into(),
            );
        }
        let structure = self
            .cache
            .core_type(type_code)
            .and_then(|(url, _)| self.cx.registry.structure(url));
        if let Some(def) = structure.and_then(|s| self.def(s, 0)) {
            let url = self.holder.url;
            let holder = std::mem::replace(
                &mut self.holder,
                Holder {
                    type_code,
                    url,
                    element_path,
                    value: Some(companion),
                },
            );
            self.walk_object(def, object, false);
            self.holder = holder;
        }
    }
}

/// The number of values in a group: array lengths (a primitive's value and `_name` companion
/// aligned), or one.
pub(super) fn group_count(group: &[(u32, &str, &Value, Option<&str>)]) -> usize {
    let mut total = 0;
    for (i, &(_, key, value, _)) in group.iter().enumerate() {
        let n = match value {
            Value::Array(items) => items.len(),
            Value::Null => 0,
            _ => 1,
        };
        match key.strip_prefix('_') {
            Some(name) => {
                let has_value = group.iter().any(|m| m.1 == name);
                if !has_value {
                    total += n;
                }
            }
            None => {
                let companion = group
                    .iter()
                    .skip(i + 1)
                    .chain(group.iter().take(i))
                    .find(|m| m.1.strip_prefix('_') == Some(key));
                let m = companion.map_or(0, |c| match c.2 {
                    Value::Array(items) => items.len(),
                    _ => 1,
                });
                total += n.max(m);
            }
        }
    }
    total
}

/// The JSON kind, for messages.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
