//! Fuzz target: arbitrary bytes fed to `MllpCodec` in arbitrary chunk sizes.
//!
//! Checks that the chunking never changes what is decoded (compared with decoding the whole
//! stream at once), that items respect the maximum frame length and hold no block marker,
//! that each message payload re-encodes to a frame that decodes to itself, and parses each
//! payload with `hl7v2::parse`.
#![no_main]

use bytes::BytesMut;
use hl7v2::mllp::{MllpCodec, MllpFrame};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::{Decoder, Encoder};

#[derive(Debug, Arbitrary)]
struct Input {
    /// The codec's maximum payload length, small so that oversized frames are common.
    max_frame_len: u8,
    /// Chunk lengths, used in a cycle; 0 means "decode again without new bytes".
    chunk_lens: Vec<u8>,
    /// The byte stream.
    stream: Vec<u8>,
}

fn decode(max_frame_len: usize, chunks: &mut dyn Iterator<Item = &[u8]>) -> (Vec<MllpFrame>, u64) {
    let mut codec = MllpCodec::new(max_frame_len);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
        assert!(
            buf.len() <= max_frame_len + chunk.len() + 1,
            "buffer not bounded"
        );
    }
    while let Some(frame) = codec.decode_eof(&mut buf).unwrap() {
        frames.push(frame);
    }
    assert!(buf.is_empty());
    assert!(!codec.is_in_frame());
    (frames, codec.skipped_bytes())
}

fuzz_target!(|input: Input| {
    let max_frame_len = usize::from(input.max_frame_len) * 4;
    let whole = decode(max_frame_len, &mut std::iter::once(&input.stream[..]));

    let mut rest = &input.stream[..];
    let mut lens = input.chunk_lens.iter().cycle();
    let mut chunks = Vec::new();
    while !rest.is_empty() {
        let len = lens
            .next()
            .map_or(rest.len(), |&len| usize::from(len))
            .min(rest.len());
        let (chunk, after) = rest.split_at(len);
        chunks.push(chunk);
        rest = after;
        if input.chunk_lens.iter().all(|&len| len == 0) {
            chunks.push(rest);
            break;
        }
    }
    let chunked = decode(max_frame_len, &mut chunks.into_iter());
    assert_eq!(whole, chunked, "chunking changed the decoded items");

    let mut codec = MllpCodec::new(max_frame_len);
    for frame in &whole.0 {
        match frame {
            MllpFrame::Message(payload) | MllpFrame::Truncated(payload) => {
                assert!(payload.len() <= max_frame_len);
                assert!(!payload.iter().any(|&b| b == 0x0B || b == 0x1C));
                let mut wire = BytesMut::new();
                codec.encode(payload.clone(), &mut wire).unwrap();
                assert_eq!(
                    codec.decode(&mut wire).unwrap(),
                    Some(MllpFrame::Message(payload.clone()))
                );
                let (message, diagnostics) = hl7v2::parse(payload);
                std::hint::black_box((message.segments().count(), diagnostics.len()));
            }
            MllpFrame::Oversized { discarded_len } => assert!(*discarded_len > max_frame_len),
        }
    }
});
