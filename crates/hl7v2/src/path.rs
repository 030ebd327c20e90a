//! Paths that address a value in a message: `PID-3[2].1.2`, `OBX[2]-5`, `MSH-9.1`.
//!
//! Grammar: `SEG ['[' occurrence ']'] '-' field ['[' repetition ']'] ['.' component ['.' subcomponent]]`.
//! All numbers are 1-based; occurrence and repetition default to 1. `MSH-1` is
//! the field separator and `MSH-2` the encoding characters.

use std::fmt;
use std::str::FromStr;

/// Why a path could not be parsed. Each variant carries the byte offset in the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The segment id is not three upper-case letters or digits.
    #[error("path {path:?}: segment id at byte 0 must be 3 upper-case letters or digits")]
    BadSegmentId {
        /// The whole path.
        path: String,
    },
    /// A `-` and field number were expected.
    #[error("path {path:?}: expected '-' and a field number at byte {at}")]
    MissingField {
        /// The whole path.
        path: String,
        /// Byte offset of the problem.
        at: usize,
    },
    /// A number is missing, zero or too large.
    #[error("path {path:?}: expected a number from 1 at byte {at} for the {part}")]
    BadNumber {
        /// The whole path.
        path: String,
        /// Byte offset of the problem.
        at: usize,
        /// Which part: occurrence, field, repetition, component or subcomponent.
        part: &'static str,
    },
    /// A `[` without its `]`.
    #[error("path {path:?}: expected ']' at byte {at}")]
    UnclosedBracket {
        /// The whole path.
        path: String,
        /// Byte offset of the problem.
        at: usize,
    },
    /// Text after the end of a complete path.
    #[error("path {path:?}: unexpected text at byte {at}")]
    TrailingText {
        /// The whole path.
        path: String,
        /// Byte offset of the problem.
        at: usize,
    },
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// The segment id, such as `PID`.
    pub segment: String,
    /// Which segment with that id (1-based).
    pub segment_occurrence: usize,
    /// The field number (1-based).
    pub field: usize,
    /// The repetition (1-based).
    pub repetition: usize,
    /// The component (1-based), if addressed.
    pub component: Option<usize>,
    /// The subcomponent (1-based), if addressed.
    pub subcomponent: Option<usize>,
}

/// A small cursor over the path text.
struct Cursor<'p> {
    path: &'p str,
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.path.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn number(&mut self, part: &'static str) -> Result<usize, PathError> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = self.path.get(start..self.at).unwrap_or_default();
        match digits.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(PathError::BadNumber {
                path: self.path.to_owned(),
                at: start,
                part,
            }),
        }
    }

    fn bracketed(&mut self, part: &'static str) -> Result<Option<usize>, PathError> {
        if !self.eat(b'[') {
            return Ok(None);
        }
        let n = self.number(part)?;
        if !self.eat(b']') {
            return Err(PathError::UnclosedBracket {
                path: self.path.to_owned(),
                at: self.at,
            });
        }
        Ok(Some(n))
    }
}

impl Path {
    /// Parses a path such as `PID-3[2].1.2`.
    pub fn parse(path: &str) -> Result<Self, PathError> {
        let segment = path.get(..3).unwrap_or_default();
        let valid_id = segment.len() == 3
            && segment
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !valid_id {
            return Err(PathError::BadSegmentId {
                path: path.to_owned(),
            });
        }
        let mut cursor = Cursor { path, at: 3 };
        let segment_occurrence = cursor.bracketed("occurrence")?.unwrap_or(1);
        if !cursor.eat(b'-') {
            return Err(PathError::MissingField {
                path: path.to_owned(),
                at: cursor.at,
            });
        }
        let field = cursor.number("field")?;
        let repetition = cursor.bracketed("repetition")?.unwrap_or(1);
        let mut component = None;
        let mut subcomponent = None;
        if cursor.eat(b'.') {
            component = Some(cursor.number("component")?);
            if cursor.eat(b'.') {
                subcomponent = Some(cursor.number("subcomponent")?);
            }
        }
        if cursor.at != path.len() {
            return Err(PathError::TrailingText {
                path: path.to_owned(),
                at: cursor.at,
            });
        }
        Ok(Self {
            segment: segment.to_owned(),
            segment_occurrence,
            field,
            repetition,
            component,
            subcomponent,
        })
    }
}

impl FromStr for Path {
    type Err = PathError;

    fn from_str(path: &str) -> Result<Self, Self::Err> {
        Self::parse(path)
    }
}

impl fmt::Display for Path {
    /// Renders the canonical form, with occurrence and repetition only when not 1.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segment)?;
        if self.segment_occurrence != 1 {
            write!(f, "[{}]", self.segment_occurrence)?;
        }
        write!(f, "-{}", self.field)?;
        if self.repetition != 1 {
            write!(f, "[{}]", self.repetition)?;
        }
        if let Some(component) = self.component {
            write!(f, ".{component}")?;
        }
        if let Some(sub) = self.subcomponent {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: Result<&str, &str>) {
        let got = Path::parse(path)
            .map(|parsed| parsed.to_string())
            .map_err(|err| err.to_string());
        match (&got, expected) {
            (Ok(text), Ok(want)) => assert_eq!(text, want, "{path}"),
            (Err(err), Err(want)) => assert!(err.contains(want), "{path}: {err}"),
            _ => panic!("{path}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn path_table() {
        let cases = [
            ("PID-3", Ok("PID-3")),
            ("PID-3[2].1", Ok("PID-3[2].1")),
            ("PID-3[1].1.2", Ok("PID-3.1.2")),
            ("OBX[2]-5", Ok("OBX[2]-5")),
            ("MSH-9.1", Ok("MSH-9.1")),
            ("ZP1-10", Ok("ZP1-10")),
            ("pid-3", Err("segment id")),
            ("PI", Err("segment id")),
            ("PID", Err("expected '-'")),
            ("PID3", Err("expected '-'")),
            ("PID-", Err("for the field")),
            ("PID-0", Err("for the field")),
            ("PID-3[0]", Err("for the repetition")),
            ("PID-3[2", Err("expected ']' at byte 7")),
            ("PID-3.", Err("for the component")),
            ("PID-3.1.", Err("for the subcomponent")),
            ("PID-3.1.2.3", Err("unexpected text at byte 9")),
            ("PID-3x", Err("unexpected text at byte 5")),
            ("PID-99999999999999999999999", Err("for the field")),
            ("é", Err("segment id")),
        ];
        for (path, expected) in cases {
            check(path, expected);
        }
    }
}
