//! Validates the bench resources with `conformance::Validator` and with `rh-validator` in the
//! same process, single thread, and prints resources/s for each (see `../README.md`).
//!
//! Usage: `HOME=DIR cargo run --release -- PROFILES_DIR US_CORE_PACKAGE_DIR`, where
//! `DIR/.fhir/packages/hl7.fhir.r4.core#4.0.1/package` holds the unpacked R4 core package
//! (rh-validator finds the core package only there) and `US_CORE_PACKAGE_DIR` the unpacked US
//! Core 6.1.0 `package/` folder.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};


#[path = "../../common/resources.rs"]
mod bench_resources;
use bench_resources::resources;

/// Runs `f` for about `budget` after a warm-up; returns calls per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed() < budget / 5 {
        f();
    }
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < budget {
        f();
        calls += 1;
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let profiles = args.get(1).map_or("profiles", String::as_str);
    let us_core = args.get(2).cloned();
    let budget = Duration::from_secs(3);

    let started = Instant::now();
    let registry = conformance::Registry::load_dir(Path::new(profiles)).unwrap();
    let ours = conformance::validate::Validator::new(Arc::new(registry));
    let our_start = started.elapsed();

    let started = Instant::now();
    let peer = rh_validator::FhirValidator::new(rh_validator::FhirVersion::R4, us_core.as_deref())
        .unwrap();
    let peer_start = started.elapsed();
    println!(
        "start-up: conformance {} ms, rh-validator {} ms",
        our_start.as_millis(),
        peer_start.as_millis()
    );
    println!(
        "| resource | conformance resources/s | rh-validator resources/s | ratio | our issues (e/w/i) | rh-validator issues (e/w/i) |"
    );
    println!("|---|---|---|---|---|---|");
    let options = conformance::validate::ValidateOptions::default();
    for (name, resource, count) in resources() {
        let outcome = ours.validate(&resource, &options);
        let peer_result = peer.validate(&resource).unwrap();
        let peer_counts = peer_result.issues.iter().fold((0, 0, 0), |c, i| {
            match format!("{:?}", i.severity).to_lowercase().as_str() {
                "error" | "fatal" => (c.0 + 1, c.1, c.2),
                "warning" => (c.0, c.1 + 1, c.2),
                _ => (c.0, c.1, c.2 + 1),
            }
        });
        let our_rate = rate(budget, || {
            std::hint::black_box(ours.validate(&resource, &options));
        }) * count as f64;
        let peer_rate = rate(budget, || {
            std::hint::black_box(peer.validate(&resource).ok());
        }) * count as f64;
        println!(
            "| {name} | {our_rate:.0} | {peer_rate:.0} | {:.1}× | {:?} | {:?} |",
            our_rate / peer_rate,
            outcome.counts(),
            peer_counts
        );
        if std::env::var_os("SHOW_ISSUES").is_some() {
            for issue in &outcome.issues {
                println!("  ours: {issue}");
            }
            for issue in &peer_result.issues {
                println!("  rh-validator: {issue:?}");
            }
        }
    }
}
