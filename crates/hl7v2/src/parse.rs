//! The lenient, zero-copy indexer behind [`parse`].
//!
//! One pass finds segment lines with `memchr2` (CR, LF or CRLF, mixed) and
//! field separators with `memchr`, pushing `u32` spans into two vectors sized
//! from the input length. Nothing else is allocated per field. A second,
//! cheap pass visits only the fields holding an escape character, to report
//! broken escape sequences with their place. Header checks (MSH-7, 9, 10, 12)
//! run last.

use std::borrow::Cow;

use crate::delimiters::Delimiters;
use crate::diagnostic::{Diagnostic, DiagnosticKind, Location, Severity};
use crate::encoding;
use crate::escape::{self, EscapeIssue};
use crate::header;
use crate::message::{Message, SegmentSpan, Span};

/// The most text the `u32` spans can address.
const MAX_TEXT: usize = u32::MAX as usize;

/// Parses one HL7v2 message. Never fails and never panics: problems become diagnostics.
///
/// The input may use CR, LF or CRLF between segments, may start with a UTF-8
/// byte order mark and may be in a legacy character set named in MSH-18.
pub fn parse(input: &[u8]) -> (Message<'_>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut text = encoding::decode_input(input, &mut diagnostics);
    if text.len() > MAX_TEXT {
        let cut = text
            .get(..MAX_TEXT)
            .and_then(|head| memchr::memrchr2(b'\r', b'\n', head.as_bytes()))
            .unwrap_or(0);
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::InputTooLarge,
            Severity::Error,
            Location::segment(0, "MSH"),
            format!(
                "the text is {} bytes; only the first {cut} are indexed",
                text.len()
            ),
        ));
        text = match text {
            Cow::Borrowed(all) => Cow::Borrowed(all.get(..cut).unwrap_or_default()),
            Cow::Owned(mut all) => {
                all.truncate(cut);
                Cow::Owned(all)
            }
        };
    }
    let (delimiters, segments, fields) = index(&text, &mut diagnostics);
    let message = Message {
        text,
        delimiters,
        segments,
        fields,
    };
    check_escapes(&message, &mut diagnostics);
    header::check(&message, &mut diagnostics);
    (message, diagnostics)
}

/// True for a line with nothing but spaces and tabs.
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b' ' || b == b'\t')
}

/// True for a well-formed segment id: an upper-case letter then two upper-case letters or digits.
fn valid_segment_id(name: &[u8]) -> bool {
    matches!(name, [first, rest @ ..] if rest.len() == 2
        && first.is_ascii_uppercase()
        && rest.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

/// Splits the text into lines: `(start, end)` of each line without its terminator.
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        match memchr::memchr2(b'\r', b'\n', bytes.get(pos..).unwrap_or_default()) {
            Some(rel) => {
                let end = start + rel;
                let crlf = bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n');
                pos = end + if crlf { 2 } else { 1 };
                Some((start, end))
            }
            None => {
                pos = bytes.len();
                Some((start, bytes.len()))
            }
        }
    })
}

fn index(
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Delimiters, Vec<SegmentSpan>, Vec<Span>) {
    let bytes = text.as_bytes();
    let first_line = lines(bytes)
        .map(|(start, end)| bytes.get(start..end).unwrap_or_default())
        .find(|line| !is_blank(line));
    let delimiters = match first_line {
        Some(line)
            if [&b"MSH"[..], b"FHS", b"BHS"]
                .iter()
                .any(|id| line.starts_with(id)) =>
        {
            Delimiters::from_header_line(line, diagnostics)
        }
        _ => Delimiters::default(),
    };
    let separator = delimiters.field;
    let mut segments = Vec::with_capacity(bytes.len() / 64 + 4);
    let mut fields = Vec::with_capacity(bytes.len() / 6 + 16);
    let mut blank_run = 0usize;
    for (start, end) in lines(bytes) {
        let line = bytes.get(start..end).unwrap_or_default();
        if is_blank(line) {
            blank_run += 1;
            continue;
        }
        let segment_idx = segments.len();
        if blank_run > 0 {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::EmptySegment,
                Severity::Warning,
                Location {
                    segment_idx: Some(segment_idx),
                    ..Location::default()
                },
                format!("{blank_run} blank line(s) before segment {segment_idx} skipped"),
            ));
            blank_run = 0;
        }
        let first_field = fields.len();
        let header_like = line.len() > 3
            && line.get(3) == Some(&separator)
            && matches!(line.get(..3), Some(b"MSH" | b"FHS" | b"BHS"));
        if header_like {
            fields.push(Span::new(start, start + 3));
            fields.push(Span::new(start + 3, start + 4));
        }
        let split_from = if header_like { start + 4 } else { start };
        let mut piece_start = split_from;
        for hit in memchr::memchr_iter(separator, bytes.get(split_from..end).unwrap_or_default()) {
            let at = split_from + hit;
            fields.push(Span::new(piece_start, at));
            piece_start = at + 1;
        }
        fields.push(Span::new(piece_start, end));
        let name_span = fields.get(first_field).copied().unwrap_or_default();
        let name = bytes
            .get(name_span.start as usize..name_span.end as usize)
            .unwrap_or_default();
        if !valid_segment_id(name) {
            let shown = String::from_utf8_lossy(name.get(..16).unwrap_or(name)).into_owned();
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::BadSegmentId,
                Severity::Warning,
                Location::segment(segment_idx, &shown),
                format!("segment id {shown:?} is not 3 upper-case letters or digits"),
            ));
        } else if segment_idx > 0 && name == b"MSH" {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::BatchStructure,
                Severity::Warning,
                Location::segment(segment_idx, "MSH"),
                "a second MSH inside one message; split batches with split_batch",
            ));
        }
        segments.push(SegmentSpan {
            line: Span::new(start, end),
            first_field: u32::try_from(first_field).unwrap_or(u32::MAX),
            n_spans: u32::try_from(fields.len() - first_field).unwrap_or(u32::MAX),
            header_like,
        });
    }
    match segments.first().map(|s| s.first_field) {
        None => diagnostics.push(Diagnostic::new(
            DiagnosticKind::EmptyInput,
            Severity::Error,
            Location::segment(0, "MSH"),
            "the input holds no segments",
        )),
        Some(first) => {
            let name = fields
                .get(first as usize)
                .map(|span| span.of(text))
                .unwrap_or_default();
            if name != "MSH" {
                diagnostics.push(Diagnostic::new(
                    DiagnosticKind::NoMshAtStart,
                    Severity::Error,
                    Location::segment(0, name.get(..3).unwrap_or(name)),
                    format!("the first segment is {name:?}, not MSH; delimiters may be wrong"),
                ));
            }
        }
    }
    (delimiters, segments, fields)
}

/// Reports broken escape sequences, visiting only fields that hold an escape character.
fn check_escapes(message: &Message<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(escape_char) = message.delimiters.escape else {
        return;
    };
    let text = message.text();
    let mut last_field = usize::MAX;
    let mut issues: Vec<EscapeIssue> = Vec::new();
    for hit in memchr::memchr_iter(escape_char, text.as_bytes()) {
        let Ok(hit) = u32::try_from(hit) else { break };
        let field_idx = message.fields.partition_point(|span| span.start <= hit);
        let Some(field_idx) = field_idx.checked_sub(1) else {
            continue;
        };
        if field_idx == last_field {
            continue;
        }
        last_field = field_idx;
        let segment_idx = message
            .segments
            .partition_point(|s| s.first_field as usize <= field_idx)
            .saturating_sub(1);
        let Some(segment) = message.segment(segment_idx) else {
            continue;
        };
        let Some(span) = message.segments.get(segment_idx) else {
            continue;
        };
        let field_n = field_idx.saturating_sub(span.first_field as usize);
        if field_n == 0 || span.header_like && field_n <= 2 {
            continue;
        }
        let field = segment.field(field_n);
        for (rep_idx, repetition) in field.repetitions().enumerate() {
            for (comp_idx, component) in repetition.components().enumerate() {
                for (sub_idx, sub) in component.subcomponents().enumerate() {
                    issues.clear();
                    let _ = escape::decode_with_issues(sub.raw(), &message.delimiters, &mut issues);
                    for issue in issues.drain(..) {
                        diagnostics.push(Diagnostic::new(
                            issue.kind,
                            Severity::Warning,
                            Location {
                                segment_idx: Some(segment_idx),
                                segment_id: Some(segment.name().to_owned()),
                                field: Some(field_n),
                                repetition: Some(rep_idx + 1),
                                component: Some(comp_idx + 1),
                                subcomponent: Some(sub_idx + 1),
                            },
                            issue.message,
                        ));
                    }
                }
            }
        }
    }
}
