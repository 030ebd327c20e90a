//! MLLP framing: the Minimal Lower Layer Protocol that carries HL7v2 messages over TCP.
//!
//! A frame is a start block `0x0B`, the payload, and an end block `0x1C 0x0D`.
//! [`MllpCodec`] is a [`tokio_util::codec`] `Decoder` and `Encoder` for such frames. It only
//! frames bytes: it knows nothing about the HL7 inside (that is [`crate::parse`]'s job) and
//! nothing about sockets (wrap a stream in `tokio_util::codec::Framed`).
//!
//! # Leniency
//!
//! The decoder follows the tokio-util rule that a bad message which spares the next ones is an
//! item, not an error, so that a server can NAK it and keep the connection:
//!
//! - Bytes between frames (stray CR/LF, noise) are skipped and counted in
//!   [`MllpCodec::skipped_bytes`].
//! - A payload longer than the maximum is discarded up to its end block, without buffering it,
//!   and reported as [`MllpFrame::Oversized`].
//! - A start block inside a frame means the sender gave up on the frame and began another one:
//!   the partial payload is reported as [`MllpFrame::Truncated`] and decoding resumes with the
//!   new frame.
//! - A frame ends at `0x1C`. The `0x0D` that should follow is consumed when it comes; when
//!   another byte comes instead, that byte is handled as a byte between frames (a `0x0B` starts
//!   the next frame, anything else is skipped and counted).
//! - At end of stream, a frame that has begun and not ended is reported as
//!   [`MllpFrame::Truncated`] (or [`MllpFrame::Oversized`] if it had already exceeded the
//!   maximum); bytes outside any frame are skipped.
//!
//! The decoder therefore never fails on content; its only error is an I/O error of the
//! underlying stream. Decoding is linear in the input however the bytes are chunked: the codec
//! remembers how far it has already searched for the end block.
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use hl7v2::mllp::{MllpCodec, MllpFrame};
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = MllpCodec::default();
//! let mut wire = BytesMut::new();
//! codec.encode("MSH|^~\\&|A\r", &mut wire)?;
//! assert_eq!(&wire[..], b"\x0bMSH|^~\\&|A\r\x1c\x0d");
//! let frame = codec.decode(&mut wire)?;
//! assert_eq!(frame, Some(MllpFrame::Message("MSH|^~\\&|A\r".into())));
//! # Ok::<(), hl7v2::mllp::MllpError>(())
//! ```

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// The MLLP start block, `<VT>`.
pub const START_BLOCK: u8 = 0x0B;
/// The first byte of the MLLP end block, `<FS>`.
pub const END_BLOCK: u8 = 0x1C;
/// The second byte of the MLLP end block, `<CR>`.
pub const END_BLOCK_CR: u8 = 0x0D;

/// The default maximum payload length of [`MllpCodec::default`]: 1 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 1024 * 1024;

/// One item decoded from an MLLP stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MllpFrame {
    /// A complete frame: the payload between the start block and the end block.
    ///
    /// The payload may be empty (`0x0B 0x1C 0x0D`); what to do with it is the server's choice.
    Message(Bytes),
    /// A frame whose payload exceeded the codec's maximum. Its bytes were discarded, up to its
    /// end block, a new start block, or the end of the stream.
    Oversized {
        /// How many payload bytes were discarded.
        discarded_len: usize,
    },
    /// A frame that never got its end block: a new start block came first, or the stream
    /// ended. This is the partial payload, never longer than the maximum.
    Truncated(Bytes),
}

/// An MLLP framing error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MllpError {
    /// Reading or writing the underlying stream failed.
    #[error("MLLP stream I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// A payload to encode contains a framing byte, so its frame would end or restart early.
    #[error("cannot frame payload: byte 0x{byte:02X} at offset {offset} is an MLLP block marker")]
    BlockMarkerInPayload {
        /// The offending byte, `0x0B` or `0x1C`.
        byte: u8,
        /// Its offset in the payload.
        offset: usize,
    },
}

/// Where the decoder is between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside a frame. `after_end` is set right after a `0x1C`, when a `0x0D` is expected.
    Idle { after_end: bool },
    /// Inside a frame whose start block has been consumed: the buffer starts with the payload,
    /// and its first `scanned` bytes hold no block marker.
    InFrame { scanned: usize },
    /// Inside an oversized frame: `discarded` payload bytes are gone, the buffer holds the
    /// bytes not yet searched.
    Discarding { discarded: usize },
}

/// A tokio-util codec for MLLP frames; see the [module documentation](self) for the rules.
#[derive(Debug, Clone)]
pub struct MllpCodec {
    max_frame_len: usize,
    state: State,
    skipped_bytes: u64,
}

impl MllpCodec {
    /// A codec that accepts payloads of at most `max_frame_len` bytes (block markers excluded).
    pub fn new(max_frame_len: usize) -> Self {
        Self {
            max_frame_len,
            state: State::Idle { after_end: false },
            skipped_bytes: 0,
        }
    }

    /// The maximum payload length this codec accepts.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// How many bytes outside any frame have been skipped so far: noise between frames, and
    /// bytes after a `0x1C` that were not its `0x0D`. The expected `0x0D` is not counted.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped_bytes
    }

    /// Whether the decoder is in the middle of a frame (so that end of stream now would yield
    /// a truncated or oversized item).
    pub fn is_in_frame(&self) -> bool {
        !matches!(self.state, State::Idle { .. })
    }

    fn skip(&mut self, buf: &mut BytesMut, len: usize) {
        self.skipped_bytes = self.skipped_bytes.saturating_add(len as u64);
        buf.advance(len);
    }
}

impl Default for MllpCodec {
    /// A codec with a maximum payload of [`DEFAULT_MAX_FRAME_LEN`] (1 MiB).
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl Decoder for MllpCodec {
    type Item = MllpFrame;
    type Error = MllpError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<MllpFrame>, MllpError> {
        loop {
            match self.state {
                State::Idle { after_end } => {
                    let Some(&first) = buf.first() else {
                        return Ok(None);
                    };
                    if after_end && first == END_BLOCK_CR {
                        buf.advance(1);
                    }
                    self.state = State::Idle { after_end: false };
                    match memchr::memchr(START_BLOCK, buf) {
                        Some(start) => {
                            self.skip(buf, start);
                            buf.advance(1);
                            self.state = State::InFrame { scanned: 0 };
                        }
                        None => {
                            let len = buf.len();
                            self.skip(buf, len);
                            return Ok(None);
                        }
                    }
                }
                State::InFrame { scanned } => {
                    let unscanned = buf.get(scanned..).unwrap_or_default();
                    match memchr::memchr2(END_BLOCK, START_BLOCK, unscanned) {
                        Some(relative) => {
                            let marker_at = scanned + relative;
                            let is_end = unscanned.get(relative) == Some(&END_BLOCK);
                            let frame = if marker_at > self.max_frame_len {
                                buf.advance(marker_at);
                                MllpFrame::Oversized {
                                    discarded_len: marker_at,
                                }
                            } else {
                                let payload = buf.split_to(marker_at).freeze();
                                if is_end {
                                    MllpFrame::Message(payload)
                                } else {
                                    MllpFrame::Truncated(payload)
                                }
                            };
                            buf.advance(1);
                            self.state = if is_end {
                                State::Idle { after_end: true }
                            } else {
                                State::InFrame { scanned: 0 }
                            };
                            return Ok(Some(frame));
                        }
                        None if buf.len() > self.max_frame_len => {
                            let discarded = buf.len();
                            buf.clear();
                            self.state = State::Discarding { discarded };
                            return Ok(None);
                        }
                        None => {
                            self.state = State::InFrame { scanned: buf.len() };
                            return Ok(None);
                        }
                    }
                }
                State::Discarding { discarded } => {
                    match memchr::memchr2(END_BLOCK, START_BLOCK, buf) {
                        Some(marker_at) => {
                            let is_end = buf.get(marker_at) == Some(&END_BLOCK);
                            buf.advance(marker_at + 1);
                            self.state = if is_end {
                                State::Idle { after_end: true }
                            } else {
                                State::InFrame { scanned: 0 }
                            };
                            return Ok(Some(MllpFrame::Oversized {
                                discarded_len: discarded.saturating_add(marker_at),
                            }));
                        }
                        None => {
                            let discarded = discarded.saturating_add(buf.len());
                            buf.clear();
                            self.state = State::Discarding { discarded };
                            return Ok(None);
                        }
                    }
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<MllpFrame>, MllpError> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        let frame = match self.state {
            State::Idle { .. } => None,
            State::InFrame { .. } => Some(MllpFrame::Truncated(buf.split().freeze())),
            State::Discarding { discarded } => Some(MllpFrame::Oversized {
                discarded_len: discarded,
            }),
        };
        // After `decode` returned `None`, an idle codec has consumed the whole buffer, so
        // this only clears what a frame item above has already taken.
        let rest = buf.len();
        self.skip(buf, rest);
        self.state = State::Idle { after_end: false };
        Ok(frame)
    }
}

/// Writes `payload` as one frame, after checking it holds no block marker.
fn encode_frame(payload: &[u8], dst: &mut BytesMut) -> Result<(), MllpError> {
    if let Some(offset) = memchr::memchr2(START_BLOCK, END_BLOCK, payload) {
        let byte = payload.get(offset).copied().unwrap_or(START_BLOCK);
        return Err(MllpError::BlockMarkerInPayload { byte, offset });
    }
    dst.reserve(payload.len() + 3);
    dst.put_u8(START_BLOCK);
    dst.extend_from_slice(payload);
    dst.put_slice(&[END_BLOCK, END_BLOCK_CR]);
    Ok(())
}

impl Encoder<Bytes> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), MllpError> {
        encode_frame(&payload, dst)
    }
}

impl Encoder<&[u8]> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), MllpError> {
        encode_frame(payload, dst)
    }
}

impl Encoder<String> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, payload: String, dst: &mut BytesMut) -> Result<(), MllpError> {
        encode_frame(payload.as_bytes(), dst)
    }
}

impl Encoder<&str> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, payload: &str, dst: &mut BytesMut) -> Result<(), MllpError> {
        encode_frame(payload.as_bytes(), dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// Decodes `input` in one buffer (then at end of stream) with a maximum of 8 bytes and
    /// renders the items and the skipped count: `M"payload"`, `O(len)`, `T"payload"`, `skip=n`.
    fn render(input: &[u8]) -> String {
        let mut codec = MllpCodec::new(8);
        let mut buf = BytesMut::from(input);
        let mut out = String::new();
        let mut push = |frame: MllpFrame| {
            let _ = match frame {
                MllpFrame::Message(p) => write!(out, "M{:?} ", String::from_utf8_lossy(&p)),
                MllpFrame::Oversized { discarded_len } => write!(out, "O({discarded_len}) "),
                MllpFrame::Truncated(p) => write!(out, "T{:?} ", String::from_utf8_lossy(&p)),
            };
        };
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            push(frame);
        }
        while let Some(frame) = codec.decode_eof(&mut buf).unwrap() {
            push(frame);
        }
        assert!(buf.is_empty(), "buffer left after eof: {buf:?}");
        assert!(!codec.is_in_frame());
        out + &format!("skip={}", codec.skipped_bytes())
    }

    #[test]
    fn decode_table() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "skip=0"),
            (b"\x0babc\x1c\x0d", r#"M"abc" skip=0"#),
            (b"\x0b\x1c\x0d", r#"M"" skip=0"#),
            (b"\x0ba\x1c\x0d\x0bb\x1c\x0d", r#"M"a" M"b" skip=0"#),
            (
                b"\r\n\x0ba\x1c\x0d\r\nxx\x0bb\x1c\x0d\n",
                r#"M"a" M"b" skip=7"#,
            ),
            (b"noise only", "skip=10"),
            // End block without its CR: the frame still ends, the next byte is outside.
            (b"\x0ba\x1c\x0bb\x1c", r#"M"a" M"b" skip=0"#),
            (b"\x0ba\x1cZ\x0bb\x1c\x0d", r#"M"a" M"b" skip=1"#),
            // Only one CR belongs to the end block.
            (b"\x0ba\x1c\x0d\x0d", r#"M"a" skip=1"#),
            // A start block inside a frame truncates it.
            (b"\x0bab\x0bcd\x1c\x0d", r#"T"ab" M"cd" skip=0"#),
            (b"\x0b\x0bcd\x1c\x0d", r#"T"" M"cd" skip=0"#),
            // End of stream inside a frame.
            (b"\x0bab", r#"T"ab" skip=0"#),
            (b"\x0b", r#"T"" skip=0"#),
            (b"\x0ba\x1c\x0d\x0bpartial", r#"M"a" T"partial" skip=0"#),
            // Exactly the maximum is accepted, one more is oversized.
            (b"\x0b12345678\x1c\x0d", r#"M"12345678" skip=0"#),
            (
                b"\x0b123456789\x1c\x0d\x0bok\x1c\x0d",
                r#"O(9) M"ok" skip=0"#,
            ),
            (
                b"\x0b123456789abcdef\x0bok\x1c\x0d",
                r#"O(15) M"ok" skip=0"#,
            ),
            (b"\x0b123456789abcdef", "O(15) skip=0"),
            // A lone end block outside a frame is noise.
            (b"\x1c\x0d\x0ba\x1c\x0d", r#"M"a" skip=2"#),
        ];
        let mut failures = String::new();
        for (input, expected) in cases {
            let actual = render(input);
            if actual != *expected {
                let _ = writeln!(
                    failures,
                    "{:?}\n  expected {expected}\n  actual   {actual}",
                    String::from_utf8_lossy(input)
                );
            }
        }
        assert!(failures.is_empty(), "{failures}");
    }

    #[test]
    fn oversized_frame_is_not_buffered() {
        let mut codec = MllpCodec::new(8);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"\x0b");
        for _ in 0..100 {
            buf.extend_from_slice(b"0123456789");
            assert_eq!(codec.decode(&mut buf).unwrap(), None);
            assert!(buf.len() <= 10, "buffer grew to {}", buf.len());
        }
        buf.extend_from_slice(b"\x1c\x0d");
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(MllpFrame::Oversized {
                discarded_len: 1000
            })
        );
    }

    #[test]
    fn cr_after_end_block_in_a_later_chunk_is_not_skipped() {
        let mut codec = MllpCodec::new(8);
        let mut buf = BytesMut::from(&b"\x0ba\x1c"[..]);
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(MllpFrame::Message(Bytes::from_static(b"a")))
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\x0d");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(codec.skipped_bytes(), 0);
    }

    #[test]
    fn encode_wraps_each_payload_type() {
        let mut codec = MllpCodec::default();
        let mut dst = BytesMut::new();
        codec.encode(Bytes::from_static(b"a"), &mut dst).unwrap();
        codec.encode(&b"b"[..], &mut dst).unwrap();
        codec.encode(String::from("c"), &mut dst).unwrap();
        codec.encode("", &mut dst).unwrap();
        assert_eq!(
            &dst[..],
            b"\x0ba\x1c\x0d\x0bb\x1c\x0d\x0bc\x1c\x0d\x0b\x1c\x0d"
        );
    }

    #[test]
    fn encode_rejects_block_markers_with_their_offset() {
        let mut codec = MllpCodec::default();
        let mut dst = BytesMut::new();
        let err = codec.encode("MSH|x\x1cy", &mut dst).unwrap_err();
        assert!(matches!(
            err,
            MllpError::BlockMarkerInPayload {
                byte: 0x1C,
                offset: 5
            }
        ));
        assert_eq!(
            err.to_string(),
            "cannot frame payload: byte 0x1C at offset 5 is an MLLP block marker"
        );
        assert!(dst.is_empty());
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let mut codec = MllpCodec::default();
        let mut wire = BytesMut::new();
        let payloads = ["MSH|^~\\&|A\rPID|1\r", "", "MSH|^~\\&|B\r"];
        for payload in payloads {
            codec.encode(payload, &mut wire).unwrap();
        }
        for payload in payloads {
            assert_eq!(
                codec.decode(&mut wire).unwrap(),
                Some(MllpFrame::Message(Bytes::from(payload)))
            );
        }
        assert_eq!(codec.decode_eof(&mut wire).unwrap(), None);
    }
}
