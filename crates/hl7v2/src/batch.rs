//! Splitting batch files into messages: FHS/BHS/BTS/FTS-wrapped or bare concatenated.
//!
//! A message starts at each line beginning with `MSH` and runs until the next
//! `MSH` or batch line. BTS-1 (messages in the batch) and FTS-1 (batches in
//! the file) are checked against what was found. The messages are borrowed
//! slices of the input, ready for [`crate::parse()`].

use crate::diagnostic::{Diagnostic, DiagnosticKind, Location, Severity};
use crate::parse::lines;

/// The result of [`split_batch`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch<'a> {
    /// The FHS line, when present.
    pub file_header: Option<&'a [u8]>,
    /// The BHS lines, in order.
    pub batch_headers: Vec<&'a [u8]>,
    /// Each message's bytes, from its MSH line to its last line (without the final terminator).
    pub messages: Vec<&'a [u8]>,
    /// Structure problems and count mismatches.
    pub diagnostics: Vec<Diagnostic>,
}

/// Which kind of line this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Msh,
    Fhs,
    Bhs,
    Bts,
    Fts,
    Other,
}

fn classify(line: &[u8]) -> Line {
    match line.get(..3) {
        Some(b"MSH") => Line::Msh,
        Some(b"FHS") => Line::Fhs,
        Some(b"BHS") => Line::Bhs,
        Some(b"BTS") => Line::Bts,
        Some(b"FTS") => Line::Fts,
        _ => Line::Other,
    }
}

/// Field 1 of a trailer line (BTS-1, FTS-1), using the separator after the segment id.
fn first_field(line: &[u8]) -> &[u8] {
    let Some(&separator) = line.get(3) else {
        return &[];
    };
    let rest = line.get(4..).unwrap_or_default();
    let end = memchr::memchr(separator, rest).unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// The state of the split.
struct Splitter<'a> {
    input: &'a [u8],
    batch: Batch<'a>,
    current: Option<(usize, usize)>,
    in_batch: bool,
    n_batches: usize,
    n_in_batch: usize,
}

impl<'a> Splitter<'a> {
    fn report(&mut self, kind: DiagnosticKind, location: Location, message: String) {
        let severity = match kind {
            DiagnosticKind::BatchCountMismatch => Severity::Error,
            _ => Severity::Warning,
        };
        self.batch
            .diagnostics
            .push(Diagnostic::new(kind, severity, location, message));
    }

    fn close_message(&mut self) {
        if let Some((start, end)) = self.current.take()
            && let Some(bytes) = self.input.get(start..end)
        {
            self.batch.messages.push(bytes);
        }
    }

    fn check_count(&mut self, line: &[u8], location: Location, what: &str, actual: usize) {
        let written = String::from_utf8_lossy(first_field(line)).trim().to_owned();
        if written.is_empty() {
            return;
        }
        match written.parse::<usize>() {
            Ok(count) if count == actual => {}
            Ok(count) => self.report(
                DiagnosticKind::BatchCountMismatch,
                location,
                format!("{what} says {count} but {actual} were found"),
            ),
            Err(_) => self.report(
                DiagnosticKind::BatchCountMismatch,
                location,
                format!("{what} {written:?} is not a count; {actual} were found"),
            ),
        }
    }
}

/// Splits a batch file (or concatenated messages) into messages, checking its counts.
pub fn split_batch(input: &[u8]) -> Batch<'_> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut s = Splitter {
        input,
        batch: Batch::default(),
        current: None,
        in_batch: false,
        n_batches: 0,
        n_in_batch: 0,
    };
    let mut line_idx = 0usize;
    let mut last_id = String::new();
    for (start, end) in lines(input) {
        let line = input.get(start..end).unwrap_or_default();
        if line.iter().all(|&b| b == b' ' || b == b'\t') {
            continue;
        }
        let id = String::from_utf8_lossy(line.get(..3).unwrap_or(line)).into_owned();
        let at = Location::segment(line_idx, &id);
        let kind = classify(line);
        if kind != Line::Other {
            s.close_message();
        }
        match kind {
            Line::Msh => {
                s.current = Some((start, end));
                s.n_in_batch += 1;
            }
            Line::Fhs => {
                if s.batch.file_header.is_some() || line_idx > 0 {
                    s.report(
                        DiagnosticKind::BatchStructure,
                        at,
                        "FHS is not the first line of the file".into(),
                    );
                }
                s.batch.file_header.get_or_insert(line);
            }
            Line::Bhs => {
                if s.in_batch {
                    s.report(
                        DiagnosticKind::BatchStructure,
                        at,
                        "BHS before the previous batch's BTS".into(),
                    );
                } else if s.n_in_batch > 0 {
                    s.report(
                        DiagnosticKind::BatchStructure,
                        at,
                        format!("{} message(s) outside any batch before BHS", s.n_in_batch),
                    );
                }
                s.batch.batch_headers.push(line);
                s.in_batch = true;
                s.n_batches += 1;
                s.n_in_batch = 0;
            }
            Line::Bts => {
                if !s.in_batch {
                    s.report(
                        DiagnosticKind::BatchStructure,
                        at.clone(),
                        "BTS without a BHS".into(),
                    );
                }
                let field = Location {
                    field: Some(1),
                    ..at
                };
                s.check_count(line, field, "BTS-1 (batch message count)", s.n_in_batch);
                s.in_batch = false;
                s.n_in_batch = 0;
            }
            Line::Fts => {
                if s.in_batch {
                    s.report(
                        DiagnosticKind::BatchStructure,
                        at.clone(),
                        "FTS before the batch's BTS".into(),
                    );
                    s.in_batch = false;
                }
                if s.batch.file_header.is_none() {
                    s.report(
                        DiagnosticKind::BatchStructure,
                        at.clone(),
                        "FTS without an FHS".into(),
                    );
                }
                let field = Location {
                    field: Some(1),
                    ..at
                };
                s.check_count(line, field, "FTS-1 (file batch count)", s.n_batches);
            }
            Line::Other => match &mut s.current {
                Some((_, message_end)) => *message_end = end,
                None => s.report(
                    DiagnosticKind::BatchStructure,
                    at,
                    format!("segment {id:?} outside any message skipped"),
                ),
            },
        }
        last_id = id;
        line_idx += 1;
    }
    s.close_message();
    let end = Location::segment(line_idx.saturating_sub(1), &last_id);
    if s.in_batch {
        s.report(
            DiagnosticKind::BatchStructure,
            end.clone(),
            "the last batch has no BTS".into(),
        );
    }
    if s.batch.file_header.is_some() && last_id != "FTS" {
        s.report(
            DiagnosticKind::BatchStructure,
            end.clone(),
            "the file has an FHS but does not end with FTS".into(),
        );
    }
    if s.batch.messages.is_empty() {
        s.report(
            DiagnosticKind::BatchStructure,
            end,
            "no messages found".into(),
        );
    }
    s.batch
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: &str = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1";
    const M2: &str = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|2|P|2.5\rPID|2\rPV1|1";

    /// `expected`: the message texts and the diagnostic kinds with their locations.
    fn check(input: &str, messages: &[&str], diagnostics: &[(DiagnosticKind, &str)]) {
        let batch = split_batch(input.as_bytes());
        let got: Vec<_> = batch
            .messages
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect();
        assert_eq!(got, messages, "{input:?}");
        let kinds: Vec<_> = batch
            .diagnostics
            .iter()
            .map(|d| (d.kind, d.location.to_string()))
            .collect();
        let expected: Vec<_> = diagnostics
            .iter()
            .map(|(k, l)| (*k, (*l).to_owned()))
            .collect();
        assert_eq!(kinds, expected, "{input:?}");
    }

    #[test]
    fn batch_table() {
        use DiagnosticKind::*;
        let full = format!("FHS|^~\\&\rBHS|^~\\&\r{M1}\r{M2}\rBTS|2\rFTS|1\r");
        let crlf = full.replace('\r', "\r\n");
        let bad_counts = format!("FHS|^~\\&\rBHS|^~\\&\r{M1}\r{M2}\rBTS|3\rFTS|2");
        let no_bts = format!("BHS|^~\\&\r{M1}\r{M2}");
        let two_batches = format!("BHS|^~\\&\r{M1}\rBTS|1\rBHS|^~\\&\r{M2}\rBTS|1");
        let stray = format!("PID|0\r{M1}\n\n{M2}\n");
        let bad_count_text = format!("BHS|^~\\&\r{M1}\rBTS|x");
        let (m1_crlf, m2_crlf) = (M1.replace('\r', "\r\n"), M2.replace('\r', "\r\n"));
        type Case<'c> = (String, Vec<&'c str>, Vec<(DiagnosticKind, &'c str)>);
        let cases: Vec<Case<'_>> = vec![
            (format!("{M1}\r{M2}\r"), vec![M1, M2], vec![]),
            (full, vec![M1, M2], vec![]),
            (crlf, vec![&m1_crlf, &m2_crlf], vec![]),
            (
                bad_counts,
                vec![M1, M2],
                vec![
                    (BatchCountMismatch, "BTS(7)-1"),
                    (BatchCountMismatch, "FTS(8)-1"),
                ],
            ),
            (no_bts, vec![M1, M2], vec![(BatchStructure, "PV1(5)")]),
            (two_batches, vec![M1, M2], vec![]),
            (stray, vec![M1, M2], vec![(BatchStructure, "PID(0)")]),
            (
                bad_count_text,
                vec![M1],
                vec![(BatchCountMismatch, "BTS(3)-1")],
            ),
            (String::new(), vec![], vec![(BatchStructure, "(0)")]),
        ];
        for (input, messages, diagnostics) in cases {
            check(&input, &messages, &diagnostics);
        }
    }
}
