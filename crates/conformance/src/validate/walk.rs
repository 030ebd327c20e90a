//! The structural walk of a resource against the profiles that apply to it.

use serde_json::Value;

use super::{Cx, Issue, IssueSeverity, IssueType, Outcome};

/// Validates `resource` against its base definition, its declared `meta.profile`s and
/// `requested` profiles.
pub fn validate_resource(cx: Cx<'_>, resource: &Value, requested: &[String]) -> Outcome {
    let mut outcome = Outcome::default();
    let Some(resource_type) = resource.get("resourceType").and_then(Value::as_str) else {
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
    outcome.profiles_checked.push(base.canonical());
    let declared = resource
        .pointer("/meta/profile")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned);
    for canonical in declared.chain(requested.iter().cloned()) {
        match cx.registry.structure(&canonical) {
            Some(profile) => outcome.profiles_checked.push(profile.canonical()),
            None => outcome.issues.push(Issue::new(
                IssueSeverity::Warning,
                IssueType::NotFound,
                "profile-unknown",
                resource_type,
                format!(
                    "profile {canonical} is not loaded, so the resource was not checked against it"
                ),
            )),
        }
    }
    outcome
}
