//! Member lookup on JSON objects without hashing.
//!
//! serde_json's map (an `IndexMap` with SipHash, for `preserve_order`) hashes the key on
//! every `get`; FHIR objects are small, and comparing a handful of short keys is several
//! times cheaper, so the validator's hot paths look members up with [`Member::member`].

use serde_json::{Map, Value};

/// Objects up to this many members are scanned rather than hashed.
const SCAN_LIMIT: usize = 12;

/// `value.get(key)` for an object member, scanning small objects.
pub(crate) trait Member {
    /// The member `key` when `self` is an object that has it.
    fn member(&self, key: &str) -> Option<&Value>;
}

impl Member for Value {
    fn member(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => member_of(map, key),
            _ => None,
        }
    }
}

impl Member for Map<String, Value> {
    fn member(&self, key: &str) -> Option<&Value> {
        member_of(self, key)
    }
}

/// `map.get(key)`, scanning a small map.
pub(crate) fn member_of<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() > SCAN_LIMIT {
        return map.get(key);
    }
    map.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Member;

    #[test]
    fn member_matches_get_on_small_and_large_objects() {
        let small = serde_json::json!({"a": 1, "b": 2});
        let mut large = serde_json::Map::new();
        for i in 0..40 {
            large.insert(format!("k{i}"), i.into());
        }
        let large = serde_json::Value::Object(large);
        for (value, key) in [(&small, "a"), (&small, "c"), (&large, "k39"), (&large, "x")] {
            assert_eq!(value.member(key), value.get(key), "{key}");
        }
        assert_eq!(serde_json::json!([1]).member("a"), None);
    }
}
