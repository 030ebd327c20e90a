//! Parse throughput of `hl7v2::parse` against its peers, on the ms-fhir-converter corpus.
//!
//! Every message is normalized the same way for every parser: a leading UTF-8 byte order
//! mark is dropped, and CRLF and LF segment terminators become CR (the corpus files use LF;
//! `hl7-parser` and python-hl7 want CR). Each iteration parses every message and touches
//! every field of every segment (counting the non-empty ones), so that lazy work is paid.
//!
//! Groups:
//! - `parse/all`: `hl7v2::parse` on all messages.
//! - `parse/common`: `hl7v2::parse` and `hl7-parser` 0.3 on the messages both accept
//!   (`hl7-parser` rejects some; the count is printed).
//!
//! After criterion, a plain timing pass prints MB/s (10^6 bytes) and messages/s of each Rust
//! parser (median of 7 rounds), then runs `scripts/bench_python_hl7.py` when `python3 -c
//! "import hl7"` works and prints python-hl7's and hl7apy's figures and our ratio to each.
//! `HL7V2_BENCH_PYTHON=0` skips the Python peers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

fn corpus_dir() -> PathBuf {
    shared_dir().join("corpus/hl7v2/ms-fhir-converter")
}

/// Drops a leading BOM and turns CRLF and LF into CR.
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

fn load_corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
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

/// `hl7v2::parse` plus a walk over every field; returns the count of non-empty fields.
fn ours(messages: &[&[u8]]) -> usize {
    let mut n_non_empty = 0;
    for input in messages {
        let (message, diagnostics) = hl7v2::parse(input);
        black_box(&diagnostics);
        for segment in message.segments() {
            n_non_empty += segment.fields().filter(|field| !field.is_empty()).count();
        }
    }
    n_non_empty
}

/// `hl7_parser::parse_message` plus a walk over every field; the messages are all accepted.
fn peer(messages: &[&str]) -> usize {
    let mut n_non_empty = 0;
    for input in messages {
        let message = hl7_parser::parse_message(input).unwrap();
        for segment in message.segments() {
            n_non_empty += segment.fields().filter(|field| !field.is_empty()).count();
        }
    }
    n_non_empty
}

/// Median messages/s and MB/s of `run` over 7 rounds of about `round` each.
fn rate(
    n_messages: usize,
    n_bytes: usize,
    round: Duration,
    mut run: impl FnMut() -> usize,
) -> (f64, f64) {
    let mut passes_per_s = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let mut passes = 0_u32;
        while start.elapsed() < round {
            black_box(run());
            passes += 1;
        }
        passes_per_s.push(f64::from(passes) / start.elapsed().as_secs_f64());
    }
    passes_per_s.sort_by(f64::total_cmp);
    let median = passes_per_s[passes_per_s.len() / 2];
    (median * n_messages as f64, median * n_bytes as f64 / 1e6)
}

/// One JSON line of `scripts/bench_python_hl7.py`, the fields we print.
struct PythonFigure {
    parser: String,
    version: String,
    n_accepted: u64,
    n_rejected: u64,
    msgs_per_s: f64,
    mb_per_s: f64,
}

/// Pulls `"key": value` out of a flat JSON line (the script prints nothing nested).
fn json_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\": ");
    let start = line.find(&needle)? + needle.len();
    let rest = &line[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].trim().trim_matches('"'))
}

fn python_peers(corpus: &Path) -> Vec<PythonFigure> {
    if std::env::var("HL7V2_BENCH_PYTHON").is_ok_and(|value| value == "0") {
        eprintln!("python peers skipped: HL7V2_BENCH_PYTHON=0");
        return Vec::new();
    }
    let importable = Command::new("python3")
        .args(["-c", "import hl7"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !importable {
        eprintln!(
            "python peers skipped: `python3 -c \"import hl7\"` failed (pip install hl7 hl7apy)"
        );
        return Vec::new();
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/bench_python_hl7.py"
    );
    let output = match Command::new("python3")
        .arg(script)
        .arg(corpus)
        .arg("3")
        .output()
    {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            eprintln!(
                "{script} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return Vec::new();
        }
        Err(err) => {
            eprintln!("cannot run {script}: {err}");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            Some(PythonFigure {
                parser: json_value(line, "parser")?.to_owned(),
                version: json_value(line, "version")?.to_owned(),
                n_accepted: json_value(line, "n_accepted")?.parse().ok()?,
                n_rejected: json_value(line, "n_rejected")?.parse().ok()?,
                msgs_per_s: json_value(line, "msgs_per_s")?.parse().ok()?,
                mb_per_s: json_value(line, "mb_per_s")?.parse().ok()?,
            })
        })
        .collect()
}

fn main() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!(
            "skipping the parse bench: corpus not found at {}",
            dir.display()
        );
        return;
    }
    let corpus = load_corpus(&dir);
    let all: Vec<&[u8]> = corpus.iter().map(|(_, bytes)| bytes.as_slice()).collect();
    let all_bytes: usize = all.iter().map(|input| input.len()).sum();

    let mut rejected = Vec::new();
    let mut common_ours: Vec<&[u8]> = Vec::new();
    let mut common_peer: Vec<&str> = Vec::new();
    for (name, bytes) in &corpus {
        match std::str::from_utf8(bytes).map(|text| (text, hl7_parser::parse_message(text))) {
            Ok((text, Ok(_))) => {
                common_ours.push(bytes);
                common_peer.push(text);
            }
            Ok((_, Err(err))) => rejected.push(format!("{name}: {err}")),
            Err(err) => rejected.push(format!("{name}: not UTF-8: {err}")),
        }
    }
    let common_bytes: usize = common_ours.iter().map(|input| input.len()).sum();
    // Both walks should count the same non-empty fields; the number of messages where they
    // do not is printed (both count a field of bare separators such as `^^^` as empty).
    let (n_ours, n_peer) = (ours(&common_ours), peer(&common_peer));
    let n_differing = common_ours
        .iter()
        .zip(&common_peer)
        .filter(|(input, text)| ours(&[input]) != peer(&[text]))
        .count();
    println!(
        "non-empty fields in the common messages: hl7v2 {n_ours}, hl7-parser {n_peer} \
         ({n_differing} messages differ)"
    );
    println!(
        "corpus: {} messages, {all_bytes} bytes; hl7-parser accepts {} ({common_bytes} bytes), rejects {}",
        all.len(),
        common_ours.len(),
        rejected.len()
    );
    for reason in &rejected {
        println!("  hl7-parser rejects {reason}");
    }

    let mut criterion = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group("parse/all");
        group.throughput(Throughput::Bytes(all_bytes as u64));
        group.bench_function(BenchmarkId::new("hl7v2", all.len()), |b| {
            b.iter(|| ours(black_box(&all)))
        });
        group.finish();
    }
    {
        let mut group = criterion.benchmark_group("parse/common");
        group.throughput(Throughput::Bytes(common_bytes as u64));
        group.bench_function(BenchmarkId::new("hl7v2", common_ours.len()), |b| {
            b.iter(|| ours(black_box(&common_ours)))
        });
        group.bench_function(BenchmarkId::new("hl7-parser", common_peer.len()), |b| {
            b.iter(|| peer(black_box(&common_peer)))
        });
        group.finish();
    }
    criterion.final_summary();

    // Criterion's own filter arguments (e.g. `cargo bench -- --list`) skip the summary too.
    if std::env::args().any(|arg| arg == "--list" || arg == "--test") {
        return;
    }
    let round = Duration::from_millis(400);
    let (ours_all_msgs, ours_all_mb) = rate(all.len(), all_bytes, round, || ours(&all));
    let (ours_msgs, ours_mb) = rate(common_ours.len(), common_bytes, round, || {
        ours(&common_ours)
    });
    let (peer_msgs, peer_mb) = rate(common_peer.len(), common_bytes, round, || {
        peer(&common_peer)
    });
    println!("\nsummary (median of 7 rounds; MB = 10^6 bytes of normalized input)");
    println!(
        "  hl7v2 (all {:>3} msgs):        {ours_all_mb:8.1} MB/s {ours_all_msgs:10.0} msgs/s",
        all.len()
    );
    println!(
        "  hl7v2 (common {:>3} msgs):     {ours_mb:8.1} MB/s {ours_msgs:10.0} msgs/s",
        common_ours.len()
    );
    println!(
        "  hl7-parser 0.3 (common):      {peer_mb:8.1} MB/s {peer_msgs:10.0} msgs/s   ours/peer {:.1}x",
        ours_mb / peer_mb
    );
    for figure in python_peers(&dir) {
        println!(
            "  {} {} ({} accepted, {} rejected): {:8.3} MB/s {:10.1} msgs/s   ours/peer {:.0}x (MB/s, ours on all)",
            figure.parser,
            figure.version,
            figure.n_accepted,
            figure.n_rejected,
            figure.mb_per_s,
            figure.msgs_per_s,
            ours_all_mb / figure.mb_per_s
        );
    }
}
