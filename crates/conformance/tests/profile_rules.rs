//! Rules that need a profile of their own: run-time profiles (differentials compiled against
//! the committed `profiles/`), then a resource validated against them.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use conformance::package::{Package, PackageResource};
use conformance::validate::{
    BundleRule, Checks, IssueSeverity, ReferencePolicy, ResourceFetcher, ValidateOptions, Validator,
};
use conformance::{CompileOptions, PackageOrigin, Registry};
use serde_json::{Value, json};

const TEST: &str = "http://example.org/fhir/StructureDefinition/";

fn profile(name: &str, type_name: &str, elements: Value) -> Value {
    json!({
        "resourceType": "StructureDefinition",
        "url": format!("{TEST}{name}"),
        "name": name,
        "status": "draft",
        "kind": "resource",
        "abstract": false,
        "type": type_name,
        "baseDefinition": format!("http://hl7.org/fhir/StructureDefinition/{type_name}"),
        "derivation": "constraint",
        "differential": {"element": elements}
    })
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
        let base = Registry::load_dir(dir).unwrap();
        let profiles = [
            profile(
                "manifest-bundle",
                "Bundle",
                json!([{"id": "Bundle.entry.resource", "path": "Bundle.entry.resource",
                    "type": [{"code": "Resource",
                        "profile": ["http://hl7.org/fhir/StructureDefinition/DocumentManifest"]}]}]),
            ),
            profile(
                "unloaded-extension",
                "Patient",
                json!([
                    {"id": "Patient.extension", "path": "Patient.extension",
                        "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
                    {"id": "Patient.extension:x", "path": "Patient.extension", "sliceName": "x",
                        "min": 1, "max": "1",
                        "type": [{"code": "Extension", "profile": ["http://example.org/unloaded-ext"]}]}
                ]),
            ),
            profile(
                "unknown-target",
                "Patient",
                json!([{"id": "Patient.generalPractitioner", "path": "Patient.generalPractitioner",
                    "type": [{"code": "Reference",
                        "targetProfile": ["http://example.org/StructureDefinition/unknown"]}]}]),
            ),
            profile(
                "other-patient",
                "Patient",
                json!([
                    {"id": "Patient.gender", "path": "Patient.gender", "fixedCode": "other"},
                    {"id": "Patient.link.other", "path": "Patient.link.other",
                        "type": [{"code": "Reference",
                            "targetProfile": [format!("{TEST}other-patient")]}]}
                ]),
            ),
            profile(
                "ranges",
                "Observation",
                json!([
                    {"id": "Observation.referenceRange", "path": "Observation.referenceRange",
                        "slicing": {"discriminator": [{"type": "pattern", "path": "type"},
                            {"type": "pattern", "path": "appliesTo"}], "rules": "open"}},
                    {"id": "Observation.referenceRange:aged", "path": "Observation.referenceRange",
                        "sliceName": "aged", "min": 1},
                    {"id": "Observation.referenceRange:aged.type", "path": "Observation.referenceRange.type",
                        "patternCodeableConcept": {"text": "normal"}},
                    {"id": "Observation.referenceRange:aged.appliesTo", "path": "Observation.referenceRange.appliesTo",
                        "patternCodeableConcept": {"text": "adult"}},
                    {"id": "Observation.referenceRange:any", "path": "Observation.referenceRange",
                        "sliceName": "any", "min": 1},
                    {"id": "Observation.referenceRange:any.type", "path": "Observation.referenceRange.type",
                        "patternCodeableConcept": {"text": "treatment"}}
                ]),
            ),
            profile(
                "phones",
                "Patient",
                json!([
                    {"id": "Patient.telecom", "path": "Patient.telecom",
                        "slicing": {"discriminator": [{"type": "value", "path": "system"},
                            {"type": "value", "path": "use"}], "rules": "closed"}},
                    {"id": "Patient.telecom:home", "path": "Patient.telecom", "sliceName": "home"},
                    {"id": "Patient.telecom:home.system", "path": "Patient.telecom.system", "fixedCode": "phone"},
                    {"id": "Patient.telecom:home.use", "path": "Patient.telecom.use", "fixedCode": "home"},
                    {"id": "Patient.telecom:email", "path": "Patient.telecom", "sliceName": "email"},
                    {"id": "Patient.telecom:email.system", "path": "Patient.telecom.system", "fixedCode": "email"},
                    {"id": "Patient.telecom:email.use", "path": "Patient.telecom.use", "max": "0"}
                ]),
            ),
            profile(
                "typed-list",
                "List",
                json!([
                    {"id": "List.entry", "path": "List.entry",
                        "slicing": {"discriminator": [{"type": "type", "path": "item.resolve()"}],
                            "rules": "closed"}},
                    {"id": "List.entry:condition", "path": "List.entry", "sliceName": "condition", "min": 1},
                    {"id": "List.entry:condition.item", "path": "List.entry.item",
                        "type": [{"code": "Reference",
                            "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Condition"]}]},
                    {"id": "List.entry:device", "path": "List.entry", "sliceName": "device", "min": 1},
                    {"id": "List.entry:device.item", "path": "List.entry.item",
                        "type": [{"code": "Reference",
                            "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Device"]}]}
                ]),
            ),
        ];
        let package = Package {
            name: "example.profile-rules".to_string(),
            version: "0.0.1".to_string(),
            dependencies: vec![("hl7.fhir.r4.core".to_string(), "4.0.1".to_string())],
            resources: profiles
                .into_iter()
                .enumerate()
                .map(|(i, json)| PackageResource {
                    file: format!("sd-{i}.json"),
                    json,
                })
                .collect(),
        };
        let compiled = conformance::compile(&[package], &base, &CompileOptions::default()).unwrap();
        let mut registry = base;
        for package in compiled {
            registry.add_compiled(package, PackageOrigin::Memory).unwrap();
        }
        Validator::new(Arc::new(registry))
    })
}

/// The error and warning issues as `severity message_id @expression`.
fn run(resource: Value, profile: &str) -> Vec<String> {
    let options = ValidateOptions {
        profiles: vec![format!("{TEST}{profile}")],
    };
    validator()
        .validate(&resource, &options)
        .issues
        .iter()
        .filter(|i| i.severity != IssueSeverity::Information)
        .map(|i| format!("{} {} @{}", i.severity.as_str(), i.message_id, i.expression))
        .collect()
}

#[test]
fn a_nested_resource_must_be_of_its_type_profiles_type() {
    let bundle = |resource: Value| {
        json!({"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": "http://example.org/fhir/X/1", "resource": resource}]})
    };
    let patient = bundle(json!({"resourceType": "Patient"}));
    assert_eq!(
        run(patient, "manifest-bundle"),
        ["error resource-type-not-allowed @Bundle.entry[0].resource"]
    );
    let manifest = bundle(
        json!({"resourceType": "DocumentManifest", "status": "current",
        "content": [{"reference": "Binary/1"}]}),
    );
    assert_eq!(run(manifest, "manifest-bundle"), Vec::<String>::new());
}

#[test]
fn an_extension_slice_matches_its_profile_url_when_the_extension_is_not_loaded() {
    let with = json!({"resourceType": "Patient",
        "extension": [{"url": "http://example.org/unloaded-ext", "valueString": "a"}]});
    // The extension itself is unknown (an error of its own); the slice is filled.
    assert_eq!(
        run(with, "unloaded-extension"),
        ["error extension-unknown @Patient.extension[0]"]
    );
    let without = json!({"resourceType": "Patient"});
    assert_eq!(
        run(without, "unloaded-extension"),
        ["error slice-min @Patient"]
    );
}

#[test]
fn a_reference_whose_target_profile_is_not_loaded() {
    let patient = json!({"resourceType": "Patient",
        "generalPractitioner": [{"reference": "Practitioner/1"}]});
    assert_eq!(
        run(patient, "unknown-target"),
        [
            "error reference-profile-unknown @Patient.generalPractitioner[0]",
            "error reference-target-type @Patient.generalPractitioner[0]"
        ]
    );
    // A target whose type is not known (no `Type/id`) is not judged.
    let unknown = json!({"resourceType": "Patient",
        "generalPractitioner": [{"reference": "urn:uuid:9d3f2c4e-7d2b-4a56-9a7e-8c1d2b3a4f5e"}]});
    assert_eq!(run(unknown, "unknown-target"), Vec::<String>::new());
}

/// Patients by `Patient/id`, each `other` or `male`, each linking to the next in its list.
struct Patients(Vec<Value>);

impl ResourceFetcher for Patients {
    fn fetch(&self, reference: &str) -> Option<Value> {
        self.0
            .iter()
            .find(|p| {
                Some(reference)
                    == p["id"]
                        .as_str()
                        .map(|id| format!("Patient/{id}"))
                        .as_deref()
            })
            .cloned()
    }
}

fn linked(id: &str, gender: &str, other: &str) -> Value {
    json!({"resourceType": "Patient", "id": id, "gender": gender,
        "link": [{"other": {"reference": format!("Patient/{other}")}, "type": "seealso"}]})
}

#[test]
fn check_valid_references_validate_the_fetched_target_against_the_target_profile() {
    let patients = vec![
        linked("a", "other", "b"),
        linked("b", "male", "a"),
        linked("c", "male", "d"),
        linked("d", "other", "c"),
    ];
    let checks = Checks {
        references: ReferencePolicy::CheckValid,
        ..Checks::default()
    };
    let fetching = validator()
        .clone()
        .with_checks(checks)
        .with_fetcher(Arc::new(Patients(patients.clone())));
    let run = |validator: &Validator, resource: &Value| -> Vec<String> {
        let options = ValidateOptions {
            profiles: vec![format!("{TEST}other-patient")],
        };
        validator
            .validate(resource, &options)
            .issues
            .iter()
            .filter(|i| i.severity.is_error())
            .map(|i| format!("{} @{}", i.message_id, i.expression))
            .collect()
    };
    // a is fine, but its target b is not `other`.
    assert_eq!(
        run(&fetching, &patients[0]),
        ["reference-profile-mismatch @Patient.link[0].other"]
    );
    // c is not `other`; d is, and its link back to c (being validated) is not followed.
    assert_eq!(
        run(&fetching, &patients[2]),
        ["value-fixed @Patient.gender"]
    );
    // Without the policy, nothing is fetched.
    let ignoring = validator()
        .clone()
        .with_fetcher(Arc::new(Patients(patients.clone())));
    assert_eq!(run(&ignoring, &patients[0]), Vec::<String>::new());
}

#[test]
fn bundle_rules_add_a_profile_to_the_entries_they_select() {
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/Patient/a", "resource": {"resourceType": "Patient", "id": "a", "gender": "other"}},
        {"fullUrl": "http://example.org/fhir/Basic/b", "resource": {"resourceType": "Basic", "id": "b", "code": {"text": "b"}}},
        {"fullUrl": "http://example.org/fhir/Patient/c", "resource": {"resourceType": "Patient", "id": "c", "gender": "male"}}
    ]});
    let errors = |rule: &str| -> Vec<String> {
        let validator = validator().clone().with_bundle_rules(vec![BundleRule {
            rule: rule.to_string(),
            profile: format!("{TEST}other-patient"),
        }]);
        validator
            .validate(&bundle, &ValidateOptions::default())
            .issues
            .iter()
            .filter(|i| i.severity.is_error())
            .map(|i| format!("{} @{}", i.message_id, i.expression))
            .collect()
    };
    let second_patient = ["value-fixed @Bundle.entry[2].resource.gender"];
    assert_eq!(errors("Patient:0"), Vec::<String>::new());
    assert_eq!(errors("Patient:1"), second_patient);
    assert_eq!(errors("Patient"), second_patient);
    assert_eq!(errors("2"), second_patient);
    assert_eq!(errors("0"), Vec::<String>::new());
}

#[test]
fn a_slice_that_sets_nothing_at_a_discriminator_path_is_not_told_apart_by_it() {
    let observation = |ranges: Value| {
        json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "referenceRange": ranges})
    };
    let both = observation(json!([
        {"low": {"value": 1}, "type": {"text": "normal"}, "appliesTo": [{"text": "adult"}]},
        {"low": {"value": 1}, "type": {"text": "treatment"}}
    ]));
    assert_eq!(run(both, "ranges"), Vec::<String>::new());
    let aged_only = observation(json!([
        {"low": {"value": 1}, "type": {"text": "normal"}, "appliesTo": [{"text": "adult"}]}
    ]));
    assert_eq!(run(aged_only, "ranges"), ["error slice-min @Observation"]);
}

#[test]
fn a_slice_that_prohibits_a_discriminator_element_takes_items_without_it() {
    let patient = |telecom: Value| json!({"resourceType": "Patient", "telecom": telecom});
    let fine = patient(json!([
        {"system": "phone", "value": "1", "use": "home"},
        {"system": "email", "value": "a@example.org"}
    ]));
    assert_eq!(run(fine, "phones"), Vec::<String>::new());
    let email_with_use =
        patient(json!([{"system": "email", "value": "a@example.org", "use": "home"}]));
    assert_eq!(
        run(email_with_use, "phones"),
        ["error slicing-closed @Patient.telecom[0]"]
    );
}

#[test]
fn a_resolve_discriminator_follows_references_to_contained_resources() {
    let list = json!({"resourceType": "List", "status": "current", "mode": "working",
        "contained": [
            {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/1"}},
            {"resourceType": "Device", "id": "d"}
        ],
        "entry": [{"item": {"reference": "#c"}}, {"item": {"reference": "#d"}}]});
    assert_eq!(run(list, "typed-list"), Vec::<String>::new());
}
