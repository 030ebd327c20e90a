//! Slicing: each value of a sliced element is assigned to the first slice whose
//! discriminators all match (`value`, `pattern`, `type`, `profile`, `exists`), then slice
//! cardinalities, closed slicing, `openAtEnd` and `ordered` are checked.
//!
//! What a slice expects at a discriminator path is found by descending the slice's snapshot
//! children, else its type profile (an extension slice with no children is matched through
//! the `Extension.url` fixed in its profile). The path language is the restricted FHIRPath of
//! discriminators: names, `$this`, `ofType(T)`, `extension('url')` and `resolve()` (in a
//! Bundle).

use serde_json::Value;

use super::path::Seg;
use fhir::r4_types::choice_suffix_names;

use super::{Def, Walker, fixed, is_primitive};
use crate::model::{
    BindingStrength, CodeList, Discriminator, DiscriminatorKind, Expansion, Max, SlicingRules,
    StructureKind,
};
use crate::validate::member::Member as _;
use crate::validate::{IssueSeverity, IssueType};

/// What a slice expects at one discriminator path.
enum Expected<'a> {
    Equals(&'a Value),
    /// A string value (an extension slice's url, from its type profile).
    Text(&'a str),
    Contains(&'a Value),
    Codes(&'a CodeList),
    Exists(bool),
    Types(Vec<&'a str>),
    Profiles(Vec<&'a str>),
    /// Anything matches: the slice does not constrain this discriminator.
    Any,
    Unknown,
}

/// One step of a discriminator path.
enum Step<'p> {
    This,
    Name(&'p str),
    OfType(&'p str),
    Extension(&'p str),
    Resolve,
    Unsupported,
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0u32, false, 0);
    for (i, c) in path.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            '.' if !quoted && depth == 0 => {
                parts.push(path.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(path.get(start..).unwrap_or(""));
    parts
        .into_iter()
        .map(|part| {
            let argument = |name: &str| {
                part.strip_prefix(name)
                    .and_then(|rest| rest.strip_suffix(')'))
                    .map(|arg| arg.trim_matches('\''))
            };
            if part == "$this" {
                Step::This
            } else if part == "resolve()" {
                Step::Resolve
            } else if let Some(t) = argument("ofType(") {
                Step::OfType(t)
            } else if let Some(url) = argument("extension(") {
                Step::Extension(url)
            } else if part.contains('(') || part.is_empty() {
                Step::Unsupported
            } else {
                Step::Name(part)
            }
        })
        .collect()
}

/// Assigns each of `items` (the values of `sliced`) to a slice and checks the slicing rules;
/// returns the slice element of each item (`None`: no slice).
pub(super) fn assign<'a>(
    walker: &mut Walker<'a>,
    sliced: Def<'a>,
    seg: Seg<'a>,
    items: &[&'a Value],
    item_type: &'a str,
    is_array: bool,
) -> Vec<Option<u32>> {
    let slices = sliced.slices();
    let Some(element) = sliced.element() else {
        return Vec::new();
    };
    if slices.is_empty() {
        return Vec::new();
    }
    let slicing = element.slicing.as_ref();
    let discriminators = slicing.map_or(&[][..], |s| s.discriminators.as_slice());
    let expected: Vec<Vec<Expected<'a>>> = slices
        .iter()
        .map(|&s| {
            discriminators
                .iter()
                .map(|d| expect(walker, sliced.at(s), d))
                .collect()
        })
        .collect();
    let assigned: Vec<Option<u32>> = items
        .iter()
        .map(|item| {
            if discriminators.is_empty() {
                return None;
            }
            slices
                .iter()
                .zip(&expected)
                .find(|(_, exp)| {
                    discriminators
                        .iter()
                        .zip(exp.iter())
                        .all(|(d, e)| matches(walker, d, e, item, item_type))
                })
                .map(|(&s, _)| s)
        })
        .collect();
    for &s in slices {
        let Some(slice) = sliced.at(s).element() else {
            continue;
        };
        let count = assigned.iter().filter(|a| **a == Some(s)).count();
        slice_cardinality(walker, sliced.sd, slice, count);
    }
    let rules = slicing.map_or(SlicingRules::Open, |s| s.rules);
    let ordered = slicing.is_some_and(|s| s.ordered);
    let (mut last, mut unmatched_before) = (0, false);
    for (i, a) in assigned.iter().enumerate() {
        walker.path.push(seg);
        if is_array {
            walker.path.push(super::Seg::Index(i));
        }
        match a.and_then(|s| slices.iter().position(|x| *x == s)) {
            None if rules == SlicingRules::Closed => {
                let message = format!(
                    "This element does not match any known slice defined in the profile {} and slicing is CLOSED",
                    walker.profile.canonical()
                );
                walker.error(IssueType::Structure, "slicing-closed", message);
                unmatched_before = true;
            }
            None => {
                let message = format!(
                    "This element does not match any known slice defined in the profile {} (this may not be a problem, but you should check that it's not intended to match a slice)",
                    walker.profile.canonical()
                );
                walker.issue(
                    IssueSeverity::Information,
                    IssueType::Informational,
                    "slicing-unmatched",
                    message,
                );
                unmatched_before = true;
            }
            Some(position) => {
                if rules == SlicingRules::OpenAtEnd && unmatched_before {
                    let message = format!(
                        "{}: an element that matches no slice comes before this one, but the slicing is openAtEnd",
                        element.path
                    );
                    walker.error(IssueType::Structure, "slicing-open-at-end", message);
                }
                if ordered && position < last {
                    let message = format!(
                        "{}: the elements are not in the order of the slices, but the slicing is ordered",
                        element.path
                    );
                    walker.error(IssueType::Structure, "slicing-order", message);
                }
                last = last.max(position);
            }
        }
        if is_array {
            walker.path.pop();
        }
        walker.path.pop();
    }
    assigned
}

/// Reports the required slices of an element that has no values.
pub(super) fn check_absent(walker: &mut Walker<'_>, sliced: Def<'_>) {
    for &s in sliced.slices() {
        if let Some(slice) = sliced.at(s).element() {
            slice_cardinality(walker, sliced.sd, slice, 0);
        }
    }
}

fn slice_cardinality(
    walker: &mut Walker<'_>,
    structure: &crate::model::StructureDef,
    slice: &crate::model::Element,
    count: usize,
) {
    let name = slice.slice_name.as_deref().unwrap_or("");
    if count < slice.min as usize {
        let message = format!(
            "Slice '{}:{name}': a matching slice is required, but not found{}",
            slice.path,
            Walker::from(structure)
        );
        walker.error(IssueType::Required, "slice-min", message);
    }
    if !slice.max.allows(count) {
        let message = format!(
            "{}:{name}: max allowed = {}, but found {count}{}",
            slice.path,
            slice.max,
            Walker::from(structure)
        );
        walker.error(IssueType::Structure, "slice-max", message);
    }
}

/// The element a discriminator path reaches from a slice, whether it went through
/// `resolve()`, and the type an `ofType()` selected.
fn descend<'a>(
    walker: &Walker<'a>,
    slice: Def<'a>,
    steps: &[Step<'_>],
) -> Option<(Def<'a>, bool, Option<String>)> {
    let (mut current, mut resolved, mut of_type) = (slice, false, None);
    for step in steps {
        match step {
            Step::This => {}
            Step::Resolve => resolved = true,
            Step::OfType(t) => of_type = Some((*t).to_string()),
            Step::Unsupported => return None,
            Step::Name(name) | Step::Extension(name) => {
                let child_name = if matches!(step, Step::Extension(_)) {
                    "extension"
                } else {
                    name
                };
                let type_code = current
                    .element()?
                    .types
                    .first()
                    .map_or("", |t| t.code.as_str());
                let body = walker.body(current, type_code)?;
                current = body.children().iter().map(|&c| body.at(c)).find(|c| {
                    c.element().is_some_and(|e| {
                        let n = e.name();
                        n == child_name || n.strip_suffix("[x]") == Some(child_name)
                    })
                })?;
                if let Step::Extension(url) = step {
                    current = current
                        .slices()
                        .iter()
                        .map(|&s| current.at(s))
                        .find(|s| slice_url(walker, *s).as_deref() == Some(*url))?;
                }
            }
        }
    }
    Some((current, resolved, of_type))
}

/// The url an extension slice is for: its fixed `url` child, or its type profile's url.
fn slice_url(walker: &Walker<'_>, slice: Def<'_>) -> Option<String> {
    let steps = [Step::Name("url")];
    let (url, _, _) = descend(walker, slice, &steps)?;
    let fixed = url.element()?.fixed.as_ref()?;
    walker
        .cache
        .value(&fixed.json)?
        .as_str()
        .map(str::to_string)
}

fn expect<'a>(walker: &Walker<'a>, slice: Def<'a>, discriminator: &Discriminator) -> Expected<'a> {
    // An extension slice's `url` is its type profile's url, also when the extension's
    // definition is not loaded (so no snapshot here fixes its `url`).
    if discriminator.kind == DiscriminatorKind::Value
        && discriminator.path == "url"
        && let Some(profile) = slice
            .element()
            .and_then(|e| e.types.iter().find(|t| t.code == "Extension"))
            .and_then(|t| t.profiles.first())
    {
        return Expected::Text(profile.split('|').next().unwrap_or(profile));
    }
    let steps = steps(&discriminator.path);
    let Some((target, resolved, of_type)) = descend(walker, slice, &steps) else {
        return Expected::Unknown;
    };
    let Some(element) = target.element() else {
        return Expected::Unknown;
    };
    match discriminator.kind {
        DiscriminatorKind::Value | DiscriminatorKind::Pattern => {
            // A slice that prohibits the element (max 0) takes only items without it.
            if element.max == Max::Count(0) {
                return Expected::Exists(false);
            }
            if let Some(v) = element
                .fixed
                .as_ref()
                .and_then(|f| walker.cache.value(&f.json))
            {
                return Expected::Equals(v);
            }
            if let Some(v) = element
                .pattern
                .as_ref()
                .and_then(|p| walker.cache.value(&p.json))
            {
                return Expected::Contains(v);
            }
            let codes = element
                .binding
                .as_ref()
                .filter(|b| b.strength == BindingStrength::Required)
                .and_then(|b| b.value_set.as_deref())
                .and_then(|vs| walker.cx.registry.value_set(vs))
                .and_then(|vs| match &vs.expansion {
                    Expansion::Complete(list) => Some(list),
                    _ => None,
                });
            // A slice that sets nothing at a discriminator's path (the element is there,
            // without fixed, pattern or required binding) is not told apart by it.
            codes.map_or(Expected::Any, Expected::Codes)
        }
        DiscriminatorKind::Exists => {
            if element.min >= 1 {
                Expected::Exists(true)
            } else if element.max == Max::Count(0) {
                Expected::Exists(false)
            } else {
                Expected::Unknown
            }
        }
        DiscriminatorKind::Type => {
            let types: Vec<&'a str> = if resolved {
                element
                    .types
                    .iter()
                    .flat_map(|t| &t.target_profiles)
                    .filter_map(|p| walker.cx.registry.structure(p))
                    .map(|s| s.type_name.as_str())
                    .collect()
            } else {
                element
                    .types
                    .iter()
                    .map(|t| t.code.as_str())
                    .filter(|code| of_type.as_deref().is_none_or(|t| same_type(code, t)))
                    .collect()
            };
            Expected::Types(types)
        }
        DiscriminatorKind::Profile => {
            let profiles: Vec<&'a str> = element
                .types
                .iter()
                .flat_map(|t| {
                    if resolved {
                        &t.target_profiles
                    } else {
                        &t.profiles
                    }
                })
                .map(String::as_str)
                .collect();
            if profiles.is_empty() {
                Expected::Unknown
            } else {
                Expected::Profiles(profiles)
            }
        }
    }
}

fn same_type(code: &str, other: &str) -> bool {
    code == other || choice_suffix_names(code, other) || choice_suffix_names(other, code)
}

fn matches<'a>(
    walker: &Walker<'a>,
    discriminator: &Discriminator,
    expected: &Expected<'a>,
    item: &'a Value,
    item_type: &'a str,
) -> bool {
    let values = values_at(walker, item, item_type, &steps(&discriminator.path));
    match expected {
        Expected::Equals(v) if discriminator.kind == DiscriminatorKind::Pattern => {
            values.iter().any(|(x, _)| fixed::contains(x, v))
        }
        Expected::Equals(v) => values.iter().any(|(x, _)| fixed::equals(x, v)),
        Expected::Text(text) => values.iter().any(|(x, _)| x.as_str() == Some(*text)),
        Expected::Contains(p) => values.iter().any(|(x, _)| fixed::contains(x, p)),
        Expected::Codes(list) => values.iter().any(|(x, _)| in_code_list(x, list)),
        Expected::Exists(present) => values.is_empty() != *present,
        Expected::Types(types) => values.iter().any(|(x, t)| {
            let actual = x.member("resourceType").and_then(Value::as_str).or(*t);
            actual.is_some_and(|a| types.iter().any(|ty| same_type(ty, a)))
        }),
        Expected::Profiles(profiles) => values.iter().any(|(x, t)| {
            profiles
                .iter()
                .any(|p| conforms(walker, x, t.unwrap_or(""), p))
        }),
        Expected::Any => true,
        Expected::Unknown => false,
    }
}

/// A code, Coding or CodeableConcept with a code in `list`.
fn in_code_list(value: &Value, list: &CodeList) -> bool {
    match value {
        Value::String(code) => list.contains_code(code),
        Value::Object(object) => {
            if let Some(codings) = object.member("coding").and_then(Value::as_array) {
                return codings.iter().any(|c| in_code_list(c, list));
            }
            match (
                object.member("system").and_then(Value::as_str),
                object.member("code").and_then(Value::as_str),
            ) {
                (Some(system), Some(code)) => list.contains(system, code),
                _ => false,
            }
        }
        _ => false,
    }
}

/// The values (with their type when known) a discriminator path reaches from `item`.
fn values_at<'a>(
    walker: &Walker<'a>,
    item: &'a Value,
    item_type: &'a str,
    steps: &[Step<'_>],
) -> Vec<(&'a Value, Option<&'a str>)> {
    let mut current = vec![(item, Some(item_type))];
    for step in steps {
        let mut next = Vec::new();
        for (value, value_type) in current {
            match step {
                Step::This => next.push((value, value_type)),
                Step::OfType(t) => {
                    if value_type.is_some_and(|vt| same_type(vt, t)) {
                        next.push((value, value_type));
                    }
                }
                Step::Name(name) => {
                    let Some(object) = value.as_object() else {
                        continue;
                    };
                    if let Some(member) = object.get(*name) {
                        flatten(member, None, &mut next);
                    } else {
                        for (key, member) in object {
                            if let Some(suffix) = key.strip_prefix(*name)
                                && suffix.starts_with(|c: char| c.is_ascii_uppercase())
                            {
                                flatten(member, Some(suffix), &mut next);
                            }
                        }
                    }
                }
                Step::Extension(url) => {
                    let extensions = value.member("extension").and_then(Value::as_array);
                    for extension in extensions.into_iter().flatten() {
                        if extension.member("url").and_then(Value::as_str) == Some(*url) {
                            next.push((extension, Some("Extension")));
                        }
                    }
                }
                Step::Resolve => {
                    if let Some(target) = resolve(walker, value) {
                        next.push((
                            target,
                            target.member("resourceType").and_then(Value::as_str),
                        ));
                    }
                }
                Step::Unsupported => {}
            }
        }
        current = next;
    }
    current
}

fn flatten<'a>(
    member: &'a Value,
    value_type: Option<&'a str>,
    out: &mut Vec<(&'a Value, Option<&'a str>)>,
) {
    match member {
        Value::Array(items) => out.extend(items.iter().map(|i| (i, value_type))),
        other => out.push((other, value_type)),
    }
}

/// The resource a Reference points to: a contained resource of the resource being validated
/// (`#id`), or a Bundle entry (by fullUrl, or by `Type/id`).
fn resolve<'a>(walker: &Walker<'a>, reference: &'a Value) -> Option<&'a Value> {
    let target = reference.member("reference")?.as_str()?;
    if let Some(id) = target.strip_prefix('#') {
        return walker
            .cx
            .resource
            .member("contained")?
            .as_array()?
            .iter()
            .find(|c| c.member("id").and_then(Value::as_str) == Some(id));
    }
    let bundle = walker.cx.bundle.or_else(|| {
        (walker
            .cx
            .resource
            .member("resourceType")
            .and_then(Value::as_str)
            == Some("Bundle"))
        .then_some(walker.cx.resource)
    })?;
    bundle
        .member("entry")?
        .as_array()?
        .iter()
        .find_map(|entry| {
            let resource = entry.member("resource")?;
            let full_url = entry.member("fullUrl").and_then(Value::as_str);
            let type_id = match (
                resource.member("resourceType").and_then(Value::as_str),
                resource.member("id").and_then(Value::as_str),
            ) {
                (Some(t), Some(id)) => Some(format!("{t}/{id}")),
                _ => None,
            };
            let hit = full_url == Some(target)
                || type_id
                    .as_deref()
                    .is_some_and(|ti| target == ti || target.ends_with(&format!("/{ti}")));
            hit.then_some(resource)
        })
}

/// True when `value` validates against `profile` without errors.
fn conforms<'a>(walker: &Walker<'a>, value: &'a Value, value_type: &'a str, profile: &str) -> bool {
    let Some(structure) = walker.cx.registry.structure(profile) else {
        return false;
    };
    let mut probe = walker.probe();
    if structure.kind == StructureKind::Resource {
        probe.walk_root(structure, value);
    } else if let Some(def) = probe.def(structure, 0) {
        let type_code = if value_type.is_empty() || !is_primitive(value_type) {
            structure.type_name.as_str()
        } else {
            value_type
        };
        probe.walk_value(def, value, type_code);
    }
    !probe.issues.iter().any(|issue| issue.severity.is_error())
}
