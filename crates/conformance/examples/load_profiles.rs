//! Measures the cold load of a profiles directory: wall time and peak RSS (VmHWM).
//!
//! `cargo run --release -p conformance --example load_profiles -- [DIR] [--unavailable]`
//! (DIR defaults to the repository's `profiles/`). With `--unavailable`, also prints every
//! ValueSet without a local expansion and why.

use std::path::PathBuf;
use std::time::Instant;

use conformance::{Expansion, Registry};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), conformance::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.iter().find(|a| !a.starts_with("--")).map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles")),
        PathBuf::from,
    );
    let before = peak_rss_kib();
    let started = Instant::now();
    let registry = Registry::load_dir(&dir)?;
    let elapsed = started.elapsed();
    let after = peak_rss_kib();
    let structures: usize = registry
        .packages()
        .iter()
        .map(|p| p.package.structures.len())
        .sum();
    let elements: usize = registry.structures().map(|s| s.elements.len()).sum();
    println!(
        "loaded {} packages ({structures} structures, {elements} elements) from {} in {:.1} ms",
        registry.packages().len(),
        dir.display(),
        elapsed.as_secs_f64() * 1000.0
    );
    println!(
        "peak RSS (VmHWM): {} KiB before load, {} KiB after",
        before.unwrap_or(0),
        after.unwrap_or(0)
    );
    if args.iter().any(|a| a == "--unavailable") {
        for loaded in registry.packages() {
            for value_set in &loaded.package.value_sets {
                match &value_set.expansion {
                    Expansion::Complete(_) => {}
                    Expansion::External { systems } => println!(
                        "{}\t{}\texternal\t{}",
                        loaded.package.name,
                        value_set.url,
                        systems.join(" ")
                    ),
                    Expansion::Unavailable { reason } => println!(
                        "{}\t{}\tunavailable\t{reason}",
                        loaded.package.name, value_set.url
                    ),
                }
            }
        }
    }
    Ok(())
}
