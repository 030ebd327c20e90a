//! `rules::invariant::check` on hand-written values against the committed profiles.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, LazyLock};

use conformance::Registry;
use conformance::model::{Constraint, Element, Max, Severity};
use conformance::validate::rules::invariant;
use conformance::validate::{Cx, Validator};
use serde_json::{Value, json};

static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
    Validator::new(Arc::new(Registry::load_dir(dir).unwrap()))
});

const R4: &str = "http://hl7.org/fhir/StructureDefinition/";
const US_CORE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/";

/// Evaluates the invariants of element `id` of `structure` on the value at `pointer` in
/// `resource`; returns `severity message_id @expression: message` lines.
fn run(structure: &str, id: &str, resource: &Value, pointer: &str, type_code: &str) -> Vec<String> {
    let validator = &*VALIDATOR;
    let def = validator
        .registry()
        .structure(structure)
        .unwrap_or_else(|| panic!("no {structure}"));
    let element = def
        .element_by_id(id)
        .unwrap_or_else(|| panic!("no {id} in {structure}"));
    run_element(element, resource, pointer, type_code)
}

fn run_element(element: &Element, resource: &Value, pointer: &str, type_code: &str) -> Vec<String> {
    let validator = &*VALIDATOR;
    let value = resource
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"));
    let cx = Cx {
        registry: validator.registry(),
        invariants: validator.invariants(),
        resource,
        bundle: None,
        checks: conformance::validate::Checks::default(),
        fetching: None,
        bundle_rules: &[],
    };
    let mut issues = Vec::new();
    invariant::check(
        cx,
        element,
        value,
        type_code,
        (&element.path).into(),
        &mut issues,
    );
    issues
        .iter()
        .map(|issue| {
            format!(
                "{} {} @{}: {}",
                issue.severity.as_str(),
                issue.message_id,
                issue.expression,
                issue.message
            )
        })
        .collect()
}

fn assert_issues(name: &str, got: &[String], expect: &[&str]) {
    let matches = got.len() == expect.len()
        && got
            .iter()
            .zip(expect)
            .all(|(got, want)| match want.split_once(": ") {
                Some((head, text)) => got.starts_with(head) && got.contains(text),
                None => got.split(": ").next() == Some(*want),
            });
    assert!(matches, "{name}:\n  expected {expect:#?}\n  got {got:#?}");
}

#[test]
fn invariants_of_the_committed_profiles() {
    let patient = json!({
        "resourceType": "Patient",
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
        "name": [{"family": "Doe"}, {"text": "only text"}, {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}],
        "contact": [{"gender": "female"}, {"name": {"family": "Roe"}}],
        "identifier": [{}]
    });
    let us_core_patient = format!("{US_CORE}us-core-patient|6.1.0");
    let r4_patient = format!("{R4}Patient");
    // (name, structure, element id, pointer to the value, type, expected issues)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        (
            "us-core-6 holds with a family name",
            &us_core_patient,
            "Patient.name",
            "/name/0",
            "HumanName",
            vec![],
        ),
        (
            "us-core-6 fails with text only",
            &us_core_patient,
            "Patient.name",
            "/name/1",
            "HumanName",
            vec!["error invariant-failed @Patient.name: Constraint failed: us-core-6: '"],
        ),
        (
            "us-core-6 holds with data-absent-reason",
            &us_core_patient,
            "Patient.name",
            "/name/2",
            "HumanName",
            vec![],
        ),
        (
            "pat-1 fails on a contact with no details",
            &r4_patient,
            "Patient.contact",
            "/contact/0",
            "BackboneElement",
            vec![
                "error invariant-failed @Patient.contact: Constraint failed: pat-1: 'SHALL at least contain a contact's details or a reference to an organization'",
            ],
        ),
        (
            "pat-1 holds with a name",
            &r4_patient,
            "Patient.contact",
            "/contact/1",
            "BackboneElement",
            vec![],
        ),
        (
            "ele-1 is left to the walk (tests/walk/ele-1.json)",
            &r4_patient,
            "Patient.identifier",
            "/identifier/0",
            "Identifier",
            vec![],
        ),
        (
            "root invariants hold (dom-*) with narrative",
            &r4_patient,
            "Patient",
            "",
            "Patient",
            vec![],
        ),
    ];
    for (name, structure, id, pointer, type_code, expect) in cases {
        assert_issues(
            name,
            &run(structure, id, &patient, pointer, type_code),
            &expect,
        );
    }
}

#[test]
fn best_practice_dom_6_is_skipped_and_dom_2_is_not() {
    let patient = json!({
        "resourceType": "Patient",
        "contained": [{"resourceType": "Patient", "id": "a", "contained": [{"resourceType": "Patient", "id": "b"}]}]
    });
    let got = run(&format!("{R4}Patient"), "Patient", &patient, "", "Patient");
    assert_issues(
        "dom-6 skipped, dom-2 and dom-3 fail",
        &got,
        &[
            "error invariant-failed @Patient: Constraint failed: dom-2: 'If the resource is contained in another resource, it SHALL NOT contain nested Resources'",
            "error invariant-failed @Patient: dom-3",
        ],
    );
}

#[test]
fn corrected_expressions() {
    // bdl-8 on an entry without fullUrl, ref-1 on a Reference without reference: true.
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "POST", "url": "Patient"}}, {"fullUrl": "http://x.org/Patient/1/_history/2", "resource": {"resourceType": "Patient", "id": "1"}}]});
    let def = format!("{R4}Bundle");
    assert_issues(
        "bdl-8, no fullUrl",
        &run(&def, "Bundle.entry", &bundle, "/entry/0", "BackboneElement"),
        &[],
    );
    assert_issues(
        "bdl-8, versioned fullUrl",
        &run(&def, "Bundle.entry", &bundle, "/entry/1", "BackboneElement"),
        &["error invariant-failed @Bundle.entry: bdl-8"],
    );
    let observation = json!({
        "resourceType": "Observation",
        "contained": [{"resourceType": "Patient", "id": "p"}],
        "subject": {"identifier": {"value": "1"}},
        "performer": [{"reference": "#p"}, {"reference": "#q"}, {"reference": "Practitioner/1"}]
    });
    let def = format!("{R4}Reference");
    for (pointer, expect) in [
        ("/subject", vec![]),
        ("/performer/0", vec![]),
        (
            "/performer/1",
            vec!["error invariant-failed @Reference: ref-1"],
        ),
        ("/performer/2", vec![]),
    ] {
        assert_issues(
            pointer,
            &run(&def, "Reference", &observation, pointer, "Reference"),
            &expect,
        );
    }
    assert_eq!(
        invariant::corrected("name.matches('x')"),
        "name.matches('x')"
    );
}

#[test]
fn observation_invariants_use_the_resource() {
    // obs-6: dataAbsentReason only when there is no value.
    let observation = json!({
        "resourceType": "Observation", "status": "final", "code": {"text": "x"},
        "valueString": "v", "dataAbsentReason": {"text": "unknown"},
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}
    });
    let got = run(
        &format!("{R4}Observation"),
        "Observation",
        &observation,
        "",
        "Observation",
    );
    assert_issues(
        "obs-6",
        &got,
        &["error invariant-failed @Observation: obs-6"],
    );
}

fn synthetic(key: &str, expression: &str, severity: Severity) -> Element {
    Element {
        id: "Patient.name".into(),
        path: "Patient.name".into(),
        slice_name: None,
        min: 0,
        max: Max::Unbounded,
        types: Vec::new(),
        content_reference: None,
        fixed: None,
        pattern: None,
        binding: None,
        constraints: vec![Constraint {
            key: key.into(),
            severity,
            expression: Some(expression.into()),
            human: format!("rule {key}"),
        }],
        slicing: None,
        max_length: None,
        min_value: None,
        max_value: None,
        regex: None,
        must_support: false,
        is_modifier: false,
    }
}

#[test]
fn invariants_that_cannot_be_evaluated_are_reported() {
    let patient = json!({"resourceType": "Patient", "name": [{"family": "Doe"}]});
    let cases = [
        (
            "memberOf needs a terminology server",
            synthetic(
                "x-1",
                "family.memberOf('http://example.org/vs')",
                Severity::Error,
            ),
            vec![
                "warning invariant-not-checked @Patient.name: Constraint not checked: x-1: 'rule x-1' (not supported",
            ],
        ),
        (
            "an expression that does not parse",
            synthetic("x-2", "family.where(", Severity::Error),
            vec!["warning invariant-not-checked @Patient.name: FHIRPath syntax error"],
        ),
        (
            "a warning invariant that fails",
            synthetic("x-3", "given.exists()", Severity::Warning),
            vec!["warning invariant-failed @Patient.name: Constraint failed: x-3: 'rule x-3'"],
        ),
        (
            "an empty result counts as false, as in the Java validator",
            synthetic("x-4", "given", Severity::Error),
            vec!["error invariant-failed @Patient.name"],
        ),
        (
            "a non-boolean result counts as true",
            synthetic("x-5", "family", Severity::Error),
            vec![],
        ),
        (
            "%resource is the resource",
            synthetic("x-6", "%resource.name.family = 'Doe'", Severity::Error),
            vec![],
        ),
    ];
    for (name, element, expect) in cases {
        assert_issues(
            name,
            &run_element(&element, &patient, "/name/0", "HumanName"),
            &expect,
        );
    }
}
