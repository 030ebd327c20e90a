//! Turning input bytes into text: byte order marks, UTF-8 and MSH-18 character sets.
//!
//! Valid UTF-8 is borrowed as is. Other bytes are decoded into an owned
//! `String` with `encoding_rs`, using the character set named in MSH-18 (HL7
//! table 0211, such as `8859/1` or `ISO IR100`; windows-1252 is the WHATWG
//! superset of ISO-8859-1). Without a usable MSH-18, invalid bytes are replaced
//! by U+FFFD and reported.

use std::borrow::Cow;

use encoding_rs::Encoding;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Location, Severity};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How this crate handles an MSH-18 value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSupport {
    /// The input is UTF-8 (or plain ASCII read as UTF-8).
    Utf8,
    /// The input is decoded with the named WHATWG encoding.
    Legacy(&'static str),
    /// The character set is known or unknown but cannot be decoded.
    Unsupported,
}

fn legacy(encoding: &'static Encoding) -> CharsetSupport {
    if encoding == encoding_rs::UTF_8 {
        CharsetSupport::Utf8
    } else {
        CharsetSupport::Legacy(encoding.name())
    }
}

fn table_0211(label: &str) -> Option<&'static Encoding> {
    use encoding_rs as e;
    let encoding = match label {
        "ASCII" | "ISO IR6" => e::WINDOWS_1252,
        "8859/1" | "ISO IR100" => e::WINDOWS_1252,
        "8859/2" | "ISO IR101" => e::ISO_8859_2,
        "8859/3" | "ISO IR109" => e::ISO_8859_3,
        "8859/4" | "ISO IR110" => e::ISO_8859_4,
        "8859/5" | "ISO IR144" => e::ISO_8859_5,
        "8859/6" | "ISO IR127" => e::ISO_8859_6,
        "8859/7" | "ISO IR126" => e::ISO_8859_7,
        "8859/8" | "ISO IR138" => e::ISO_8859_8,
        "8859/9" | "ISO IR148" => e::WINDOWS_1254,
        "8859/15" => e::ISO_8859_15,
        "ISO IR14" => e::SHIFT_JIS,
        "ISO IR87" => e::ISO_2022_JP,
        "GB 18030-2000" => e::GB18030,
        "KS X 1001" => e::EUC_KR,
        "BIG-5" => e::BIG5,
        "UNICODE UTF-8" => e::UTF_8,
        _ => return None,
    };
    Some(encoding)
}

/// Classifies an MSH-18 value (first repetition, trimmed, case-insensitive).
///
/// HL7 table 0211 labels come first; other labels (`UTF-8`, `ISO-8859-1`,
/// `windows-1252`) are looked up as WHATWG labels. UTF-16, UTF-32, ISO IR159
/// and CNS 11643 are unsupported: an ASCII-readable header cannot be UTF-16.
pub fn charset_support(label: &str) -> CharsetSupport {
    let upper = label.trim().to_ascii_uppercase();
    if let Some(encoding) = table_0211(&upper) {
        return legacy(encoding);
    }
    if upper.starts_with("UNICODE") || upper.starts_with("UTF-16") || upper.starts_with("UTF-32") {
        return CharsetSupport::Unsupported;
    }
    match Encoding::for_label_no_replacement(upper.as_bytes()) {
        Some(encoding)
            if encoding != encoding_rs::UTF_16LE && encoding != encoding_rs::UTF_16BE =>
        {
            legacy(encoding)
        }
        _ => CharsetSupport::Unsupported,
    }
}

/// Reads MSH-18 (first repetition) from raw bytes, before any decoding.
pub(crate) fn raw_msh18(input: &[u8]) -> Option<String> {
    let line_end = memchr::memchr2(b'\r', b'\n', input).unwrap_or(input.len());
    let line = input.get(..line_end)?;
    if !line.starts_with(b"MSH") {
        return None;
    }
    let field = *line.get(3)?;
    let repetition = line.get(5).copied();
    let value = line.split(|&b| b == field).nth(17)?;
    let first = match repetition {
        Some(rep) => value.split(|&b| b == rep).next().unwrap_or(value),
        None => value,
    };
    let text = String::from_utf8_lossy(first).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The 0-based line (segment) index holding byte `offset`, counting CRLF once.
fn line_of(input: &[u8], offset: usize) -> usize {
    let before = input.get(..offset).unwrap_or(input);
    let mut lines = 0;
    let mut previous = 0u8;
    for &byte in before {
        if byte == b'\n' && previous != b'\r' || byte == b'\r' {
            lines += 1;
        }
        previous = byte;
    }
    lines
}

/// Decodes the input bytes to text, reporting what was done.
pub(crate) fn decode_input<'a>(input: &'a [u8], diagnostics: &mut Vec<Diagnostic>) -> Cow<'a, str> {
    let mut bytes = input;
    if let Some(rest) = input.strip_prefix(UTF8_BOM) {
        bytes = rest;
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::ByteOrderMarkStripped,
            Severity::Info,
            Location::segment(0, "MSH"),
            "a UTF-8 byte order mark was stripped",
        ));
    }
    let msh18 = raw_msh18(bytes);
    let support = msh18.as_deref().map(charset_support);
    let charset_location = || Location::field(0, "MSH", 18);
    if let (Some(label), Some(CharsetSupport::Unsupported)) = (&msh18, support) {
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::UnsupportedCharset,
            Severity::Warning,
            charset_location(),
            format!(
                "character set {label:?} in MSH-18 is not supported; reading the bytes as UTF-8"
            ),
        ));
    }
    let invalid_at = match std::str::from_utf8(bytes) {
        Ok(text) => return Cow::Borrowed(text),
        Err(err) => err.valid_up_to(),
    };
    if let (Some(label), Some(CharsetSupport::Legacy(name))) = (&msh18, support)
        && let Some(encoding) = Encoding::for_label(name.as_bytes())
    {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        let (kind, severity, what) = if had_errors {
            (
                DiagnosticKind::NonUtf8Replaced,
                Severity::Warning,
                "with replacements",
            )
        } else {
            (DiagnosticKind::CharsetDecoded, Severity::Info, "")
        };
        diagnostics.push(Diagnostic::new(
            kind,
            severity,
            charset_location(),
            format!("decoded from {label:?} as {name} {what}")
                .trim_end()
                .to_owned(),
        ));
        return Cow::Owned(text.into_owned());
    }
    let line = line_of(bytes, invalid_at);
    diagnostics.push(Diagnostic::new(
        DiagnosticKind::NonUtf8Replaced,
        Severity::Warning,
        Location {
            segment_idx: Some(line),
            ..Location::default()
        },
        format!(
            "invalid UTF-8 from byte {invalid_at} and no usable MSH-18; invalid bytes replaced by U+FFFD"
        ),
    ));
    Cow::Owned(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[u8], expected: &str, borrowed: bool, kinds: &[DiagnosticKind]) {
        let mut diagnostics = Vec::new();
        let text = decode_input(input, &mut diagnostics);
        assert_eq!(text, expected, "{input:?}");
        assert_eq!(matches!(text, Cow::Borrowed(_)), borrowed, "{input:?}");
        let got: Vec<_> = diagnostics.iter().map(|d| d.kind).collect();
        assert_eq!(got, kinds, "{input:?}");
        assert!(diagnostics.iter().all(|d| !d.location.is_empty()));
    }

    const MSH17: &str = "MSH|^~\\&|a|b|c|d|t||ADT^A01|1|P|2.5||||||";

    #[test]
    fn decode_table() {
        use DiagnosticKind::*;
        let latin1 = [MSH17.as_bytes(), b"8859/1\rPID|||||Ren\xE9"].concat();
        let latin1_ir = [MSH17.as_bytes(), b"ISO IR100\rPID|||||Ren\xE9"].concat();
        let latin9 = [MSH17.as_bytes(), b"8859/15\rPID|||||\xA4"].concat();
        let no_label = b"MSH|^~\\&|a\rPID|||||Ren\xE9".to_vec();
        let utf8_label_bad = [MSH17.as_bytes(), b"UNICODE UTF-8\nPID|||||Ren\xE9"].concat();
        let unsupported = [MSH17.as_bytes(), b"CNS 11643-1992\rPID|||||x"].concat();
        let bom = [UTF8_BOM, b"MSH|^~\\&|caf\xC3\xA9"].concat();
        let valid_with_latin_label = [MSH17.as_bytes(), "8859/1\rPID|||||René".as_bytes()].concat();
        let cases: Vec<(&[u8], String, bool, Vec<DiagnosticKind>)> = vec![
            (
                &latin1,
                format!("{MSH17}8859/1\rPID|||||René"),
                false,
                vec![CharsetDecoded],
            ),
            (
                &latin1_ir,
                format!("{MSH17}ISO IR100\rPID|||||René"),
                false,
                vec![CharsetDecoded],
            ),
            (
                &latin9,
                format!("{MSH17}8859/15\rPID|||||€"),
                false,
                vec![CharsetDecoded],
            ),
            (
                &no_label,
                "MSH|^~\\&|a\rPID|||||Ren\u{FFFD}".into(),
                false,
                vec![NonUtf8Replaced],
            ),
            (
                &utf8_label_bad,
                format!("{MSH17}UNICODE UTF-8\nPID|||||Ren\u{FFFD}"),
                false,
                vec![NonUtf8Replaced],
            ),
            (
                &unsupported,
                format!("{MSH17}CNS 11643-1992\rPID|||||x"),
                true,
                vec![UnsupportedCharset],
            ),
            (
                &bom,
                "MSH|^~\\&|café".into(),
                true,
                vec![ByteOrderMarkStripped],
            ),
            (
                &valid_with_latin_label,
                format!("{MSH17}8859/1\rPID|||||René"),
                true,
                vec![],
            ),
            (b"", String::new(), true, vec![]),
        ];
        for (input, expected, borrowed, kinds) in cases {
            check(input, &expected, borrowed, &kinds);
        }
    }

    #[test]
    fn charset_labels() {
        let cases = [
            ("8859/1", CharsetSupport::Legacy("windows-1252")),
            ("iso ir100", CharsetSupport::Legacy("windows-1252")),
            (" 8859/15 ", CharsetSupport::Legacy("ISO-8859-15")),
            ("ASCII", CharsetSupport::Legacy("windows-1252")),
            ("UNICODE UTF-8", CharsetSupport::Utf8),
            ("utf-8", CharsetSupport::Utf8),
            ("ISO-8859-1", CharsetSupport::Legacy("windows-1252")),
            ("8859/9", CharsetSupport::Legacy("windows-1254")),
            ("UNICODE", CharsetSupport::Unsupported),
            ("UNICODE UTF-16", CharsetSupport::Unsupported),
            ("ISO IR159", CharsetSupport::Unsupported),
            ("KLINGON", CharsetSupport::Unsupported),
        ];
        for (label, expected) in cases {
            assert_eq!(charset_support(label), expected, "{label}");
        }
    }

    #[test]
    fn msh18_is_read_from_raw_bytes() {
        let cases: [(&[u8], Option<&str>); 4] = [
            (
                b"MSH|^~\\&||||||||||||||||8859/1~UNICODE UTF-8|x",
                Some("8859/1"),
            ),
            (
                b"MSH#^~\\&#######a#b#c#d#e#f#g#h#i#ASCII\rPID",
                Some("ASCII"),
            ),
            (b"MSH|^~\\&|a", None),
            (b"PID|1", None),
        ];
        for (input, expected) in cases {
            assert_eq!(raw_msh18(input).as_deref(), expected);
        }
    }
}
