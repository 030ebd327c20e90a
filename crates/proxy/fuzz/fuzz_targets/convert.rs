//! Fuzz target: arbitrary bytes through parse plus conversion.
//!
//! Each input is converted as a single message and, split as a batch, message by message. A
//! conversion may fail (that is a clear error for the sender), but it must never panic, and a
//! Bundle it returns must be writable as FHIR XML (the strict R4 writer), so the JSON it built
//! has R4 shapes. Converting the same bytes twice must give the same Bundle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::site_config::SiteConfig;
use proxy::v2::Converter;

fn check(converter: &Converter, input: &[u8]) {
    let Ok(first) = converter.convert(input) else {
        return;
    };
    if let Err(error) = fhir::xml::json_to_xml(&first.bundle) {
        panic!("the Bundle is not R4-shaped: {error}");
    }
    let second = converter.convert(input).map(|c| c.bundle).ok();
    assert_eq!(Some(&first.bundle), second.as_ref(), "conversion is not deterministic");
}

fuzz_target!(|input: &[u8]| {
    let converter = Converter::new(SiteConfig::default());
    check(&converter, input);
    for message in hl7v2_messages(input) {
        check(&converter, message);
    }
});

/// The messages of a batch: every line starting with `MSH` begins one.
fn hl7v2_messages(input: &[u8]) -> Vec<&[u8]> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at_line_start = true;
    for (idx, byte) in input.iter().enumerate() {
        if at_line_start && input.get(idx..idx + 3) == Some(b"MSH") {
            starts.push(idx);
        }
        at_line_start = *byte == b'\r' || *byte == b'\n';
    }
    starts
        .iter()
        .enumerate()
        .filter_map(|(n, &start)| input.get(start..starts.get(n + 1).copied().unwrap_or(input.len())))
        .collect()
}
