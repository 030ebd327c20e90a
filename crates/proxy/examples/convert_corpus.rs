//! Converts every message of a directory N times (default 20), for profiling:
//! `cargo run --release -p proxy --example convert_corpus -- DIR [N] [mix]`. With `mix`, only
//! the ADT, ORU and VXU messages, as in `cargo bench -p proxy`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The allocator of the `fhirgate` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("a directory of .hl7 files");
    let rounds: usize = args.next().map_or(20, |n| n.parse().expect("a number"));
    let mix_only = args.next().as_deref() == Some("mix");
    let converter = proxy::v2::Converter::default();
    let messages: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .filter(|message| {
            !mix_only
                || converter.convert(message).is_ok_and(|c| {
                    ["ADT_", "ORU_", "VXU_"]
                        .iter()
                        .any(|prefix| c.structure.starts_with(prefix))
                })
        })
        .collect();
    let start = std::time::Instant::now();
    let mut entries = 0;
    for _ in 0..rounds {
        for message in &messages {
            if let Ok(conversion) = converter.convert(message) {
                entries += conversion.bundle["entry"].as_array().map_or(0, Vec::len);
            }
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{} conversions, {entries} entries, {:.0} msgs/s",
        rounds * messages.len(),
        (rounds * messages.len()) as f64 / elapsed.as_secs_f64()
    );
}
