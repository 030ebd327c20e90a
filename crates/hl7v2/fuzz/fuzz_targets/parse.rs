//! Fuzz target: arbitrary bytes through `hl7v2::parse` and every accessor.
//!
//! Walks every segment, field, repetition, component and subcomponent, decoding each; reads
//! the header, converts its timestamp to FHIR, and builds an ACK from it; then splits the
//! input as a batch and parses each message of it. Only crashes (and sanitizer reports) are
//! findings: no output is checked.
#![no_main]

use hl7v2::{AckOutcome, Timestamp};
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fn walk(input: &[u8]) {
    let (message, diagnostics) = hl7v2::parse(input);
    black_box(diagnostics.len());
    black_box(message.text().len());
    for segment in message.segments() {
        black_box((
            segment.name(),
            segment.raw(),
            segment.index(),
            segment.n_fields(),
        ));
        for field in segment.fields() {
            black_box((field.is_empty(), field.decoded()));
            for repetition in field.repetitions() {
                black_box((repetition.is_empty(), repetition.decoded()));
                for component in repetition.components() {
                    black_box((component.is_empty(), component.decoded()));
                    for subcomponent in component.subcomponents() {
                        black_box((subcomponent.is_empty(), subcomponent.decoded()));
                    }
                }
            }
        }
        // Indexed access past the end must give empty views, not panics.
        let n_fields = segment.n_fields();
        black_box(
            segment
                .field(n_fields + 1)
                .repetition(3)
                .component(2)
                .subcomponent(2)
                .decoded(),
        );
    }
    black_box(message.get("PID-3[2].1.1"));
    let header = message.header();
    if let Some(stamp) = &header.timestamp {
        black_box(stamp.to_fhir(Some(60)).ok());
    }
    if let Ok(now) = Timestamp::parse("20240101120000+0000") {
        black_box(hl7v2::build_ack(
            &header,
            AckOutcome::Error,
            &[],
            &now,
            "FUZZ1",
        ));
    }
    black_box(header);
}

fuzz_target!(|data: &[u8]| {
    walk(data);
    let batch = hl7v2::split_batch(data);
    black_box((
        batch.file_header,
        batch.batch_headers.len(),
        batch.diagnostics.len(),
    ));
    for message in &batch.messages {
        walk(message);
    }
});
