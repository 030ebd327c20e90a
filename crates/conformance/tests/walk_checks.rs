//! The structural walk on focused fixtures: each `tests/walk/*.json` holds a resource, the
//! profiles to validate it against, and the expected issues as
//! `[severity, message_id, expression]` (information issues left out). `UPDATE_EXPECT=1`
//! rewrites the expectations from today's output (review the diff).

// Test code: a failed expectation is a panic with the context in the message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use conformance::Registry;
use conformance::validate::{IssueSeverity, ValidateOptions, Validator};
use serde_json::{Value, json};

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
        Validator::new(Arc::new(Registry::load_dir(dir).unwrap()))
    })
}

fn issues(resource: &Value, profiles: &[String]) -> Vec<Value> {
    let options = ValidateOptions {
        profiles: profiles.to_vec(),
    };
    let outcome = validator().validate(resource, &options);
    outcome
        .issues
        .iter()
        .filter(|i| i.severity != IssueSeverity::Information)
        .map(|i| json!([i.severity.as_str(), i.message_id, i.expression]))
        .collect()
}

#[test]
fn walk_fixtures() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/walk"));
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "fixtures: {}", paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut fixture: Value = serde_json::from_str(&text).unwrap();
        let profiles: Vec<String> = fixture["profiles"]
            .as_array()
            .map(|a| a.iter().map(|p| p.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let actual = Value::Array(issues(&fixture["resource"], &profiles));
        if actual != fixture["expect"] {
            if update {
                fixture["expect"] = actual;
                let mut out = serde_json::to_string_pretty(&fixture).unwrap();
                out.push('\n');
                std::fs::write(&path, out).unwrap();
            } else {
                failures.push(format!(
                    "{}:\n  expected {}\n  actual   {}",
                    path.display(),
                    fixture["expect"],
                    actual
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn walk_messages() {
    let resource = json!({"resourceType": "Observation", "status": "final", "foo": 1, "text": {"status": "generated"}});
    let outcome = validator().validate(&resource, &ValidateOptions::default());
    let messages: Vec<String> = outcome.issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "error structure-unknown at Observation: Unrecognized property 'foo'",
            "error cardinality-min at Observation.text: Narrative.div: minimum required = 1, but only found 0 (from http://hl7.org/fhir/StructureDefinition/Narrative|4.0.1)",
            "error cardinality-min at Observation: Observation.code: minimum required = 1, but only found 0 (from http://hl7.org/fhir/StructureDefinition/Observation|4.0.1)",
        ]
    );
}

#[test]
fn walk_cache_compiles_every_regex() {
    let started = std::time::Instant::now();
    let cache = conformance::validate::walk::WalkCache::build(validator().registry());
    let (structures, regexes, values, failed) = cache.counts();
    eprintln!(
        "walk cache: {structures} structures, {regexes} regexes ({failed} failed), {values} values in {:?}",
        started.elapsed()
    );
    assert!(structures > 800 && regexes > 10 && values > 100);
    assert_eq!(failed, 0);
}

#[test]
fn strings_are_at_most_one_megabyte() {
    // An element id is a System.String, which has no maxLength of its own.
    for (length, expect) in [
        (1024 * 1024, vec![]),
        (1024 * 1024 + 1, vec!["Basic.identifier[0].id"]),
    ] {
        let resource = json!({
            "resourceType": "Basic",
            "code": {"text": "x"},
            "identifier": [{"id": "a".repeat(length), "value": "x"}]
        });
        let found: Vec<String> = issues(&resource, &[])
            .into_iter()
            .filter(|i| i[1] == "primitive-max-length")
            .map(|i| i[2].as_str().unwrap().to_string())
            .collect();
        assert_eq!(found, expect, "length {length}");
    }
}

/// `ele-1` is not evaluated as an invariant (the walk checks it): on the `ele-1.json`
/// fixture, the walk reports every element where the FHIRPath of ele-1 is false, and also
/// the primitives with only an id in their `_name` companion, which the FHIRPath engine does
/// not see as elements at all (the Java validator reports them as ele-1 failures).
#[test]
fn the_walk_reports_where_ele_1_fails() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/walk/ele-1.json"
    ));
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let resource = &fixture["resource"];
    let reported: Vec<String> = issues(resource, &[])
        .into_iter()
        .filter(|i| i[0] == "error")
        .map(|i| i[2].as_str().unwrap().to_string())
        .collect();
    let env = fhirpath::Environment::default();
    let ele_1 = "(hasValue() or (children().count() > id.count()))";
    // (location, FHIRPath to it, ele-1 fails there)
    let candidates = [
        ("Patient.implicitRules", "implicitRules", true),
        ("Patient.language", "language", false),
        ("Patient.identifier[0]", "identifier[0]", true),
        ("Patient.identifier[1]", "identifier[1]", true),
        ("Patient.identifier[2]", "identifier[2]", false),
        ("Patient.name[0].given[0]", "name[0].given[0]", false),
        ("Patient.name[0].given[1]", "name[0].given[1]", true),
        ("Patient.name[0].given[2]", "name[0].given[2]", false),
    ];
    let mut fhirpath_failures = 0;
    for (location, fhirpath, fails) in candidates {
        let text = format!("{fhirpath}.select({ele_1}).allTrue()");
        let holds = fhirpath::Expression::parse(&text)
            .unwrap()
            .evaluate_bool(resource, &env)
            .unwrap()
            .unwrap();
        let walk = reported.iter().any(|r| r == location);
        assert_eq!(walk, fails, "{location}: walk reports {reported:?}");
        assert!(
            holds || walk,
            "{location}: ele-1 fails but the walk is silent"
        );
        fhirpath_failures += usize::from(!holds);
    }
    assert!(fhirpath_failures >= 2, "the fixture exercises ele-1");
}
