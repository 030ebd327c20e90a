//! Evaluation speed of a few US Core and R4 core invariants on a Patient, and of the Bundle
//! invariants that iterate over every entry on a 100-entry transaction Bundle (throughput in
//! entries): each expression is parsed once, then evaluated many times.
//! `cargo bench -p fhirpath --bench eval`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fhirpath::{Environment, Expression};
use serde_json::Value;

const INVARIANTS: [(&str, &str); 6] = [
    ("name-or-identifier", "name.exists() or identifier.exists()"),
    (
        "email-format",
        "telecom.where(system='email').value.matches('^.+@.+$')",
    ),
    (
        "us-core-6",
        "(name.family.exists() or name.given.exists()) xor extension.where(url='http://hl7.org/fhir/StructureDefinition/data-absent-reason').exists()",
    ),
    (
        "pat-1",
        "contact.all(name.exists() or telecom.exists() or address.exists() or organization.exists())",
    ),
    (
        "ele-1-descendants",
        "descendants().all(hasValue() or (children().count() > id.count()))",
    ),
    ("birthDate-past", "birthDate < today()"),
];

/// The Bundle invariants evaluated once per entry (R4 core `Bundle`).
const BUNDLE_INVARIANTS: [(&str, &str); 3] = [
    (
        "bdl-3",
        "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction' or %resource.type = 'history'))",
    ),
    (
        "bdl-4",
        "entry.all(response.exists() = (%resource.type = 'batch-response' or %resource.type = 'transaction-response' or %resource.type = 'history'))",
    ),
    (
        "bdl-7",
        "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId).isDistinct()",
    ),
];

/// How many entries the benchmark Bundle has.
const ENTRIES: u64 = 100;

/// A transaction Bundle of `ENTRIES` Observations, each with a fullUrl and a request.
fn bundle() -> Value {
    let entries: Vec<Value> = (0..ENTRIES)
        .map(|i| {
            serde_json::json!({
                "fullUrl": format!("urn:uuid:00000000-0000-5000-8000-{i:012}"),
                "resource": {"resourceType": "Observation", "status": "final",
                    "code": {"text": "heart rate"}},
                "request": {"method": "POST", "url": "Observation"}
            })
        })
        .collect();
    serde_json::json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
}

/// The R4 example Patient from the shared corpus, or a small inline one when it is absent.
fn patient() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/fhir-test-cases/r4/patient-example.xml"
    );
    if let Ok(xml) = std::fs::read_to_string(path)
        && let Ok(json) = fhir::xml::xml_to_json(&xml)
    {
        return json;
    }
    eprintln!("{path} is absent: using an inline Patient");
    serde_json::json!({
        "resourceType": "Patient", "id": "p1", "birthDate": "1974-12-25",
        "name": [{"family": "Chalmers", "given": ["Peter", "James"]}],
        "telecom": [{"system": "email", "value": "peter@example.org"}],
        "contact": [{"name": {"family": "du Marché"}}]
    })
}

/// Times each of `invariants` on `input`, in a group counting `elements` per evaluation.
fn bench_invariants(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    invariants: &[(&str, &str)],
    input: &Value,
    elements: u64,
) {
    let env = Environment::default();
    group.throughput(Throughput::Elements(elements));
    for &(name, text) in invariants {
        let Ok(expression) = Expression::parse(text) else {
            eprintln!("{name}: does not parse");
            continue;
        };
        group.bench_function(name, |b| {
            b.iter(|| black_box(expression.evaluate(black_box(input), &env).map(|r| r.len())))
        });
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("fhirpath-eval");
    bench_invariants(&mut group, &INVARIANTS, &patient(), 1);
    group.bench_function("parse-us-core-6", |b| {
        b.iter(|| black_box(Expression::parse(black_box(INVARIANTS[2].1)).is_ok()))
    });
    group.finish();

    let mut group = c.benchmark_group("fhirpath-bundle-entries");
    bench_invariants(&mut group, &BUNDLE_INVARIANTS, &bundle(), ENTRIES);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
