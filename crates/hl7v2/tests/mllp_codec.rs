//! `MllpCodec` on plain `BytesMut`: real corpus messages framed back to back with noise,
//! oversized, truncated and empty frames between them, decoded from every possible chunking.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used, clippy::panic)]

use bytes::{Bytes, BytesMut};
use hl7v2::mllp::{MllpCodec, MllpFrame};
use std::path::PathBuf;
use tokio_util::codec::{Decoder, Encoder};

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
        .join("corpus/hl7v2/ms-fhir-converter")
}

/// Reads a corpus message with its segment separators normalized to CR, as sent on the wire.
fn corpus_message(name: &str) -> Option<Bytes> {
    let text = std::fs::read_to_string(corpus_dir().join(name)).ok()?;
    Some(Bytes::from(text.replace("\r\n", "\r").replace('\n', "\r")))
}

/// What one decode of a stream produced: the items in order and the skipped byte count.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    frames: Vec<MllpFrame>,
    skipped_bytes: u64,
}

/// Feeds `chunks` one after the other, decoding after each, then signals end of stream.
fn decode_chunks<'a>(max_frame_len: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Decoded {
    let mut codec = MllpCodec::new(max_frame_len);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
    }
    while let Some(frame) = codec.decode_eof(&mut buf).unwrap() {
        frames.push(frame);
    }
    assert!(
        buf.is_empty(),
        "{} bytes left after end of stream",
        buf.len()
    );
    Decoded {
        frames,
        skipped_bytes: codec.skipped_bytes(),
    }
}

/// Checks that `stream` decodes to `expected` when split at every position, when fed one byte
/// at a time, and in pseudo-random chunks.
fn check_every_chunking(max_frame_len: usize, stream: &[u8], expected: &Decoded) {
    assert_eq!(
        &decode_chunks(max_frame_len, [stream]),
        expected,
        "whole stream"
    );
    for split_at in 0..=stream.len() {
        let (head, tail) = stream.split_at(split_at);
        assert_eq!(
            &decode_chunks(max_frame_len, [head, tail]),
            expected,
            "split at {split_at}"
        );
    }
    assert_eq!(
        &decode_chunks(max_frame_len, stream.chunks(1)),
        expected,
        "one byte at a time"
    );
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..50 {
        let mut chunks = Vec::new();
        let mut rest = stream;
        while !rest.is_empty() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = usize::try_from(seed % 97).unwrap().min(rest.len());
            let (chunk, after) = rest.split_at(len);
            chunks.push(chunk);
            rest = after;
        }
        assert_eq!(
            &decode_chunks(max_frame_len, chunks),
            expected,
            "random round {round}"
        );
    }
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut codec = MllpCodec::default();
    let mut out = BytesMut::new();
    codec.encode(payload, &mut out).unwrap();
    out.to_vec()
}

#[test]
fn shared_corpus_messages_decode_identically_under_every_chunking() {
    let names = [
        "ADT-A01-01.hl7",
        "PC1-Problem-Add-v2.3.1.hl7",
        "ADT-A40-01.hl7",
    ];
    let Some(messages) = names
        .iter()
        .map(|name| corpus_message(name))
        .collect::<Option<Vec<_>>>()
    else {
        eprintln!(
            "skipping: corpus not found under {}",
            corpus_dir().display()
        );
        return;
    };
    let max_frame_len = messages.iter().map(Bytes::len).max().unwrap();
    let oversized = vec![b'X'; max_frame_len + 1];
    let truncated = &messages[1][..40];

    let mut stream = Vec::new();
    stream.extend_from_slice(b"\r\n");
    stream.extend(frame(&messages[0]));
    stream.extend_from_slice(b"\r\nnoise between frames\n");
    stream.extend(frame(&oversized));
    stream.extend(frame(b""));
    stream.push(0x0B);
    stream.extend_from_slice(truncated);
    stream.extend(frame(&messages[1]));
    // An end block without its CR, then a last frame cut off by the end of the stream.
    stream.push(0x0B);
    stream.extend_from_slice(&messages[2]);
    stream.push(0x1C);
    stream.push(0x0B);
    stream.extend_from_slice(&messages[0][..100]);

    let expected = Decoded {
        frames: vec![
            MllpFrame::Message(messages[0].clone()),
            MllpFrame::Oversized {
                discarded_len: max_frame_len + 1,
            },
            MllpFrame::Message(Bytes::new()),
            MllpFrame::Truncated(Bytes::copy_from_slice(truncated)),
            MllpFrame::Message(messages[1].clone()),
            MllpFrame::Message(messages[2].clone()),
            MllpFrame::Truncated(messages[0].slice(..100)),
        ],
        skipped_bytes: (2 + "\r\nnoise between frames\n".len()) as u64,
    };
    check_every_chunking(max_frame_len, &stream, &expected);
}

#[test]
fn oversized_frames_under_every_chunking() {
    let mut stream = frame(b"0123456789abcdef");
    stream.extend(frame(b"ok"));
    stream.push(0x0B);
    stream.extend_from_slice(b"0123456789");
    stream.extend(frame(b"short"));
    stream.push(0x0B);
    stream.extend_from_slice(b"this one is cut by the end of the stream");
    let expected = Decoded {
        frames: vec![
            MllpFrame::Oversized { discarded_len: 16 },
            MllpFrame::Message(Bytes::from_static(b"ok")),
            MllpFrame::Oversized { discarded_len: 10 },
            MllpFrame::Message(Bytes::from_static(b"short")),
            MllpFrame::Oversized { discarded_len: 40 },
        ],
        skipped_bytes: 0,
    };
    check_every_chunking(8, &stream, &expected);
}

#[test]
fn end_block_without_cr_and_empty_frames_under_every_chunking() {
    let stream = b"\x0bA\x1c\x0bB\x1cjunk\x0b\x1c\x0d\x0b\x1c\x0bC\x1c\x0d\x0d\n";
    let expected = Decoded {
        frames: vec![
            MllpFrame::Message(Bytes::from_static(b"A")),
            MllpFrame::Message(Bytes::from_static(b"B")),
            MllpFrame::Message(Bytes::new()),
            MllpFrame::Message(Bytes::new()),
            MllpFrame::Message(Bytes::from_static(b"C")),
        ],
        skipped_bytes: 4 + 2,
    };
    check_every_chunking(8, stream, &expected);
}

#[test]
fn many_small_chunks_decode_in_linear_time() {
    // 4 MiB in a single frame delivered 16 bytes at a time: a codec that rescans its buffer
    // would do about 2^39 byte comparisons here, this one does 2^22.
    let payload = vec![b'a'; 4 << 20];
    let stream = frame(&payload);
    let decoded = decode_chunks(8 << 20, stream.chunks(16));
    assert_eq!(
        decoded.frames,
        vec![MllpFrame::Message(Bytes::from(payload))]
    );
}
