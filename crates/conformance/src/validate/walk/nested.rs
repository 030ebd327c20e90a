//! Nested resources (`contained`, `Bundle.entry.resource`, `Parameters.parameter.resource`)
//! and the profiles that apply to a resource.

use serde_json::Value;

use super::{Def, MAX_NESTING, Walker};
use crate::model::{Derivation, StructureDef};
use crate::validate::member::Member as _;
use crate::validate::{IssueSeverity, IssueType};

/// The profiles a resource is walked against (usually one or two).
pub(super) type Profiles<'a> = smallvec::SmallVec<[&'a StructureDef; 4]>;

impl<'a> Walker<'a> {
    /// The base definition, then declared and requested profiles (unknown ones reported).
    pub(super) fn profiles(
        &mut self,
        base: &'a StructureDef,
        resource: &'a Value,
        requested: &[String],
    ) -> Profiles<'a> {
        let mut profiles: Profiles<'a> = smallvec::smallvec![base];
        let declared = resource
            .member("meta")
            .and_then(|v| v.member("profile"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        let requested = requested.iter().map(String::as_str);
        for canonical in declared.chain(requested) {
            match self.cx.registry.structure(canonical) {
                Some(profile) if !profiles.iter().any(|p| std::ptr::eq(*p, profile)) => {
                    profiles.push(profile);
                }
                Some(_) => {}
                None => self.issue(
                    IssueSeverity::Warning,
                    IssueType::NotFound,
                    "profile-unknown",
                    format!(
                        "Profile reference '{canonical}' has not been checked because it is not loaded"
                    ),
                ),
            }
        }
        profiles
    }

    /// The profiles to walk: the base definition is left out when a constraint on the same
    /// type is walked, since that profile's snapshot holds every base element and invariant
    /// (walking both would check everything twice).
    pub(super) fn to_walk(profiles: &[&'a StructureDef]) -> Profiles<'a> {
        let Some((base, rest)) = profiles.split_first() else {
            return Profiles::new();
        };
        let covered = rest
            .iter()
            .any(|p| p.derivation == Some(Derivation::Constraint) && p.type_name == base.type_name);
        let skip = usize::from(covered);
        profiles.iter().skip(skip).copied().collect()
    }

    /// The profiles of the element's type (`Bundle.entry.resource` typed `Resource` with
    /// profile `DocumentManifest`) that a nested resource of `resource_type` must conform to.
    /// A resource of a type none of them constrains is an error; a profile that is not loaded
    /// cannot be judged and allows any type.
    fn type_profiles(&mut self, def: Def<'a>, resource_type: &str) -> Vec<String> {
        let Some(element) = def.element() else {
            return Vec::new();
        };
        let mut matching = Vec::new();
        let mut allowed: Vec<&str> = Vec::new();
        for canonical in element.types.iter().flat_map(|t| &t.profiles) {
            let Some(profile) = self.cx.registry.structure(canonical) else {
                return Vec::new();
            };
            if matches!(profile.type_name.as_str(), "Resource" | "DomainResource") {
                return Vec::new();
            }
            if profile.type_name == resource_type {
                matching.push(canonical.clone());
            } else if !allowed.contains(&profile.type_name.as_str()) {
                allowed.push(&profile.type_name);
            }
        }
        if matching.is_empty() && !allowed.is_empty() {
            let message = format!(
                "The type '{resource_type}' is not valid - must be {}",
                allowed.join(" or ")
            );
            self.error(IssueType::Structure, "resource-type-not-allowed", message);
        }
        matching
    }

    /// The profiles of the Bundle rules that select the entry holding `resource` (the
    /// enclosing Bundle is `cx.bundle`).
    fn bundle_rule_profiles(&self, resource: &Value, resource_type: &str) -> Vec<String> {
        let rules = self.cx.bundle_rules;
        if rules.is_empty() {
            return Vec::new();
        }
        let entries = self
            .cx
            .bundle
            .and_then(|b| b.member("entry"))
            .and_then(Value::as_array);
        let Some(entries) = entries else {
            return Vec::new();
        };
        let of_type = |entry: &Value| {
            entry
                .member("resource")
                .and_then(|v| v.member("resourceType"))
                .and_then(Value::as_str)
                == Some(resource_type)
        };
        let Some(entry_index) = entries.iter().position(|e| {
            e.member("resource")
                .is_some_and(|r| std::ptr::eq(r, resource))
        }) else {
            return Vec::new();
        };
        let type_index = entries
            .get(..entry_index)
            .map_or(0, |before| before.iter().filter(|e| of_type(e)).count());
        rules
            .iter()
            .filter(|rule| rule.selects(resource_type, type_index, entry_index))
            .map(|rule| rule.profile.clone())
            .collect()
    }

    /// Validates a nested resource against its base definition, its declared profiles and
    /// the profiles of its element's type.
    pub(super) fn walk_nested(&mut self, def: Def<'a>, value: &'a Value) {
        let Some(resource_type) = value.member("resourceType").and_then(Value::as_str) else {
            self.error(
                IssueType::Structure,
                "resource-type-missing",
                "The nested resource has no resourceType".into(),
            );
            return;
        };
        let Some(base) = self.cx.registry.base_type(resource_type) else {
            let message = format!("{resource_type:?} is not an R4 resource type");
            self.error(IssueType::Structure, "resource-type-unknown", message);
            return;
        };
        if self.nesting >= MAX_NESTING {
            let message = "Resources are nested too deeply to validate".to_string();
            self.error(IssueType::Structure, "resource-nesting", message);
            return;
        }
        if self.checks.ignore_contained
            && def
                .element()
                .is_some_and(|e| e.path.ends_with(".contained"))
        {
            return;
        }
        let saved = (self.cx, self.resource_start, self.resource_type);
        let path = def.element().map_or("", |e| e.path.as_str());
        if path == "Bundle.entry.resource" {
            self.cx.bundle = Some(self.cx.resource);
            self.cx.resource = value;
        } else if path == "Parameters.parameter.resource" {
            self.cx.resource = value;
        }
        self.resource_start = self.path.len();
        self.resource_type = resource_type;
        self.nesting += 1;
        if resource_type == "Bundle" {
            crate::validate::rules::bundle::check(self.cx, value, &mut self.issues);
        }
        let mut requested = self.type_profiles(def, resource_type);
        if path == "Bundle.entry.resource" {
            requested.extend(self.bundle_rule_profiles(value, resource_type));
        }
        let profiles = self.profiles(base, value, &requested);
        for structure in Self::to_walk(&profiles) {
            self.walk_root(structure, value);
        }
        self.nesting -= 1;
        (self.cx, self.resource_start, self.resource_type) = saved;
    }
}
