//! HL7 escape sequences: decoding field text and escaping values for output.
//!
//! Decoding handles `\F\ \S\ \T\ \R\ \E\ \P\`, `\Xhh..\` (hex bytes, read as
//! UTF-8 when valid, else as windows-1252), the formatting commands (`\.br\`,
//! `\.sp\` and `\.ce\` become a newline, the others are dropped), highlighting
//! `\H\ \N\` (dropped), and character set switches `\C..\`/`\M..\` (dropped,
//! with an issue). Unknown or broken sequences are kept literally and reported.
//! Text without an escape character is returned borrowed.

use std::borrow::Cow;

use crate::delimiters::Delimiters;
use crate::diagnostic::DiagnosticKind;

/// A problem found while decoding one escape sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeIssue {
    /// What is wrong.
    pub kind: DiagnosticKind,
    /// Byte offset of the opening escape character in the decoded text.
    pub offset: usize,
    /// A sentence for humans.
    pub message: String,
}

/// Decodes escape sequences in `raw`, ignoring any issues.
///
/// Returns `Cow::Borrowed` when `raw` holds no escape character.
pub fn decode<'t>(raw: &'t str, delimiters: &Delimiters) -> Cow<'t, str> {
    decode_inner(raw, delimiters, &mut None)
}

/// Decodes escape sequences in `raw` and appends what was wrong to `issues`.
pub fn decode_with_issues<'t>(
    raw: &'t str,
    delimiters: &Delimiters,
    issues: &mut Vec<EscapeIssue>,
) -> Cow<'t, str> {
    decode_inner(raw, delimiters, &mut Some(issues))
}

/// Decodes hex digit pairs to bytes; `None` unless non-empty, even and all hex.
fn hex_bytes(digits: &str) -> Option<Vec<u8>> {
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// What one escape sequence turns into.
enum Replacement {
    Char(u8),
    Text(String),
    Nothing,
    Literal(DiagnosticKind, String),
    Dropped(String),
}

fn replacement(content: &str, delimiters: &Delimiters) -> Replacement {
    let escape = delimiters.escape.unwrap_or(b'\\');
    match content {
        "F" => return Replacement::Char(delimiters.field),
        "S" => return Replacement::Char(delimiters.component),
        "T" => return Replacement::Char(delimiters.subcomponent.unwrap_or(b'&')),
        "R" => return Replacement::Char(delimiters.repetition),
        "E" => return Replacement::Char(escape),
        "H" | "N" => return Replacement::Nothing,
        "P" => {
            if let Some(truncation) = delimiters.truncation {
                return Replacement::Char(truncation);
            }
        }
        _ => {}
    }
    let mut chars = content.chars();
    match chars.next() {
        Some('X') => match hex_bytes(chars.as_str()) {
            Some(bytes) => Replacement::Text(match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(err) => {
                    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(err.as_bytes());
                    text.into_owned()
                }
            }),
            None => Replacement::Literal(
                DiagnosticKind::InvalidHexEscape,
                format!(
                    "hex escape {content:?} is not an even number of hex digits; kept literally"
                ),
            ),
        },
        Some('C' | 'M') => Replacement::Dropped(format!(
            "character set escape {content:?} is not supported; dropped"
        )),
        Some('.') => {
            let command = chars.as_str();
            let name = command.get(..2).unwrap_or(command);
            match name {
                "br" | "sp" | "ce" => Replacement::Text("\n".into()),
                "fi" | "nf" | "in" | "ti" | "sk" => Replacement::Nothing,
                _ => Replacement::Literal(
                    DiagnosticKind::UnknownEscape,
                    format!("unknown formatting command {content:?}; kept literally"),
                ),
            }
        }
        _ => Replacement::Literal(
            DiagnosticKind::UnknownEscape,
            format!("unknown escape sequence {content:?}; kept literally"),
        ),
    }
}

fn decode_inner<'t>(
    raw: &'t str,
    delimiters: &Delimiters,
    issues: &mut Option<&mut Vec<EscapeIssue>>,
) -> Cow<'t, str> {
    let Some(escape) = delimiters.escape else {
        return Cow::Borrowed(raw);
    };
    let bytes = raw.as_bytes();
    let Some(first) = memchr::memchr(escape, bytes) else {
        return Cow::Borrowed(raw);
    };
    let mut out = String::with_capacity(raw.len());
    let mut report = |kind, offset, message: String| {
        if let Some(issues) = issues.as_deref_mut() {
            issues.push(EscapeIssue {
                kind,
                offset,
                message,
            });
        }
    };
    let mut pos = 0;
    let mut open = first;
    loop {
        out.push_str(raw.get(pos..open).unwrap_or_default());
        let after = open + 1;
        let Some(close) =
            memchr::memchr(escape, bytes.get(after..).unwrap_or_default()).map(|rel| after + rel)
        else {
            report(
                DiagnosticKind::UnterminatedEscape,
                open,
                "escape character without a closing escape character; kept literally".into(),
            );
            out.push_str(raw.get(open..).unwrap_or_default());
            return Cow::Owned(out);
        };
        let content = raw.get(after..close).unwrap_or_default();
        match replacement(content, delimiters) {
            Replacement::Char(byte) => out.push(char::from(byte)),
            Replacement::Text(text) => out.push_str(&text),
            Replacement::Nothing => {}
            Replacement::Literal(kind, message) => {
                report(kind, open, message);
                out.push_str(raw.get(open..=close).unwrap_or_default());
            }
            Replacement::Dropped(message) => {
                report(DiagnosticKind::CharsetEscapeDropped, open, message);
            }
        }
        pos = close + 1;
        match memchr::memchr(escape, bytes.get(pos..).unwrap_or_default()) {
            Some(rel) => open = pos + rel,
            None => {
                out.push_str(raw.get(pos..).unwrap_or_default());
                return Cow::Owned(out);
            }
        }
    }
}

/// Escapes `value` for writing into a message with these delimiters: the inverse of [`decode`].
///
/// Delimiters become `\F\ \S\ \T\ \R\ \E\ \P\`, a line break (`\n` or `\r\n`)
/// becomes `\.br\` and a lone `\r` becomes `\X0D\`. Without an escape
/// character (MSH-2 shorter than three characters) delimiters and line breaks
/// are replaced by spaces so that the structure survives.
pub fn escape<'t>(value: &'t str, delimiters: &Delimiters) -> Cow<'t, str> {
    let special = |byte: u8| {
        byte == delimiters.field
            || byte == delimiters.component
            || byte == delimiters.repetition
            || Some(byte) == delimiters.escape
            || Some(byte) == delimiters.subcomponent
            || Some(byte) == delimiters.truncation
            || byte == b'\r'
            || byte == b'\n'
    };
    if !value.bytes().any(special) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let Ok(byte) = u8::try_from(c) else {
            out.push(c);
            continue;
        };
        if !special(byte) {
            out.push(c);
            continue;
        }
        let Some(escape) = delimiters.escape.map(char::from) else {
            out.push(' ');
            continue;
        };
        let code = if byte == delimiters.field {
            "F"
        } else if byte == delimiters.component {
            "S"
        } else if Some(byte) == delimiters.subcomponent {
            "T"
        } else if byte == delimiters.repetition {
            "R"
        } else if Some(byte) == delimiters.escape {
            "E"
        } else if Some(byte) == delimiters.truncation {
            "P"
        } else if byte == b'\n' {
            ".br"
        } else if chars.peek() == Some(&'\n') {
            chars.next();
            ".br"
        } else {
            "X0D"
        };
        out.push(escape);
        out.push_str(code);
        out.push(escape);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: &str, expected_issues: &[DiagnosticKind]) {
        let delimiters = Delimiters {
            truncation: Some(b'#'),
            ..Delimiters::default()
        };
        let mut issues = Vec::new();
        let decoded = decode_with_issues(raw, &delimiters, &mut issues);
        assert_eq!(decoded, expected, "{raw:?}");
        assert_eq!(decode(raw, &delimiters), expected, "{raw:?}");
        let kinds: Vec<_> = issues.iter().map(|issue| issue.kind).collect();
        assert_eq!(kinds, expected_issues, "{raw:?}");
        let borrowed = matches!(decoded, Cow::Borrowed(_));
        assert_eq!(borrowed, !raw.contains('\\'), "{raw:?}");
    }

    #[test]
    fn decode_table() {
        use DiagnosticKind::*;
        let cases: &[(&str, &str, &[DiagnosticKind])] = &[
            ("plain", "plain", &[]),
            ("", "", &[]),
            ("a\\F\\b", "a|b", &[]),
            ("\\S\\\\T\\\\R\\\\E\\", "^&~\\", &[]),
            ("x\\P\\", "x#", &[]),
            ("line1\\.br\\line2", "line1\nline2", &[]),
            ("a\\.sp\\b\\.ce\\c", "a\nb\nc", &[]),
            ("\\.in+4\\x\\.fi\\", "x", &[]),
            ("\\H\\bold\\N\\", "bold", &[]),
            ("caf\\XC3A9\\", "café", &[]),
            ("caf\\XE9\\", "café", &[]),
            ("cr\\X0D0A\\", "cr\r\n", &[]),
            ("\\X0\\", "\\X0\\", &[InvalidHexEscape]),
            ("\\XZZ\\", "\\XZZ\\", &[InvalidHexEscape]),
            ("\\X\\", "\\X\\", &[InvalidHexEscape]),
            ("a\\C2842\\b", "ab", &[CharsetEscapeDropped]),
            ("a\\M2442\\b", "ab", &[CharsetEscapeDropped]),
            ("C:\\temp\\x", "C:\\temp\\x", &[UnknownEscape]),
            ("\\Zlocal\\", "\\Zlocal\\", &[UnknownEscape]),
            ("\\.zz\\", "\\.zz\\", &[UnknownEscape]),
            ("\\\\", "\\\\", &[UnknownEscape]),
            ("end\\", "end\\", &[UnterminatedEscape]),
            ("a\\F\\b\\", "a|b\\", &[UnterminatedEscape]),
            ("é\\S\\ü", "é^ü", &[]),
        ];
        for &(raw, expected, issues) in cases {
            check(raw, expected, issues);
        }
    }

    #[test]
    fn no_escape_character_means_no_decoding() {
        let delimiters = Delimiters {
            escape: None,
            subcomponent: None,
            ..Delimiters::default()
        };
        assert_eq!(decode("a\\F\\b", &delimiters), "a\\F\\b");
        assert_eq!(escape("a|b^c\nd", &delimiters), "a b c d");
    }

    fn check_escape(value: &str, expected: &str) {
        let delimiters = Delimiters {
            truncation: Some(b'#'),
            ..Delimiters::default()
        };
        let escaped = escape(value, &delimiters);
        assert_eq!(escaped, expected, "{value:?}");
        let round_trip = decode(&escaped, &delimiters);
        let normalised = value.replace("\r\n", "\n");
        assert_eq!(round_trip, normalised, "{value:?}");
    }

    #[test]
    fn escape_table() {
        let cases = [
            ("plain é", "plain é"),
            ("a|b", "a\\F\\b"),
            ("^~\\&#", "\\S\\\\R\\\\E\\\\T\\\\P\\"),
            ("l1\nl2\r\nl3", "l1\\.br\\l2\\.br\\l3"),
            ("cr\rx", "cr\\X0D\\x"),
            ("", ""),
        ];
        for (value, expected) in cases {
            check_escape(value, expected);
        }
    }
}
