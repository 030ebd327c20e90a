//! The validator: a resource against its base definition and profiles, to an [`Outcome`].
//!
//! [`Validator::new`] takes the loaded [`Registry`] and compiles every FHIRPath invariant of
//! every loaded profile once ([`rules::invariant::InvariantCache`]); an invariant that does
//! not compile is reported when it applies, never skipped silently. [`Validator::validate`]
//! then walks the resource against the snapshot of each applicable profile ([`walk`]): the base
//! definition of its type, the `meta.profile`s it declares, and the profiles the caller asks
//! for. Element rules that are not about structure (bindings, invariants, references) and the
//! Bundle rules live in [`rules`].
//!
//! Layout:
//! - [`issue`]: [`Issue`], severities and issue types, stable message ids;
//! - [`walk`]: the structural walk (unknown elements, JSON shape, cardinality, primitive
//!   formats, fixed/pattern, slicing, choice types, contained resources, extensions);
//! - [`rules`]: bindings, invariants, references, Bundle rules.

pub mod issue;
mod member;
pub mod rules;
pub mod walk;

use std::sync::Arc;

use serde_json::{Map, Value, json};

pub use issue::{Issue, IssueSeverity, IssueType, Location, Position};

use crate::Registry;
use crate::validate::member::Member as _;
use rules::invariant::InvariantCache;

/// What to validate against, beyond the base definition and the declared `meta.profile`s.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Canonical urls (optionally `|version`) of profiles the resource must conform to.
    pub profiles: Vec<String>,
}

/// Optional checks a site turns on or off, as the Java validator's settings of the same
/// names do. The default matches the Java validator's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    /// `security-checks`: a `string` or `markdown` value that looks like it holds HTML tags
    /// is an error (otherwise an information issue for a `string`).
    pub security: bool,
    /// `noHtmlInMarkdown`: a `markdown` value with what looks like an HTML tag is an error
    /// (otherwise a warning).
    pub no_html_in_markdown: bool,
    /// `validateContains: IGNORE`: contained resources are not validated.
    pub ignore_contained: bool,
    /// `allowExamples`: an extension whose url is under `example.org` or `acme.com` and
    /// whose definition is not loaded is reported as not checked instead of an error (as
    /// for spec and IG examples).
    pub allow_examples: bool,
    /// `validateReference`: whether references are fetched and their targets validated.
    pub references: ReferencePolicy,
}

/// What the validator does with a reference it cannot resolve inside the resource or its
/// Bundle, as the Java validator's `validateReference` setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReferencePolicy {
    /// Not fetched: only its form and the type it names are checked.
    #[default]
    Ignore,
    /// Fetched through the [`ResourceFetcher`]; a fetched target must conform to one of the
    /// element's target profiles (a reference back into a resource being validated is not
    /// followed again).
    CheckValid,
}

/// Finds the resource a reference points to outside the resource being validated (a
/// server, a folder of examples). The validator asks only under
/// [`ReferencePolicy::CheckValid`].
pub trait ResourceFetcher: Send + Sync {
    /// The resource `reference` (as written: `Patient/1`, an absolute url) points to.
    fn fetch(&self, reference: &str) -> Option<Value>;
}

/// A Bundle validation rule (the Java validator's `-bundle rule profile`): the entries it
/// selects must also conform to `profile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleRule {
    /// `Type` (every entry of that type), `Type:n` (the n-th entry of that type, from 0) or
    /// `n` (the n-th entry, from 0).
    pub rule: String,
    /// The canonical of the profile.
    pub profile: String,
}

impl BundleRule {
    /// Whether the rule selects the entry at `entry_index` holding the `type_index`-th
    /// resource of `resource_type`.
    pub fn selects(&self, resource_type: &str, type_index: usize, entry_index: usize) -> bool {
        let index = |text: &str| text.parse::<usize>().ok();
        match self.rule.split_once(':') {
            Some((wanted, n)) => wanted == resource_type && index(n) == Some(type_index),
            None => match index(&self.rule) {
                Some(n) => n == entry_index,
                None => self.rule == resource_type,
            },
        }
    }
}

/// What validating a fetched reference target needs: the fetcher, the walk's cache, and the
/// references (`Type/id` or as written) of the resources being validated, outermost first.
#[derive(Clone, Copy)]
pub struct Fetching<'a> {
    /// Where targets come from.
    pub fetcher: &'a dyn ResourceFetcher,
    /// The walk's precomputed facts, to validate a target.
    pub walk: &'a walk::WalkCache,
    /// The resources being validated, by reference; a reference to one is not followed.
    pub visiting: &'a [String],
}

/// The result of validating one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Every issue found, in the order found.
    pub issues: Vec<Issue>,
    /// The canonical urls of the profiles checked (the base definition first).
    pub profiles_checked: Vec<String>,
}

impl Outcome {
    /// True when no issue is an error or fatal (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self.issues.iter().any(|issue| issue.severity.is_error())
    }

    /// How many issues of each severity: (fatal + error, warning, information).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for issue in &self.issues {
            match issue.severity {
                IssueSeverity::Fatal | IssueSeverity::Error => counts.0 += 1,
                IssueSeverity::Warning => counts.1 += 1,
                IssueSeverity::Information => counts.2 += 1,
            }
        }
        counts
    }

    /// The OperationOutcome: one issue per finding with severity, code, `details.text`,
    /// `expression`, and for JSON input the line and column (as the
    /// `operationoutcome-issue-line`/`-col` extensions). A valid resource gets one
    /// information issue saying so, since an OperationOutcome needs at least one issue.
    pub fn to_operation_outcome(&self) -> Value {
        let mut issues: Vec<Value> = self.issues.iter().map(issue_json).collect();
        if issues.is_empty() {
            issues.push(json!({
                "severity": "information",
                "code": "informational",
                "details": {"text": "No issues found"}
            }));
        }
        json!({"resourceType": "OperationOutcome", "issue": issues})
    }
}

fn issue_json(issue: &Issue) -> Value {
    let mut object = Map::new();
    if let Some(position) = issue.position {
        object.insert(
            "extension".into(),
            json!([
                {"url": "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line", "valueInteger": position.line},
                {"url": "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col", "valueInteger": position.column}
            ]),
        );
    }
    object.insert("severity".into(), json!(issue.severity.as_str()));
    object.insert("code".into(), json!(issue.code.as_str()));
    object.insert(
        "details".into(),
        json!({"coding": [{"system": "urn:fhirgate:validation-message", "code": issue.message_id}], "text": issue.message}),
    );
    // A FHIR string is never empty: an issue about the input as a whole has no expression.
    if !issue.expression.is_empty() {
        object.insert("expression".into(), json!([issue.expression]));
    }
    Value::Object(object)
}

/// Validates resources against the loaded profiles. Cheap to share (`Arc` inside).
#[derive(Clone)]
pub struct Validator {
    registry: Arc<Registry>,
    invariants: Arc<InvariantCache>,
    walk: Arc<walk::WalkCache>,
    checks: Checks,
    fetcher: Option<Arc<dyn ResourceFetcher>>,
    bundle_rules: Arc<[BundleRule]>,
}

/// What a rule needs to know while checking one element.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    /// The loaded definitions and terminology.
    pub registry: &'a Registry,
    /// The compiled invariants.
    pub invariants: &'a InvariantCache,
    /// The resource being validated (`%resource`).
    pub resource: &'a Value,
    /// The enclosing Bundle, when the resource is one of its entries (`%rootResource`,
    /// reference resolution).
    pub bundle: Option<&'a Value>,
    /// The optional checks in force.
    pub checks: Checks,
    /// Reference targets are fetched and validated (with [`ReferencePolicy::CheckValid`]).
    pub fetching: Option<Fetching<'a>>,
    /// Profiles that selected Bundle entries must also conform to.
    pub bundle_rules: &'a [BundleRule],
}

impl Validator {
    /// A validator over `registry`; compiles every invariant of every loaded profile once.
    pub fn new(registry: Arc<Registry>) -> Validator {
        let invariants = Arc::new(InvariantCache::compile(&registry));
        let walk = Arc::new(walk::WalkCache::build(&registry));
        Validator {
            registry,
            invariants,
            walk,
            checks: Checks::default(),
            fetcher: None,
            bundle_rules: Arc::new([]),
        }
    }

    /// This validator with Bundle validation rules: profiles that selected entries of every
    /// Bundle validated must also conform to.
    pub fn with_bundle_rules(mut self, rules: Vec<BundleRule>) -> Validator {
        self.bundle_rules = rules.into();
        self
    }

    /// This validator with a fetcher for reference targets (used under
    /// [`ReferencePolicy::CheckValid`]).
    pub fn with_fetcher(mut self, fetcher: Arc<dyn ResourceFetcher>) -> Validator {
        self.fetcher = Some(fetcher);
        self
    }

    /// This validator with the optional `checks` set.
    pub fn with_checks(mut self, checks: Checks) -> Validator {
        self.checks = checks;
        self
    }

    /// The loaded definitions.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The compiled invariants (and the ones that did not compile).
    pub fn invariants(&self) -> &InvariantCache {
        &self.invariants
    }

    /// What the structural walk precomputed (snapshot trees, regexes, fixed values).
    pub fn walk_cache(&self) -> &walk::WalkCache {
        &self.walk
    }

    /// Validates `resource` against its base definition, its declared `meta.profile`s and
    /// `options.profiles`. A Bundle's entries are validated too, each in the Bundle's context.
    pub fn validate(&self, resource: &Value, options: &ValidateOptions) -> Outcome {
        let fetcher = self
            .fetcher
            .as_ref()
            .filter(|_| self.checks.references == ReferencePolicy::CheckValid);
        // The resources being fetched, to stop at cycles; only kept when fetching.
        let visiting: Vec<String> = match fetcher {
            Some(_) => resource_key(resource).into_iter().collect(),
            None => Vec::new(),
        };
        let fetching = fetcher.map(|fetcher| Fetching {
            fetcher: fetcher.as_ref(),
            walk: &self.walk,
            visiting: &visiting,
        });
        let cx = Cx {
            registry: &self.registry,
            invariants: &self.invariants,
            resource,
            bundle: None,
            checks: self.checks,
            fetching,
            bundle_rules: &self.bundle_rules,
        };
        walk::validate_resource(cx, &self.walk, resource, &options.profiles)
    }
}

/// `Type/id` of a resource with an id.
pub(crate) fn resource_key(resource: &Value) -> Option<String> {
    let resource_type = resource.member("resourceType")?.as_str()?;
    let id = resource.member("id")?.as_str()?;
    Some(format!("{resource_type}/{id}"))
}
