//! What the walk precomputes once per [`Validator`](super::super::Validator): for every
//! StructureDefinition the tree of its snapshot (children and slices of each element), the
//! compiled regexes, the parsed fixed/pattern values, and facts about the core types.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use regex::Regex;
use serde_json::Value;
use smallvec::SmallVec;

use crate::Registry;
use crate::model::{Derivation, Element, StructureDef, StructureKind};

/// The snapshot of one StructureDefinition as a tree: for each element (by index in
/// `elements`), its direct children and its slices.
#[derive(Debug, Default)]
pub struct Index {
    children: Vec<Vec<u32>>,
    slices: Vec<Vec<u32>>,
    /// Where each element's name (the last segment of its path) starts in the path.
    name_at: Vec<u32>,
    /// For an element with many children: its children by name (choice elements by their
    /// `name[x]`), so that matching a JSON member does not scan them all.
    by_name: Vec<Option<FxHashMap<Box<str>, u32>>>,
    /// For each element, its children's names in order (a choice `value[x]` as `value`),
    /// side by side, so that matching a member reads no element definition.
    child_names: Vec<Vec<ChildName>>,
    /// For each element, the children that report something when absent: a minimum
    /// cardinality, or a slice with one. The walk visits only these among absent children.
    absent_checks: Vec<Vec<u32>>,
    /// For each element, whether it has an invariant that is evaluated
    /// ([`crate::validate::rules::invariant::applies`]).
    invariants: Vec<bool>,
    /// For each element, what a value of each of its types is walked against (aligned with
    /// `element.types`), resolved once.
    type_bodies: Vec<SmallVec<[TypeBody; 1]>>,
    /// The element that is the resource's logical id (`Patient.id`), for a resource.
    resource_id: Option<u32>,
    /// The structure's canonical (`url|version`).
    canonical: String,
}

/// What a value of one of an element's types is walked against.
#[derive(Debug, Clone, Copy, Default)]
pub struct TypeBody {
    /// The type profile or base definition of the type, as its position in
    /// [`Registry::structures`]; `None` when neither is loaded.
    pub structure: Option<u32>,
    /// Whether the type is a resource (the value is a nested resource).
    pub is_resource: bool,
    /// The type's primitive facts ([`WalkCache::primitive_at`]), for a primitive type.
    pub primitive: Option<u32>,
    /// Whether the root of `structure` has an invariant to evaluate that the element does
    /// not repeat ([`crate::validate::rules::invariant::type_root_applies`]).
    pub root_invariants: bool,
}

/// A child of an element by name.
#[derive(Debug, Clone)]
pub struct ChildName {
    /// The name (without `[x]` for a choice).
    pub name: Box<str>,
    /// The child element.
    pub el: u32,
    /// Whether the child is a choice (`name[x]`).
    pub choice: bool,
}

/// Elements with at least this many children get a name map.
const MAP_CHILDREN: usize = 8;

impl Index {
    /// Builds the tree from the element ids (`Patient.extension:race.url`): a last segment
    /// `name:slice` is a slice of `parent.name`, `name:a/b` a reslice of `parent.name:a`, any
    /// other last segment a child of the element whose id is the rest.
    pub fn build(structure: &StructureDef) -> Index {
        let n = structure.elements.len();
        let mut index = Index {
            by_name: Vec::new(),
            child_names: Vec::new(),
            absent_checks: Vec::new(),
            invariants: Vec::new(),
            type_bodies: Vec::new(),
            resource_id: None,
            canonical: structure.canonical(),
            children: vec![Vec::new(); n],
            slices: vec![Vec::new(); n],
            name_at: structure
                .elements
                .iter()
                .map(|e| {
                    e.path
                        .rfind('.')
                        .and_then(|dot| u32::try_from(dot + 1).ok())
                        .unwrap_or(0)
                })
                .collect(),
        };
        let by_id: HashMap<&str, usize> = structure
            .elements
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        for (i, element) in structure.elements.iter().enumerate().skip(1) {
            let Ok(i32) = u32::try_from(i) else { break };
            let Some((parent_id, last)) = element.id.rsplit_once('.') else {
                continue;
            };
            let target = match last.split_once(':') {
                Some((name, slice)) => {
                    let sliced = match slice.rsplit_once('/') {
                        Some((base, _)) => format!("{parent_id}.{name}:{base}"),
                        None => format!("{parent_id}.{name}"),
                    };
                    by_id.get(sliced.as_str()).map(|&p| (p, true))
                }
                None => by_id.get(parent_id).map(|&p| (p, false)),
            };
            match target {
                Some((parent, true)) => index.slices.get_mut(parent).map(|s| s.push(i32)),
                Some((parent, false)) => index.children.get_mut(parent).map(|c| c.push(i32)),
                None => None,
            };
        }
        let by_name = index
            .children
            .iter()
            .map(|children| {
                (children.len() >= MAP_CHILDREN).then(|| {
                    let mut names = FxHashMap::default();
                    for &c in children {
                        if let Some(element) = structure.elements.get(c as usize) {
                            names
                                .entry(index.name(c as usize, element).into())
                                .or_insert(c);
                        }
                    }
                    names
                })
            })
            .collect();
        index.by_name = by_name;
        let child_names = index
            .children
            .iter()
            .map(|children| {
                children
                    .iter()
                    .filter_map(|&c| {
                        let name = index.name(c as usize, structure.elements.get(c as usize)?);
                        let (name, choice) = match name.strip_suffix("[x]") {
                            Some(prefix) => (prefix, true),
                            None => (name, false),
                        };
                        Some(ChildName {
                            name: name.into(),
                            el: c,
                            choice,
                        })
                    })
                    .collect()
            })
            .collect();
        index.child_names = child_names;
        let required = |el: u32| {
            structure
                .elements
                .get(el as usize)
                .is_some_and(|e| e.min > 0)
                || index.slices(el as usize).iter().any(|&s| {
                    structure
                        .elements
                        .get(s as usize)
                        .is_some_and(|slice| slice.min > 0)
                })
        };
        let absent_checks = index
            .children
            .iter()
            .map(|children| children.iter().copied().filter(|&c| required(c)).collect())
            .collect();
        index.absent_checks = absent_checks;
        index.resource_id = (structure.kind == StructureKind::Resource)
            .then(|| {
                structure
                    .elements
                    .iter()
                    .position(|e| e.path.strip_suffix(".id") == Some(structure.type_name.as_str()))
            })
            .flatten()
            .and_then(|position| u32::try_from(position).ok());
        index.invariants = structure
            .elements
            .iter()
            .map(crate::validate::rules::invariant::applies)
            .collect();
        index
    }

    /// The children of `el` to check when absent (in element order).
    pub fn absent_checks(&self, el: usize) -> &[u32] {
        self.absent_checks.get(el).map_or(&[], Vec::as_slice)
    }

    /// What a value of type `type_index` of element `el` is walked against.
    pub fn type_body(&self, el: usize, type_index: usize) -> Option<TypeBody> {
        self.type_bodies.get(el)?.get(type_index).copied()
    }

    /// The structure's canonical (`url|version`), rendered once.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Whether element `el` is the resource's logical id (`Patient.id`, a System.String).
    pub fn is_resource_id(&self, el: usize) -> bool {
        self.resource_id.is_some_and(|id| id as usize == el)
    }

    /// Whether element `el` has an invariant to evaluate.
    pub fn has_invariants(&self, el: usize) -> bool {
        self.invariants.get(el).copied().unwrap_or(false)
    }

    /// The child of `el` named exactly `name` (`value[x]` for a choice), when `el` has a
    /// name map: `Some(None)` when it has none of that name, `None` without a map.
    pub fn child_named(&self, el: usize, name: &str) -> Option<Option<u32>> {
        let names = self.by_name.get(el)?.as_ref()?;
        Some(names.get(name).copied())
    }

    /// The names of element `el`'s children, in order.
    pub fn child_names(&self, el: usize) -> &[ChildName] {
        self.child_names.get(el).map_or(&[], Vec::as_slice)
    }

    /// The direct children of element `el`.
    pub fn children(&self, el: usize) -> &[u32] {
        self.children.get(el).map_or(&[], Vec::as_slice)
    }

    /// The name of element `el` (`element.name()`, precomputed), given that element.
    pub fn name<'e>(&self, el: usize, element: &'e crate::model::Element) -> &'e str {
        self.name_at
            .get(el)
            .and_then(|&at| element.path.get(at as usize..))
            .unwrap_or(&element.path)
    }

    /// The slices defined on element `el`.
    pub fn slices(&self, el: usize) -> &[u32] {
        self.slices.get(el).map_or(&[], Vec::as_slice)
    }
}

/// Facts about a primitive type, from its StructureDefinition's `value` element.
#[derive(Debug, Clone, Default)]
pub struct PrimitiveInfo {
    /// The value's regex (key into the regex cache).
    pub regex: Option<String>,
    /// The value's maximum length.
    pub max_length: Option<u32>,
    /// `regex` compiled (anchored), or why it did not compile.
    pub compiled: Option<Result<Regex, String>>,
    /// A hand-written matcher equivalent to `regex`, for the R4 primitive patterns.
    pub lexical: Option<fn(&str) -> bool>,
    /// The JSON form of the type's values.
    pub form: super::primitive::JsonForm,
}

/// Everything the walk precomputes from a [`Registry`].
#[derive(Debug, Default)]
pub struct WalkCache {
    /// The snapshot trees, in [`Registry::structures`] order.
    indexes: Vec<Index>,
    /// The position of each structure in `indexes`, by address.
    positions: FxHashMap<usize, u32>,
    regexes: FxHashMap<String, Result<Regex, String>>,
    values: FxHashMap<String, Value>,
    primitives: FxHashMap<String, u32>,
    /// The facts of each primitive type, in the order `primitives` numbers them.
    primitive_infos: Vec<PrimitiveInfo>,
    core_types: FxHashMap<String, (String, StructureKind)>,
    /// The ValueSet of each bound element (by address), as its position in
    /// [`Registry::value_sets`]; `None` when it is not loaded.
    bound_value_sets: FxHashMap<usize, Option<u32>>,
    /// The resolved target profiles of each element with a Reference type, by address.
    reference_targets: FxHashMap<usize, crate::validate::rules::reference::ReferenceTargets>,
    fhirpath: FxHashMap<String, Result<fhirpath::Expression, String>>,
}

/// A FHIR regex, anchored to the whole value.
fn compile_regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

fn key(structure: &StructureDef) -> usize {
    std::ptr::from_ref(structure) as usize
}

impl WalkCache {
    /// Builds the snapshot trees, compiles every regex and parses every fixed/pattern value
    /// of the structures in `registry` (each distinct text once).
    pub fn build(registry: &Registry) -> WalkCache {
        let mut cache = WalkCache::default();
        for structure in registry.structures() {
            if let Ok(position) = u32::try_from(cache.indexes.len()) {
                cache.positions.insert(key(structure), position);
            }
            cache.indexes.push(Index::build(structure));
            if structure.derivation != Some(Derivation::Constraint)
                && structure
                    .url
                    .starts_with("http://hl7.org/fhir/StructureDefinition/")
            {
                cache.core_types.insert(
                    structure.type_name.clone(),
                    (structure.url.clone(), structure.kind),
                );
                if structure.kind == StructureKind::PrimitiveType {
                    let value_path = format!("{}.value", structure.type_name);
                    let form = super::primitive::form(&structure.type_name);
                    let info = structure
                        .elements
                        .iter()
                        .find(|e| e.path == value_path)
                        .map_or_else(
                            || PrimitiveInfo {
                                form,
                                ..PrimitiveInfo::default()
                            },
                            |e| PrimitiveInfo {
                                regex: e.regex.clone(),
                                max_length: e.max_length,
                                compiled: e.regex.as_deref().map(compile_regex),
                                lexical: e.regex.as_deref().and_then(super::lexical::matcher),
                                form,
                            },
                        );
                    if let Ok(position) = u32::try_from(cache.primitive_infos.len()) {
                        cache.primitive_infos.push(info);
                        cache
                            .primitives
                            .insert(structure.type_name.clone(), position);
                    }
                }
            }
            for context in structure.contexts.iter().filter(|c| c.kind == "fhirpath") {
                cache
                    .fhirpath
                    .entry(context.expression.clone())
                    .or_insert_with(|| {
                        fhirpath::Expression::parse(&context.expression).map_err(|e| e.to_string())
                    });
            }
            for element in &structure.elements {
                if let Some(pattern) = &element.regex {
                    cache.add_regex(pattern);
                }
                for typed in [&element.fixed, &element.pattern, &element.min_value]
                    .into_iter()
                    .chain([&element.max_value])
                    .flatten()
                {
                    if !cache.values.contains_key(&typed.json)
                        && let Ok(value) = typed.value()
                    {
                        cache.values.insert(typed.json.clone(), value);
                    }
                }
            }
        }
        cache.resolve_type_bodies(registry);
        cache
    }

    /// Fills each index's [`TypeBody`]s (needs every core type known first).
    fn resolve_type_bodies(&mut self, registry: &Registry) {
        let positions = self.positions.clone();
        let value_set_positions: FxHashMap<usize, u32> = registry
            .value_sets()
            .enumerate()
            .filter_map(|(i, vs)| Some((std::ptr::from_ref(vs) as usize, u32::try_from(i).ok()?)))
            .collect();
        for structure in registry.structures() {
            for element in structure.elements.iter().filter(|e| e.binding.is_some()) {
                let bound =
                    crate::validate::rules::binding::bound_value_set(registry, structure, element);
                self.bound_value_sets.insert(
                    std::ptr::from_ref(element) as usize,
                    bound.and_then(|vs| {
                        value_set_positions
                            .get(&(std::ptr::from_ref(vs) as usize))
                            .copied()
                    }),
                );
            }
            let bodies = structure
                .elements
                .iter()
                .map(|element| {
                    element
                        .types
                        .iter()
                        .map(|t| {
                            let body = self.type_structure(registry, element, &t.code);
                            TypeBody {
                                primitive: self.primitives.get(&*t.code).copied(),
                                structure: body.and_then(|s| positions.get(&key(s)).copied()),
                                is_resource: self
                                    .core_type(&t.code)
                                    .is_some_and(|(_, kind)| kind == StructureKind::Resource),
                                root_invariants: body.and_then(|s| s.elements.first()).is_some_and(
                                    |root| {
                                        crate::validate::rules::invariant::type_root_applies(
                                            root, element,
                                        )
                                    },
                                ),
                            }
                        })
                        .collect()
                })
                .collect();
            if let Some(index) = positions
                .get(&key(structure))
                .and_then(|&p| self.indexes.get_mut(p as usize))
            {
                index.type_bodies = bodies;
            }
            for element in &structure.elements {
                if element.types.iter().any(|t| t.code == "Reference") {
                    self.reference_targets.insert(
                        std::ptr::from_ref(element) as usize,
                        crate::validate::rules::reference::ReferenceTargets::of(registry, element),
                    );
                }
            }
        }
    }

    /// The ValueSet of `element`'s binding, when resolved at build time: `Some(None)` when it
    /// is not loaded, `None` for an element the cache does not know.
    pub fn bound_value_set<'r>(
        &self,
        registry: &'r Registry,
        element: &Element,
    ) -> Option<Option<&'r crate::model::ValueSet>> {
        let position = self
            .bound_value_sets
            .get(&(std::ptr::from_ref(element) as usize))?;
        Some(position.and_then(|p| registry.value_set_at(p as usize)))
    }

    /// The resolved target profiles of `element` (of the registry the cache was built from).
    pub fn reference_targets(
        &self,
        element: &Element,
    ) -> Option<&crate::validate::rules::reference::ReferenceTargets> {
        self.reference_targets
            .get(&(std::ptr::from_ref(element) as usize))
    }

    /// The definition a value of `element` typed `type_code` is walked against: the
    /// element's first profile for that type when loaded, else the type's base definition.
    pub fn type_structure<'r>(
        &self,
        registry: &'r Registry,
        element: &Element,
        type_code: &str,
    ) -> Option<&'r StructureDef> {
        let profile = element
            .types
            .iter()
            .find(|t| t.code == type_code)
            .and_then(|t| t.profiles.first())
            .and_then(|p| registry.structure(p));
        match profile {
            Some(profile) => Some(profile),
            None => {
                let (url, _) = self.core_type(type_code)?;
                registry.structure(url)
            }
        }
    }

    fn add_regex(&mut self, pattern: &str) {
        if !self.regexes.contains_key(pattern) {
            self.regexes
                .insert(pattern.to_string(), compile_regex(pattern));
        }
    }

    /// The snapshot tree of `structure` (a structure of the registry this cache was built from).
    pub fn index(&self, structure: &StructureDef) -> Option<&Index> {
        let position = *self.positions.get(&key(structure))?;
        self.index_at(position)
    }

    /// The snapshot tree of the structure at `position` in [`Registry::structures`] order.
    pub fn index_at(&self, position: u32) -> Option<&Index> {
        self.indexes.get(position as usize)
    }

    /// The compiled (anchored) regex, or why it did not compile.
    pub fn regex(&self, pattern: &str) -> Option<&Result<Regex, String>> {
        self.regexes.get(pattern)
    }

    /// A fixed/pattern/min/max value parsed from its stored JSON text.
    pub fn value(&self, json: &str) -> Option<&Value> {
        self.values.get(json)
    }

    /// The name of a core type as the cache holds it (`string` for `string`).
    pub fn core_type_name(&self, type_code: &str) -> Option<&str> {
        self.core_types
            .get_key_value(type_code)
            .map(|(name, _)| name.as_str())
    }

    /// A compiled `fhirpath` extension context.
    pub fn fhirpath(&self, expression: &str) -> Option<&Result<fhirpath::Expression, String>> {
        self.fhirpath.get(expression)
    }

    /// The facts of a primitive type (`date`, `string`).
    pub fn primitive(&self, type_code: &str) -> Option<&PrimitiveInfo> {
        let position = *self.primitives.get(type_code)?;
        self.primitive_at(position)
    }

    /// The facts of the primitive type numbered `position` ([`TypeBody::primitive`]).
    pub fn primitive_at(&self, position: u32) -> Option<&PrimitiveInfo> {
        self.primitive_infos.get(position as usize)
    }

    /// The canonical url and kind of a core type (`HumanName`, `Patient`, `string`).
    pub fn core_type(&self, type_code: &str) -> Option<(&str, StructureKind)> {
        self.core_types
            .get(type_code)
            .map(|(url, kind)| (url.as_str(), *kind))
    }

    /// How many structures, regexes and values are cached, and how many regexes did not
    /// compile.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let failed = self.regexes.values().filter(|r| r.is_err()).count();
        (
            self.indexes.len(),
            self.regexes.len(),
            self.values.len(),
            failed,
        )
    }
}
