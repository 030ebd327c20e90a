//! Conversion throughput of `proxy::v2::Converter` on the ms-fhir-converter corpus, single core,
//! against our own parse-only throughput and the PyPI converter `hl7v2-fhir-bridge`.
//!
//! Messages are normalized the same way for everyone: a leading byte order mark is dropped and
//! CRLF/LF become CR.
//!
//! Groups:
//! - `convert/mix`: every ADT, ORU and VXU message of the corpus converted to a Bundle
//!   (parse, group, map, build the Bundle; no serialization).
//! - `parse/mix`: `hl7v2::parse` of the same messages, touching every field: the near-limit.
//! - `convert/peer-set`: the messages the Python peer also converts.
//!
//! After criterion, a plain timing pass prints the medians of 7 rounds: conversion msgs/s, the
//! ratio conversion/parse, and, when the peer is installed, its msgs/s on the common set (timed
//! in process by `scripts/bench_python_v2fhir.py`) and our ratio to it. Set
//! `PROXY_BENCH_PYTHON` to an interpreter that has `hl7v2-fhir-bridge` (see the script), or `0`
//! to skip the peer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

/// The allocator of the `fhirgate` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use proxy::site_config::SiteConfig;
use proxy::v2::Converter;

fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

fn normalize(raw: &[u8]) -> Vec<u8> {
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().peekable();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'\r' if bytes.peek() == Some(&&b'\n') => {}
            b'\n' => out.push(b'\r'),
            _ => out.push(byte),
        }
    }
    out
}

fn load(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hl7"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, normalize(&std::fs::read(&path).unwrap()))
        })
        .collect()
}

fn convert_all(converter: &Converter, messages: &[&[u8]]) -> usize {
    messages
        .iter()
        .map(|message| {
            converter
                .convert(black_box(message))
                .map(|c| c.bundle["entry"].as_array().map_or(0, Vec::len))
                .unwrap_or(0)
        })
        .sum()
}

fn parse_all(messages: &[&[u8]]) -> usize {
    let mut fields = 0;
    for message in messages {
        let (parsed, _) = hl7v2::parse(black_box(message));
        for segment in parsed.segments() {
            for n in 1..=segment.n_fields() {
                fields += usize::from(!segment.field(n).is_empty());
            }
        }
    }
    fields
}

/// Median messages/s over 7 rounds of about 0.5 s each.
fn median_rate(messages: usize, mut run: impl FnMut() -> usize) -> f64 {
    let mut rates = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let mut count = 0;
        while start.elapsed() < Duration::from_millis(500) {
            black_box(run());
            count += messages;
        }
        rates.push(count as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    rates[3]
}

/// Runs the Python peer; returns (its msgs/s, the file names it converts, its version).
fn python_peer(corpus: &Path) -> Option<(f64, Vec<String>, String)> {
    let python = std::env::var("PROXY_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    if python == "0" {
        eprintln!("python peer skipped: PROXY_BENCH_PYTHON=0");
        return None;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/bench_python_v2fhir.py"
    );
    let output = Command::new(&python)
        .arg(script)
        .arg(corpus)
        .arg("3")
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        _ => {
            eprintln!(
                "python peer skipped: {python} cannot run the script (install hl7v2-fhir-bridge; see the script)"
            );
            return None;
        }
    };
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let rate = line["msgs_per_s"].as_f64()?;
    let files = line["files"]
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str().map(str::to_owned))
        .collect();
    Some((
        rate,
        files,
        line["version"].as_str().unwrap_or("?").to_owned(),
    ))
}

fn main() {
    let corpus = shared_dir().join("corpus/hl7v2/ms-fhir-converter");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let all = load(&corpus);
    let converter = Converter::new(SiteConfig::default());
    let mix: Vec<&[u8]> = all
        .iter()
        .filter(|(_, bytes)| {
            converter.convert(bytes).is_ok_and(|c| {
                ["ADT_", "ORU_", "VXU_"]
                    .iter()
                    .any(|prefix| c.structure.starts_with(prefix))
            })
        })
        .map(|(_, bytes)| bytes.as_slice())
        .collect();
    let mix_bytes: usize = mix.iter().map(|m| m.len()).sum();
    eprintln!(
        "mix: {} ADT/ORU/VXU messages, {} bytes",
        mix.len(),
        mix_bytes
    );

    let mut criterion = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group("convert");
        group.throughput(Throughput::Elements(mix.len() as u64));
        group.bench_function("mix", |b| b.iter(|| convert_all(&converter, &mix)));
        group.finish();
    }
    {
        let mut group = criterion.benchmark_group("parse");
        group.throughput(Throughput::Elements(mix.len() as u64));
        group.bench_function("mix", |b| b.iter(|| parse_all(&mix)));
        group.finish();
    }

    // What the output tree alone costs: the mix's Bundles as JSON text, read back into
    // `serde_json::Value`s (the representation every consumer gets), and written out again.
    let outputs: Vec<Vec<u8>> = mix
        .iter()
        .map(|message| serde_json::to_vec(&converter.convert(message).unwrap().bundle).unwrap())
        .collect();
    let output_bytes: usize = outputs.iter().map(Vec::len).sum();
    let trees: Vec<serde_json::Value> = outputs
        .iter()
        .map(|json| serde_json::from_slice(json).unwrap())
        .collect();
    let tree_rate = median_rate(mix.len(), || {
        outputs
            .iter()
            .map(|json| {
                serde_json::from_slice::<serde_json::Value>(black_box(json))
                    .map_or(0, |tree| tree.as_object().map_or(0, serde_json::Map::len))
            })
            .sum()
    });
    let write_rate = median_rate(mix.len(), || {
        trees
            .iter()
            .map(|tree| serde_json::to_vec(black_box(tree)).map_or(0, |json| json.len()))
            .sum()
    });
    let convert_rate = median_rate(mix.len(), || convert_all(&converter, &mix));
    let parse_rate = median_rate(mix.len(), || parse_all(&mix));
    println!("convert/mix: {convert_rate:.0} msgs/s (median of 7 rounds)");
    println!("parse/mix:   {parse_rate:.0} msgs/s");
    println!(
        "conversion / parse-only: {:.3} (1/{:.1})",
        convert_rate / parse_rate,
        parse_rate / convert_rate
    );
    println!(
        "output: {} bytes of JSON per message on average",
        output_bytes / mix.len().max(1)
    );
    println!("read the output JSON into Values (tree-building bound): {tree_rate:.0} msgs/s");
    println!("write the output Values as JSON: {write_rate:.0} msgs/s");
    if let Some((peer_rate, files, version)) = python_peer(&corpus) {
        let common: Vec<&[u8]> = all
            .iter()
            .filter(|(name, _)| files.contains(name))
            .map(|(_, bytes)| bytes.as_slice())
            .collect();
        let ok = common
            .iter()
            .filter(|m| converter.convert(m).is_ok())
            .count();
        let ours = median_rate(common.len(), || convert_all(&converter, &common));
        println!(
            "peer set: {} messages ({} of them converted by us)",
            common.len(),
            ok
        );
        println!("convert/peer-set (ours): {ours:.0} msgs/s");
        println!("hl7v2-fhir-bridge {version}: {peer_rate:.0} msgs/s");
        println!("ratio ours / hl7v2-fhir-bridge: {:.2}x", ours / peer_rate);
    }
    criterion.final_summary();
}
