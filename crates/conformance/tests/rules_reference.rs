//! `rules::reference::check` on hand-written References against the committed profiles.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, LazyLock};

use conformance::Registry;
use conformance::validate::rules::reference;
use conformance::validate::{Cx, Validator};
use serde_json::{Value, json};

static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
    Validator::new(Arc::new(Registry::load_dir(dir).unwrap()))
});

/// Checks the Reference at `pointer` in `resource` against element `id` of `structure`;
/// `bundle` is the enclosing Bundle, `resource` then one of its entries' resources.
fn run(
    structure: &str,
    id: &str,
    resource: &Value,
    bundle: Option<&Value>,
    pointer: &str,
) -> Vec<String> {
    let validator = &*VALIDATOR;
    let def = validator
        .registry()
        .structure(structure)
        .unwrap_or_else(|| panic!("no {structure}"));
    let element = def
        .element_by_id(id)
        .unwrap_or_else(|| panic!("no {id} in {structure}"));
    let value = resource
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"));
    let cx = Cx {
        registry: validator.registry(),
        invariants: validator.invariants(),
        resource,
        bundle,
        checks: conformance::validate::Checks::default(),
        fetching: None,
        bundle_rules: &[],
    };
    let mut issues = Vec::new();
    reference::check(cx, element, value, id.into(), &mut issues);
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

const OBSERVATION: &str = "http://hl7.org/fhir/StructureDefinition/Observation";
const US_CORE_LAB: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab|6.1.0";
const PATIENT: &str = "http://hl7.org/fhir/StructureDefinition/Patient";

#[test]
fn references_outside_a_bundle() {
    let cases: Vec<(&str, &str, &str, Value, Vec<&str>)> = vec![
        (
            "relative, allowed type",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "Patient/1"}),
            vec![],
        ),
        (
            "relative, type not allowed",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "Practitioner/1"}),
            vec![
                "error reference-target-type @Observation.subject: The type 'Practitioner' implied by the reference URL Practitioner/1 is not a valid Target for this element (must be one of [Patient, Group, Device, Location])",
            ],
        ),
        (
            "profile target (us-core-patient) allows its base type only",
            US_CORE_LAB,
            "Observation.subject",
            json!({"reference": "Group/g"}),
            vec!["error reference-target-type @Observation.subject: (must be one of [Patient])"],
        ),
        (
            "us-core-patient target: Patient",
            US_CORE_LAB,
            "Observation.subject",
            json!({"reference": "Patient/p"}),
            vec![],
        ),
        (
            "versioned relative",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "Patient/1/_history/2"}),
            vec![],
        ),
        (
            "absolute url, allowed type",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "http://example.org/fhir/Patient/1"}),
            vec![],
        ),
        (
            "absolute url, type not allowed",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "https://example.org/fhir/Medication/1"}),
            vec!["error reference-target-type @Observation.subject"],
        ),
        (
            "absolute url naming no type",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "http://example.org/x"}),
            vec![],
        ),
        (
            "Resource target: any type",
            OBSERVATION,
            "Observation.focus",
            json!({"reference": "Medication/1"}),
            vec![],
        ),
        (
            "not a Type/id",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "1234"}),
            vec![
                "error reference-format @Observation.subject: Relative URLs must be of the format [ResourceName]/[id]. Encountered 1234",
            ],
        ),
        (
            "unknown resource type",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "Patients/1"}),
            vec!["error reference-format @Observation.subject"],
        ),
        (
            "a longer path that is not Type/id/_history/v",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "XXX/_history/1"}),
            vec![
                "warning reference-suspicious @Observation.subject: The syntax of the reference 'XXX/_history/1' looks incorrect, and it should be checked",
            ],
        ),
        (
            "conditional reference",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "Patient?identifier=x|1"}),
            vec![],
        ),
        (
            "urn outside a Bundle: nothing to resolve against",
            OBSERVATION,
            "Observation.subject",
            json!({"reference": "urn:uuid:9d2f1e4c-0b2a-4d8e-9a4e-0c1f2b3a4d5e"}),
            vec![],
        ),
        (
            "identifier only",
            OBSERVATION,
            "Observation.subject",
            json!({"identifier": {"value": "x"}}),
            vec![],
        ),
        (
            "type element not allowed",
            OBSERVATION,
            "Observation.subject",
            json!({"type": "Practitioner", "identifier": {"value": "x"}}),
            vec![
                "error reference-type-not-allowed @Observation.subject: The type 'Practitioner' is not a valid Target for this element",
            ],
        ),
        (
            "type element disagrees with the url",
            OBSERVATION,
            "Observation.subject",
            json!({"type": "Group", "reference": "Patient/1"}),
            vec!["error reference-type-mismatch @Observation.subject"],
        ),
    ];
    for (name, structure, id, reference, expect) in cases {
        let resource = json!({"resourceType": "Observation", "x": reference});
        assert_issues(name, &run(structure, id, &resource, None, "/x"), &expect);
    }
}

#[test]
fn contained_references() {
    let observation = json!({
        "resourceType": "Observation",
        "contained": [{"resourceType": "Patient", "id": "p1"}, {"resourceType": "Practitioner", "id": "dr"}],
        "subject": {"reference": "#p1"},
        "performer": [{"reference": "#nope"}],
        "focus": [{"reference": "#dr"}]
    });
    assert_issues(
        "contained found",
        &run(
            OBSERVATION,
            "Observation.subject",
            &observation,
            None,
            "/subject",
        ),
        &[],
    );
    assert_issues(
        "contained missing",
        &run(
            OBSERVATION,
            "Observation.performer",
            &observation,
            None,
            "/performer/0",
        ),
        &[
            "error reference-unresolved @Observation.performer: Unable to resolve resource with reference '#nope'",
        ],
    );
    assert_issues(
        "contained of any type for focus",
        &run(
            OBSERVATION,
            "Observation.focus",
            &observation,
            None,
            "/focus/0",
        ),
        &[],
    );
    let patient = json!({
        "resourceType": "Patient",
        "contained": [{"resourceType": "Patient", "id": "other"}],
        "generalPractitioner": [{"reference": "#other"}]
    });
    assert_issues(
        "contained of the wrong type",
        &run(
            PATIENT,
            "Patient.generalPractitioner",
            &patient,
            None,
            "/generalPractitioner/0",
        ),
        &[
            "error reference-target-type @Patient.generalPractitioner: Invalid Resource target type. Found Patient, but expected one of (Organization, Practitioner, PractitionerRole)",
        ],
    );
}

#[test]
fn references_inside_a_bundle() {
    let bundle = json!({
        "resourceType": "Bundle", "type": "document",
        "entry": [
            {"fullUrl": "http://example.org/fhir/Observation/o1", "resource": {
                "resourceType": "Observation", "id": "o1",
                "subject": {"reference": "Patient/p1"},
                "performer": [{"reference": "urn:uuid:5d2f1e4c-0b2a-4d8e-9a4e-0c1f2b3a4d5e"}],
                "hasMember": [{"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"}],
                "focus": [{"reference": "Patient/missing"}],
                "derivedFrom": [{"reference": "http://example.org/fhir/Patient/p1"}]
            }},
            {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}},
            {"fullUrl": "urn:uuid:5d2f1e4c-0b2a-4d8e-9a4e-0c1f2b3a4d5e", "resource": {"resourceType": "Patient", "id": "p2"}},
            {"fullUrl": "urn:uuid:5d2f1e4c-0b2a-4d8e-9a4e-0c1f2b3a4d5e", "resource": {"resourceType": "Patient", "id": "p3"}}
        ]
    });
    let observation = bundle.pointer("/entry/0/resource").unwrap();
    let run_at =
        |id: &str, pointer: &str| run(OBSERVATION, id, observation, Some(&bundle), pointer);
    assert_issues(
        "relative, resolved against the entry's base",
        &run_at("Observation.subject", "/subject"),
        &[],
    );
    assert_issues(
        "urn matching two entries",
        &run_at("Observation.performer", "/performer/0"),
        &[
            "error reference-ambiguous @Observation.performer: Found 2 matches for 'urn:uuid:5d2f1e4c-0b2a-4d8e-9a4e-0c1f2b3a4d5e' in the bundle",
        ],
    );
    assert_issues(
        "unresolvable urn",
        &run_at("Observation.hasMember", "/hasMember/0"),
        &[
            "warning reference-urn-unresolved @Observation.hasMember: URN reference is not locally contained within the bundle urn:uuid:00000000-0000-4000-8000-000000000000",
        ],
    );
    assert_issues(
        "unresolvable relative reference in a document",
        &run_at("Observation.focus", "/focus/0"),
        &[
            "error reference-unresolved @Observation.focus: Can't find 'Patient/missing' in the bundle",
        ],
    );
    assert_issues(
        "absolute reference resolved to a Patient, which derivedFrom does not allow",
        &run_at("Observation.derivedFrom", "/derivedFrom/0"),
        &[
            "error reference-target-type @Observation.derivedFrom: Invalid Resource target type. Found Patient",
        ],
    );
}
