//! `rules::binding::check` on hand-written values against the committed profiles.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, LazyLock};

use conformance::Registry;
use conformance::validate::rules::binding;
use conformance::validate::{Cx, Issue, Validator};
use serde_json::{Value, json};

static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
    Validator::new(Arc::new(Registry::load_dir(dir).unwrap()))
});

const R4: &str = "http://hl7.org/fhir/StructureDefinition/";

/// Checks `value` of `type_code` at the element `id` of `structure` (a url relative to the
/// R4 base when it has no scheme); returns `severity message_id @expression: message` lines.
fn run(structure: &str, id: &str, value: Value, type_code: &str) -> Vec<String> {
    let validator = &*VALIDATOR;
    let url = if structure.contains("://") {
        structure.to_owned()
    } else {
        format!("{R4}{structure}")
    };
    let def = validator
        .registry()
        .structure(&url)
        .unwrap_or_else(|| panic!("no {url}"));
    let element = def
        .element_by_id(id)
        .unwrap_or_else(|| panic!("no {id} in {url}"));
    let resource = json!({"resourceType": def.type_name});
    let cx = Cx {
        registry: validator.registry(),
        invariants: validator.invariants(),
        resource: &resource,
        bundle: None,
        checks: conformance::validate::Checks::default(),
        fetching: None,
        bundle_rules: &[],
    };
    let mut issues = Vec::new();
    binding::check(cx, def, element, &value, type_code, id.into(), &mut issues);
    issues.iter().map(line).collect()
}

fn line(issue: &Issue) -> String {
    format!(
        "{} {} @{}: {}",
        issue.severity.as_str(),
        issue.message_id,
        issue.expression,
        issue.message
    )
}

struct Case {
    name: &'static str,
    structure: &'static str,
    id: &'static str,
    type_code: &'static str,
    value: Value,
    /// Each expected issue as `severity message_id @expression`; `: text` after it must be
    /// contained in the message.
    expect: &'static [&'static str],
}

fn check_cases(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let got = run(case.structure, case.id, case.value.clone(), case.type_code);
        let matches = got.len() == case.expect.len()
            && got
                .iter()
                .zip(case.expect)
                .all(|(got, want)| match want.split_once(": ") {
                    Some((head, text)) => got.starts_with(head) && got.contains(text),
                    None => got.split(": ").next() == Some(want),
                });
        if !matches {
            failures.push(format!(
                "{}:\n  expected {:#?}\n  got {:#?}",
                case.name, case.expect, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

#[test]
fn bindings() {
    check_cases(vec![
        Case {
            name: "required code in the value set",
            structure: "Patient",
            id: "Patient.gender",
            type_code: "code",
            value: json!("female"),
            expect: &[],
        },
        Case {
            name: "required code not in the value set",
            structure: "Patient",
            id: "Patient.gender",
            type_code: "code",
            value: json!("x"),
            expect: &[
                "error binding-not-in-valueset @Patient.gender: The value provided ('x') was not found in the value set 'AdministrativeGender' (http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1), and a code is required from this value set",
            ],
        },
        Case {
            name: "Observation.status",
            structure: "Observation",
            id: "Observation.status",
            type_code: "code",
            value: json!("done"),
            expect: &["error binding-not-in-valueset @Observation.status: 'ObservationStatus'"],
        },
        Case {
            name: "codes are case-sensitive in a value set",
            structure: "Observation",
            id: "Observation.status",
            type_code: "code",
            value: json!("Final"),
            expect: &["error binding-not-in-valueset @Observation.status"],
        },
        Case {
            name: "example binding: nothing checked, nothing said",
            structure: "Observation",
            id: "Observation.code",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": "http://loinc.org", "code": "anything"}]}),
            expect: &[],
        },
        Case {
            name: "LOINC in an extensible binding to an external value set: not checked",
            structure: "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition|3.1.1",
            id: "Condition.code",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}),
            expect: &[
                // US Core 3.1.1's own copy of the value set, not 7.0.0's ('USCoreConditionCodes').
                "information binding-not-checked @Condition.code: was not checked against the extensible value set 'USCoreConditionCode' (http://hl7.org/fhir/us/core/ValueSet/us-core-condition-code|3.1.1)",
            ],
        },
        Case {
            name: "required CodeableConcept with a member coding",
            structure: "AllergyIntolerance",
            id: "AllergyIntolerance.clinicalStatus",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": ALLERGY_CLINICAL, "code": "active", "display": "Active"}]}),
            expect: &[],
        },
        Case {
            name: "required CodeableConcept: one member coding among others is enough",
            structure: "AllergyIntolerance",
            id: "AllergyIntolerance.clinicalStatus",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": "http://example.org/local", "code": "A"}, {"system": ALLERGY_CLINICAL, "code": "active"}]}),
            expect: &[],
        },
        Case {
            name: "required CodeableConcept with text only",
            structure: "AllergyIntolerance",
            id: "AllergyIntolerance.clinicalStatus",
            type_code: "CodeableConcept",
            value: json!({"text": "active"}),
            expect: &[
                "error binding-no-code @AllergyIntolerance.clinicalStatus: No code provided, and a code is required from the value set",
            ],
        },
        Case {
            name: "unknown code in a complete local code system, and not in the required value set",
            structure: "AllergyIntolerance",
            id: "AllergyIntolerance.clinicalStatus",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": ALLERGY_CLINICAL, "code": "bogus"}]}),
            expect: &[
                "error code-unknown @AllergyIntolerance.clinicalStatus.coding[0].code: Unknown code 'bogus' in the CodeSystem 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical' version '1.0.1'",
                "error binding-not-in-valueset @AllergyIntolerance.clinicalStatus: None of the codings provided are in the value set 'AllergyIntoleranceClinicalStatusCodes' (http://hl7.org/fhir/ValueSet/allergyintolerance-clinical|4.0.1), and a coding from this value set is required (codes = http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical#bogus)",
            ],
        },
        Case {
            name: "wrong display",
            structure: "AllergyIntolerance",
            id: "AllergyIntolerance.clinicalStatus",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": ALLERGY_CLINICAL, "code": "active", "display": "Not at all active"}]}),
            expect: &[
                "warning display-wrong @AllergyIntolerance.clinicalStatus.coding[0].display: Wrong Display Name 'Not at all active' for http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical#active. Valid display is 'Active'",
            ],
        },
        Case {
            name: "display compared ignoring case and spacing",
            structure: "AllergyIntolerance",
            id: "AllergyIntolerance.clinicalStatus",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": ALLERGY_CLINICAL, "code": "active", "display": " ACTIVE "}]}),
            expect: &[],
        },
        Case {
            name: "coding without a system",
            structure: "AllergyIntolerance",
            id: "AllergyIntolerance.clinicalStatus",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"code": "active"}]}),
            expect: &[
                "warning coding-no-system @AllergyIntolerance.clinicalStatus.coding[0]",
                "error binding-not-in-valueset @AllergyIntolerance.clinicalStatus",
            ],
        },
        Case {
            name: "extensible: a v2 code that is in the value set",
            structure: "Identifier",
            id: "Identifier.type",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": V2_0203, "code": "MR"}]}),
            expect: &[],
        },
        Case {
            name: "extensible: a local code is a warning naming the value set",
            structure: "Identifier",
            id: "Identifier.type",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": "http://example.org/ids", "code": "local"}]}),
            expect: &[
                "warning binding-not-in-valueset @Identifier.type: None of the codings provided are in the value set 'Identifier Type Codes' (http://hl7.org/fhir/ValueSet/identifier-type|4.0.1), and a coding should come from this value set unless it has no suitable code",
            ],
        },
        Case {
            name: "extensible with text only",
            structure: "Identifier",
            id: "Identifier.type",
            type_code: "CodeableConcept",
            value: json!({"text": "Medical record number"}),
            expect: &[
                "warning binding-no-code @Identifier.type: No code provided, and a code should be provided from the value set 'Identifier Type Codes'",
            ],
        },
        Case {
            name: "extensible with an unknown v2-0203 code",
            structure: "Identifier",
            id: "Identifier.type",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": V2_0203, "code": "NOPE"}]}),
            expect: &[
                "error code-unknown @Identifier.type.coding[0].code",
                "warning binding-not-in-valueset @Identifier.type",
            ],
        },
        Case {
            name: "a Coding whose system is a value set",
            structure: "Identifier",
            id: "Identifier.type",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": "http://hl7.org/fhir/ValueSet/identifier-type", "code": "MR"}]}),
            expect: &[
                "error coding-system-is-valueset @Identifier.type.coding[0].system",
                "warning binding-not-in-valueset @Identifier.type",
            ],
        },
        Case {
            name: "extensible LOINC value set enumerated locally: a LOINC code outside it",
            structure: "vitalsigns",
            id: "Observation.code",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": "http://loinc.org", "code": "59408-5"}]}),
            expect: &[
                "warning binding-not-in-valueset @Observation.code: (codes = http://loinc.org#59408-5)",
            ],
        },
        Case {
            name: "extensible LOINC value set enumerated locally: a member",
            structure: "vitalsigns",
            id: "Observation.code",
            type_code: "CodeableConcept",
            value: json!({"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}),
            expect: &[],
        },
        Case {
            name: "an element without a binding: codings still checked against local code systems",
            structure: "Observation",
            id: "Observation.focus",
            type_code: "Coding",
            value: json!({"system": ALLERGY_CLINICAL, "code": "bogus"}),
            expect: &["error code-unknown @Observation.focus.code"],
        },
    ]);
}

/// An unversioned ValueSet in a profile resolves within the profile's own package first: a
/// US Core 6.1.0 profile is checked against US Core 6.1.0's copy of the value set, not the
/// copy of US Core 7.0.0 (loaded later).
#[test]
fn unversioned_value_set_resolves_in_the_profiles_package() {
    let code = json!({"coding": [{
        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",
        "code": "bogus"
    }]});
    let profile = |version: &str| {
        format!(
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-simple-observation|{version}"
        )
    };
    let value_set = "http://hl7.org/fhir/us/core/ValueSet/us-core-simple-observation-category";
    for version in ["6.1.0", "7.0.0"] {
        let got = run(
            &profile(version),
            "Observation.category:us-core",
            code.clone(),
            "CodeableConcept",
        );
        let errors: Vec<&String> = got
            .iter()
            .filter(|l| l.starts_with("error binding-not-in-valueset"))
            .collect();
        assert_eq!(errors.len(), 1, "{version}: {got:#?}");
        assert!(
            errors[0].contains(&format!("({value_set}|{version})")),
            "{version}: {got:#?}"
        );
    }
}
