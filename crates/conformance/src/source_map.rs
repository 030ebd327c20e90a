//! Line and column of the elements of a JSON resource, for [`Issue::position`].
//!
//! The validator works on a `serde_json::Value`, which keeps no positions. [`SourceMap::build`]
//! walks the source text once with a small scanner (not a second JSON parser: it does not
//! build values, decode strings or check numbers) and records, for every element, where it
//! starts:
//! - an object member: the opening quote of its key (`"name": …`);
//! - an array item: the first character of the item's value;
//! - the root: its opening brace.
//!
//! Paths are FHIRPath-style segments below the root, such as `name[0].given[1]`; the root's
//! type is not part of them, so the same map serves `Patient.name[0]` and, inside a Bundle,
//! `Bundle.entry[2].resource.code`. A primitive's extension member `_given` is recorded under
//! `given` when the value member did not already record it, so an issue about a primitive that
//! only has extensions still gets a place.
//!
//! [`SourceMap::position`] normalizes an issue's expression the way the Java validator writes
//! them: the `/*Observation/1814*/` comments are removed, `value.ofType(Quantity)` becomes the
//! JSON member `valueQuantity`, and the leading type name is dropped. Only an exact match gets a
//! position; a missing element is reported on its parent (`cardinality-min`), whose own
//! position is then used. Lines and columns are 1-based; columns count characters, not bytes.
//!
//! Malformed text never fails: the scanner stops where it cannot go on and keeps what it
//! recorded. Nesting deeper than [`MAX_DEPTH`] is not recorded.

use std::collections::HashMap;

use crate::validate::{Issue, Position};

/// Nesting depth beyond which the scanner stops recording (and descending).
pub const MAX_DEPTH: usize = 512;

/// Where each element of one JSON text starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    positions: HashMap<String, Position>,
}

impl SourceMap {
    /// Scans `text` (one JSON resource) and records the start of every element.
    pub fn build(text: &str) -> SourceMap {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
            column: 1,
            positions: HashMap::new(),
        };
        scanner.skip_whitespace();
        let mut path = String::new();
        // A malformed text ends the scan; what was recorded stays.
        let _complete = scanner.value(&mut path, 0);
        SourceMap {
            positions: scanner.positions,
        }
    }

    /// The number of recorded elements (the root included).
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// True when nothing was recorded (the text does not start with a JSON value).
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The position of the element an issue expression names, if it is in the text.
    pub fn position(&self, expression: &str) -> Option<Position> {
        self.positions.get(&normalize(expression)).copied()
    }

    /// Fills `position` of every issue without one whose expression matches an element. An
    /// unknown element is reported on its parent (`structure-unknown`, "Unrecognized property
    /// 'x'"), so its own member `x` is looked up first.
    pub fn fill(&self, issues: &mut [Issue]) {
        for issue in issues.iter_mut().filter(|issue| issue.position.is_none()) {
            let unknown_member = (issue.message_id == "structure-unknown")
                .then(|| quoted(&issue.message))
                .flatten()
                .and_then(|name| {
                    let name = name.trim_start_matches('_');
                    self.position(&format!("{}.{name}", issue.expression))
                });
            issue.position = unknown_member.or_else(|| self.position(&issue.expression));
        }
    }
}

/// The first `'…'`-quoted text of a message.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('\'')? + 1;
    let length = message.get(start..)?.find('\'')?;
    message.get(start..start + length)
}

/// An issue expression to a map key: comments removed, `x.ofType(T)` to `xT`, the leading type
/// name dropped.
fn normalize(expression: &str) -> String {
    let mut text = String::with_capacity(expression.len());
    let mut rest = expression;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        match rest[start..].find("*/") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(".ofType(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + ".ofType(".len()..];
        let Some(close) = after.find(')') else {
            rest = "";
            break;
        };
        let type_name = &after[..close];
        let mut chars = type_name.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    match out.find('.') {
        Some(dot) => out[dot + 1..].to_string(),
        None => String::new(),
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u32,
    column: u32,
    positions: HashMap<String, Position>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    /// Moves past one byte, keeping line and column (UTF-8 continuation bytes add no column).
    fn bump(&mut self) {
        let Some(byte) = self.peek() else {
            return;
        };
        self.at += 1;
        if byte == b'\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else if byte & 0xC0 != 0x80 {
            self.column = self.column.saturating_add(1);
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    fn record(&mut self, path: &str, position: Position) {
        self.positions.entry(path.to_string()).or_insert(position);
    }

    /// Scans one value starting at the current byte; `None` when the text is malformed.
    fn value(&mut self, path: &mut String, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let first = self.peek()?;
        if depth == 0 {
            let start = self.position();
            self.record(path, start);
        }
        match first {
            b'{' => self.object(path, depth),
            b'[' => self.array(path, depth),
            b'"' => self.string().map(|_| ()),
            _ => {
                // A number, true, false or null: up to the next delimiter.
                let start = self.at;
                while let Some(byte) = self.peek() {
                    if matches!(
                        byte,
                        b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\r' | b'\n'
                    ) {
                        break;
                    }
                    self.bump();
                }
                (self.at > start).then_some(())
            }
        }
    }

    /// Scans a string; returns its raw content (escapes kept as written).
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.bump();
        let start = self.at;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                _ => self.bump(),
            }
        }
        let raw = String::from_utf8_lossy(self.bytes.get(start..self.at)?).into_owned();
        self.bump();
        Some(raw)
    }

    fn object(&mut self, path: &mut String, depth: usize) -> Option<()> {
        self.bump();
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.bump();
            return Some(());
        }
        loop {
            let key_position = self.position();
            let key = self.string()?;
            let name = key.strip_prefix('_').unwrap_or(&key);
            let saved = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            self.record(path, key_position);
            self.skip_whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.bump();
            self.skip_whitespace();
            self.value(path, depth + 1)?;
            path.truncate(saved);
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.bump();
                    self.skip_whitespace();
                }
                b'}' => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, path: &mut String, depth: usize) -> Option<()> {
        self.bump();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.bump();
            return Some(());
        }
        let mut index = 0usize;
        loop {
            let saved = path.len();
            path.push('[');
            path.push_str(&index.to_string());
            path.push(']');
            let item_position = self.position();
            self.record(path, item_position);
            self.value(path, depth + 1)?;
            path.truncate(saved);
            index += 1;
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.bump();
                    self.skip_whitespace();
                }
                b']' => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: &str = r#"{
  "resourceType": "Patient",
  "name": [
    {"family": "Doe", "given": ["Jane", "Q"]},
    {
      "given": ["Ann"],
      "_given": [{"extension": []}]
    }
  ],
  "_birthDate": {"extension": [{"url": "x"}]},
  "contained": [ {"resourceType": "Organization", "name": "Ünïcode ünit"} ]
}"#;

    const OBSERVATION: &str = "{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":1.5},\n\"code\":{\"text\":\"é\",\"coding\":[{}]}}";

    const BUNDLE: &str = r#"{"resourceType": "Bundle", "entry": [
  {"resource": {"resourceType": "Patient"}},
  {"fullUrl": "urn:uuid:1",
   "resource": {"resourceType": "Observation", "code": {}}}
]}"#;

    /// Expected line and column.
    type At = Option<(u32, u32)>;

    /// (text, expression, expected line:column or None).
    const CASES: &[(&str, &str, At)] = &[
        (PATIENT, "Patient", Some((1, 1))),
        (PATIENT, "Patient.name", Some((3, 3))),
        (PATIENT, "Patient.name[0]", Some((4, 5))),
        (PATIENT, "Patient.name[0].family", Some((4, 6))),
        (PATIENT, "Patient.name[0].given[1]", Some((4, 41))),
        (PATIENT, "Patient.name[1].given[0]", Some((6, 17))),
        (PATIENT, "Patient.name[1].given[0].extension", Some((7, 19))),
        (PATIENT, "Patient.birthDate", Some((10, 3))),
        (
            PATIENT,
            "Patient.birthDate.extension[0].url",
            Some((10, 33)),
        ),
        (PATIENT, "Patient.contained[0]", Some((11, 18))),
        (
            PATIENT,
            "Patient.contained[0]/*Organization/x*/.name",
            Some((11, 51)),
        ),
        (PATIENT, "Patient.gender", None),
        (PATIENT, "Patient.name.where(use = 'x')", None),
        (
            OBSERVATION,
            "Observation.value.ofType(Quantity)",
            Some((1, 31)),
        ),
        (
            OBSERVATION,
            "Observation.value.ofType(Quantity).value",
            Some((1, 48)),
        ),
        (OBSERVATION, "Observation.code.coding[0]", Some((2, 30))),
        (BUNDLE, "Bundle.entry[1].resource", Some((4, 4))),
        (
            BUNDLE,
            "Bundle.entry[1].resource/*Observation/1814*/.code",
            Some((4, 48)),
        ),
        (BUNDLE, "Bundle.entry[0]", Some((2, 3))),
        // Malformed texts keep what was scanned before the fault.
        ("{\"a\": [1, 2", "X.a[1]", Some((1, 11))),
        ("{\"a\": tru", "X.a", Some((1, 2))),
        ("[", "X", Some((1, 1))),
        ("", "X", None),
        ("{\"a\" 1}", "X.a", Some((1, 2))),
    ];

    #[test]
    fn positions() {
        for (text, expression, expected) in CASES {
            let map = SourceMap::build(text);
            let found = map.position(expression).map(|p| (p.line, p.column));
            assert_eq!(found, *expected, "{expression} in {text}");
        }
    }

    #[test]
    fn normalize_cases() {
        for (expression, expected) in [
            ("Patient", ""),
            ("Patient.name[0]", "name[0]"),
            ("Observation.value.ofType(Quantity)", "valueQuantity"),
            (
                "Bundle.entry[2].resource/*Observation/1*/.value.ofType(dateTime)",
                "entry[2].resource.valueDateTime",
            ),
            ("Patient.a/*unterminated", "a"),
        ] {
            assert_eq!(normalize(expression), expected, "{expression}");
        }
    }

    #[test]
    fn fill_keeps_existing_positions() {
        let map = SourceMap::build(PATIENT);
        let mut issues = vec![
            Issue::new(
                crate::validate::IssueSeverity::Error,
                crate::validate::IssueType::Structure,
                "x",
                "Patient.name[0]",
                "m",
            ),
            Issue {
                position: Some(Position { line: 9, column: 9 }),
                ..Issue::new(
                    crate::validate::IssueSeverity::Error,
                    crate::validate::IssueType::Structure,
                    "x",
                    "Patient.name[0]",
                    "m",
                )
            },
        ];
        issues.push(Issue::new(
            crate::validate::IssueSeverity::Error,
            crate::validate::IssueType::Structure,
            "structure-unknown",
            "Patient.name[1]",
            "Unrecognized property '_given'",
        ));
        issues.push(Issue::new(
            crate::validate::IssueSeverity::Error,
            crate::validate::IssueType::Structure,
            "structure-unknown",
            "Patient",
            "Unrecognized property 'colour'",
        ));
        map.fill(&mut issues);
        let found: Vec<_> = issues
            .iter()
            .map(|i| i.position.map(|p| (p.line, p.column)))
            .collect();
        assert_eq!(
            found,
            vec![Some((4, 5)), Some((9, 9)), Some((6, 7)), Some((1, 1))]
        );
    }

    #[test]
    fn deep_nesting_stops() {
        let text = format!(
            "{}{}",
            "[".repeat(MAX_DEPTH + 10),
            "]".repeat(MAX_DEPTH + 10)
        );
        let map = SourceMap::build(&text);
        assert!(map.len() <= MAX_DEPTH + 2);
        assert!(!map.is_empty());
    }
}
