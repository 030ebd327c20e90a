//! References: the target's type against the element's `targetProfile`s, and resolution of
//! the reference inside the resource (`#contained`) and the enclosing Bundle.
//!
//! The allowed target types are the types of the element's `Reference` target profiles
//! (`us-core-patient` → `Patient`); `Resource`, or no target profile, allows any. A target
//! profile that is not loaded is an error once the target's type is known (as in the Java
//! validator: it cannot be checked), and allows no type of its own. The
//! target's type comes from, in order: the resolved target (contained or Bundle entry), the
//! reference url (`Type/id`, `Type/id/_history/v`, `http://server/base/Type/id`,
//! `Type?search` in a transaction), or nothing (a `urn:uuid:` outside a Bundle, a url whose
//! path names no resource type). The `type` element must be an allowed type and agree with
//! the url.
//!
//! Resolution, following the Bundle rules of R4 (§ 2.36.4.1) as the Java validator applies
//! them:
//! - `#id`: a contained resource of [`Cx::resource`] (for a contained resource the walk
//!   passes the container); `#` alone is the container. Not found is an error.
//! - inside a Bundle, `urn:uuid:`/`urn:oid:` and absolute urls match an entry's `fullUrl`;
//!   a relative `Type/id` matches `base/Type/id` where `base` is the root of the referring
//!   entry's RESTful `fullUrl`. An unresolved urn is a warning (as in Java: it may be
//!   resolved by the receiver); an unresolved relative reference in a `document` or
//!   `message` Bundle is an error; more than one match is an error.
//!
//! A resolved target is checked shallowly: its `resourceType` must be an allowed type. It is
//! not validated against non-base target profiles (that would validate each target once
//! per reference; the walk validates every entry against its own declared profiles).

use rustc_hash::FxHashMap;
use serde_json::Value;
use smallvec::SmallVec;

use super::super::walk::validate_resource;
use super::super::{Cx, Fetching, Issue, IssueSeverity, IssueType, Location, resource_key};
use crate::model::{Element, StructureKind};
use crate::validate::member::Member as _;

/// What a reference string says about its target.
#[derive(Debug, PartialEq, Eq)]
enum Target<'a> {
    /// `#id` (`#` alone: the container).
    Contained(&'a str),
    /// `urn:uuid:…` or `urn:oid:…`.
    Urn,
    /// An absolute url, with the resource type and id when its path ends in `Type/id`.
    Absolute(Option<(&'a str, &'a str)>),
    /// `Type/id` or `Type/id/_history/v`.
    Relative(&'a str, &'a str),
    /// `Type?params` (a conditional reference in a transaction).
    Conditional(&'a str),
    /// Anything else.
    Invalid,
}

fn is_resource_type(cx: Cx<'_>, name: &str) -> bool {
    cx.registry
        .base_type(name)
        .is_some_and(|def| def.kind == StructureKind::Resource)
}

/// The `Type/id` at the end of a path (before an optional `/_history/v`).
fn type_and_id<'a>(cx: Cx<'_>, path: &'a str) -> Option<(&'a str, &'a str)> {
    // `…/Type/id`, or `…/Type/id/_history/version`.
    let mut segments = path.rsplit('/');
    let last = segments.next()?;
    let before = segments.next()?;
    let (id, resource_type) = if before == "_history" {
        (segments.next()?, segments.next()?)
    } else {
        (last, before)
    };
    (is_resource_type(cx, resource_type) && !id.is_empty()).then_some((resource_type, id))
}

fn parse<'a>(cx: Cx<'_>, reference: &'a str) -> Target<'a> {
    if let Some(id) = reference.strip_prefix('#') {
        return Target::Contained(id);
    }
    if reference.starts_with("urn:uuid:") || reference.starts_with("urn:oid:") {
        return Target::Urn;
    }
    if reference.contains("://") {
        let path = reference.split(['?', '#']).next().unwrap_or(reference);
        return Target::Absolute(type_and_id(cx, path));
    }
    if let Some((resource_type, _)) = reference.split_once('?') {
        return if is_resource_type(cx, resource_type) {
            Target::Conditional(resource_type)
        } else {
            Target::Invalid
        };
    }
    match type_and_id(cx, reference) {
        Some((resource_type, id))
            if reference.split('/').count() == 2 || reference.contains("/_history/") =>
        {
            Target::Relative(resource_type, id)
        }
        _ => Target::Invalid,
    }
}

/// What an element's target profiles allow: resolved once per element when the walk's
/// cache is built ([`ReferenceTargets::of`]).
#[derive(Debug, Clone, Default)]
pub struct ReferenceTargets {
    /// The resource types allowed as targets; `None` for any.
    allowed: Option<Vec<Box<str>>>,
    /// The target profiles that are not loaded (their type is unknown).
    unknown: Vec<Box<str>>,
}

impl ReferenceTargets {
    /// The targets `element`'s Reference types allow, resolved in `registry`.
    pub fn of(registry: &crate::Registry, element: &Element) -> ReferenceTargets {
        let (allowed, unknown) = allowed_types(registry, element);
        ReferenceTargets {
            allowed: allowed.map(|types| types.into_iter().map(Box::from).collect()),
            unknown: unknown.into_iter().map(Box::from).collect(),
        }
    }
}

/// The resource types allowed as targets (`None` for any), and the target profiles that are
/// not loaded (their type is unknown).
fn allowed_types<'x>(
    registry: &'x crate::Registry,
    element: &'x Element,
) -> (Option<Vec<&'x str>>, Vec<&'x str>) {
    let mut allowed = Vec::new();
    let mut unknown = Vec::new();
    for type_ref in element.types.iter().filter(|t| t.code == "Reference") {
        if type_ref.target_profiles.is_empty() {
            return (None, Vec::new());
        }
        for profile in &type_ref.target_profiles {
            let type_name = match registry.structure(profile) {
                Some(def) => def.type_name.as_str(),
                None => match profile.strip_prefix("http://hl7.org/fhir/StructureDefinition/") {
                    Some(name) => name.split('|').next().unwrap_or(name),
                    None => {
                        unknown.push(profile.as_str());
                        continue;
                    }
                },
            };
            if type_name == "Resource" || type_name == "DomainResource" {
                return (None, Vec::new());
            }
            if !allowed.contains(&type_name) {
                allowed.push(type_name);
            }
        }
    }
    if allowed.is_empty() && unknown.is_empty() {
        (None, unknown)
    } else {
        (Some(allowed), unknown)
    }
}

/// The entries of one Bundle by fullUrl (without `/_history/v`) and by resource, so that
/// resolving a reference does not scan every entry. Built once per Bundle by the walk; the
/// answers are those of the scans it replaces.
#[derive(Debug)]
pub struct BundleIndex<'b> {
    bundle: &'b Value,
    /// Entry positions by unversioned fullUrl, in entry order.
    by_url: FxHashMap<&'b str, SmallVec<[u32; 1]>>,
    /// The first entry position of each entry resource, by address.
    by_resource: FxHashMap<usize, u32>,
}

impl<'b> BundleIndex<'b> {
    /// Indexes the entries of `bundle`.
    pub fn new(bundle: &'b Value) -> BundleIndex<'b> {
        let mut index = BundleIndex {
            bundle,
            by_url: FxHashMap::default(),
            by_resource: FxHashMap::default(),
        };
        let entries = bundle.member("entry").and_then(Value::as_array);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            if let Some(url) = entry.member("fullUrl").and_then(Value::as_str) {
                index.by_url.entry(unversioned(url)).or_default().push(i);
            }
            if let Some(resource) = entry.member("resource") {
                index
                    .by_resource
                    .entry(std::ptr::from_ref(resource) as usize)
                    .or_insert(i);
            }
        }
        index
    }

    /// The Bundle indexed.
    pub fn bundle(&self) -> &'b Value {
        self.bundle
    }
}

/// Checks the Reference `value` (at `expression`) against `element`'s target profiles, and
/// resolves it in the resource and the enclosing Bundle.
pub fn check(
    cx: Cx<'_>,
    element: &Element,
    value: &Value,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    check_indexed(cx, None, None, element, value, expression, issues);
}

/// As [`check`], with the enclosing Bundle's entries indexed (`index` is used only when it
/// is the index of `cx.bundle`) and `element`'s targets resolved (`targets`, computed here
/// when `None`).
pub fn check_indexed(
    cx: Cx<'_>,
    index: Option<&BundleIndex<'_>>,
    targets: Option<&ReferenceTargets>,
    element: &Element,
    value: &Value,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    let resolved;
    let targets = match targets {
        Some(targets) => targets,
        None => {
            resolved = ReferenceTargets::of(cx.registry, element);
            &resolved
        }
    };
    let allowed = targets.allowed.as_deref();
    let allows = |types: &[Box<str>], name: &str| types.iter().any(|t| **t == *name);
    let unknown_profiles = &targets.unknown;
    let declared_type = value.member("type").and_then(Value::as_str);
    if let (Some(declared), Some(allowed)) = (declared_type, allowed)
        && unknown_profiles.is_empty()
        && !allows(allowed, declared)
    {
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Structure,
            "reference-type-not-allowed",
            expression,
            format!(
                "The type '{declared}' is not a valid Target for this element (must be one of [{}])",
                allowed.join(", ")
            ),
        ));
    }
    let Some(reference) = value.member("reference").and_then(Value::as_str) else {
        return;
    };
    let target = parse(cx, reference);
    let mut implied: Option<&str> = match target {
        Target::Relative(resource_type, _) | Target::Conditional(resource_type) => {
            Some(resource_type)
        }
        Target::Absolute(Some((resource_type, _))) => Some(resource_type),
        _ => None,
    };
    let mut resolved_type: Option<&str> = None;
    match target {
        // A longer path whose segments are not `Type/id/_history/v` (as the Java validator: a
        // warning to check it, the server may know what it means); an id alone or an unknown
        // `Type/id` is an error.
        Target::Invalid if reference.split('/').count() > 2 && !reference.contains('?') => {
            issues.push(Issue::new(
                IssueSeverity::Warning,
                IssueType::Invalid,
                "reference-suspicious",
                expression,
                format!(
                    "The syntax of the reference '{reference}' looks incorrect, and it should be checked"
                ),
            ));
            return;
        }
        Target::Invalid => {
            issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Invalid,
                "reference-format",
                expression,
                format!(
                    "Relative URLs must be of the format [ResourceName]/[id]. Encountered {reference}"
                ),
            ));
            return;
        }
        Target::Contained(id) => match resolve_contained(cx.resource, id) {
            Some(found) => resolved_type = found.member("resourceType").and_then(Value::as_str),
            None => {
                issues.push(Issue::new(
                    IssueSeverity::Error,
                    IssueType::Structure,
                    "reference-unresolved",
                    expression,
                    format!("Unable to resolve resource with reference '{reference}'"),
                ));
                return;
            }
        },
        _ => {
            if let Some(bundle) = cx.bundle {
                let index = index.filter(|index| std::ptr::eq(index.bundle, bundle));
                resolved_type =
                    resolve_in_bundle(cx, bundle, index, reference, &target, expression, issues);
            }
        }
    }
    if resolved_type.is_none()
        && let Some(fetching) = cx.fetching
        && matches!(target, Target::Relative(..) | Target::Absolute(_))
    {
        check_fetched(cx, fetching, element, reference, expression, issues);
    }
    if resolved_type.is_some() {
        implied = resolved_type;
    }
    if let (Some(declared), Some(implied)) = (declared_type, implied)
        && declared != implied
    {
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Structure,
            "reference-type-mismatch",
            expression,
            format!(
                "The type '{declared}' in the reference does not match the type '{implied}' of the target ({reference})"
            ),
        ));
    }
    // As the Java validator: once the target's type is known, each target profile must be
    // loaded, and the target's type must be one of the loaded profiles' types.
    if implied.is_some() {
        for profile in unknown_profiles {
            issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Structure,
                "reference-profile-unknown",
                expression,
                format!("Unable to resolve the profile reference '{profile}'"),
            ));
        }
    }
    if let (Some(implied), Some(allowed)) = (implied, allowed)
        && !allows(allowed, implied)
    {
        let message = if resolved_type.is_some() {
            format!(
                "Invalid Resource target type. Found {implied}, but expected one of ({})",
                allowed.join(", ")
            )
        } else {
            format!(
                "The type '{implied}' implied by the reference URL {reference} is not a valid Target for this element (must be one of [{}])",
                allowed.join(", ")
            )
        };
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Structure,
            "reference-target-type",
            expression,
            message,
        ));
    }
}

/// A `canonical` whose element names target profiles: when it resolves to a loaded
/// definition (a StructureDefinition, ValueSet or CodeSystem), that definition's resource
/// type must be one the target profiles allow.
pub fn check_canonical(
    cx: Cx<'_>,
    element: &Element,
    value: &Value,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    let Some(url) = value.as_str() else {
        return;
    };
    let mut allowed: Vec<&str> = Vec::new();
    for profile in element
        .types
        .iter()
        .filter(|t| t.code == "canonical")
        .flat_map(|t| &t.target_profiles)
    {
        let type_name = match cx.registry.structure(profile) {
            Some(def) => def.type_name.as_str(),
            None => match profile.strip_prefix("http://hl7.org/fhir/StructureDefinition/") {
                Some(name) => name.split('|').next().unwrap_or(name),
                None => return,
            },
        };
        if matches!(type_name, "Resource" | "DomainResource") {
            return;
        }
        allowed.push(type_name);
    }
    if allowed.is_empty() {
        return;
    }
    let found = if cx.registry.structure(url).is_some() {
        "StructureDefinition"
    } else if cx.registry.value_set(url).is_some() {
        "ValueSet"
    } else if cx.registry.code_system(url).is_some() {
        "CodeSystem"
    } else {
        return;
    };
    if !allowed.contains(&found) {
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Structure,
            "canonical-type",
            expression,
            format!(
                "Canonical URL '{url}' refers to a resource that has the wrong type. Found {found} expecting one of [{}]",
                allowed.join(", ")
            ),
        ));
    }
}

/// Under [`ReferencePolicy::CheckValid`](super::super::ReferencePolicy): fetches the target
/// and validates it against the element's target profiles of its type; it must conform to
/// one. A reference to a resource being validated (a circle) is not followed again.
fn check_fetched(
    cx: Cx<'_>,
    fetching: Fetching<'_>,
    element: &Element,
    reference: &str,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    if fetching.visiting.iter().any(|v| v == reference) {
        return;
    }
    let Some(target) = fetching.fetcher.fetch(reference) else {
        return;
    };
    let target_type = target.member("resourceType").and_then(Value::as_str);
    let profiles: Vec<&str> = element
        .types
        .iter()
        .filter(|t| t.code == "Reference")
        .flat_map(|t| &t.target_profiles)
        .map(String::as_str)
        .filter(|p| {
            cx.registry
                .structure(p)
                .is_some_and(|def| Some(def.type_name.as_str()) == target_type)
        })
        .collect();
    if profiles.is_empty() {
        return;
    }
    let mut visiting = fetching.visiting.to_vec();
    visiting.push(reference.to_string());
    visiting.extend(resource_key(&target));
    let inner = Fetching {
        visiting: &visiting,
        ..fetching
    };
    let conforms = profiles.iter().any(|profile| {
        let cx = Cx {
            resource: &target,
            bundle: None,
            fetching: Some(inner),
            ..cx
        };
        let requested = [(*profile).to_string()];
        validate_resource(cx, fetching.walk, &target, &requested).is_valid()
    });
    if !conforms {
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Structure,
            "reference-profile-mismatch",
            expression,
            format!(
                "Unable to find a profile match for {reference} among choices: {}",
                profiles.join(", ")
            ),
        ));
    }
}

fn resolve_contained<'a>(resource: &'a Value, id: &str) -> Option<&'a Value> {
    if id.is_empty() {
        return Some(resource);
    }
    resource
        .member("contained")
        .and_then(Value::as_array)?
        .iter()
        .find(|contained| contained.member("id").and_then(Value::as_str) == Some(id))
}

/// The root of a RESTful fullUrl (`http://server/base/` for `http://server/base/Type/id`).
fn restful_base<'a>(cx: Cx<'_>, full_url: &'a str) -> Option<&'a str> {
    if !full_url.contains("://") {
        return None;
    }
    let (resource_type, id) = type_and_id(cx, full_url)?;
    let suffix_at = full_url.find(&format!("/{resource_type}/{id}"))?;
    full_url.get(..=suffix_at)
}

/// Resolves a reference among the Bundle's entries; returns the target's resourceType.
fn resolve_in_bundle<'b>(
    cx: Cx<'b>,
    bundle: &'b Value,
    index: Option<&BundleIndex<'_>>,
    reference: &str,
    target: &Target<'_>,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) -> Option<&'b str> {
    let entries = bundle.member("entry").and_then(Value::as_array)?;
    let full_url = |entry: &'b Value| entry.member("fullUrl").and_then(Value::as_str);
    let wanted: std::borrow::Cow<'_, str> = match target {
        Target::Urn | Target::Absolute(_) => reference.into(),
        Target::Relative(..) => {
            let referrer = match index {
                Some(index) => index
                    .by_resource
                    .get(&(std::ptr::from_ref(cx.resource) as usize))
                    .and_then(|&i| entries.get(i as usize)),
                None => entries.iter().find(|entry| {
                    entry
                        .member("resource")
                        .is_some_and(|r| std::ptr::eq(r, cx.resource))
                }),
            };
            let referrer = referrer?;
            let Some(referrer_url) = full_url(referrer) else {
                let bundle_type = bundle.member("type").and_then(Value::as_str);
                if !matches!(bundle_type, Some("transaction" | "batch")) {
                    issues.push(Issue::new(
                        IssueSeverity::Error,
                        IssueType::Required,
                        "reference-relative-no-fullurl",
                        expression,
                        "Relative Reference appears inside Bundle whose entry is missing a fullUrl",
                    ));
                }
                return None;
            };
            match restful_base(cx, referrer_url) {
                Some(base) => format!("{base}{reference}").into(),
                // A urn fullUrl: relative references mean the server's base, not the Bundle.
                None => reference.into(),
            }
        }
        _ => return None,
    };
    let mut matches: SmallVec<[&Value; 2]> = match index {
        Some(index) => index
            .by_url
            .get(unversioned(&wanted))
            .into_iter()
            .flatten()
            .filter_map(|&i| entries.get(i as usize)?.member("resource"))
            .collect(),
        None => entries
            .iter()
            .filter(|entry| full_url(entry).is_some_and(|url| same_url(url, &wanted)))
            .filter_map(|entry| entry.member("resource"))
            .collect(),
    };
    // Several versions of one resource (as a history or a document may hold): a versioned
    // reference means the one with that `meta.versionId`.
    if matches.len() > 1
        && let Some((_, version)) = wanted.split_once("/_history/")
    {
        matches.retain(|r| {
            r.member("meta")
                .and_then(|v| v.member("versionId"))
                .and_then(Value::as_str)
                == Some(version)
        });
    }
    // `Type/id` where the entries are named by `urn:uuid:` fullUrls: the Java validator
    // also matches the entry whose fullUrl is `urn:uuid:<id>`, and its resource must be of
    // that type.
    if matches.is_empty()
        && let Target::Relative(wanted_type, id) = target
        && let Some(found) = {
            let urn = format!("urn:uuid:{id}");
            let is_urn = |entry: &&'b Value| full_url(entry) == Some(urn.as_str());
            match index {
                Some(index) => index
                    .by_url
                    .get(unversioned(&urn))
                    .into_iter()
                    .flatten()
                    .filter_map(|&i| entries.get(i as usize))
                    .find(is_urn),
                None => entries.iter().find(is_urn),
            }
            .and_then(|entry| entry.member("resource"))
        }
    {
        let found_type = found.member("resourceType").and_then(Value::as_str);
        if found_type.is_some_and(|t| t != *wanted_type) {
            issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Structure,
                "reference-wrong-type",
                expression,
                format!(
                    "Matching reference for reference {reference} has resourceType {}",
                    found_type.unwrap_or("?")
                ),
            ));
            return None;
        }
        return found_type;
    }
    match matches.as_slice() {
        [one] => one.member("resourceType").and_then(Value::as_str),
        [] => {
            let bundle_type = bundle.member("type").and_then(Value::as_str);
            match target {
                Target::Urn => issues.push(Issue::new(
                    IssueSeverity::Warning,
                    IssueType::Required,
                    "reference-urn-unresolved",
                    expression,
                    format!("URN reference is not locally contained within the bundle {reference}"),
                )),
                Target::Relative(..) | Target::Absolute(_)
                    if matches!(bundle_type, Some("document" | "message")) =>
                {
                    issues.push(Issue::new(
                        IssueSeverity::Error,
                        IssueType::Invalid,
                        "reference-unresolved",
                        expression,
                        format!("Can't find '{reference}' in the bundle"),
                    ));
                }
                _ => {}
            }
            None
        }
        more => {
            issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Invalid,
                "reference-ambiguous",
                expression,
                format!(
                    "Found {} matches for '{reference}' in the bundle",
                    more.len()
                ),
            ));
            None
        }
    }
}

/// A url without its `/_history/v` suffix.
fn unversioned(url: &str) -> &str {
    url.split_once("/_history/").map_or(url, |(url, _)| url)
}

/// fullUrl equality, ignoring a `/_history/v` suffix on either side.
fn same_url(full_url: &str, wanted: &str) -> bool {
    full_url == wanted || unversioned(full_url) == unversioned(wanted)
}
