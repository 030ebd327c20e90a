//! Validation throughput, single core: a US Core 6.1.0 Patient, a vital-signs Observation and
//! a 100-entry transaction Bundle, against the committed `profiles/`.
//!
//! `cargo bench -p conformance --bench validate`. The peer (`rh-validator`) and the figures
//! are in `conformance/REPORT.md`, section "Performance".

// Bench code: a missing fixture is a failed bench.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use conformance::Registry;
use conformance::validate::{ValidateOptions, Validator};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/resources.rs"]
mod bench_resources;
use bench_resources::resources;

fn validate(c: &mut Criterion) {
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles");
    let registry = Registry::load_dir(&profiles).unwrap();
    let validator = Validator::new(Arc::new(registry));
    let options = ValidateOptions::default();
    let mut group = c.benchmark_group("validate");
    for (name, resource, count) in resources() {
        let outcome = validator.validate(&resource, &options);
        // A conforming example must stay valid: say so loudly if the validator disagrees.
        if !outcome.is_valid() {
            eprintln!("{name} is not valid: {:#?}", outcome.issues);
        }
        group.throughput(Throughput::Elements(count));
        group.bench_function(name, |b| {
            b.iter(|| validator.validate(black_box(&resource), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
