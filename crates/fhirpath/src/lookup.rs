//! Fast lookups on the evaluation path: members of small JSON objects without hashing, and
//! the R4 type table through a per-thread cache with a cheap hash (the table's own maps use
//! SipHash, which was a large share of evaluating an invariant).

use std::cell::RefCell;

use fhir::r4_types::{ElementMatch, TypeDef, TypeTable};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

/// Objects up to this many members are scanned rather than hashed.
const SCAN_LIMIT: usize = 12;

/// `map[key]` and its `_key` companion, in one pass for a small object.
pub(crate) fn member_and_companion<'m>(
    map: &'m Map<String, Value>,
    key: &str,
) -> (Option<&'m Value>, Option<&'m Value>) {
    if map.len() > SCAN_LIMIT {
        return (map.get(key), companion(map, key));
    }
    let (mut value, mut companion) = (None, None);
    for (k, v) in map {
        if k == key {
            value = Some(v);
        } else if k.len() == key.len() + 1 && k.strip_prefix('_') == Some(key) {
            companion = Some(v);
        }
    }
    (value, companion)
}

/// `map[key]`, scanning a small object.
pub(crate) fn get<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() > SCAN_LIMIT {
        return map.get(key);
    }
    map.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// `map["_" + key]`.
fn companion<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    let mut joined = String::with_capacity(key.len() + 1);
    joined.push('_');
    joined.push_str(key);
    map.get(&joined)
}

/// How many names a type's cache holds beyond the ones the type defines.
const MAX_NAMES_PER_TYPE: usize = 512;

/// One type's elements by JSON name, as found so far.
type Elements = FxHashMap<Box<str>, Option<ElementMatch<'static>>>;

thread_local! {
    static TYPES: RefCell<FxHashMap<Box<str>, Option<&'static TypeDef>>> =
        RefCell::new(FxHashMap::default());
    static ELEMENTS: RefCell<FxHashMap<usize, Elements>> = RefCell::new(FxHashMap::default());
}

/// `TypeTable::r4().type_def(name)`, cached per thread.
pub(crate) fn type_def(name: &str) -> Option<&'static TypeDef> {
    TYPES.with(|types| {
        if let Ok(types) = types.try_borrow()
            && let Some(found) = types.get(name)
        {
            return *found;
        }
        let found = TypeTable::r4().type_def(name);
        // Only names of the table are kept: names from the input stay out of the cache.
        if found.is_some()
            && let Ok(mut types) = types.try_borrow_mut()
        {
            types.insert(name.into(), found);
        }
        found
    })
}

/// `def.element(name)` for a type of the R4 table, cached per thread.
pub(crate) fn element(def: &'static TypeDef, name: &str) -> Option<ElementMatch<'static>> {
    let key = std::ptr::from_ref(def) as usize;
    ELEMENTS.with(|elements| {
        if let Ok(elements) = elements.try_borrow()
            && let Some(found) = elements.get(&key).and_then(|by_name| by_name.get(name))
        {
            return *found;
        }
        let found = def.element(name);
        // Names the type does not define (choice base names such as `value`, or names from
        // the input) are kept up to a bound, so input cannot grow the cache without limit.
        if let Ok(mut elements) = elements.try_borrow_mut() {
            let by_name = elements.entry(key).or_default();
            if found.is_some() || by_name.len() < MAX_NAMES_PER_TYPE {
                by_name.insert(name.into(), found);
            }
        }
        found
    })
}
