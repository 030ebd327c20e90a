//! The R4 cases of the HL7 validator test suite (`fhir-test-cases/validator/manifest.json`)
//! against the Java validator's recorded outcomes.
//!
//! For each case with a version starting with `4.0`: load its file (JSON or XML), load the
//! StructureDefinitions, ValueSets and CodeSystems it names (`profiles`, `supporting`) as an
//! in-memory package compiled against the committed `profiles/`, validate with the case's
//! options (`security-checks`, `noHtmlInMarkdown`, `validateContains`, `examples`), and compare
//! with `outcomes/java/R4.<name>-base.json` (and, when the case names a profile, add
//! `profile.source` and `profile.supporting` as the Java harness does, validate against it
//! and compare with `…-profile.json`):
//! (a) the verdict (valid = no error or fatal issue), (b) the number of errors, (c) the set of
//! (severity, expression) of the errors, `/*…*/` comments removed.
//!
//! Cases that need what we do not have are skipped with a reason: a terminology server (module
//! `tx`/`tx-advanced`, or an expected issue carrying the `operationoutcome-issue-server`
//! extension), other packages or IGs, logical models, formats other than FHIR JSON/XML, or
//! non-conformance supporting resources. References are fetched as the Java harness fetches
//! them (`Type/id` is `type-id.json`/`.xml` or `id.json`/`.xml` of the suite folder) and, for
//! `validateReference: CHECK_VALID`, their targets validated.
//!
//! Prints the three agreement rates and the skip list, and asserts the verdict agreement stays
//! above a floor. `REPORT=1 cargo test -p conformance --test manifest_shared` rewrites
//! `conformance/REPORT.md`. `CASE=name1,name2` prints every issue we report for those cases.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use conformance::package::{Package, PackageResource};
use conformance::validate::{
    BundleRule, Checks, Outcome, ReferencePolicy, ResourceFetcher, ValidateOptions, Validator,
};
use conformance::{CompileOptions, PackageOrigin, Registry};
use serde_json::Value;

/// The verdict agreement this suite must not fall below (the figure reached when last
/// raised, minus a small margin for case churn). Raise it as the validator improves.
const VERDICT_FLOOR: f64 = 0.935;

const UNSUPPORTED_MODULES: &[&str] = &[
    "json5",
    "cda",
    "shc",
    "dsig",
    "logical",
    "cdshooks",
    "matchetype",
    "xver",
];

fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

fn repo_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// One comparison: a case validated against base (or its profile), with both error sets.
struct Comparison {
    label: String,
    java: BTreeSet<(String, String)>,
    java_errors: usize,
    ours: BTreeSet<(String, String)>,
    our_errors: usize,
}

impl Comparison {
    fn verdict_agrees(&self) -> bool {
        (self.java_errors == 0) == (self.our_errors == 0)
    }
}

fn strip_comments(expression: &str) -> String {
    let mut out = String::new();
    let mut rest = expression;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// The (severity, expression) of the error and fatal issues of a Java OperationOutcome, and
/// whether any issue came from a terminology server.
fn java_errors(outcome: &Value) -> (Vec<(String, String)>, bool) {
    let mut errors = Vec::new();
    let mut from_server = false;
    for issue in outcome["issue"].as_array().into_iter().flatten() {
        let server = issue["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| {
                e["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("operationoutcome-issue-server"))
            });
        from_server |= server;
        let severity = issue["severity"].as_str().unwrap_or("");
        if severity == "error" || severity == "fatal" {
            let expression = issue["expression"][0]
                .as_str()
                .or_else(|| issue["location"][0].as_str())
                .unwrap_or("");
            errors.push((severity.to_string(), strip_comments(expression)));
        }
    }
    (errors, from_server)
}

fn our_errors(outcome: &Outcome) -> Vec<(String, String)> {
    outcome
        .issues
        .iter()
        .filter(|i| i.severity.is_error())
        .map(|i| {
            (
                i.severity.as_str().to_string(),
                strip_comments(&i.expression),
            )
        })
        .collect()
}

fn read_resource(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim_start().starts_with('<') {
        fhir::xml::xml_to_json(text).map_err(|e| format!("XML: {e}"))
    } else {
        serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))
    }
}

fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The Java outcome of a case: inline (`{"outcome": …}`), at the manifest's path, or at
/// `java/R4.<name>-<suffix>.json` (some manifest paths are stale).
fn java_outcome(outcomes: &Path, java: &Value, name: &str, suffix: &str) -> Option<Value> {
    if let Some(outcome) = java.get("outcome") {
        return Some(outcome.clone());
    }
    let conventional = format!("java/R4.{}-{suffix}.json", name.replace('/', "-"));
    java.as_str()
        .into_iter()
        .chain([conventional.as_str()])
        .find_map(|file| read_resource(&outcomes.join(file)).ok())
}

/// Why a case cannot run here, judged from the manifest alone.
fn manifest_skip(case: &Value, loaded: &[(String, String)]) -> Option<(String, String)> {
    let module = case["module"].as_str().unwrap_or("");
    if module == "tx" || module == "tx-advanced" {
        return Some((
            format!("terminology server (module {module})"),
            String::new(),
        ));
    }
    if UNSUPPORTED_MODULES.contains(&module) {
        return Some((
            format!("unsupported format or mode (module {module})"),
            String::new(),
        ));
    }
    let file = case["file"].as_str().unwrap_or("");
    let extension = file.rsplit('.').next().unwrap_or("");
    if extension != "json" && extension != "xml" {
        return Some((format!("unsupported format (.{extension})"), String::new()));
    }
    if case["use-test"] == Value::Bool(false) {
        return Some((
            "disabled upstream (use-test: false)".to_string(),
            String::new(),
        ));
    }
    let mut packages = string_list(&case["packages"]);
    packages.extend(string_list(&case["profile"]["packages"]));
    // A package we ship (`name#version`, or `name` alone) is fine.
    let have = |wanted: &String| {
        let (name, version) = wanted.split_once('#').unwrap_or((wanted, ""));
        loaded
            .iter()
            .any(|(n, v)| n == name && (version.is_empty() || v == version))
    };
    if !packages.iter().all(have) {
        return Some((
            "needs other packages or IGs".to_string(),
            packages.join(", "),
        ));
    }
    if !case["logical"].is_null() {
        return Some(("logical model".to_string(), String::new()));
    }
    if case["java"].is_null() {
        return Some(("no Java outcome".to_string(), String::new()));
    }
    None
}

/// The optional checks a case turns on (`security-checks`, `noHtmlInMarkdown`,
/// `validateContains: IGNORE`, `examples`).
fn case_checks(case: &Value) -> Checks {
    Checks {
        security: case["security-checks"] == Value::Bool(true),
        no_html_in_markdown: case["noHtmlInMarkdown"] == Value::Bool(true),
        ignore_contained: case["validateContains"] == "IGNORE",
        // The Java test harness allows example urls unless the case says `examples: false`.
        allow_examples: case["examples"] != Value::Bool(false),
        references: if case["validateReference"] == "CHECK_VALID" {
            ReferencePolicy::CheckValid
        } else {
            ReferencePolicy::Ignore
        },
    }
}

/// The case's `bundle-param` (`{"rule": "Patient:0", "profile": url}`), as the Java harness
/// passes it to the validator's Bundle validation rules.
fn bundle_rules(case: &Value) -> Vec<BundleRule> {
    let param = &case["bundle-param"];
    match (param["rule"].as_str(), param["profile"].as_str()) {
        (Some(rule), Some(profile)) => vec![BundleRule {
            rule: rule.to_string(),
            profile: profile.to_string(),
        }],
        _ => Vec::new(),
    }
}

/// The Java test harness's fetcher: `Type/id` is the file `type-id.json` (or `.xml`) of the
/// suite folder, else `id.json` (or `.xml`).
struct SuiteFetcher {
    dir: PathBuf,
}

impl ResourceFetcher for SuiteFetcher {
    fn fetch(&self, reference: &str) -> Option<Value> {
        let mut stems = vec![reference.replace('/', "-").to_lowercase()];
        if let Some((_, tail)) = reference.split_once('/') {
            stems.push(tail.to_string());
        }
        stems.iter().find_map(|stem| {
            ["json", "xml"].iter().find_map(|extension| {
                let path = self.dir.join(format!("{stem}.{extension}"));
                path.is_file().then(|| read_resource(&path).ok()).flatten()
            })
        })
    }
}

/// Loads the conformance resources a case names into a package compiled against `base`.
fn case_registry(
    base: &Registry,
    dir: &Path,
    case: &Value,
    profile_step: bool,
) -> Result<Option<Registry>, (String, String)> {
    let mut files = string_list(&case["profiles"]);
    files.extend(string_list(&case["supporting"]));
    if profile_step {
        files.extend(string_list(&case["profile"]["source"]));
        files.extend(string_list(&case["profile"]["supporting"]));
    }
    if files.is_empty() {
        return Ok(None);
    }
    let mut resources = Vec::new();
    for file in files {
        let json = read_resource(&dir.join(&file)).map_err(|e| {
            (
                "a supporting file does not parse".to_string(),
                format!("{file}: {e}"),
            )
        })?;
        let kind = json["resourceType"].as_str().unwrap_or("?");
        if !["StructureDefinition", "ValueSet", "CodeSystem"].contains(&kind) {
            return Err((format!("needs supporting {kind} resources"), file));
        }
        resources.push(PackageResource { file, json });
    }
    let package = Package {
        name: "fhir-test-cases.case".to_string(),
        version: "0.0.0".to_string(),
        dependencies: vec![("hl7.fhir.r4.core".to_string(), "4.0.1".to_string())],
        resources,
    };
    let compiled =
        conformance::compile(&[package], base, &CompileOptions::default()).map_err(|e| {
            (
                "needs a profile that does not compile here".to_string(),
                e.to_string(),
            )
        })?;
    let mut registry = base.clone();
    for package in compiled {
        registry
            .add_compiled(package, PackageOrigin::Memory)
            .map_err(|e| {
                (
                    "needs a profile that does not load here".to_string(),
                    e.to_string(),
                )
            })?;
    }
    Ok(Some(registry))
}

fn validate(
    validator: &Validator,
    resource: &Result<Value, String>,
    profile: Option<&str>,
) -> Outcome {
    match resource {
        Ok(resource) => validator.validate(
            resource,
            &ValidateOptions {
                profiles: profile.map(str::to_owned).into_iter().collect(),
            },
        ),
        Err(message) => Outcome {
            issues: vec![conformance::validate::Issue::new(
                conformance::validate::IssueSeverity::Fatal,
                conformance::validate::IssueType::Structure,
                "parse-error",
                "",
                message.clone(),
            )],
            profiles_checked: Vec::new(),
        },
    }
}

struct Run {
    comparisons: Vec<Comparison>,
    /// Skip reason → (case, detail).
    skipped: BTreeMap<String, Vec<(String, String)>>,
    load: LoadFigures,
    seconds: f64,
}

struct LoadFigures {
    millis: u128,
    packages: usize,
    structures: usize,
    value_sets: usize,
    code_systems: usize,
}

fn run_cases(validator_dir: &Path) -> Run {
    let started = Instant::now();
    let base = Registry::load_dir(&repo_dir().join("profiles")).unwrap();
    let load = LoadFigures {
        millis: started.elapsed().as_millis(),
        packages: base.packages().len(),
        structures: base
            .packages()
            .iter()
            .map(|p| p.package.structures.len())
            .sum(),
        value_sets: base
            .packages()
            .iter()
            .map(|p| p.package.value_sets.len())
            .sum(),
        code_systems: base
            .packages()
            .iter()
            .map(|p| p.package.code_systems.len())
            .sum(),
    };
    let base_validator = Validator::new(Arc::new(base.clone()));
    let loaded: Vec<(String, String)> = base
        .packages()
        .iter()
        .map(|p| (p.package.name.clone(), p.package.version.clone()))
        .collect();
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(validator_dir.join("manifest.json")).unwrap(),
    )
    .unwrap();
    let outcomes_dir = validator_dir.join("outcomes");
    let mut comparisons = Vec::new();
    let mut skipped: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for case in manifest["test-cases"].as_array().unwrap() {
        if !case["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("4.0"))
        {
            continue;
        }
        let name = case["name"].as_str().unwrap_or("?").to_string();
        let mut skip = |(reason, detail): (String, String)| {
            skipped
                .entry(reason)
                .or_default()
                .push((name.clone(), detail));
        };
        if let Some(reason) = manifest_skip(case, &loaded) {
            skip(reason);
            continue;
        }
        let mut expected = vec![(&case["java"], "base", None)];
        if !case["profile"]["java"].is_null() {
            expected.push((
                &case["profile"]["java"],
                "profile",
                case["profile"]["source"].as_str(),
            ));
        }
        let mut java_outcomes = Vec::new();
        let mut reason = None;
        for (java, suffix, profile) in &expected {
            let Some(outcome) = java_outcome(&outcomes_dir, java, &name, suffix) else {
                reason = Some(("no Java outcome file".to_string(), String::new()));
                break;
            };
            let (errors, from_server) = java_errors(&outcome);
            if from_server {
                reason = Some((
                    "terminology server (expected issues from tx.fhir.org)".to_string(),
                    String::new(),
                ));
                break;
            }
            java_outcomes.push((errors, *profile));
        }
        if let Some(reason) = reason {
            skip(reason);
            continue;
        }
        let file = case["file"].as_str().unwrap_or("");
        if !validator_dir.join(file).is_file() {
            skip((
                "the case file is not in the suite".to_string(),
                file.to_string(),
            ));
            continue;
        }
        // As the Java test harness does: the base step loads the case's supporting files,
        // the profile step adds the profile's source and supporting files.
        let registries = [false, true]
            .map(|profile_step| case_registry(&base, validator_dir, case, profile_step));
        let [base_registry, profile_registry] = match registries {
            [Ok(b), Ok(p)] => [b, p],
            [Err(reason), _] | [_, Err(reason)] => {
                skip(reason);
                continue;
            }
        };
        let validator_of = |registry: Option<Registry>| {
            registry
                .map(|r| Validator::new(Arc::new(r)))
                .unwrap_or_else(|| base_validator.clone())
                .with_checks(case_checks(case))
                .with_fetcher(Arc::new(SuiteFetcher {
                    dir: validator_dir.to_path_buf(),
                }))
                .with_bundle_rules(bundle_rules(case))
        };
        let base_step = validator_of(base_registry);
        let profile_step = if case["profile"]["java"].is_null() {
            None
        } else {
            Some(validator_of(profile_registry))
        };
        let resource = read_resource(&validator_dir.join(case["file"].as_str().unwrap_or("")));
        for (java, profile_file) in java_outcomes {
            let profile_url = match profile_file {
                Some(file) => match read_resource(&validator_dir.join(file)) {
                    Ok(sd) => sd["url"].as_str().map(str::to_owned),
                    Err(_) => None,
                },
                None => None,
            };
            let validator = match (profile_file, &profile_step) {
                (Some(_), Some(validator)) => validator,
                _ => &base_step,
            };
            let outcome = validate(validator, &resource, profile_url.as_deref());
            let ours = our_errors(&outcome);
            if std::env::var("CASE").is_ok_and(|c| c.split(',').any(|c| c == name)) {
                eprintln!("== {name} {profile_file:?}");
                for issue in &outcome.issues {
                    eprintln!(
                        "  {:?} {} {} {}",
                        issue.severity, issue.message_id, issue.expression, issue.message
                    );
                }
            }
            comparisons.push(Comparison {
                label: match profile_file {
                    Some(_) => format!("{name} (profile)"),
                    None => name.clone(),
                },
                java_errors: java.len(),
                java: java.into_iter().collect(),
                our_errors: ours.len(),
                ours: ours.into_iter().collect(),
            });
        }
    }
    Run {
        comparisons,
        skipped,
        load,
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn rate(count: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}

#[test]
fn java_outcomes_shared() {
    let validator_dir = shared_dir().join("conformance/fhir-test-cases/validator");
    if !validator_dir.join("manifest.json").is_file() {
        eprintln!("skipped: {} is absent", validator_dir.display());
        return;
    }
    let run = run_cases(&validator_dir);
    let total = run.comparisons.len();
    let verdicts = run
        .comparisons
        .iter()
        .filter(|c| c.verdict_agrees())
        .count();
    let counts = run
        .comparisons
        .iter()
        .filter(|c| c.java_errors == c.our_errors)
        .count();
    let sets = run.comparisons.iter().filter(|c| c.java == c.ours).count();
    let n_skipped: usize = run.skipped.values().map(Vec::len).sum();
    println!(
        "{total} comparisons ({n_skipped} cases skipped) in {:.1} s",
        run.seconds
    );
    println!(
        "verdict {verdicts}/{total} ({:.1}%), error count {counts}/{total} ({:.1}%), error set {sets}/{total} ({:.1}%)",
        100.0 * rate(verdicts, total),
        100.0 * rate(counts, total),
        100.0 * rate(sets, total)
    );
    for (reason, names) in &run.skipped {
        println!("skipped {} × {reason}", names.len());
    }
    if std::env::var_os("REPORT").is_some() {
        let report = report::render(&run, (verdicts, counts, sets));
        std::fs::write(repo_dir().join("conformance/REPORT.md"), report).unwrap();
    }
    assert!(total > 0, "no case ran");
    assert!(
        rate(verdicts, total) >= VERDICT_FLOOR,
        "verdict agreement {:.3} fell below the floor {VERDICT_FLOOR}",
        rate(verdicts, total)
    );
}

#[path = "manifest_shared/report.rs"]
mod report;
