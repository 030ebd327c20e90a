//! `fhirgate serve` over real HTTP: HL7v2 posts, health, readiness, metrics and size limits.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Gateway, adt_a01, field};

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::new()
}

#[test]
fn a_posted_message_is_stored_then_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(dir.path(), &[]);
    let base = format!("http://{}", gateway.http);

    let response = client()
        .post(format!("{base}/hl7v2"))
        .body(adt_a01("H1", false))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-fhirgate-message-id"], "1");
    let ack = response.text().unwrap();
    assert_eq!(field(&ack, "MSA", 1), "AA");
    assert_eq!(field(&ack, "MSA", 2), "H1");

    let bad = client()
        .post(format!("{base}/hl7v2"))
        .body("nonsense")
        .send()
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(field(&bad.text().unwrap(), "MSA", 1), "AE");

    assert_eq!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .get(format!("{base}/readyz"))
            .send()
            .unwrap()
            .status(),
        200
    );
    let metrics = client()
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(r#"fhirgate_messages_received_total{ack="AA",source="http"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("fhirgate_ack_latency_seconds_bucket"),
        "{metrics}"
    );
}

#[test]
fn a_body_over_the_limit_is_refused_with_413() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(dir.path(), &["--max-message-bytes", "1000"]);
    let response = client()
        .post(format!("http://{}/hl7v2", gateway.http))
        .body(format!(
            "{}NTE|1||{}\r",
            adt_a01("L1", false),
            "x".repeat(5000)
        ))
        .send()
        .unwrap();
    assert_eq!(response.status(), 413);
}
