//! Fast lookups on the evaluation path: members of small JSON objects without hashing, and
//! the R4 type table through a per-thread cache with a cheap hash (the table's own maps use
//! SipHash, which was a large share of evaluating an invariant).

use std::cell::RefCell;

use fhir::r4_types::{ElementDef, ElementMatch, Target, TypeDef, TypeTable};
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

thread_local! {
    static TYPES: RefCell<FxHashMap<Box<str>, Option<&'static TypeDef>>> =
        RefCell::new(FxHashMap::default());
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

/// What navigating from a node of one type by one name needs, resolved once per pair: the
/// type, the element the name matches (with its item type), and the choice element the name
/// is the base of (`value` for `value[x]`).
#[derive(Clone, Copy)]
pub(crate) struct Step {
    /// The type, when the R4 table has it.
    pub def: Option<&'static TypeDef>,
    /// The element `name` matches as a JSON name (`valueQuantity`, `given`).
    pub found: Option<ElementMatch<'static>>,
    /// The type of the items `found` holds.
    pub target: Option<&'static str>,
    /// The choice element whose base name is `name`.
    pub choice: Option<&'static ElementDef>,
}

/// A resolved step with the names it was resolved for, to check a hit against.
struct StepEntry {
    type_name: Box<str>,
    name: Box<str>,
    step: Step,
}

/// The step cache's bound: past it, the cache starts again (names from the input cannot
/// grow it without limit).
const MAX_STEPS: usize = 4096;

thread_local! {
    /// Keyed by the addresses and lengths of the two names, checked by content on a hit:
    /// type names are the table's or the registry's own strings, and member names the
    /// parsed expression's, so the same pair comes back at the same addresses.
    static STEPS: RefCell<FxHashMap<[usize; 4], StepEntry>> = RefCell::new(FxHashMap::default());
}

/// The navigation step from a node of type `type_name` by `name`.
pub(crate) fn step(type_name: &str, name: &str) -> Step {
    let key = [
        type_name.as_ptr() as usize,
        type_name.len(),
        name.as_ptr() as usize,
        name.len(),
    ];
    STEPS.with(|steps| {
        if let Ok(steps) = steps.try_borrow()
            && let Some(entry) = steps.get(&key)
            && *entry.type_name == *type_name
            && *entry.name == *name
        {
            return entry.step;
        }
        let step = resolve_step(type_name, name);
        if let Ok(mut steps) = steps.try_borrow_mut() {
            if steps.len() >= MAX_STEPS {
                steps.clear();
            }
            steps.insert(
                key,
                StepEntry {
                    type_name: type_name.into(),
                    name: name.into(),
                    step,
                },
            );
        }
        step
    })
}

fn resolve_step(type_name: &str, name: &str) -> Step {
    let def = type_def(type_name);
    let found = def.and_then(|def| def.element(name));
    Step {
        def,
        found,
        target: found.and_then(|found| target_type(&found.element_type.target)),
        choice: def.and_then(|def| {
            def.elements
                .iter()
                .find(|e| e.is_choice && *e.base_name == *name)
        }),
    }
}

/// The type name of an element's items, as a `'static` string of the table.
pub(crate) fn target_type(target: &Target) -> Option<&'static str> {
    match target {
        Target::Primitive { name, .. } => fhir::r4_types::PRIMITIVE_TYPES
            .iter()
            .find(|p| **p == &**name)
            .copied(),
        Target::Xhtml => Some("xhtml"),
        Target::Complex(name) => Some(static_name(name)),
        Target::Resource => None,
    }
}

/// The table's own copy of a type name (empty when the table does not have it).
pub(crate) fn static_name(name: &str) -> &'static str {
    type_def(name).map_or("", |def| &def.name)
}
