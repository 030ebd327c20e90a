//! The structural walk of a resource against the profiles that apply to it.
//!
//! Each applicable profile is walked over the whole resource: the base definition of its
//! type first, then the declared `meta.profile`s and the requested profiles (a profile's
//! snapshot holds the base's elements, so each walk is complete on its own). The issues of
//! all walks are merged, identical ones once.
//!
//! A walk matches JSON members to snapshot elements by path (choice members such as
//! `valueQuantity` by their type suffix), checks the JSON shape, cardinality, primitive
//! formats, fixed/pattern values, slicing and extensions, and descends: into the element's
//! children in the snapshot, else into the definition of its type (a type profile, or the base
//! definition of the datatype), into `contentReference` targets, and into nested resources
//! (`contained`, `Bundle.entry.resource`, `Parameters.parameter.resource`), which are
//! validated against their own definitions.
//!
//! Performance: the snapshot trees, regexes and fixed values are precomputed once
//! ([`WalkCache`]); the location of a value is a stack of borrowed segments, rendered to a
//! string only when an issue is reported.

mod attachment;
mod content;
mod extension;
mod fixed;
mod index;
mod lexical;
mod nested;
mod path;
mod primitive;
mod quantity;
mod shape;
mod slicing;
mod xhtml;

use fhir::r4_types::choice_suffix_names;
use serde_json::{Map, Value};
use smallvec::SmallVec;

pub use index::{Index, PrimitiveInfo, WalkCache};
use path::{Path, Seg};
use shape::group_count;
pub(crate) use shape::json_kind;

use super::{Checks, Cx, Issue, IssueSeverity, IssueType, Location, Outcome, rules};
use crate::model::{Derivation, Element, StructureDef, StructureKind};
use crate::validate::member::Member as _;

/// How deep nested resources (contained, Bundle entries, Parameters) may go.
const MAX_NESTING: u32 = 16;

/// The message of `ele-1`, which the walk checks (see [`rules::invariant::WALK_CHECKED`]).
const ELE_1: &str = "Constraint failed: ele-1: 'All FHIR elements must have a @value or children'";

/// Whether a primitive's `_name` companion has an extension (its children besides `id`).
fn has_extension(companion: &Value) -> bool {
    companion
        .member("extension")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty())
}

/// The stand-in for a primitive that has only its `_name` companion.
static NULL: Value = Value::Null;

/// Validates `resource` against its base definition, its declared `meta.profile`s and
/// `requested` profiles.
pub fn validate_resource(
    cx: Cx<'_>,
    cache: &WalkCache,
    resource: &Value,
    requested: &[String],
) -> Outcome {
    let checks = cx.checks;
    let mut outcome = Outcome::default();
    let Some(resource_type) = resource.member("resourceType").and_then(Value::as_str) else {
        outcome.issues.push(Issue::new(
            IssueSeverity::Fatal,
            IssueType::Structure,
            "resource-type-missing",
            "",
            "the JSON object has no resourceType, so it is not a FHIR resource",
        ));
        return outcome;
    };
    let Some(base) = cx.registry.base_type(resource_type) else {
        outcome.issues.push(Issue::new(
            IssueSeverity::Fatal,
            IssueType::Structure,
            "resource-type-unknown",
            resource_type,
            format!("{resource_type:?} is not an R4 resource type"),
        ));
        return outcome;
    };
    let mut walker = Walker::new(cx, cache, base);
    walker.checks = checks;
    walker.path.push(Seg::Name(resource_type));
    walker.resource_type = resource_type;
    walker.resource_start = 1;
    if resource_type == "Bundle" {
        rules::bundle::check(cx, resource, &mut walker.issues);
    }
    let profiles = walker.profiles(base, resource, requested);
    outcome.profiles_checked = profiles
        .iter()
        .map(|p| {
            cache
                .index(p)
                .map_or_else(|| p.canonical(), |ix| ix.canonical().to_owned())
        })
        .collect();
    for structure in Walker::to_walk(&profiles) {
        walker.walk_root(structure, resource);
    }
    outcome.issues = dedup(walker.issues);
    outcome
}

/// Keeps the first of identical issues (several profiles report the same problem).
fn dedup(issues: Vec<Issue>) -> Vec<Issue> {
    let mut seen = std::collections::HashSet::new();
    issues
        .into_iter()
        .filter(|issue| {
            seen.insert((
                issue.severity,
                issue.message_id,
                issue.expression.clone(),
                issue.message.clone(),
            ))
        })
        .collect()
}

/// A JSON member matched to a child element: (child, key, value, chosen type).
type Member<'a> = (u32, &'a str, &'a Value, Option<&'a str>);

/// An element of a snapshot, with the structure and tree it belongs to.
#[derive(Clone, Copy)]
pub(crate) struct Def<'a> {
    sd: &'a StructureDef,
    ix: &'a Index,
    el: usize,
}

impl<'a> Def<'a> {
    fn element(self) -> Option<&'a Element> {
        self.sd.elements.get(self.el)
    }

    fn children(self) -> &'a [u32] {
        self.ix.children(self.el)
    }

    fn slices(self) -> &'a [u32] {
        self.ix.slices(self.el)
    }

    /// The element's name (the last segment of its path).
    fn name(self) -> &'a str {
        self.element()
            .map_or("", |element| self.ix.name(self.el, element))
    }

    fn at(self, el: u32) -> Def<'a> {
        Def {
            el: el as usize,
            ..self
        }
    }

    /// The child whose JSON member name is `key`, with the type a choice suffix selects.
    fn child(self, key: &str) -> Option<(Def<'a>, Option<&'a str>)> {
        let names = self.ix.child_names(self.el);
        // By the name map of a wide element, else by scanning the names.
        let exact = match self.ix.child_named(self.el, key) {
            Some(found) => found,
            None => names
                .iter()
                .find(|c| !c.choice && *c.name == *key)
                .map(|c| c.el),
        };
        if let Some(c) = exact {
            return Some((self.at(c), None));
        }
        // No child of that name: only a choice can match, in the order of the children.
        names
            .iter()
            .filter(|c| c.choice && key.starts_with(&*c.name))
            .find_map(|c| self.choice_match(c.el, key))
    }

    /// Child `c` with the type `key`'s suffix selects, when `c` is a choice `name[x]` and
    /// `key` is `name` followed by one of its types.
    fn choice_match(self, c: u32, key: &str) -> Option<(Def<'a>, Option<&'a str>)> {
        let element = self.sd.elements.get(c as usize)?;
        let prefix = self.ix.name(c as usize, element).strip_suffix("[x]")?;
        let suffix = key.strip_prefix(prefix)?;
        let t = element
            .types
            .iter()
            .find(|t| choice_suffix_names(&t.code, suffix))?;
        Some((self.at(c), Some(t.code.as_str())))
    }
}

/// True for FHIR primitive types and FHIRPath system types.
pub(crate) fn is_primitive(type_code: &str) -> bool {
    type_code.starts_with("http://hl7.org/fhirpath/System.")
        || type_code
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
}

/// The object whose members are being walked: its type, the url of the innermost extension
/// it is in (or is), its element path in the definition walked, and the value itself.
#[derive(Clone, Copy, Default)]
pub(crate) struct Holder<'a> {
    type_code: &'a str,
    url: Option<&'a str>,
    element_path: &'a str,
    value: Option<&'a Value>,
}

/// The state of one validation: the issues so far and where the walk is.
pub(crate) struct Walker<'a> {
    cx: Cx<'a>,
    cache: &'a WalkCache,
    path: Path<'a>,
    issues: Vec<Issue>,
    /// The profile being walked, named in cardinality and slicing messages.
    profile: &'a StructureDef,
    /// The path length where the current resource's own elements start.
    resource_start: usize,
    /// The current resource's type.
    resource_type: &'a str,
    /// The object whose members are being walked (for extension context checks).
    holder: Holder<'a>,
    nesting: u32,
    /// The optional checks turned on.
    checks: Checks,
    /// The entries of the enclosing Bundle (`cx.bundle`), indexed when first needed.
    bundle_index: Option<rules::reference::BundleIndex<'a>>,
}

impl<'a> Walker<'a> {
    fn new(cx: Cx<'a>, cache: &'a WalkCache, profile: &'a StructureDef) -> Walker<'a> {
        Walker {
            cx,
            cache,
            path: Path::new(),
            issues: Vec::new(),
            profile,
            resource_start: 0,
            resource_type: "",
            holder: Holder::default(),
            nesting: 0,
            checks: Checks::default(),
            bundle_index: None,
        }
    }

    /// A walker for a sub-check (slicing by profile), at the same place.
    fn probe(&self) -> Walker<'a> {
        let mut walker = Walker::new(self.cx, self.cache, self.profile);
        walker.resource_type = self.resource_type;
        walker.nesting = self.nesting;
        walker.checks = self.checks;
        walker
    }

    fn def(&self, sd: &'a StructureDef, el: usize) -> Option<Def<'a>> {
        self.cache.index(sd).map(|ix| Def { sd, ix, el })
    }

    /// Records an issue at the current location.
    fn issue(
        &mut self,
        severity: IssueSeverity,
        code: IssueType,
        message_id: &'static str,
        message: String,
    ) {
        let expression = self.path.render();
        self.issues
            .push(Issue::new(severity, code, message_id, expression, message));
    }

    fn error(&mut self, code: IssueType, message_id: &'static str, message: String) {
        self.issue(IssueSeverity::Error, code, message_id, message);
    }

    /// ` (from url|version)`, as the Java validator ends cardinality and slicing messages.
    fn from(structure: &StructureDef) -> String {
        format!(" (from {})", structure.canonical())
    }

    /// Walks `resource` against the root of `structure`.
    fn walk_root(&mut self, structure: &'a StructureDef, resource: &'a Value) {
        let Some(def) = self.def(structure, 0) else {
            self.issue(
                IssueSeverity::Error,
                IssueType::Processing,
                "structure-not-indexed",
                format!("{} was not prepared for validation", structure.url),
            );
            return;
        };
        let previous = std::mem::replace(&mut self.profile, structure);
        let resource_type = resource.member("resourceType").and_then(Value::as_str);
        let abstract_base = structure.is_abstract && structure.kind == StructureKind::Resource;
        if structure.kind == StructureKind::Resource
            && !abstract_base
            && resource_type != Some(structure.type_name.as_str())
        {
            self.error(
                IssueType::Structure,
                "resource-type-mismatch",
                format!(
                    "The resource type is {}, but the profile {} is for {}",
                    resource_type.unwrap_or("missing"),
                    structure.url,
                    structure.type_name
                ),
            );
        } else {
            match resource.as_object() {
                Some(object) => {
                    let holder = std::mem::replace(
                        &mut self.holder,
                        Holder {
                            type_code: self.resource_type,
                            url: None,
                            element_path: &structure.type_name,
                            value: Some(resource),
                        },
                    );
                    self.walk_object(def, object, true);
                    self.holder = holder;
                }
                None => self.error(
                    IssueType::Structure,
                    "structure-not-object",
                    "A resource must be a JSON object".into(),
                ),
            }
            self.rules(def, resource, &structure.type_name);
        }
        self.profile = previous;
    }

    /// Walks the members of `object` against the children of `def`.
    fn walk_object(&mut self, def: Def<'a>, object: &'a Map<String, Value>, is_resource: bool) {
        if object.is_empty() {
            self.error(
                IssueType::Structure,
                "structure-empty-object",
                "Object must have some content".into(),
            );
            return;
        }
        let mut members: SmallVec<[Member<'a>; 16]> = SmallVec::with_capacity(object.len());
        let mut wrong_type: Vec<u32> = Vec::new();
        for (key, value) in object {
            if is_resource && key == "resourceType" {
                continue;
            }
            let name = key.strip_prefix('_').unwrap_or(key);
            match def.child(name) {
                Some((child, choice))
                    if name.len() == key.len() || is_primitive_child(child, choice) =>
                {
                    members.push((child.el as u32, key, value, choice));
                }
                _ => {
                    if let Some(el) = self.unknown_member(def, key) {
                        wrong_type.push(el);
                    }
                }
            }
        }
        members.sort_by_key(|m| m.0);
        // The present children and the absent ones that can report something (a minimum,
        // a required slice), merged in element order; other absent children have nothing
        // to check.
        let checks = def.ix.absent_checks(def.el);
        let absent: std::borrow::Cow<'_, [u32]> = if wrong_type.is_empty() {
            checks.into()
        } else {
            let wrong_type_checks = wrong_type.iter().filter(|c| !checks.contains(c));
            let mut absent: Vec<u32> = checks.iter().chain(wrong_type_checks).copied().collect();
            absent.sort_unstable();
            absent.into()
        };
        let (mut start, mut next_absent) = (0, 0);
        loop {
            let present = members.get(start).map(|m| m.0);
            let checked = absent.get(next_absent).copied();
            let c = match (present, checked) {
                (Some(p), Some(a)) => p.min(a),
                (Some(p), None) => p,
                (None, Some(a)) => a,
                (None, None) => break,
            };
            let end = start
                + members
                    .get(start..)
                    .map_or(0, |rest| rest.iter().take_while(|m| m.0 == c).count());
            let group = members.get(start..end).unwrap_or(&[]);
            start = end;
            if checked == Some(c) {
                next_absent += 1;
            }
            self.walk_group(def.at(c), group, wrong_type.contains(&c));
        }
    }

    /// Reports a member that matches no child: a choice with a type the element does not
    /// allow (at `name.ofType(type)`, as the Java validator does), or an unknown property.
    /// Returns the choice element of a wrong type, which counts as present.
    fn unknown_member(&mut self, def: Def<'a>, key: &'a str) -> Option<u32> {
        let choice = def.children().iter().find_map(|&c| {
            let element = def.at(c).element()?;
            let prefix = def.at(c).name().strip_suffix("[x]")?;
            let suffix = key.strip_prefix(prefix)?;
            suffix
                .starts_with(|c: char| c.is_ascii_uppercase())
                .then_some((c, element, prefix, suffix))
        });
        let Some((c, element, prefix, suffix)) = choice else {
            let message = format!("Unrecognized property '{key}'");
            self.error(IssueType::Structure, "structure-unknown", message);
            return None;
        };
        let lower = suffix
            .get(..1)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default()
            + suffix.get(1..).unwrap_or("");
        let type_code = self
            .cache
            .core_type_name(suffix)
            .or_else(|| self.cache.core_type_name(&lower))
            .unwrap_or(suffix);
        let allowed: Vec<&str> = element.types.iter().map(|t| t.code.as_str()).collect();
        let message = format!(
            "The type '{type_code}' is not valid for {} - must be one of {}",
            element.path,
            allowed.join(", ")
        );
        self.path.push(Seg::Choice(prefix, type_code));
        self.error(IssueType::Structure, "structure-choice-type", message);
        self.path.pop();
        Some(c)
    }

    /// Walks the members matched to one child element: cardinality, then each value.
    fn walk_group(
        &mut self,
        child: Def<'a>,
        group: &[(u32, &'a str, &'a Value, Option<&'a str>)],
        wrong_type: bool,
    ) {
        let Some(element) = child.element() else {
            return;
        };
        let count = group_count(group);
        if count < element.min as usize && !wrong_type {
            let message = format!(
                "{}: minimum required = {}, but only found {count}{}",
                element.path,
                element.min,
                Self::from(child.sd)
            );
            self.error(IssueType::Required, "cardinality-min", message);
        }
        let choices = group.iter().filter(|m| !m.1.starts_with('_')).count();
        if !element.max.allows(count) && choices < 2 {
            let message = format!(
                "{}: max allowed = {}, but found {count}{}",
                element.path,
                element.max,
                Self::from(child.sd)
            );
            self.error(IssueType::Structure, "cardinality-max", message);
        }
        if group.is_empty() {
            slicing::check_absent(self, child);
            return;
        }
        let values = || group.iter().filter(|m| !m.1.starts_with('_'));
        if choices > 1 {
            let message = format!(
                "{}: only one of {} may be present",
                element.path,
                values().map(|m| m.1).collect::<Vec<_>>().join(", ")
            );
            self.error(IssueType::Structure, "structure-choice-multiple", message);
        }
        for &(_, key, value, choice) in values() {
            let companion = group
                .iter()
                .find(|m| m.1.strip_prefix('_') == Some(key))
                .map(|m| m.2);
            self.walk_member(child, key, value, choice, companion);
        }
        if choices == 0 {
            for &(_, key, companion, choice) in group {
                let Some(name) = key.strip_prefix('_') else {
                    continue;
                };
                self.walk_member(child, name, &NULL, choice, Some(companion));
            }
        }
    }

    /// Walks one member (a value or an array of values) of element `child`.
    fn walk_member(
        &mut self,
        child: Def<'a>,
        key: &'a str,
        value: &'a Value,
        choice: Option<&'a str>,
        companion: Option<&'a Value>,
    ) {
        let Some(element) = child.element() else {
            return;
        };
        let resource_id = child.ix.is_resource_id(child.el);
        let type_code = choice
            .or_else(|| element.types.first().map(|t| t.code.as_str()))
            .map(|t| if resource_id { "id" } else { t })
            .unwrap_or("BackboneElement");
        let seg = match choice {
            Some(t) => Seg::Choice(child.name().strip_suffix("[x]").unwrap_or(key), t),
            None => Seg::Name(key),
        };
        let mut items: SmallVec<[&'a Value; 8]> = match (value, companion) {
            (Value::Array(items), _) => items.iter().collect(),
            (Value::Null, Some(Value::Array(c))) => c.iter().map(|_| &NULL).collect(),
            (v, _) => smallvec::smallvec![v],
        };
        if let Some(Value::Array(c)) = companion {
            while items.len() < c.len() {
                items.push(&NULL);
            }
        }
        let is_array = value.is_array() || companion.is_some_and(Value::is_array);
        let slices = slicing::assign(self, child, seg, &items, type_code, is_array);
        self.path.push(seg);
        if child.sd.derivation == Some(Derivation::Specialization) {
            self.check_shape(element, value, companion);
        }
        for (i, item) in items.iter().enumerate() {
            if is_array {
                self.path.push(Seg::Index(i));
            }
            let companion_item = match companion {
                Some(Value::Array(c)) => c.get(i),
                Some(c) if !is_array => Some(c),
                _ => None,
            };
            let def = match slices.get(i).copied().flatten() {
                Some(slice) => child.at(slice),
                None => child,
            };
            match (item, companion_item) {
                (Value::Null, Some(c)) if !c.is_null() => {
                    if !has_extension(c) {
                        self.error(IssueType::Invariant, "invariant-failed", ELE_1.into());
                    }
                }
                (Value::Null, _) => self.error(
                    IssueType::Structure,
                    "structure-null",
                    "A null value is only allowed in an array of primitives with a matching extension".into(),
                ),
                _ => self.walk_value(def, item, type_code),
            }
            if let Some(c) = companion_item.filter(|c| !c.is_null()) {
                if resource_id && has_extension(c) {
                    // Resource.id is a System.String in R4: a logical id, not an element.
                    let urls: Vec<&str> = c["extension"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.member("url").and_then(Value::as_str))
                        .collect();
                    let message = format!(
                        "Extensions are not allowed on Resource.id ('{}')",
                        urls.join("', '")
                    );
                    self.error(IssueType::Structure, "resource-id-extension", message);
                }
                self.walk_companion(type_code, &element.path, c);
            }
            if is_array {
                self.path.pop();
            }
        }
        self.path.pop();
    }

    /// Walks one value of element `def` whose type is `type_code`.
    fn walk_value(&mut self, def: Def<'a>, value: &'a Value, type_code: &'a str) {
        let Some(element) = def.element() else { return };
        // The precomputed facts of this type of the element, looked up once per value.
        let known = type_body(def, type_code);
        if is_primitive(type_code) {
            let info = match known {
                Some(body) => body.primitive.and_then(|p| self.cache.primitive_at(p)),
                None => self.cache.primitive(type_code),
            };
            primitive::check(self, element, value, type_code, info);
            if type_code == "xhtml"
                && let Some(div) = value.as_str()
            {
                xhtml::check(self, div);
            }
            fixed::check(self, element, value);
            self.rules(def, value, type_code);
            return;
        }
        let Some(object) = value.as_object() else {
            let message = format!(
                "The property must be a JSON Object, not {}",
                json_kind(value)
            );
            self.error(IssueType::Structure, "structure-not-object", message);
            return;
        };
        if def.el != 0 && self.is_resource_type(known, type_code) {
            self.walk_nested(def, value);
            return;
        }
        if object.keys().all(|k| k == "id") && !object.is_empty() {
            self.error(IssueType::Invariant, "invariant-failed", ELE_1.into());
        }
        if type_code == "Attachment" {
            attachment::check(self, object);
        }
        if element.min_value.is_some() || element.max_value.is_some() {
            quantity::check(self, element, object);
        }
        fixed::check(self, element, value);
        let mut body = self.body_known(def, type_code, known);
        let mut url = self.holder.url;
        if type_code == "Extension" {
            url = object.member("url").and_then(Value::as_str);
            if let Some(found) = extension::check(self, def, object)
                && def.children().is_empty()
            {
                body = self.def(found, 0);
            }
        }
        if let Some(body) = body
            && body.el == 0
            && !std::ptr::eq(body.sd, def.sd)
        {
            match self.root_invariants(known, body) {
                Some(false) => {}
                Some(true) => self.type_root_rules(element, body, value, type_code, true),
                None => self.type_root_rules(element, body, value, type_code, false),
            }
        }
        match body {
            Some(body) => {
                let holder = std::mem::replace(
                    &mut self.holder,
                    Holder {
                        type_code,
                        url,
                        element_path: &element.path,
                        value: Some(value),
                    },
                );
                self.walk_object(body, object, false);
                self.holder = holder;
            }
            None => self.issue(
                IssueSeverity::Warning,
                IssueType::NotSupported,
                "type-unknown",
                format!("The type {type_code} is not loaded, so its content was not checked"),
            ),
        }
        self.rules(def, value, type_code);
    }

    /// Calls the element rules (bindings, invariants, references) for one value, with its
    /// location rendered only if an issue needs it.
    fn rules(&mut self, def: Def<'a>, value: &'a Value, type_code: &str) {
        let Some(element) = def.element() else { return };
        let reference = type_code == "Reference";
        let canonical = type_code == "canonical";
        let invariants = def.ix.has_invariants(def.el);
        if element.binding.is_none() && !invariants && !reference && !canonical {
            return;
        }
        let path = &self.path;
        let render = || path.render();
        let expression = Location::Lazy(&render);
        if element.binding.is_some() {
            rules::binding::check_resolved(
                self.cx,
                def.sd,
                element,
                self.cache.bound_value_set(self.cx.registry, element),
                value,
                type_code,
                expression,
                &mut self.issues,
            );
        }
        if invariants {
            rules::invariant::check(
                self.cx,
                element,
                value,
                type_code,
                expression,
                &mut self.issues,
            );
        }
        if canonical {
            rules::reference::check_canonical(
                self.cx,
                element,
                value,
                expression,
                &mut self.issues,
            );
        }
        if reference {
            let index = self.cx.bundle.map(|bundle| match self.bundle_index.take() {
                Some(index) if std::ptr::eq(index.bundle(), bundle) => index,
                _ => rules::reference::BundleIndex::new(bundle),
            });
            rules::reference::check_indexed(
                self.cx,
                index.as_ref(),
                self.cache.reference_targets(element),
                element,
                value,
                expression,
                &mut self.issues,
            );
            if index.is_some() {
                self.bundle_index = index;
            }
        }
    }

    /// Evaluates the invariants on the root of a value's type definition (`qty-3` of
    /// `Quantity`, `ref-1` of `Reference`) that its element does not repeat, as the Java
    /// validator does when it descends into the type (`known_to_apply`: it has some).
    fn type_root_rules(
        &mut self,
        element: &'a Element,
        body: Def<'a>,
        value: &'a Value,
        type_code: &str,
        known_to_apply: bool,
    ) {
        let Some(type_root) = body.element() else {
            return;
        };
        if !known_to_apply && !rules::invariant::type_root_applies(type_root, element) {
            return;
        }
        let path = &self.path;
        let render = || path.render();
        let expression = Location::Lazy(&render);
        rules::invariant::check_type_root(
            self.cx,
            type_root,
            element,
            value,
            type_code,
            expression,
            &mut self.issues,
        );
    }

    /// The definition of a complex value's members: the element's children, its
    /// `contentReference` target, its type profile, or the base definition of its type.
    fn body(&self, def: Def<'a>, type_code: &str) -> Option<Def<'a>> {
        self.body_known(def, type_code, type_body(def, type_code))
    }

    /// As [`Walker::body`], with the type's precomputed facts already looked up.
    fn body_known(
        &self,
        def: Def<'a>,
        type_code: &str,
        known: Option<index::TypeBody>,
    ) -> Option<Def<'a>> {
        let element = def.element()?;
        if !def.children().is_empty() {
            return Some(def);
        }
        if let Some(reference) = &element.content_reference {
            let id = reference
                .rsplit_once('#')
                .map_or(reference.as_str(), |(_, id)| id);
            let el = def.sd.elements.iter().position(|e| e.id == id)?;
            return Some(Def { el, ..def });
        }
        if let Some(body) = known {
            let position = body.structure?;
            let sd = self.cx.registry.structure_at(position as usize)?;
            let ix = self.cache.index_at(position)?;
            return Some(Def { sd, ix, el: 0 });
        }
        let structure = self
            .cache
            .type_structure(self.cx.registry, element, type_code)?;
        self.def(structure, 0)
    }

    /// Whether the root of `body` (the type definition a value is walked against) has
    /// invariants the element does not repeat, when `body` is the precomputed one of `known`
    /// (`None` otherwise, such as an extension's own definition).
    fn root_invariants(&self, known: Option<index::TypeBody>, body: Def<'a>) -> Option<bool> {
        let known = known?;
        let precomputed = known
            .structure
            .and_then(|position| self.cx.registry.structure_at(position as usize))?;
        std::ptr::eq(precomputed, body.sd).then_some(known.root_invariants)
    }

    /// Whether a value typed `type_code` (with the element's precomputed facts `known`) is a
    /// nested resource.
    fn is_resource_type(&self, known: Option<index::TypeBody>, type_code: &str) -> bool {
        match known {
            Some(body) => body.is_resource,
            None => self
                .cache
                .core_type(type_code)
                .is_some_and(|(_, kind)| kind == StructureKind::Resource),
        }
    }
}

/// The precomputed [`index::TypeBody`] of `def` for `type_code`, when it is one of the
/// element's types (a choice's type code is the element's own string: compared by address
/// first).
fn type_body(def: Def<'_>, type_code: &str) -> Option<index::TypeBody> {
    let types = &def.element()?.types;
    let position = types
        .iter()
        .position(|t| std::ptr::eq(&*t.code, type_code))
        .or_else(|| types.iter().position(|t| t.code == type_code))?;
    def.ix.type_body(def.el, position)
}

/// True when `child` (with its chosen type) is a primitive, so `_name` is allowed.
fn is_primitive_child(child: Def<'_>, choice: Option<&str>) -> bool {
    let type_code = choice.or_else(|| {
        child
            .element()
            .and_then(|e| e.types.first())
            .map(|t| t.code.as_str())
    });
    type_code.is_some_and(is_primitive)
}
