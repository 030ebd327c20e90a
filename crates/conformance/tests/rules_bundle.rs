//! `rules::bundle::check` on hand-written Bundles.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, LazyLock};

use conformance::Registry;
use conformance::validate::rules::bundle;
use conformance::validate::{Cx, Validator};
use serde_json::{Value, json};

static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
    Validator::new(Arc::new(Registry::load_dir(dir).unwrap()))
});

/// `severity message_id @expression` of each issue.
fn run(bundle_json: &Value) -> Vec<String> {
    let validator = &*VALIDATOR;
    let cx = Cx {
        registry: validator.registry(),
        invariants: validator.invariants(),
        resource: bundle_json,
        bundle: None,
        checks: conformance::validate::Checks::default(),
        fetching: None,
        bundle_rules: &[],
    };
    let mut issues = Vec::new();
    bundle::check(cx, bundle_json, &mut issues);
    for issue in &issues {
        eprintln!("{issue}");
    }
    issues
        .iter()
        .map(|issue| {
            format!(
                "{} {} @{}",
                issue.severity.as_str(),
                issue.message_id,
                issue.expression
            )
        })
        .collect()
}

fn patient(id: &str) -> Value {
    json!({"resourceType": "Patient", "id": id})
}

const UUID_A: &str = "urn:uuid:5d2f1e4c-0b2a-4d8e-9a4e-0c1f2b3a4d5e";
const UUID_B: &str = "urn:uuid:6e3a2f5d-1c3b-4e9f-8b5f-1d2a3c4b5e6f";

#[test]
fn bundle_rules() {
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "a valid collection",
            json!({"resourceType": "Bundle", "type": "collection", "entry": [
                {"fullUrl": UUID_A, "resource": patient("a")},
                {"fullUrl": "http://example.org/fhir/Patient/b", "resource": patient("b")},
                {"fullUrl": "urn:oid:1.2.3.4", "resource": patient("c")}
            ]}),
            vec![],
        ),
        (
            "duplicate fullUrls",
            json!({"resourceType": "Bundle", "type": "collection", "entry": [
                {"fullUrl": UUID_A, "resource": patient("a")},
                {"fullUrl": UUID_B, "resource": patient("b")},
                {"fullUrl": UUID_A, "resource": patient("c")}
            ]}),
            vec!["error bundle-fullurl-duplicate @Bundle.entry[2]"],
        ),
        (
            "same fullUrl with different versionIds is allowed",
            json!({"resourceType": "Bundle", "type": "collection", "entry": [
                {"fullUrl": UUID_A, "resource": {"resourceType": "Patient", "meta": {"versionId": "1"}}},
                {"fullUrl": UUID_A, "resource": {"resourceType": "Patient", "meta": {"versionId": "2"}}}
            ]}),
            vec![],
        ),
        (
            "history may repeat fullUrls",
            json!({"resourceType": "Bundle", "type": "history", "entry": [
                {"fullUrl": UUID_A, "resource": patient("a"), "request": {"method": "PUT", "url": "Patient/a"}, "response": {"status": "200"}},
                {"fullUrl": UUID_A, "resource": patient("a"), "request": {"method": "PUT", "url": "Patient/a"}, "response": {"status": "200"}}
            ]}),
            vec![],
        ),
        (
            "fullUrl formats",
            json!({"resourceType": "Bundle", "type": "collection", "entry": [
                {"fullUrl": "Patient/a", "resource": patient("a")},
                {"fullUrl": "urn:uuid:5D2F1E4C-0B2A-4D8E-9A4E-0C1F2B3A4D5E", "resource": patient("b")},
                {"resource": patient("c")},
                {"fullUrl": "http://example.org/fhir/Patient/x", "resource": patient("d")},
                {"fullUrl": "http://example.org/fhir/Patient/e", "resource": {"resourceType": "Patient"}}
            ]}),
            vec![
                "error bundle-fullurl-relative @Bundle.entry[0]",
                "error bundle-fullurl-uuid @Bundle.entry[1].fullUrl",
                "error bundle-fullurl-missing @Bundle.entry[2]",
                "error bundle-fullurl-mismatch @Bundle.entry[3]",
                "error bundle-fullurl-no-id @Bundle.entry[4]",
            ],
        ),
        (
            "a valid transaction",
            json!({"resourceType": "Bundle", "type": "transaction", "entry": [
                {"resource": patient("a"), "request": {"method": "PUT", "url": "Patient/a"}},
                {"fullUrl": UUID_A, "resource": patient("b"), "request": {"method": "POST", "url": "Patient"}}
            ]}),
            vec![],
        ),
        (
            "transaction entries need a request; no response",
            json!({"resourceType": "Bundle", "type": "transaction", "entry": [
                {"fullUrl": UUID_A, "resource": patient("a")},
                {"fullUrl": UUID_B, "resource": patient("b"), "request": {"method": "POST", "url": "Patient"}, "response": {"status": "201"}}
            ]}),
            vec![
                "error bundle-request-missing @Bundle.entry[0]",
                "error bundle-response-not-allowed @Bundle.entry[1]",
            ],
        ),
        (
            "a collection has no request, search or total",
            json!({"resourceType": "Bundle", "type": "collection", "total": 1, "entry": [
                {"fullUrl": UUID_A, "resource": patient("a"), "request": {"method": "POST", "url": "Patient"}, "search": {"mode": "match"}}
            ]}),
            vec![
                "error bundle-total-not-allowed @Bundle.total",
                "error bundle-request-not-allowed @Bundle.entry[0]",
                "error bundle-search-not-allowed @Bundle.entry[0]",
            ],
        ),
        (
            "a searchset",
            json!({"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [
                {"fullUrl": "http://example.org/fhir/Patient/a", "resource": patient("a"), "search": {"mode": "match"}}
            ]}),
            vec![],
        ),
        (
            "transaction-response entries need a response",
            json!({"resourceType": "Bundle", "type": "transaction-response", "entry": [
                {"response": {"status": "201"}},
                {}
            ]}),
            vec!["error bundle-response-missing @Bundle.entry[1]"],
        ),
        (
            "a document starts with a Composition",
            json!({"resourceType": "Bundle", "type": "document", "entry": [
                {"fullUrl": UUID_A, "resource": patient("a")}
            ]}),
            vec!["error bundle-first-entry @Bundle.entry[0]"],
        ),
        (
            "a message starts with a MessageHeader",
            json!({"resourceType": "Bundle", "type": "message", "entry": [
                {"fullUrl": UUID_A, "resource": {"resourceType": "MessageHeader", "id": "m"}},
                {"fullUrl": UUID_B, "resource": patient("b")}
            ]}),
            vec![],
        ),
        (
            "an empty message",
            json!({"resourceType": "Bundle", "type": "message"}),
            vec!["error bundle-first-entry @Bundle"],
        ),
    ];
    for (name, bundle_json, expect) in cases {
        assert_eq!(run(&bundle_json), expect, "{name}");
    }
}
