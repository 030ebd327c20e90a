//! The conformance log: one JSON line per validated resource, append-only, rotated.
//!
//! Each [`Record`] says when a resource was validated, which message it came from (the journal
//! id, or the input's name), which resource it was (`Type/id`), the profiles checked, how many
//! issues of each severity were found, and the OperationOutcome.
//!
//! PHI rule: a record holds no resource content. The OperationOutcome keeps its paths
//! (`expression`), issue codes, message ids and line/column, but its messages can quote values
//! ("The value provided ('1234-5') is not…"), so [`redact`] replaces every quoted span of
//! `details.text` and `diagnostics` — between `'…'`, `"…"` or `‘…’`/`“…”` — with `…`. This
//! also hides quoted code-system or value-set urls: a compliance reader gets them from the
//! message id and the profile. The resource reference is `Type/id`: ids are server-assigned
//! keys (the gateway's are UUIDv5), not identifiers such as an MRN.
//!
//! Files: `DIR/conformance-YYYY-MM-DD.jsonl`, then `…-YYYY-MM-DD.1.jsonl`, `.2`… when a file
//! would pass the size limit. A new file starts when the record's UTC date changes or the size
//! limit would be passed, whichever comes first ([`RotationPolicy`]); the finished file is
//! fsynced on rotation (and by [`ConformanceLog::sync`]). Each record is written with one
//! `write` on a file opened for appending, so concurrent readers see whole lines.
//!
//! [`query`] streams the records of a directory in time order, filtered by [`Filter`], reading
//! one line at a time and skipping files whose date is outside the range.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::validate::{IssueSeverity, Outcome};

/// The record format version written in each line (`"v"`).
pub const RECORD_VERSION: u32 = 1;

/// The default size limit of one log file: 64 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// When to start a new log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// Start a new file before a record would make the current one larger than this.
    pub max_bytes: u64,
    /// Start a new file when the UTC date of a record differs from the current file's.
    pub daily: bool,
}

impl Default for RotationPolicy {
    fn default() -> RotationPolicy {
        RotationPolicy {
            max_bytes: DEFAULT_MAX_BYTES,
            daily: true,
        }
    }
}

/// Issue counts of one validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Fatal and error issues.
    pub error: usize,
    /// Warnings.
    pub warning: usize,
    /// Information.
    pub information: usize,
}

/// One validated resource (one line of the log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The record format version ([`RECORD_VERSION`]).
    pub v: u32,
    /// When it was validated, RFC 3339 in UTC (`2024-05-01T10:00:00Z`).
    pub time: String,
    /// The message it came from: a journal id or the input's name.
    pub message_id: String,
    /// `Type/id`, or just `Type` for a resource without id.
    pub resource: String,
    /// The canonical urls of the profiles checked.
    pub profiles: Vec<String>,
    /// How many issues of each severity.
    pub counts: Counts,
    /// The OperationOutcome, with quoted values in its messages redacted.
    pub outcome: Value,
}

impl Record {
    /// The record of validating `resource` with `outcome` at `time`.
    pub fn new(time: Timestamp, message_id: &str, resource: &Value, outcome: &Outcome) -> Record {
        let resource_type = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("Unknown");
        let reference = match resource.get("id").and_then(Value::as_str) {
            Some(id) => format!("{resource_type}/{id}"),
            None => resource_type.to_string(),
        };
        let (error, warning, information) = outcome.counts();
        let mut operation_outcome = outcome.to_operation_outcome();
        redact_outcome(&mut operation_outcome);
        Record {
            v: RECORD_VERSION,
            time: time.to_string(),
            message_id: message_id.to_string(),
            resource: reference,
            profiles: outcome.profiles_checked.clone(),
            counts: Counts {
                error,
                warning,
                information,
            },
            outcome: operation_outcome,
        }
    }

    /// The resource type part of [`Record::resource`].
    pub fn resource_type(&self) -> &str {
        self.resource
            .split_once('/')
            .map_or(self.resource.as_str(), |(t, _)| t)
    }

    fn timestamp(&self) -> Option<Timestamp> {
        self.time.parse().ok()
    }
}

/// Replaces every quoted span of `text` with `…` (see the module doc). An unclosed quote
/// redacts to the end.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(close) => {
                if c == close {
                    out.push('…');
                    out.push(c);
                    closing = None;
                }
            }
            None => {
                out.push(c);
                closing = match c {
                    '\'' => Some('\''),
                    '"' => Some('"'),
                    '‘' => Some('’'),
                    '“' => Some('”'),
                    _ => None,
                };
            }
        }
    }
    if closing.is_some() {
        out.push('…');
    }
    out
}

fn redact_outcome(outcome: &mut Value) {
    let Some(issues) = outcome.get_mut("issue").and_then(Value::as_array_mut) else {
        return;
    };
    for issue in issues {
        if let Some(Value::String(text)) = issue.pointer_mut("/details/text") {
            *text = redact(text);
        }
        if let Some(Value::String(text)) = issue.get_mut("diagnostics") {
            *text = redact(text);
        }
    }
}

/// An open log directory, appending to its current file.
#[derive(Debug)]
pub struct ConformanceLog {
    dir: PathBuf,
    policy: RotationPolicy,
    current: Option<Current>,
}

#[derive(Debug)]
struct Current {
    file: File,
    date: String,
    sequence: u32,
    bytes: u64,
}

/// A log file name's parts: `conformance-DATE[.SEQ].jsonl`.
fn parse_file_name(name: &str) -> Option<(String, u32)> {
    let stem = name.strip_prefix("conformance-")?.strip_suffix(".jsonl")?;
    let (date, sequence) = match stem.split_once('.') {
        Some((date, sequence)) => (date, sequence.parse().ok()?),
        None => (stem, 0),
    };
    (date.len() == 10 && date.parse::<jiff::civil::Date>().is_ok())
        .then(|| (date.to_string(), sequence))
}

fn file_name(date: &str, sequence: u32) -> String {
    if sequence == 0 {
        format!("conformance-{date}.jsonl")
    } else {
        format!("conformance-{date}.{sequence}.jsonl")
    }
}

/// The log files of `dir`, oldest first.
fn log_files(dir: &Path) -> Result<Vec<(String, u32, PathBuf)>> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        if let Some((date, sequence)) = name.to_str().and_then(parse_file_name) {
            files.push((date, sequence, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

impl ConformanceLog {
    /// Opens (creating it if needed) a log directory; appends go to its newest file.
    pub fn open(dir: &Path, policy: RotationPolicy) -> Result<ConformanceLog> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut log = ConformanceLog {
            dir: dir.to_path_buf(),
            policy,
            current: None,
        };
        if let Some((date, sequence, _)) = log_files(dir)?.pop() {
            log.current = Some(log.open_file(date, sequence)?);
        }
        Ok(log)
    }

    fn open_file(&self, date: String, sequence: u32) -> Result<Current> {
        let path = self.dir.join(file_name(&date, sequence));
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        let bytes = file.metadata().map_err(io)?.len();
        Ok(Current {
            file,
            date,
            sequence,
            bytes,
        })
    }

    /// The file records are appended to now, if any was opened.
    pub fn current_path(&self) -> Option<PathBuf> {
        self.current
            .as_ref()
            .map(|c| self.dir.join(file_name(&c.date, c.sequence)))
    }

    /// Appends one record (one line), rotating first when the policy says so.
    pub fn append(&mut self, record: &Record) -> Result<()> {
        let mut line = serde_json::to_vec(record).map_err(|error| Error::Format {
            path: self.dir.clone(),
            reason: format!("cannot serialize a record: {error}"),
        })?;
        line.push(b'\n');
        let length = u64::try_from(line.len()).unwrap_or(u64::MAX);
        let date = record
            .timestamp()
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_else(|| Timestamp::now().strftime("%Y-%m-%d").to_string());
        let next = match &self.current {
            None => Some((date.clone(), 0)),
            Some(current) if self.policy.daily && current.date != date => {
                // A later date starts its own sequence; an earlier one (a clock step back)
                // continues the current file.
                (date > current.date).then(|| (date.clone(), 0))
            }
            Some(current)
                if current.bytes > 0
                    && current.bytes.saturating_add(length) > self.policy.max_bytes =>
            {
                Some((current.date.clone(), current.sequence.saturating_add(1)))
            }
            Some(_) => None,
        };
        if let Some((date, mut sequence)) = next {
            self.sync()?;
            // Never append to an older run's full file of the same name.
            while self.dir.join(file_name(&date, sequence)).exists() && sequence < u32::MAX {
                let size = std::fs::metadata(self.dir.join(file_name(&date, sequence)))
                    .map(|m| m.len())
                    .unwrap_or(0);
                if size == 0 || size.saturating_add(length) <= self.policy.max_bytes {
                    break;
                }
                sequence += 1;
            }
            self.current = Some(self.open_file(date, sequence)?);
        }
        let path = self.current_path().unwrap_or_else(|| self.dir.clone());
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        current
            .file
            .write_all(&line)
            .map_err(|source| Error::Io { path, source })?;
        current.bytes = current.bytes.saturating_add(length);
        Ok(())
    }

    /// Flushes the current file to disk (fsync).
    pub fn sync(&mut self) -> Result<()> {
        let path = self.current_path().unwrap_or_else(|| self.dir.clone());
        if let Some(current) = &self.current {
            current
                .file
                .sync_all()
                .map_err(|source| Error::Io { path, source })?;
        }
        Ok(())
    }
}

/// Which records [`query`] returns; every `Some` field must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Records at or after this time.
    pub since: Option<Timestamp>,
    /// Records before this time.
    pub until: Option<Timestamp>,
    /// Records that checked this profile (canonical url, with or without `|version`).
    pub profile: Option<String>,
    /// Records with at least one issue of this severity (error includes fatal).
    pub severity: Option<IssueSeverity>,
    /// Records of this resource type.
    pub resource_type: Option<String>,
}

impl Filter {
    /// True when `record` passes every condition.
    pub fn matches(&self, record: &Record) -> bool {
        let time = record.timestamp();
        if let Some(since) = self.since
            && time.is_none_or(|t| t < since)
        {
            return false;
        }
        if let Some(until) = self.until
            && time.is_none_or(|t| t >= until)
        {
            return false;
        }
        if let Some(profile) = &self.profile {
            let wanted = profile.split('|').next().unwrap_or(profile);
            let versioned = profile.contains('|');
            let found = record.profiles.iter().any(|checked| {
                if versioned {
                    checked == profile
                } else {
                    checked.split('|').next() == Some(wanted)
                }
            });
            if !found {
                return false;
            }
        }
        if let Some(severity) = self.severity {
            let count = match severity {
                IssueSeverity::Fatal | IssueSeverity::Error => record.counts.error,
                IssueSeverity::Warning => record.counts.warning,
                IssueSeverity::Information => record.counts.information,
            };
            if count == 0 {
                return false;
            }
        }
        if let Some(resource_type) = &self.resource_type
            && record.resource_type() != resource_type
        {
            return false;
        }
        true
    }

    fn may_hold(&self, date: &str) -> bool {
        let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
        self.since.is_none_or(|since| date >= day(since).as_str())
            && self.until.is_none_or(|until| date <= day(until).as_str())
    }
}

/// Streams the records of `dir` that pass `filter`, oldest file first. A line that is not a
/// record is an [`Error::Format`] item naming the file and line; the stream goes on after it.
pub fn query(dir: &Path, filter: Filter) -> Result<Query> {
    let files = log_files(dir)?
        .into_iter()
        .filter(|(date, _, _)| filter.may_hold(date))
        .map(|(_, _, path)| path)
        .collect::<Vec<_>>();
    Ok(Query {
        files: files.into_iter(),
        reader: None,
        filter,
    })
}

/// The record stream of [`query`].
#[derive(Debug)]
pub struct Query {
    files: std::vec::IntoIter<PathBuf>,
    reader: Option<(PathBuf, usize, BufReader<File>)>,
    filter: Filter,
}

impl Iterator for Query {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        loop {
            let Some((path, line_number, reader)) = self.reader.as_mut() else {
                let path = self.files.next()?;
                match File::open(&path) {
                    Ok(file) => self.reader = Some((path, 0, BufReader::new(file))),
                    Err(source) => return Some(Err(Error::Io { path, source })),
                }
                continue;
            };
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) => {
                    self.reader = None;
                    continue;
                }
                Ok(_) => {}
                Err(source) => {
                    let path = path.clone();
                    self.reader = None;
                    return Some(Err(Error::Io { path, source }));
                }
            }
            *line_number += 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(&line) {
                Ok(record) if self.filter.matches(&record) => return Some(Ok(record)),
                Ok(_) => continue,
                Err(error) => {
                    return Some(Err(Error::Format {
                        path: path.clone(),
                        reason: format!("line {line_number}: not a log record: {error}"),
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
