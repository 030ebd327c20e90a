//! Terminology bindings: a coded value against its bound value set, and codings against the
//! local code systems they name.
//!
//! What is checked, for `code`, `string`, `uri`, `Coding`, `CodeableConcept` and `Quantity`
//! values:
//! - the binding (`element.binding`, unless its strength is `example`): with a
//!   [`Expansion::Complete`] value set, membership (system and code; a bare `code`, `string`
//!   or `uri` by code within the value set's systems). Not a member: `required` is an error,
//!   `extensible` a warning and `preferred` information, each naming the value set as
//!   `'Name' (url|version)` in the Java validator's wording. A CodeableConcept passes when any
//!   of its codings is a member; one without codings under a required (extensible) binding is
//!   an error (warning) "No code provided".
//! - a value set that needs a terminology server ([`Expansion::External`]: SNOMED CT, LOINC,
//!   VSAC…): `binding-not-checked`, information (warning for `required`), never a silent
//!   pass. One that could not be expanded here ([`Expansion::Unavailable`]) or is not loaded:
//!   `binding-unavailable`, a warning (information for `preferred`).
//! - each Coding whose system is a loaded CodeSystem (with or without a binding): an unknown
//!   code in a `complete` code system is an error, in a `fragment` a warning; a display that
//!   differs from the code system's display (ignoring case and runs of white space) is a
//!   warning "Wrong Display Name"; a system that is a ValueSet url is an error.
//!
//! Lookups are hash-map gets on the [`Registry`](crate::Registry) and binary searches in the
//! sorted expansion, so nothing is cached per call.

use serde_json::Value;

use super::super::{Cx, Issue, IssueSeverity, IssueType, Location};
use crate::model::{
    BindingStrength, CodeSystemContent, Element, Expansion, StructureDef, ValueSet,
};
use crate::validate::member::Member as _;

/// One coding found in the value.
struct Coded<'a> {
    system: Option<&'a str>,
    code: Option<&'a str>,
    display: Option<&'a str>,
    /// Where the coding is: the value itself, or its `coding[i]`.
    at: Option<usize>,
}

impl Coded<'_> {
    /// Where the coding is (`Observation.code.coding[0]`, or the value's `expression`),
    /// rendered only for an issue.
    fn expression(&self, expression: Location<'_>) -> String {
        match self.at {
            Some(idx) => format!("{expression}.coding[{idx}]"),
            None => expression.render(),
        }
    }

    fn label(&self) -> String {
        format!("{}#{}", self.system.unwrap_or(""), self.code.unwrap_or(""))
    }
}

/// The shape of the value, as far as bindings are concerned.
enum Shape<'a> {
    /// `code`, `string`, `uri`: a bare code.
    Code(&'a str),
    /// `Coding` or `Quantity`: one coding.
    Coding(Coded<'a>),
    /// `CodeableConcept`: any number of codings.
    Concept(smallvec::SmallVec<[Coded<'a>; 2]>),
}

fn coded(value: &Value, at: Option<usize>) -> Coded<'_> {
    Coded {
        system: value.member("system").and_then(Value::as_str),
        code: value.member("code").and_then(Value::as_str),
        display: value.member("display").and_then(Value::as_str),
        at,
    }
}

fn shape<'a>(value: &'a Value, type_code: &str) -> Option<Shape<'a>> {
    match type_code {
        "code" | "string" | "uri" | "http://hl7.org/fhirpath/System.String" => {
            value.as_str().map(Shape::Code)
        }
        "Coding" => Some(Shape::Coding(coded(value, None))),
        "Quantity" | "Age" | "Count" | "Distance" | "Duration" | "SimpleQuantity"
        | "MoneyQuantity" => {
            // A Quantity without a code has nothing to bind (the unit is free text).
            value.member("code")?;
            Some(Shape::Coding(coded(value, None)))
        }
        "CodeableConcept" => {
            let codings = value
                .member("coding")
                .and_then(Value::as_array)
                .map(|codings| {
                    codings
                        .iter()
                        .enumerate()
                        .map(|(idx, coding)| coded(coding, Some(idx)))
                        .collect()
                })
                .unwrap_or_default();
            Some(Shape::Concept(codings))
        }
        _ => None,
    }
}

/// Checks `value` (of FHIR type `type_code`, at `expression`) against the binding of
/// `element` (an element of `structure`, whose package scopes an unversioned value set), and
/// its codings against the loaded code systems.
pub fn check(
    cx: Cx<'_>,
    structure: &StructureDef,
    element: &Element,
    value: &Value,
    type_code: &str,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    check_resolved(
        cx, structure, element, None, value, type_code, expression, issues,
    );
}

/// The ValueSet of `element`'s binding as [`check`] finds it: by canonical as referenced from
/// `structure`'s package, a versioned canonical falling back to the url alone (`None` when
/// not loaded).
pub fn bound_value_set<'r>(
    registry: &'r crate::Registry,
    structure: &StructureDef,
    element: &Element,
) -> Option<&'r ValueSet> {
    let canonical = element.binding.as_ref()?.value_set.as_deref()?;
    let from = registry.package_of(structure);
    registry.value_set_from(canonical, from).or_else(|| {
        let (url, _) = canonical.split_once('|')?;
        registry.value_set_from(url, from)
    })
}

/// As [`check`], with the binding's ValueSet already looked up when `bound` is given
/// ([`bound_value_set`]).
#[allow(clippy::too_many_arguments)]
pub fn check_resolved(
    cx: Cx<'_>,
    structure: &StructureDef,
    element: &Element,
    bound: Option<Option<&ValueSet>>,
    value: &Value,
    type_code: &str,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    let Some(shape) = shape(value, type_code) else {
        return;
    };
    match &shape {
        Shape::Code(_) => {}
        Shape::Coding(coding) => {
            if type_code == "Coding" {
                check_code_system(cx, coding, expression, issues);
            }
        }
        Shape::Concept(codings) => {
            for coding in codings {
                check_code_system(cx, coding, expression, issues);
            }
        }
    }
    let Some(binding) = &element.binding else {
        return;
    };
    if binding.strength == BindingStrength::Example {
        return;
    }
    let Some(canonical) = binding.value_set.as_deref() else {
        return;
    };
    let value_set = match bound {
        Some(value_set) => value_set,
        None => bound_value_set(cx.registry, structure, element),
    };
    check_binding(
        value_set,
        binding.strength,
        canonical,
        &shape,
        expression,
        issues,
    );
}

fn check_binding(
    value_set: Option<&ValueSet>,
    strength: BindingStrength,
    canonical: &str,
    shape: &Shape<'_>,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    // Rendered only for an issue.
    let label = || match value_set {
        Some(vs) => value_set_label(vs),
        None => format!("'{canonical}'"),
    };
    // Codings without a system cannot be judged against anything.
    let codings: &[Coded<'_>] = match shape {
        Shape::Code(_) => &[],
        Shape::Coding(coding) => std::slice::from_ref(coding),
        Shape::Concept(codings) => codings,
    };
    for coding in codings {
        if coding.system.is_none() && coding.code.is_some() {
            issues.push(Issue::new(
                IssueSeverity::Warning,
                IssueType::CodeInvalid,
                "coding-no-system",
                coding.expression(expression),
                "A code with no system has no defined meaning, and it cannot be validated. A system should be provided",
            ));
        }
    }
    if let Shape::Concept(codings) = shape
        && !codings.iter().any(|coding| coding.code.is_some())
    {
        let (severity, message) = match strength {
            BindingStrength::Required => (
                IssueSeverity::Error,
                format!(
                    "No code provided, and a code is required from the value set {}",
                    label()
                ),
            ),
            BindingStrength::Extensible => (
                IssueSeverity::Warning,
                format!(
                    "No code provided, and a code should be provided from the value set {}",
                    label()
                ),
            ),
            BindingStrength::Preferred | BindingStrength::Example => return,
        };
        issues.push(Issue::new(
            severity,
            IssueType::CodeInvalid,
            "binding-no-code",
            expression,
            message,
        ));
        return;
    }
    let Some(value_set) = value_set else {
        issues.push(Issue::new(
            unavailable_severity(strength),
            IssueType::NotFound,
            "binding-unavailable",
            expression,
            format!(
                "ValueSet {} not found, so the value was not checked against it",
                label()
            ),
        ));
        return;
    };
    match &value_set.expansion {
        Expansion::Complete(list) => {
            let member = match shape {
                Shape::Code(code) => list.contains_code(code),
                Shape::Coding(coding) => is_member(list, coding),
                Shape::Concept(codings) => codings.iter().any(|coding| is_member(list, coding)),
            };
            if !member {
                issues.push(not_member(strength, shape, &label(), expression));
            }
        }
        Expansion::External { systems } => {
            let (severity, what) = match strength {
                BindingStrength::Required => (IssueSeverity::Warning, "required"),
                BindingStrength::Extensible => (IssueSeverity::Information, "extensible"),
                BindingStrength::Preferred | BindingStrength::Example => {
                    (IssueSeverity::Information, "preferred")
                }
            };
            issues.push(Issue::new(
                severity,
                IssueType::NotSupported,
                "binding-not-checked",
                expression,
                format!(
                    "The value provided ({}) was not checked against the {what} value set {}: it needs a terminology server ({})",
                    value_label(shape),
                    label(),
                    systems.join(", ")
                ),
            ));
        }
        Expansion::Unavailable { reason } => {
            issues.push(Issue::new(
                unavailable_severity(strength),
                IssueType::NotSupported,
                "binding-unavailable",
                expression,
                format!(
                    "The value provided ({}) was not checked: the value set {} could not be expanded locally ({reason})",
                    value_label(shape),
                    label()
                ),
            ));
        }
    }
}

fn unavailable_severity(strength: BindingStrength) -> IssueSeverity {
    match strength {
        BindingStrength::Required | BindingStrength::Extensible => IssueSeverity::Warning,
        BindingStrength::Preferred | BindingStrength::Example => IssueSeverity::Information,
    }
}

fn is_member(list: &crate::model::CodeList, coding: &Coded<'_>) -> bool {
    match (coding.system, coding.code) {
        (Some(system), Some(code)) => list.contains(system, code),
        _ => false,
    }
}

fn value_label(shape: &Shape<'_>) -> String {
    match shape {
        Shape::Code(code) => format!("'{code}'"),
        Shape::Coding(coding) => coding.label(),
        Shape::Concept(codings) => codes_list(codings),
    }
}

fn codes_list(codings: &[Coded<'_>]) -> String {
    codings
        .iter()
        .filter(|coding| coding.code.is_some())
        .map(Coded::label)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The issue for a value that is not in a complete value set, in the Java validator's words.
fn not_member(
    strength: BindingStrength,
    shape: &Shape<'_>,
    label: &str,
    expression: Location<'_>,
) -> Issue {
    let severity = match strength {
        BindingStrength::Required => IssueSeverity::Error,
        BindingStrength::Extensible => IssueSeverity::Warning,
        BindingStrength::Preferred | BindingStrength::Example => IssueSeverity::Information,
    };
    let message = match shape {
        Shape::Code(code) => {
            let tail = match strength {
                BindingStrength::Required => "and a code is required from this value set",
                BindingStrength::Extensible => {
                    "and a code should come from this value set unless it has no suitable code (note that the validator cannot judge what is suitable)"
                }
                _ => "and a code is recommended to come from this value set",
            };
            format!("The value provided ('{code}') was not found in the value set {label}, {tail}")
        }
        Shape::Coding(coding) => {
            let tail = match strength {
                BindingStrength::Required => "and a code from this value set is required",
                BindingStrength::Extensible => {
                    "and a code should come from this value set unless it has no suitable code (the validator cannot judge what is suitable)"
                }
                _ => "and a code is recommended to come from this value set",
            };
            format!(
                "The code provided ({}) was not found in the value set {label}, {tail}",
                coding.label()
            )
        }
        Shape::Concept(codings) => {
            let tail = match strength {
                BindingStrength::Required => "and a coding from this value set is required",
                BindingStrength::Extensible => {
                    "and a coding should come from this value set unless it has no suitable code (note that the validator cannot judge what is suitable)"
                }
                _ => "and a coding is recommended to come from this value set",
            };
            format!(
                "None of the codings provided are in the value set {label}, {tail} (codes = {})",
                codes_list(codings)
            )
        }
    };
    Issue::new(
        severity,
        IssueType::CodeInvalid,
        "binding-not-in-valueset",
        expression,
        message,
    )
}

/// `'Name' (url|version)`, as the Java validator names a value set.
fn value_set_label(value_set: &ValueSet) -> String {
    let name = value_set.name.as_deref().unwrap_or(&value_set.url);
    match &value_set.version {
        Some(version) => format!("'{name}' ({}|{version})", value_set.url),
        None => format!("'{name}' ({})", value_set.url),
    }
}

/// A coding against the loaded CodeSystem its system names, if any.
fn check_code_system(
    cx: Cx<'_>,
    coding: &Coded<'_>,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    let Some(system) = coding.system else {
        return;
    };
    let Some(code_system) = cx.registry.code_system(system) else {
        if cx.registry.value_set(system).is_some() {
            issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Invalid,
                "coding-system-is-valueset",
                format!("{}.system", coding.expression(expression)),
                format!("The Coding references a value set, not a code system ('{system}')"),
            ));
        }
        return;
    };
    let Some(code) = coding.code else {
        return;
    };
    let version = code_system.version.as_deref().unwrap_or("null");
    let concept = if code_system.case_sensitive {
        code_system.concept(code)
    } else {
        code_system.concept(code).or_else(|| {
            code_system
                .concepts
                .iter()
                .find(|concept| concept.code.eq_ignore_ascii_case(code))
        })
    };
    let Some(concept) = concept else {
        match code_system.content {
            CodeSystemContent::Complete => issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::CodeInvalid,
                "code-unknown",
                format!("{}.code", coding.expression(expression)),
                format!("Unknown code '{code}' in the CodeSystem '{system}' version '{version}'"),
            )),
            CodeSystemContent::Fragment => issues.push(Issue::new(
                IssueSeverity::Warning,
                IssueType::CodeInvalid,
                "code-unknown-fragment",
                format!("{}.code", coding.expression(expression)),
                format!(
                    "Unknown Code '{code}' in the CodeSystem '{system}' version '{version}' - note that the code system is labeled as a fragment, so the code may be valid in some other fragment"
                ),
            )),
            _ => {}
        }
        return;
    };
    if let (Some(display), Some(expected)) = (coding.display, concept.display.as_deref())
        && !same_display(display, expected)
    {
        issues.push(Issue::new(
            IssueSeverity::Warning,
            IssueType::Invalid,
            "display-wrong",
            format!("{}.display", coding.expression(expression)),
            format!(
                "Wrong Display Name '{display}' for {system}#{code}. Valid display is '{expected}' (for the language(s) 'en-US')"
            ),
        ));
    }
}

/// Words compare ignoring case (ASCII without allocating).
fn same_word(x: &str, y: &str) -> bool {
    if x.is_ascii() && y.is_ascii() {
        x.eq_ignore_ascii_case(y)
    } else {
        x.to_lowercase() == y.to_lowercase()
    }
}

/// Displays compare ignoring case and runs of white space.
fn same_display(a: &str, b: &str) -> bool {
    let mut a = a.split_whitespace();
    let mut b = b.split_whitespace();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if same_word(x, y) => {}
            _ => return false,
        }
    }
}
