//! The Bundle builder through its public API: reference rewriting, requests, percent-encoding,
//! errors and determinism.

// Test helpers outside `#[test]` functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use fhir::bundle::{
    BundleBuilder, BundleError, BundleKind, ConditionalMode, EntryInput, UnresolvedReference,
};
use fhir::datatypes::{
    Coding, Decimal, HumanName, Identifier, Meta, Quantity, Reference, ResourceBuilder,
};
use fhir::ids::{FHIRGATE_NAMESPACE, deterministic_id};
use serde_json::{Value, json};
use uuid::Uuid;

fn id(resource_type: &str, identifier: &str) -> Uuid {
    deterministic_id(&FHIRGATE_NAMESPACE, "HIS", resource_type, identifier)
}

fn bundle_id() -> Uuid {
    Uuid::from_u128(0xb)
}

/// Compares pretty-printed text, so member order counts and a failure shows a readable diff.
fn assert_json(actual: &Value, expected: &Value) {
    let actual = serde_json::to_string_pretty(actual).unwrap();
    let expected = serde_json::to_string_pretty(expected).unwrap();
    assert_eq!(actual, expected);
}

fn patient() -> Value {
    let mut patient = ResourceBuilder::new("Patient", &id("Patient", "MRN1"));
    patient
        .push(
            "identifier",
            Identifier::new("http://h.example/mrn", "MRN1").to_json(),
        )
        .push(
            "name",
            HumanName {
                family: Some("Doe".into()),
                ..HumanName::default()
            }
            .to_json(),
        );
    patient.build()
}

fn reference(resource_type: &str, identifier: &str) -> Option<Value> {
    Reference::to_resource(resource_type, &id(resource_type, identifier)).to_json()
}

#[test]
fn references_between_entries_are_rewritten_in_any_order() {
    let patient_id = id("Patient", "MRN1");
    let practitioner_id = id("Practitioner", "DR1");
    let encounter_id = id("Encounter", "V1");
    let mut encounter = ResourceBuilder::new("Encounter", &encounter_id);
    encounter
        .set("subject", reference("Patient", "MRN1"))
        .push(
            "participant",
            Some(json!({"individual": reference("Practitioner", "DR1")})),
        )
        .push(
            "participant",
            Some(json!({"individual": {"reference": "Practitioner/unknown"}})),
        )
        .push(
            "location",
            Some(json!({"location": {"reference": "http://other.example/fhir/Location/1"}})),
        );
    let observation_id = id("Observation", "ORD1");
    let observation = json!({
        "resourceType": "Observation",
        "id": observation_id.to_string(),
        "contained": [{
            "resourceType": "Specimen",
            "id": "spec1",
            "subject": {"reference": format!("Patient/{patient_id}")}
        }],
        "subject": {"reference": format!("Patient/{patient_id}")},
        "encounter": {"reference": format!("Encounter/{encounter_id}")},
        "performer": [
            {"reference": format!("Practitioner/{practitioner_id}")},
            {"reference": format!("Patient/{patient_id}/_history/1")}
        ],
        "specimen": {"reference": "#spec1"},
        "hasMember": [{"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}],
        "derivedFrom": [{"reference": "Specimen/spec1"}]
    });
    let practitioner = ResourceBuilder::new("Practitioner", &practitioner_id).build();

    // The observation comes first, before the resources it points at.
    let mut builder = BundleBuilder::new(BundleKind::Collection, bundle_id(), None);
    for resource in [observation, encounter.build(), patient(), practitioner] {
        builder.add(EntryInput::new(resource)).unwrap();
    }
    let observation_url = format!("urn:uuid:{observation_id}");
    let encounter_url = format!("urn:uuid:{encounter_id}");
    let unresolved = |full_url: &str, path: &str, reference: &str| UnresolvedReference {
        full_url: full_url.to_owned(),
        path: path.to_owned(),
        reference: reference.to_owned(),
    };
    assert_eq!(
        builder.unresolved_references(),
        [
            unresolved(
                &observation_url,
                "Observation.performer[1].reference",
                &format!("Patient/{patient_id}/_history/1")
            ),
            unresolved(
                &observation_url,
                "Observation.hasMember[0].reference",
                "urn:uuid:00000000-0000-0000-0000-000000000000"
            ),
            unresolved(
                &observation_url,
                "Observation.derivedFrom[0].reference",
                "Specimen/spec1"
            ),
            unresolved(
                &encounter_url,
                "Encounter.participant[1].individual.reference",
                "Practitioner/unknown"
            ),
        ]
    );

    let bundle = builder.build();
    let entries = bundle["entry"].as_array().unwrap();
    let full_urls: Vec<&str> = entries
        .iter()
        .map(|entry| entry["fullUrl"].as_str().unwrap())
        .collect();
    let patient_url = format!("urn:uuid:{patient_id}");
    let practitioner_url = format!("urn:uuid:{practitioner_id}");
    assert_eq!(
        full_urls,
        [
            observation_url.as_str(),
            encounter_url.as_str(),
            patient_url.as_str(),
            practitioner_url.as_str()
        ]
    );
    assert_json(
        &entries[0]["resource"],
        &json!({
            "resourceType": "Observation",
            "id": observation_id.to_string(),
            "contained": [{
                "resourceType": "Specimen",
                "id": "spec1",
                "subject": {"reference": patient_url}
            }],
            "subject": {"reference": patient_url},
            "encounter": {"reference": encounter_url},
            "performer": [
                {"reference": practitioner_url},
                {"reference": format!("Patient/{patient_id}/_history/1")}
            ],
            "specimen": {"reference": "#spec1"},
            "hasMember": [{"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}],
            "derivedFrom": [{"reference": "Specimen/spec1"}]
        }),
    );
    assert_json(
        &entries[1]["resource"],
        &json!({
            "resourceType": "Encounter",
            "id": encounter_id.to_string(),
            "subject": {"reference": patient_url},
            "participant": [
                {"individual": {"reference": practitioner_url}},
                {"individual": {"reference": "Practitioner/unknown"}}
            ],
            "location": [{"location": {"reference": "http://other.example/fhir/Location/1"}}]
        }),
    );
}

#[test]
fn batch_keeps_relative_references() {
    let patient_id = id("Patient", "MRN1");
    let observation = json!({
        "resourceType": "Observation",
        "id": id("Observation", "ORD1").to_string(),
        "subject": {"reference": format!("Patient/{patient_id}")}
    });
    let mut builder = BundleBuilder::new(BundleKind::Batch, bundle_id(), None);
    builder.add(EntryInput::new(patient())).unwrap();
    builder.add(EntryInput::new(observation)).unwrap();
    assert_eq!(builder.unresolved_references(), []);
    // A server does not resolve `urn:uuid:` between batch entries.
    let patient_url = format!("urn:uuid:{patient_id}");
    let by_urn = json!({
        "resourceType": "Observation",
        "id": id("Observation", "ORD2").to_string(),
        "subject": {"reference": patient_url}
    });
    let by_urn_url = builder.add(EntryInput::new(by_urn)).unwrap();
    assert_eq!(
        builder.unresolved_references(),
        [UnresolvedReference {
            full_url: by_urn_url,
            path: "Observation.subject.reference".into(),
            reference: patient_url,
        }]
    );
    let bundle = builder.build();
    assert_eq!(
        bundle["entry"][1]["resource"]["subject"]["reference"],
        json!(format!("Patient/{patient_id}"))
    );
}

/// Builds a one-entry Bundle of `kind` and returns that entry's `request` (`Null` if none).
fn request_of(kind: BundleKind, mode: ConditionalMode, entry: EntryInput) -> Value {
    let mut builder = BundleBuilder::new(kind, bundle_id(), None).with_conditional_mode(mode);
    builder.add(entry).unwrap();
    let mut bundle = builder.build();
    bundle["entry"][0]["request"].take()
}

#[test]
fn requests_for_each_kind_and_mode() {
    let patient_id = id("Patient", "MRN1");
    let keyed = || EntryInput::conditional(patient(), "http://h.example/mrn", "MRN1");
    let unkeyed = || EntryInput::new(patient());
    let cases = [
        (
            BundleKind::Transaction,
            ConditionalMode::Update,
            keyed(),
            json!({"method": "PUT", "url": "Patient?identifier=http://h.example/mrn|MRN1"}),
        ),
        (
            BundleKind::Transaction,
            ConditionalMode::Create,
            keyed(),
            json!({
                "method": "POST",
                "url": "Patient",
                "ifNoneExist": "identifier=http://h.example/mrn|MRN1"
            }),
        ),
        (
            BundleKind::Transaction,
            ConditionalMode::Update,
            unkeyed(),
            json!({"method": "PUT", "url": format!("Patient/{patient_id}")}),
        ),
        (
            BundleKind::Transaction,
            ConditionalMode::Create,
            unkeyed(),
            json!({"method": "PUT", "url": format!("Patient/{patient_id}")}),
        ),
        (
            BundleKind::Batch,
            ConditionalMode::Update,
            keyed(),
            json!({"method": "PUT", "url": "Patient?identifier=http://h.example/mrn|MRN1"}),
        ),
        (
            BundleKind::Batch,
            ConditionalMode::Create,
            keyed(),
            json!({
                "method": "POST",
                "url": "Patient",
                "ifNoneExist": "identifier=http://h.example/mrn|MRN1"
            }),
        ),
        (
            BundleKind::Collection,
            ConditionalMode::Update,
            keyed(),
            Value::Null,
        ),
        (
            BundleKind::Collection,
            ConditionalMode::Create,
            unkeyed(),
            Value::Null,
        ),
    ];
    for (kind, mode, entry, expected) in cases {
        let request = request_of(kind, mode, entry);
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "{kind:?} {mode:?}"
        );
    }
}

#[test]
fn identifiers_are_escaped_and_percent_encoded() {
    let cases = [
        ("urn:oid:1.2.3", "A B", "identifier=urn:oid:1.2.3|A%20B"),
        (
            "http://h.example/a|b",
            "1",
            "identifier=http://h.example/a%5C%7Cb|1",
        ),
        ("sys", "a|b", "identifier=sys|a%5C%7Cb"),
        ("sys", "x&y=z", "identifier=sys|x%26y%3Dz"),
        (
            "sys",
            "Zoë 日本",
            "identifier=sys|Zo%C3%AB%20%E6%97%A5%E6%9C%AC",
        ),
        ("sys", "1,2$3\\4", "identifier=sys|1%5C%2C2%5C%243%5C%5C4"),
        ("sys", "a+b#c?d%", "identifier=sys|a%2Bb%23c%3Fd%25"),
    ];
    for (system, value, expected) in cases {
        let create = request_of(
            BundleKind::Transaction,
            ConditionalMode::Create,
            EntryInput::conditional(patient(), system, value),
        );
        assert_eq!(
            create["ifNoneExist"],
            json!(expected),
            "{system:?} {value:?}"
        );
        let update = request_of(
            BundleKind::Transaction,
            ConditionalMode::Update,
            EntryInput::conditional(patient(), system, value),
        );
        assert_eq!(
            update["url"],
            json!(format!("Patient?{expected}")),
            "{system:?} {value:?}"
        );
    }
}

#[test]
fn duplicate_entries_are_rejected() {
    let patient_id = id("Patient", "MRN1");
    let mut builder = BundleBuilder::new(BundleKind::Transaction, bundle_id(), None);
    builder.add(EntryInput::new(patient())).unwrap();
    builder
        .add(EntryInput::new(
            ResourceBuilder::new("Practitioner", &id("Practitioner", "1")).build(),
        ))
        .unwrap();
    let same_id_other_type = ResourceBuilder::new("Person", &patient_id).build();
    for (resource, resource_type) in [(patient(), "Patient"), (same_id_other_type, "Person")] {
        assert_eq!(
            builder.add(EntryInput::new(resource)),
            Err(BundleError::DuplicateEntry {
                entry_idx: 2,
                full_url: format!("urn:uuid:{patient_id}"),
                resource_type: resource_type.to_owned(),
                first_idx: 0,
            })
        );
    }
    assert_eq!(builder.len(), 2);
}

#[test]
fn bad_entries_are_rejected_with_their_place() {
    let uuid = "5c6f1b0e-0f43-5b83-9a8e-0c7f0f3c8a11";
    let cases = [
        (json!("Patient"), BundleError::NotAResource { entry_idx: 0 }),
        (
            json!({"id": uuid}),
            BundleError::NotAResource { entry_idx: 0 },
        ),
        (
            json!({"resourceType": 1, "id": uuid}),
            BundleError::NotAResource { entry_idx: 0 },
        ),
        (
            json!({"resourceType": "patient", "id": uuid}),
            BundleError::BadResourceType {
                entry_idx: 0,
                resource_type: "patient".into(),
            },
        ),
        (
            json!({"resourceType": "Patient?x=1", "id": uuid}),
            BundleError::BadResourceType {
                entry_idx: 0,
                resource_type: "Patient?x=1".into(),
            },
        ),
        (
            json!({"resourceType": "Patient"}),
            BundleError::MissingId {
                entry_idx: 0,
                resource_type: "Patient".into(),
            },
        ),
        (
            json!({"resourceType": "Patient", "id": "123"}),
            BundleError::IdNotUuid {
                entry_idx: 0,
                resource_type: "Patient".into(),
                id: "123".into(),
            },
        ),
        (
            json!({"resourceType": "Patient", "id": uuid.to_uppercase()}),
            BundleError::IdNotUuid {
                entry_idx: 0,
                resource_type: "Patient".into(),
                id: uuid.to_uppercase(),
            },
        ),
        (
            json!({"resourceType": "Patient", "id": uuid.replace('-', "")}),
            BundleError::IdNotUuid {
                entry_idx: 0,
                resource_type: "Patient".into(),
                id: uuid.replace('-', ""),
            },
        ),
    ];
    for (resource, expected) in cases {
        let mut builder = BundleBuilder::new(BundleKind::Transaction, bundle_id(), None);
        assert_eq!(
            builder.add(EntryInput::new(resource.clone())),
            Err(expected),
            "{resource}"
        );
        assert!(builder.is_empty());
    }

    for (system, value) in [("", "1"), ("sys", " "), ("", "")] {
        let mut builder = BundleBuilder::new(BundleKind::Transaction, bundle_id(), None);
        assert_eq!(
            builder.add(EntryInput::conditional(patient(), system, value)),
            Err(BundleError::BlankConditionalKey {
                entry_idx: 0,
                full_url: format!("urn:uuid:{}", id("Patient", "MRN1")),
            })
        );
    }
}

#[test]
fn bundle_members_are_in_r4_order() {
    let meta = Meta {
        tag: vec![Coding::new("urn:fhirgate:tag", "hl7v2")],
        ..Meta::default()
    };
    let mut builder = BundleBuilder::new(
        BundleKind::Transaction,
        bundle_id(),
        Some("2024-05-01T10:00:00.920+00:00".into()),
    )
    .with_meta(&meta);
    let full_url = builder
        .add(EntryInput::conditional(
            patient(),
            "http://h.example/mrn",
            "MRN1",
        ))
        .unwrap();
    assert_json(
        &builder.build(),
        &json!({
            "resourceType": "Bundle",
            "id": "00000000-0000-0000-0000-00000000000b",
            "meta": {"tag": [{"system": "urn:fhirgate:tag", "code": "hl7v2"}]},
            "type": "transaction",
            "timestamp": "2024-05-01T10:00:00.920+00:00",
            "entry": [{
                "fullUrl": full_url,
                "resource": patient(),
                "request": {"method": "PUT", "url": "Patient?identifier=http://h.example/mrn|MRN1"}
            }]
        }),
    );
}

#[test]
fn empty_parts_are_left_out() {
    let cases = [
        (None, &Meta::default()),
        (Some(String::new()), &Meta::default()),
        (Some("  ".to_owned()), &Meta::default()),
    ];
    for (timestamp, meta) in cases {
        let bundle = BundleBuilder::new(BundleKind::Collection, bundle_id(), timestamp.clone())
            .with_meta(meta)
            .build();
        assert_eq!(
            serde_json::to_string(&bundle).unwrap(),
            r#"{"resourceType":"Bundle","id":"00000000-0000-0000-0000-00000000000b","type":"collection"}"#,
            "{timestamp:?}"
        );
    }
}

/// One realistic message's worth of entries.
fn message_bundle() -> Value {
    let mut builder = BundleBuilder::new(
        BundleKind::Transaction,
        bundle_id(),
        Some("2024-05-01T10:00:00+02:00".into()),
    );
    builder
        .add(EntryInput::conditional(
            patient(),
            "http://h.example/mrn",
            "MRN1",
        ))
        .unwrap();
    let mut observation = ResourceBuilder::new("Observation", &id("Observation", "ORD1"));
    observation
        .set_str("status", "final")
        .set("subject", reference("Patient", "MRN1"))
        .set(
            "valueQuantity",
            Quantity {
                value: Some(Decimal::parse("5.50").unwrap()),
                unit: Some("mmol/L".into()),
                ..Quantity::default()
            }
            .to_json(),
        );
    builder.add(EntryInput::new(observation.build())).unwrap();
    builder.build()
}

#[test]
fn same_inputs_give_byte_identical_output() {
    let first = serde_json::to_string(&message_bundle()).unwrap();
    let second = serde_json::to_string(&message_bundle()).unwrap();
    assert_eq!(first, second);
    // The decimal keeps its text through the whole Bundle.
    assert!(
        first.contains(r#""valueQuantity":{"value":5.50,"unit":"mmol/L"}"#),
        "{first}"
    );
    let reparsed: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(serde_json::to_string(&reparsed).unwrap(), first);
}
