//! Parses every HL7v2 message of the shared corpus (`../shared/corpus/hl7v2/ms-fhir-converter`)
//! and thousands of mutated copies, checking that nothing panics and that
//! every diagnostic names its place.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use hl7v2::{AckOutcome, Timestamp, build_ack, parse, split_batch};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/hl7v2/ms-fhir-converter"
);

/// The `.hl7` files of the corpus, sorted; `None` (with the reason printed) when absent.
fn corpus_files() -> Option<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(CORPUS) else {
        eprintln!("skipping: shared corpus {CORPUS} is absent");
        return None;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hl7"))
        .collect();
    files.sort();
    Some(files)
}

/// Touches every view of a parsed message, so that lazy splitting and decoding run too.
fn exercise(input: &[u8]) -> usize {
    let (message, diagnostics) = parse(input);
    let mut touched = diagnostics.len();
    for segment in message.segments() {
        touched += segment.name().len();
        for field in segment.fields() {
            touched += field.decoded().len();
            for repetition in field.repetitions() {
                for component in repetition.components() {
                    for sub in component.subcomponents() {
                        touched += sub.decoded().len();
                    }
                }
            }
        }
    }
    for path in [
        "MSH-9.1",
        "PID-3[2].1",
        "PID-5.1.1",
        "OBX[2]-5",
        "MSH-2",
        "ZZZ-1",
    ] {
        touched += message.get(path).map_or(0, |value| value.len());
    }
    let header = message.header();
    if let Some(stamp) = header.timestamp {
        touched += stamp.to_fhir(Some(0)).map_or(0, |fhir| fhir.value.len());
    }
    if let Ok(now) = Timestamp::parse("20240101120000+0000") {
        touched += build_ack(&header, AckOutcome::Error, &[], &now, "X").map_or(0, |ack| ack.len());
    }
    touched + split_batch(input).messages.len()
}

#[test]
fn corpus_shared_parses_with_header_and_placed_diagnostics() {
    let Some(files) = corpus_files() else { return };
    assert_eq!(files.len(), 139, "expected the 139 messages of the corpus");
    let mut n_diagnostics = 0;
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(file).unwrap();
        let outcome = catch_unwind(|| {
            let (message, diagnostics) = parse(&bytes);
            let header = message.header();
            exercise(&bytes);
            (header, diagnostics)
        });
        let Ok((header, diagnostics)) = outcome else {
            panic!("{name}: parse panicked");
        };
        assert!(header.message_code.is_some(), "{name}: no message code");
        for diagnostic in &diagnostics {
            eprintln!("{name}: {diagnostic}");
            assert!(
                !diagnostic.location.is_empty(),
                "{name}: {diagnostic} has no location"
            );
        }
        n_diagnostics += diagnostics.len();
    }
    eprintln!("{} files, {n_diagnostics} diagnostics", files.len());
}

/// A deterministic xorshift64 generator.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that stress the parser when inserted.
const NASTY: &[&[u8]] = &[
    b"|",
    b"^",
    b"~",
    b"\\",
    b"&",
    b"#",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xFF",
    b"\xE9",
    b"\xC3",
    b"\xEF\xBB\xBF",
    b"\\X",
    b"\\XZ\\",
    b"\\C2842\\",
    b"\\.br\\",
    b"MSH|",
    b"MSH",
    b"BHS|^~\\&\r",
    b"BTS|9\r",
    b"FTS|x",
    b"MSH|^~\\&|||||||||||||||8859/1\r",
    b"\0",
    b"\xF0\x9F\x98\x80",
];

fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = rng.next() as u8;
            }
            1 => {
                let insert = NASTY[rng.below(NASTY.len())];
                bytes.splice(at..at, insert.iter().copied());
            }
            2 => {
                let end = (at + rng.below(64)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(128)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
            4 => bytes.truncate(at),
            _ => bytes.reverse(),
        }
    }
    bytes
}

#[test]
fn mutated_corpus_shared_never_panics() {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"MSH|^~\\&|S|F|R|RF|20240305103015+0100||ADT^A01|C1|P|2.5\rPID|1||1^^^H~2||Doe^J\\S\\X\rOBX|1|TX|||a\\.br\\b".to_vec(),
        b"MSH#*@!$#S#F#R#RF#2024##ORU*R01#C#P#2.7\rOBX#1##a@b*c$d!E!".to_vec(),
        b"FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|a\rBTS|1\rFTS|1".to_vec(),
    ];
    match corpus_files() {
        Some(files) => seeds.extend(files.iter().filter_map(|file| std::fs::read(file).ok())),
        None => eprintln!("using only the built-in seeds"),
    }
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let n_cases = 3000;
    for case in 0..n_cases {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        let outcome = catch_unwind(AssertUnwindSafe(|| exercise(&input)));
        assert!(
            outcome.is_ok(),
            "case {case} panicked on {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}
