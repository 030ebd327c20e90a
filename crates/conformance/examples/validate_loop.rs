//! Profiling driver: validates one of the bench resources in a loop.
//! `cargo run --release -p conformance --example validate_loop -- observation 2000`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use conformance::Registry;
use conformance::validate::{ValidateOptions, Validator};

#[path = "../benches/common/resources.rs"]
mod bench_resources;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "observation".into());
    let n: usize = args.next().map_or(1000, |s| s.parse().unwrap());
    let names = ["patient", "observation", "bundle"];
    let position = names.iter().position(|name| *name == which).unwrap_or(2);
    let resource = bench_resources::resources().swap_remove(position).1;
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles");
    let validator = Validator::new(Arc::new(Registry::load_dir(&profiles).unwrap()));
    let options = ValidateOptions::default();
    let first = validator.validate(&resource, &options);
    eprintln!("{which}: {:?} issues {:?}", first.counts(), first.issues);
    let start = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n {
        total += validator
            .validate(std::hint::black_box(&resource), &options)
            .issues
            .len();
    }
    let elapsed = start.elapsed();
    eprintln!(
        "{n} validations in {elapsed:?}: {:?} each ({total})",
        elapsed / n as u32
    );
}
