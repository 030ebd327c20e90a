//! FHIRPath invariants: compiled once when the profiles load, evaluated per element.
//!
//! Every constraint expression of every loaded StructureDefinition is parsed once into a
//! [`fhirpath::Expression`]. One that does not parse is kept with its error, so that where it
//! applies the validator reports "invariant not checked" instead of skipping it.
//!
//! [`check`] evaluates each constraint of an element with the value as the focus
//! (`%context`), the resource as `%resource` and the enclosing Bundle as `%rootResource`:
//! - the result is read as the Java validator reads it: a single boolean is that boolean,
//!   an empty result is false, any other non-empty result is true;
//! - false: `invariant-failed`, an error or a warning as the constraint says, with the
//!   message "Constraint failed: key: 'human'";
//! - an evaluation error (such as `memberOf()`, which needs a terminology server), or an
//!   expression that did not compile: `invariant-not-checked`, a warning naming the key and
//!   the reason;
//! - a constraint with no FHIRPath expression (a few R4 ones have only XPath):
//!   `invariant-not-checked`, information.
//!
//! Nothing is skipped: [`SKIPPED`] is empty. `htmlChecks()` (txt-1, txt-2) is true in the
//! `fhirpath` crate, so the XHTML rules are not checked here; the walk owns narrative checks.

use std::collections::HashMap;

use fhirpath::{Environment, Expression, Item, Scope};
use serde_json::Value;

use super::super::{Cx, Issue, IssueSeverity, IssueType};
use crate::Registry;
use crate::model::{Element, Severity};

/// Invariant keys that are not evaluated, with the reason. Empty: every invariant is
/// evaluated (an entry here must say why the rule cannot matter).
pub const SKIPPED: [(&str, &str); 0] = [];

/// Every invariant expression of the loaded profiles, compiled.
#[derive(Debug, Default)]
pub struct InvariantCache {
    compiled: HashMap<String, Result<Expression, String>>,
}

impl InvariantCache {
    /// Compiles the invariants of every structure in `registry` (each distinct text once).
    pub fn compile(registry: &Registry) -> InvariantCache {
        let mut compiled = HashMap::new();
        for structure in registry.structures() {
            for element in &structure.elements {
                for constraint in &element.constraints {
                    let Some(text) = &constraint.expression else {
                        continue;
                    };
                    compiled.entry(text.clone()).or_insert_with(|| {
                        Expression::parse(text).map_err(|error| error.to_string())
                    });
                }
            }
        }
        InvariantCache { compiled }
    }

    /// The compiled expression, or why it did not compile; `None` for a text not loaded.
    pub fn get(&self, text: &str) -> Option<&Result<Expression, String>> {
        self.compiled.get(text)
    }

    /// How many distinct expressions compiled, and how many did not.
    pub fn counts(&self) -> (usize, usize) {
        let failed = self.compiled.values().filter(|r| r.is_err()).count();
        (self.compiled.len() - failed, failed)
    }

    /// The expressions that did not compile, with the parser's message, sorted.
    pub fn failures(&self) -> Vec<(&str, &str)> {
        let mut failures: Vec<(&str, &str)> = self
            .compiled
            .iter()
            .filter_map(|(text, result)| result.as_ref().err().map(|e| (text.as_str(), e.as_str())))
            .collect();
        failures.sort_unstable();
        failures
    }
}

/// Evaluates the invariants of `element` on `value` (of FHIR type `type_code`, at
/// `expression`); for the root element `value` is the resource itself.
pub fn check(
    cx: Cx<'_>,
    element: &Element,
    value: &Value,
    type_code: &str,
    expression: &str,
    issues: &mut Vec<Issue>,
) {
    if element.constraints.is_empty() {
        return;
    }
    let env = Environment::default();
    for constraint in &element.constraints {
        if SKIPPED.iter().any(|(key, _)| *key == constraint.key) {
            continue;
        }
        let Some(text) = constraint.expression.as_deref() else {
            issues.push(Issue::new(
                IssueSeverity::Information,
                IssueType::NotSupported,
                "invariant-not-checked",
                expression,
                format!(
                    "Constraint not checked: {}: '{}' (it has no FHIRPath expression)",
                    constraint.key, constraint.human
                ),
            ));
            continue;
        };
        // An element that did not come from the registry (a test, a run-time profile) gets its
        // expression compiled here.
        let parsed;
        let compiled = match cx.invariants.get(text) {
            Some(compiled) => compiled.as_ref(),
            None => {
                parsed = Expression::parse(text).map_err(|error| error.to_string());
                parsed.as_ref()
            }
        };
        let expr = match compiled {
            Ok(expr) => expr,
            Err(error) => {
                issues.push(not_checked(
                    &constraint.key,
                    &constraint.human,
                    expression,
                    error,
                ));
                continue;
            }
        };
        let scope = Scope {
            resource: cx.resource,
            root_resource: cx.bundle,
            context: Some((value, Some(type_code))),
        };
        match expr.evaluate_in(scope, &env) {
            Ok(result) if is_true(&result) => {}
            Ok(_) => {
                let severity = match constraint.severity {
                    Severity::Error => IssueSeverity::Error,
                    Severity::Warning => IssueSeverity::Warning,
                };
                issues.push(Issue::new(
                    severity,
                    IssueType::Invariant,
                    "invariant-failed",
                    expression,
                    format!(
                        "Constraint failed: {}: '{}'",
                        constraint.key, constraint.human
                    ),
                ));
            }
            Err(error) => issues.push(not_checked(
                &constraint.key,
                &constraint.human,
                expression,
                &error.to_string(),
            )),
        }
    }
}

fn not_checked(key: &str, human: &str, expression: &str, why: &str) -> Issue {
    Issue::new(
        IssueSeverity::Warning,
        IssueType::NotSupported,
        "invariant-not-checked",
        expression,
        format!("Constraint not checked: {key}: '{human}' ({why})"),
    )
}

/// The Java validator's reading of a result: one boolean is itself, empty is false, anything
/// else is true.
fn is_true(result: &[Item<'_>]) -> bool {
    match result {
        [] => false,
        [single] => match single.to_system() {
            Item::Boolean(b) => b,
            _ => true,
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invariant_of_the_committed_profiles_compiles() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
        let registry = Registry::load_dir(dir).unwrap();
        let cache = InvariantCache::compile(&registry);
        let (ok, failed) = cache.counts();
        eprintln!("invariants: {ok} compiled, {failed} did not");
        for (text, error) in cache.failures() {
            eprintln!("  {text}\n    {error}");
        }
        // R4 core and US Core hold 23,571 constraints with 242 distinct expressions.
        assert!(ok >= 240, "distinct invariant expressions: {ok}");
        assert_eq!(failed, 0, "every invariant must compile");
    }
}
