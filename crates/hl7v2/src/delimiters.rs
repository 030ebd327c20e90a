//! The encoding characters of a message, read from MSH-1 and MSH-2.
//!
//! Nothing is assumed: `MSH|^~\&` is the common case, but `MSH#...` variants,
//! short MSH-2 values (no escape or subcomponent character) and the 2.7+
//! truncation character (fifth character of MSH-2) are all read as written.

use crate::diagnostic::{Diagnostic, DiagnosticKind, Location, Severity};

/// The separators and escape character of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    /// The field separator (MSH-1), usually `|`.
    pub field: u8,
    /// The component separator (MSH-2, first character), usually `^`.
    pub component: u8,
    /// The repetition separator (MSH-2, second character), usually `~`.
    pub repetition: u8,
    /// The escape character (MSH-2, third character), usually `\`; `None` when MSH-2 omits it.
    pub escape: Option<u8>,
    /// The subcomponent separator (MSH-2, fourth character), usually `&`; `None` when MSH-2 omits it.
    pub subcomponent: Option<u8>,
    /// The truncation character (MSH-2, fifth character, v2.7+), usually `#`.
    pub truncation: Option<u8>,
}

impl Default for Delimiters {
    fn default() -> Self {
        Self {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: Some(b'\\'),
            subcomponent: Some(b'&'),
            truncation: None,
        }
    }
}

/// True when `byte` may serve as a delimiter: ASCII, not a letter, digit or control character.
fn usable(byte: u8) -> bool {
    byte.is_ascii() && !byte.is_ascii_alphanumeric() && !byte.is_ascii_control()
}

impl Delimiters {
    /// The encoding characters as written in MSH-2 (without the field separator).
    pub fn encoding_characters(&self) -> String {
        let mut out = String::with_capacity(5);
        for byte in [Some(self.component), Some(self.repetition)]
            .into_iter()
            .chain([self.escape, self.subcomponent, self.truncation])
            .flatten()
        {
            out.push(char::from(byte));
        }
        out
    }

    /// Reads the delimiters from a header line (`MSH`, `FHS` or `BHS`).
    ///
    /// Falls back to the defaults for anything unusable and reports why in `diagnostics`.
    pub fn from_header_line(line: &[u8], diagnostics: &mut Vec<Diagnostic>) -> Self {
        let segment_id = String::from_utf8_lossy(line.get(..3).unwrap_or(line)).into_owned();
        let at = |field: usize| Location {
            field: Some(field),
            ..Location::segment(0, &segment_id)
        };
        let mut report = |field: usize, message: String| {
            diagnostics.push(Diagnostic::new(
                DiagnosticKind::InvalidDelimiters,
                Severity::Error,
                at(field),
                message,
            ));
        };
        let defaults = Self::default();
        let Some(&field) = line.get(3) else {
            report(
                1,
                "no field separator after the segment id; using `|^~\\&`".into(),
            );
            return defaults;
        };
        if !usable(field) {
            report(
                1,
                format!(
                    "field separator {:?} is not ASCII punctuation; using `|^~\\&`",
                    char::from(field)
                ),
            );
            return defaults;
        }
        let rest = line.get(4..).unwrap_or_default();
        let msh2 = match memchr::memchr(field, rest) {
            Some(end) => rest.get(..end).unwrap_or_default(),
            None => rest,
        };
        if msh2.is_empty() {
            report(2, "encoding characters are empty; using `^~\\&`".into());
            return Self { field, ..defaults };
        }
        if let Some(&bad) = msh2.iter().find(|&&b| !usable(b) || b == field) {
            report(
                2,
                format!(
                    "encoding character {:?} is not usable; using `^~\\&`",
                    char::from(bad)
                ),
            );
            return Self { field, ..defaults };
        }
        let mut seen = vec![field];
        for &byte in msh2.iter().take(5) {
            if seen.contains(&byte) {
                report(
                    2,
                    format!("encoding character {:?} is repeated", char::from(byte)),
                );
            }
            seen.push(byte);
        }
        if msh2.len() < 2 {
            report(
                2,
                "encoding characters lack the repetition separator; using `~`".into(),
            );
        } else if msh2.len() < 4 {
            report(
                2,
                format!(
                    "only {} encoding characters; the missing ones are not used",
                    msh2.len()
                ),
            );
        } else if msh2.len() > 5 {
            report(
                2,
                format!("{} encoding characters; only 5 are defined", msh2.len()),
            );
        }
        Self {
            field,
            component: msh2.first().copied().unwrap_or(defaults.component),
            repetition: msh2.get(1).copied().unwrap_or(defaults.repetition),
            escape: msh2.get(2).copied(),
            subcomponent: msh2.get(3).copied(),
            truncation: msh2.get(4).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: &str, n_diagnostics: usize) {
        let mut diagnostics = Vec::new();
        let delimiters = Delimiters::from_header_line(line.as_bytes(), &mut diagnostics);
        let got = format!(
            "{}{}",
            char::from(delimiters.field),
            delimiters.encoding_characters()
        );
        assert_eq!(got, expected, "{line}");
        assert_eq!(diagnostics.len(), n_diagnostics, "{line}: {diagnostics:?}");
    }

    #[test]
    fn delimiters_from_msh() {
        let cases = [
            ("MSH|^~\\&|A|B", "|^~\\&", 0),
            ("MSH#*@!$#A#B", "#*@!$", 0),
            ("MSH|^~\\&#|A", "|^~\\&#", 0),
            ("MSH|^~\\|A", "|^~\\", 1),
            ("MSH|^~|A", "|^~", 1),
            ("MSH|^|A", "|^~", 1),
            ("MSH||A", "|^~\\&", 1),
            ("MSH", "|^~\\&", 1),
            ("MSHA^~\\&", "|^~\\&", 1),
            ("MSH|^^\\&|", "|^^\\&", 1),
            ("MSH|^~\\&#%|", "|^~\\&#", 1),
            ("MSH|^~\u{e9}&|", "|^~\\&", 1),
            ("MSH|^~\\&", "|^~\\&", 0),
        ];
        for (line, expected, n) in cases {
            check(line, expected, n);
        }
    }
}
