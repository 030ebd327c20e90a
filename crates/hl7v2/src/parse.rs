//! The lenient, zero-copy indexer behind [`parse()`].
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

#[cfg(test)]
mod tests {
    use super::*;

    type Values<'c> = Vec<(&'c str, Option<&'c str>)>;
    type Kinds<'c> = Vec<(DiagnosticKind, &'c str)>;

    const MSH: &str =
        "MSH|^~\\&|SEND|FAC|RECV|RFAC|20240305103015+0100||ADT^A01^ADT_A01|CTRL1|P|2.5.1";

    /// Parses `input` and checks each `(path, expected value)` and the diagnostic kinds with locations.
    fn check(
        input: &[u8],
        values: &[(&str, Option<&str>)],
        diagnostics: &[(DiagnosticKind, &str)],
    ) {
        let (message, found) = parse(input);
        let shown = String::from_utf8_lossy(input);
        for (path, expected) in values {
            assert_eq!(message.get(path).as_deref(), *expected, "{shown:?} {path}");
        }
        let got: Vec<_> = found
            .iter()
            .map(|d| (d.kind, d.location.to_string()))
            .collect();
        let want: Vec<_> = diagnostics
            .iter()
            .map(|(k, l)| (*k, (*l).to_owned()))
            .collect();
        assert_eq!(got, want, "{shown:?}");
    }

    #[test]
    fn paths_and_separators() {
        let cr = format!(
            "{MSH}\rPID|1||123^^^H^MR~456^^^S^SS&x||Doe^Jane\rOBX|1|ST|A||v1\rOBX|2|ST|B||v2\r\r\n\n"
        );
        let mixed = format!("{MSH}\r\nPID|1||123\nPV1|1|I\rZZ1|a");
        let cases: Vec<(String, Values<'_>)> = vec![
            (
                cr,
                vec![
                    ("MSH-1", Some("|")),
                    ("MSH-2", Some("^~\\&")),
                    ("MSH-3", Some("SEND")),
                    ("MSH-9", Some("ADT^A01^ADT_A01")),
                    ("MSH-9.2", Some("A01")),
                    ("MSH-10", Some("CTRL1")),
                    ("MSH-12", Some("2.5.1")),
                    ("PID-3", Some("123^^^H^MR")),
                    ("PID-3[2].1", Some("456")),
                    ("PID-3[2].5", Some("SS&x")),
                    ("PID-3[2].5.2", Some("x")),
                    ("PID-3[3].1", None),
                    ("PID-5.2", Some("Jane")),
                    ("PID-5.3", None),
                    ("PID-99", None),
                    ("OBX-5", Some("v1")),
                    ("OBX[2]-5", Some("v2")),
                    ("OBX[3]-5", None),
                    ("NTE-1", None),
                    ("bad path", None),
                ],
            ),
            (
                mixed,
                vec![
                    ("PID-3", Some("123")),
                    ("PV1-2", Some("I")),
                    ("ZZ1-1", Some("a")),
                ],
            ),
        ];
        for (input, values) in cases {
            check(input.as_bytes(), &values, &[]);
        }
    }

    #[test]
    fn delimiter_variants() {
        let hash = "MSH#*@!$#S#F#R#RF#20240305##ADT*A01#C1#P#2.5\rPID#1##a*b@c*d$e!F!";
        let truncation = "MSH|^~\\&#|S|F|R|RF|20240305||ADT^A01|C1|P|2.7\rNTE|1||a\\P\\b";
        let cases: Vec<(&str, Values<'_>)> = vec![
            (
                hash,
                vec![
                    ("MSH-1", Some("#")),
                    ("MSH-2", Some("*@!$")),
                    ("MSH-9.2", Some("A01")),
                    ("PID-3.2", Some("b")),
                    ("PID-3[2].2.2", Some("e#")),
                    ("PID-3[2].3", None),
                ],
            ),
            (
                truncation,
                vec![("MSH-2", Some("^~\\&#")), ("NTE-3", Some("a#b"))],
            ),
        ];
        for (input, values) in cases {
            check(input.as_bytes(), &values, &[]);
        }
    }

    #[test]
    fn diagnostics_name_their_place() {
        use DiagnosticKind::*;
        let bom = [b"\xEF\xBB\xBF".as_slice(), MSH.as_bytes(), b"\rPID|1"].concat();
        let escapes = format!("{MSH}\rNTE|1||ok\\F\\~x^y&bad\\Q\\|\\XZ\\|\\C2842\\t");
        let cases: Vec<(Vec<u8>, Kinds<'_>)> = vec![
            (bom, vec![(ByteOrderMarkStripped, "MSH(0)")]),
            (b"PID|1\rPV1|1".to_vec(), vec![(NoMshAtStart, "PID(0)")]),
            (b"".to_vec(), vec![(EmptyInput, "MSH(0)")]),
            (b"\r\n\r\n".to_vec(), vec![(EmptyInput, "MSH(0)")]),
            (
                format!("{MSH}\rpid|1\rPID1|x\r|a").into_bytes(),
                vec![
                    (BadSegmentId, "pid(1)"),
                    (BadSegmentId, "PID1(2)"),
                    (BadSegmentId, "(3)"),
                ],
            ),
            (
                format!("{MSH}\r\rPID|1\r\r").into_bytes(),
                vec![(EmptySegment, "?(1)")],
            ),
            (
                b"MSH|^~\\&|S|F|R|RF|2024x||^|||".to_vec(),
                vec![
                    (MissingRequiredField, "MSH(0)-9.1"),
                    (MissingRequiredField, "MSH(0)-9.2"),
                    (MissingRequiredField, "MSH(0)-10"),
                    (MissingRequiredField, "MSH(0)-12"),
                    (InvalidTimestamp, "MSH(0)-7.1"),
                ],
            ),
            (
                escapes.into_bytes(),
                vec![
                    (UnknownEscape, "NTE(1)-3[2].2.2"),
                    (InvalidHexEscape, "NTE(1)-4[1].1.1"),
                    (CharsetEscapeDropped, "NTE(1)-5[1].1.1"),
                ],
            ),
            (
                format!("{MSH}\rPID|1\r{MSH}").into_bytes(),
                vec![(BatchStructure, "MSH(2)")],
            ),
            (
                b"MSH|^~\\&|S|F|R|RF|20240305||ADT^A01|C1|P|2.5||||||8859/1\rPID|||||Ren\xE9"
                    .to_vec(),
                vec![(CharsetDecoded, "MSH(0)-18")],
            ),
        ];
        for (input, diagnostics) in cases {
            check(&input, &[], &diagnostics);
        }
    }

    #[test]
    fn iso_8859_1_is_decoded_from_msh18() {
        let input =
            b"MSH|^~\\&|S|F|R|RF|20240305||ADT^A01|C1|P|2.5||||||8859/1\rPID|||||Ren\xE9^Jos\xE9";
        let (message, _) = parse(input);
        assert_eq!(message.get("PID-5.1").as_deref(), Some("René"));
        assert_eq!(message.get("PID-5.2").as_deref(), Some("José"));
        assert!(matches!(message.text, Cow::Owned(_)));
    }

    #[test]
    fn views_borrow_and_split_lazily() {
        let input = format!("{MSH}\rPID|1||a~b~~c|x\\S\\y");
        let (message, _) = parse(input.as_bytes());
        let pid = message.first("PID").unwrap();
        assert_eq!(pid.name(), "PID");
        assert_eq!(pid.index(), 1);
        assert_eq!(pid.n_fields(), 4);
        assert!(pid.field(2).is_empty());
        assert!(pid.field(0).is_empty());
        let reps: Vec<_> = pid.field(3).repetitions().map(|r| r.raw()).collect();
        assert_eq!(reps, ["a", "b", "", "c"]);
        assert!(matches!(pid.field(3).decoded(), Cow::Borrowed(_)));
        assert!(matches!(pid.field(4).decoded(), Cow::Owned(_)));
        assert_eq!(pid.field(4).component(1).decoded(), "x^y");
        let msh = message.segment(0).unwrap();
        assert_eq!(msh.field(2).component(2).raw(), "");
        assert_eq!(msh.field(2).repetitions().count(), 1);
        assert_eq!(message.segments_named("PID").count(), 1);
        assert_eq!(message.delimiters(), Delimiters::default());
    }
}
