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
//! Two lists, each entry with its reason, change what is evaluated:
//! - [`SKIPPED`]: the best-practice invariants of R4 (`dom-6`, `con-3`, marked with the
//!   `elementdefinition-bestpractice` extension), which the Java validator does not report by
//!   default;
//! - [`WALK_CHECKED`]: `ele-1` (every element has a value or children), which applies to
//!   every element of every resource and so dominated validation time; the structural walk
//!   checks exactly it (an empty object, an object with only `id`, an empty string, `null`,
//!   a primitive whose `_name` companion has no extension), on the same location.
//!
//! Nothing else is skipped.
//! - [`CORRECTIONS`] (and [`corrected`]): published R4 expressions that are wrong as written
//!   under FHIRPath's rules, mostly because they are empty, not true, when the element they
//!   test is absent (`bdl-8` on an entry without `fullUrl`, `ref-1` on a Reference without
//!   `reference`). The corrected text is compiled in its place, so the rule keeps its meaning
//!   without false failures. The Java validator makes the same kind of corrections.
//!
//! `htmlChecks()` (txt-1, txt-2) is true in the `fhirpath` crate, so the XHTML rules are not
//! checked here; the walk owns narrative checks.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock, RwLock};

use rustc_hash::FxHashMap;

use fhir::r4_types::TypeTable;
use fhirpath::{Environment, Expression, Item, Scope};
use serde_json::Value;

use super::super::{Cx, Issue, IssueSeverity, IssueType, Location};
use crate::Registry;
use crate::model::{Element, Severity};

/// Invariant keys that are not evaluated, with the reason.
pub const SKIPPED: [(&str, &str); 2] = [
    (
        "dom-6",
        "best practice (a resource should have narrative); not reported by default by the Java validator",
    ),
    (
        "con-3",
        "best practice (clinicalStatus for a problem-list item); not reported by default by the Java validator",
    ),
];

/// Invariant keys the structural walk checks itself, with the reason; not evaluated here.
pub const WALK_CHECKED: [(&str, &str); 1] = [(
    "ele-1",
    "the walk reports an element without a value or children (empty object or string, null, only an id, a primitive companion without extension); evaluating it on every element was most of the validation time",
)];

/// Whether `key` is evaluated by [`check`] (not in [`SKIPPED`] or [`WALK_CHECKED`]).
pub fn evaluated(key: &str) -> bool {
    !SKIPPED
        .iter()
        .chain(WALK_CHECKED.iter())
        .any(|(k, _)| *k == key)
}

/// Whether [`check`] has anything to evaluate on `element`.
pub fn applies(element: &Element) -> bool {
    element.constraints.iter().any(|c| evaluated(&c.key))
}

/// Published invariant expressions that are wrong as written, with the text evaluated
/// instead: `(key, published, corrected, why)`.
pub const CORRECTIONS: [(&str, &str, &str, &str); 6] = [
    (
        "bdl-8",
        "fullUrl.contains('/_history/').not()",
        "fullUrl.empty() or fullUrl.contains('/_history/').not()",
        "empty, not true, for an entry without fullUrl",
    ),
    (
        "ref-1",
        "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))",
        "reference.empty() or reference.startsWith('#').not() or reference = '#' or (reference.substring(1) in %resource.contained.id)",
        "empty for a Reference without reference; `#` alone is the container; the contained resources are those of %resource (the container), while %rootResource is the Bundle here; the common case (not `#…`) is tested first, which `or` allows",
    ),
    (
        "*-0",
        "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')",
        "name.empty() or name.matchesFull('[A-Z]([A-Za-z0-9_]){0,254}')",
        "empty without a name; the pattern is meant for the whole name",
    ),
    (
        "ras-2",
        "probability is decimal implies (probability as decimal) <= 100",
        "probability.empty() or (probability is decimal).not() or (probability as decimal) <= 100",
        "empty, not true, without a probability",
    ),
    (
        "que-12",
        "enableWhen.count() > 2 implies enableBehavior.exists()",
        "enableWhen.count() > 1 implies enableBehavior.exists()",
        "the rule is for two or more enableWhen (as its text says)",
    ),
    (
        "pd-1",
        "telecom or endpoint",
        "telecom.exists() or endpoint.exists()",
        "`or` of collections is a cardinality error when either repeats",
    ),
];

/// The expression to evaluate for a published one: its [`CORRECTIONS`] entry; otherwise,
/// `descendants().as(T)` becomes `descendants().ofType(T)` (dom-3: `as()` on a collection
/// is an error in FHIRPath, and a filter is meant), and the path regexes of eld-19/eld-20
/// match the whole path (`matchesFull`).
pub fn corrected(text: &str) -> Cow<'_, str> {
    if let Some((_, _, fixed, _)) = CORRECTIONS
        .iter()
        .find(|(_, published, _, _)| *published == text)
    {
        return Cow::Borrowed(fixed);
    }
    if text.contains("descendants().as(") {
        return Cow::Owned(text.replace("descendants().as(", "descendants().ofType("));
    }
    if let Some(rest) = text.strip_prefix("path.matches(") {
        return Cow::Owned(format!("path.matchesFull({rest}"));
    }
    Cow::Borrowed(text)
}

/// One compiled invariant, with the results it gave by focus type and
/// [`Expression::result_key`]: on foci without any of the members it reads (`dom-2`…`dom-5`
/// on every resource without `contained`), or, for an expression that reads members only
/// through `exists()`/`empty()`, by which of them are present (`qty-3`, `bdl-5`, `obs-6`).
#[derive(Debug)]
struct Entry {
    published: String,
    compiled: Result<Expression, String>,
    /// The results for the first (focus type, key) pairs met.
    first: [OnceLock<(Box<str>, u32, Verdict)>; 4],
    /// The results for other pairs.
    more: RwLock<Vec<(Box<str>, u32, Verdict)>>,
}

/// The evaluation environment of invariants: no variables beyond the standard ones.
static NO_VARIABLES: LazyLock<Environment> = LazyLock::new(Environment::default);

/// How an invariant came out: held, failed, or could not be evaluated (why).
type Verdict = Result<bool, String>;

/// At most this many (focus type, key) pairs keep a result per expression.
const MAX_TYPES_PER_EXPRESSION: usize = 64;

impl Entry {
    /// The result on a focus of `focus_type` whose result key is `key`: remembered, else
    /// `evaluate`d and remembered.
    fn remembered(
        &self,
        focus_type: &str,
        key: u32,
        evaluate: impl FnOnce() -> Verdict,
    ) -> Verdict {
        // The first few (type, key) pairs (most expressions meet one or two), without a lock.
        for slot in &self.first {
            match slot.get() {
                Some((known, known_key, verdict))
                    if *known_key == key && **known == *focus_type =>
                {
                    return verdict.clone();
                }
                Some(_) => {}
                None => {
                    let verdict = evaluate();
                    let _ = slot.set((focus_type.into(), key, verdict.clone()));
                    return verdict;
                }
            }
        }
        if let Ok(known) = self.more.read()
            && let Some((_, _, verdict)) = known
                .iter()
                .find(|(t, k, _)| *k == key && **t == *focus_type)
        {
            return verdict.clone();
        }
        let verdict = evaluate();
        if let Ok(mut known) = self.more.write()
            && known.len() < MAX_TYPES_PER_EXPRESSION
            && !known
                .iter()
                .any(|(t, k, _)| *k == key && **t == *focus_type)
        {
            known.push((focus_type.into(), key, verdict.clone()));
        }
        verdict
    }
}

/// Every invariant expression of the loaded profiles, compiled.
///
/// Looked up per constraint while validating: by the address of the registry's own
/// expression text first (a hash of one word; the cache holds the registry, so an address
/// stays its text's), by the text itself otherwise.
#[derive(Debug, Default)]
pub struct InvariantCache {
    /// Each distinct published text, with its compiled (corrected) expression.
    entries: Vec<Entry>,
    by_text: HashMap<String, u32>,
    /// The address of each loaded constraint's expression text, to what is known of it.
    by_address: FxHashMap<usize, Loaded>,
    /// The registry the addresses point into, kept alive with the cache.
    registry: Option<Arc<Registry>>,
}

/// A constraint of the registry, as found by the address of its expression text.
#[derive(Debug, Clone, Copy)]
struct Loaded {
    /// The length of the text (with the address, what identifies it).
    len: usize,
    /// Its entry in [`InvariantCache::entries`].
    entry: u32,
    /// Whether its key is evaluated ([`evaluated`]).
    evaluated: bool,
    /// Whether it is `dom-3`.
    dom_3: bool,
}

impl InvariantCache {
    /// Compiles the invariants of every structure in `registry` (each distinct text once).
    pub fn compile(registry: &Arc<Registry>) -> InvariantCache {
        let mut cache = InvariantCache {
            registry: Some(Arc::clone(registry)),
            ..InvariantCache::default()
        };
        for structure in registry.structures() {
            for element in &structure.elements {
                for constraint in &element.constraints {
                    let Some(text) = constraint.expression.as_ref() else {
                        continue;
                    };
                    let idx = match cache.by_text.get(text) {
                        Some(&idx) => idx,
                        None => {
                            let Ok(idx) = u32::try_from(cache.entries.len()) else {
                                continue;
                            };
                            let compiled = Expression::parse(&corrected(text))
                                .map_err(|error| error.to_string());
                            cache.entries.push(Entry {
                                published: text.clone(),
                                compiled,
                                first: Default::default(),
                                more: RwLock::default(),
                            });
                            cache.by_text.insert(text.clone(), idx);
                            idx
                        }
                    };
                    let loaded = Loaded {
                        len: text.len(),
                        entry: idx,
                        evaluated: evaluated(&constraint.key),
                        dom_3: constraint.key == "dom-3",
                    };
                    cache.by_address.insert(text.as_ptr() as usize, loaded);
                }
            }
        }
        cache
    }

    /// The compiled expression, or why it did not compile; `None` for a text not loaded.
    pub fn get(&self, text: &str) -> Option<&Result<Expression, String>> {
        self.entry(text).map(|entry| &entry.compiled)
    }

    fn entry(&self, text: &str) -> Option<&Entry> {
        let idx = self.by_text.get(text)?;
        self.entries.get(*idx as usize)
    }

    /// A constraint text held by the registry the cache was compiled from, by address.
    fn loaded(&self, text: &str) -> Option<(Loaded, &Entry)> {
        if text.is_empty() || self.registry.is_none() {
            return None;
        }
        let loaded = self.by_address.get(&(text.as_ptr() as usize))?;
        if loaded.len != text.len() {
            return None;
        }
        Some((*loaded, self.entries.get(loaded.entry as usize)?))
    }

    /// How many distinct expressions compiled, and how many did not.
    pub fn counts(&self) -> (usize, usize) {
        let failed = self
            .entries
            .iter()
            .filter(|entry| entry.compiled.is_err())
            .count();
        (self.entries.len() - failed, failed)
    }

    /// The expressions that did not compile, with the parser's message, sorted.
    pub fn failures(&self) -> Vec<(&str, &str)> {
        let mut failures: Vec<(&str, &str)> = self
            .entries
            .iter()
            .filter_map(|entry| {
                let error = entry.compiled.as_ref().err()?;
                Some((entry.published.as_str(), error.as_str()))
            })
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
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    check_except(cx, element, None, value, type_code, expression, issues);
}

/// As [`check`], for the root element of a value's type definition (`Quantity` for a
/// `valueQuantity`: `qty-3`), leaving out the constraints `element` (the element the value
/// belongs to) already holds: snapshots copy some type invariants (`ext-1`) onto elements.
pub fn check_type_root(
    cx: Cx<'_>,
    type_root: &Element,
    element: &Element,
    value: &Value,
    type_code: &str,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    check_except(
        cx,
        type_root,
        Some(element),
        value,
        type_code,
        expression,
        issues,
    );
}

/// Whether the root element of a type definition has an invariant `element` does not hold.
pub fn type_root_applies(type_root: &Element, element: &Element) -> bool {
    type_root
        .constraints
        .iter()
        .any(|c| evaluated(&c.key) && !element.constraints.iter().any(|e| e.key == c.key))
}

fn check_except(
    cx: Cx<'_>,
    element: &Element,
    except: Option<&Element>,
    value: &Value,
    type_code: &str,
    expression: Location<'_>,
    issues: &mut Vec<Issue>,
) {
    if element.constraints.is_empty() {
        return;
    }
    let env = &*NO_VARIABLES;
    let focus_type = focus_type(element, type_code);
    for constraint in &element.constraints {
        let loaded = constraint
            .expression
            .as_deref()
            .and_then(|text| cx.invariants.loaded(text));
        let (is_evaluated, dom_3) = match loaded {
            Some((known, _)) => (known.evaluated, known.dom_3),
            None => (evaluated(&constraint.key), constraint.key == "dom-3"),
        };
        // dom-3 (every contained resource is referenced) is part of checking contained
        // resources, which `validateContains: IGNORE` turns off.
        if !is_evaluated || (cx.checks.ignore_contained && dom_3) {
            continue;
        }
        if except.is_some_and(|e| e.constraints.iter().any(|c| c.key == constraint.key)) {
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
        let entry = loaded
            .map(|(_, entry)| entry)
            .or_else(|| cx.invariants.entry(text));
        let compiled = match entry {
            Some(entry) => entry.compiled.as_ref(),
            None => {
                parsed = Expression::parse(&corrected(text)).map_err(|error| error.to_string());
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
            context: Some((value, Some(focus_type))),
            terminology: Some(cx.registry),
        };
        let evaluate = || {
            expr.evaluate_with(scope, env, is_true)
                .map_err(|error| error.to_string())
        };
        // Only the cache's own expressions keep results.
        let verdict = match entry.zip(expr.result_key(value, focus_type)) {
            Some((entry, key)) => entry.remembered(focus_type, key, evaluate),
            None => evaluate(),
        };
        match verdict {
            Ok(true) => {}
            Ok(false) => {
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
                &error,
            )),
        }
    }
}

/// The type name the FHIRPath engine knows the focus by: a backbone element by its path
/// (`Patient.contact`, or the `contentReference` target for `Questionnaire.item.item`), a
/// FHIRPath system type by its FHIR counterpart.
fn focus_type<'e>(element: &'e Element, type_code: &'e str) -> &'e str {
    match type_code {
        "BackboneElement" | "Element" => {
            let path = element
                .content_reference
                .as_deref()
                .and_then(|reference| reference.split_once('#'))
                .map_or(element.path.as_str(), |(_, path)| path);
            if TypeTable::r4().type_def(path).is_some() {
                path
            } else {
                type_code
            }
        }
        "http://hl7.org/fhirpath/System.String" => "string",
        _ => type_code,
    }
}

fn not_checked(key: &str, human: &str, expression: Location<'_>, why: &str) -> Issue {
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
        [single] => single.truth(),
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
        let cache = InvariantCache::compile(&std::sync::Arc::new(registry));
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
