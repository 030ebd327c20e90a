//! `fhirgate validate`: FHIR R4 resources against base R4 and profiles, offline.
//!
//! Inputs are files, directories (every `.json`, `.xml`, `.ndjson` and `.jsonl` file in them,
//! recursively) or `-` for standard input. A file is FHIR XML when it starts with `<`, NDJSON
//! when its extension is `.ndjson`/`.jsonl` (or, for other names, when it is not one JSON
//! document but its first line is), and FHIR JSON otherwise. Each NDJSON line is one input,
//! named `FILE:LINE`. A Bundle is one input; its entries are validated in its context.
//!
//! Output (`--output`):
//! - `text` (default): one line per issue, `INPUT: severity message_id expression [line:col]
//!   message` (the position only for JSON input), then a summary on standard error: counts,
//!   and for more than one input the issues grouped by message id.
//! - `json`: one OperationOutcome per input, one per line (NDJSON), with the input's name in
//!   an extension `urn:fhirgate:validate-input`.
//!
//! A file that is not JSON or FHIR XML is an input with a fatal `parse-error` issue.
//! Exit codes: 0 when every input is valid (warnings allowed), 1 when any input has an error or
//! fatal issue, 2 on a usage or I/O error (unreadable file, unknown `--profile`, no profiles).
//!
//! Profiles: `--profiles-dir DIR` when given; otherwise `./profiles` when it holds an
//! `index.json`; otherwise the `profiles/` directory of the workspace the binary was built from,
//! found by walking up from the executable and then from the crate's source directory (so
//! `cargo run -- validate` and `target/debug/fhirgate validate` work anywhere in the repo).
//! `--package X.tgz` adds a site's IG at run time. `--log DIR` appends one conformance log
//! record per input ([`conformance::log`]).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use conformance::Registry;
use conformance::log::{ConformanceLog, Record, RotationPolicy};
use conformance::source_map::SourceMap;
use conformance::validate::{
    Issue, IssueSeverity, IssueType, Outcome, Position, ValidateOptions, Validator,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// The output format of `fhirgate validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateOutput {
    /// One line per issue, and a summary.
    Text,
    /// One OperationOutcome per input, as NDJSON.
    Json,
}

/// Options of `fhirgate validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// FHIR files (JSON, XML, NDJSON), directories (recursively), or `-` for standard input.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// A profile every resource must conform to (canonical url, optionally `|version`).
    #[arg(long = "profile", value_name = "URL")]
    pub profiles: Vec<String>,
    /// The output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: ValidateOutput,
    /// The compiled profiles directory (default: ./profiles, else the repository's).
    #[arg(long = "profiles-dir", value_name = "DIR")]
    pub profiles_dir: Option<PathBuf>,
    /// Extra FHIR package archives (a site's own IG), compiled at start-up.
    #[arg(long = "package", value_name = "PACKAGE.tgz")]
    pub packages: Vec<PathBuf>,
    /// Append one conformance log record per input to this directory.
    #[arg(long, value_name = "DIR")]
    pub log: Option<PathBuf>,
}

/// One resource to validate.
struct Input {
    /// Its name in output: the path, `path:line` for NDJSON, `-` for standard input.
    name: String,
    /// The parsed resource, or why it could not be parsed (with its position, if known).
    resource: Result<Value, (String, Option<Position>)>,
    /// The JSON text, for line and column of issues.
    json_text: Option<String>,
    /// Added to every line number (an NDJSON line's number minus one).
    line_offset: u32,
}

/// Finds the compiled profiles directory (see the module doc).
pub fn resolve_profiles_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    let holds_index = |dir: &Path| dir.join("index.json").is_file();
    let local = PathBuf::from("profiles");
    if holds_index(&local) {
        return Ok(local);
    }
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .map(|a| a.join("profiles"))
            .find(|p| holds_index(p))
    });
    if let Some(dir) = from_exe {
        return Ok(dir);
    }
    let source_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles");
    if holds_index(&source_tree) {
        return Ok(source_tree);
    }
    bail!(
        "no compiled profiles found: pass --profiles-dir, or run where ./profiles/index.json exists"
    )
}

/// Loads the registry from `dir` plus `packages`, and the validator over it.
pub fn load_validator(dir: &Path, packages: &[PathBuf]) -> anyhow::Result<Validator> {
    let mut registry = Registry::load_dir(dir)
        .with_context(|| format!("cannot load the profiles in {}", dir.display()))?;
    for package in packages {
        registry
            .add_package(package)
            .with_context(|| format!("cannot add the package {}", package.display()))?;
    }
    Ok(Validator::new(Arc::new(registry)))
}

/// Runs `fhirgate validate`.
pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let dir = resolve_profiles_dir(args.profiles_dir.as_deref())?;
    let validator = load_validator(&dir, &args.packages)?;
    for profile in &args.profiles {
        if validator.registry().structure(profile).is_none() {
            bail!("--profile {profile}: not loaded from {}", dir.display());
        }
    }
    let mut files = Vec::new();
    let mut walked_directory = false;
    for input in &args.inputs {
        if input.as_os_str() != "-" && input.is_dir() {
            walked_directory = true;
            collect_fhir_files(input, &mut files)?;
        } else {
            files.push(input.clone());
        }
    }
    let mut log = match &args.log {
        Some(dir) => Some(ConformanceLog::open(dir, RotationPolicy::default())?),
        None => None,
    };
    let progress = if walked_directory || files.len() > 1 {
        let bar = ProgressBar::new(u64::try_from(files.len()).unwrap_or(u64::MAX));
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let options = ValidateOptions {
        profiles: args.profiles.clone(),
    };
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let mut summary = Summary::default();
    for file in &files {
        progress.inc(1);
        for input in read_inputs(file)? {
            let outcome = validate_input(&validator, &input, &options);
            summary.add(&outcome);
            let lines = render(&input.name, &outcome, args.output)?;
            progress.suspend(|| stdout.write_all(lines.as_bytes()))?;
            if let (Some(log), Ok(resource)) = (log.as_mut(), &input.resource) {
                log.append(&Record::new(
                    jiff::Timestamp::now(),
                    &input.name,
                    resource,
                    &outcome,
                ))?;
            }
        }
    }
    progress.finish_and_clear();
    if let Some(log) = log.as_mut() {
        log.sync()?;
    }
    stdout.flush()?;
    summary.print(args.output == ValidateOutput::Text);
    Ok(if summary.invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn validate_input(validator: &Validator, input: &Input, options: &ValidateOptions) -> Outcome {
    match &input.resource {
        Ok(resource) => {
            let mut outcome = validator.validate(resource, options);
            if let Some(text) = &input.json_text {
                SourceMap::build(text).fill(&mut outcome.issues);
                for issue in &mut outcome.issues {
                    if let Some(position) = issue.position.as_mut() {
                        position.line = position.line.saturating_add(input.line_offset);
                    }
                }
            }
            outcome
        }
        Err((message, position)) => Outcome {
            issues: vec![Issue {
                position: *position,
                ..Issue::new(
                    IssueSeverity::Fatal,
                    IssueType::Structure,
                    "parse-error",
                    "",
                    message.clone(),
                )
            }],
            profiles_checked: Vec::new(),
        },
    }
}

fn render(name: &str, outcome: &Outcome, output: ValidateOutput) -> anyhow::Result<String> {
    let mut text = String::new();
    match output {
        ValidateOutput::Text => {
            for issue in &outcome.issues {
                let position = issue
                    .position
                    .map(|p| format!(" [{}:{}]", p.line, p.column))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "{name}: {} {} {}{position} {}\n",
                    issue.severity.as_str(),
                    issue.message_id,
                    if issue.expression.is_empty() {
                        "-"
                    } else {
                        &issue.expression
                    },
                    issue.message
                ));
            }
        }
        ValidateOutput::Json => {
            let mut operation_outcome = outcome.to_operation_outcome();
            if let Value::Object(object) = &mut operation_outcome {
                object.insert(
                    "extension".into(),
                    json!([{"url": "urn:fhirgate:validate-input", "valueString": name}]),
                );
            }
            text = serde_json::to_string(&operation_outcome)?;
            text.push('\n');
        }
    }
    Ok(text)
}

/// Counts over every input, and issues by message id.
#[derive(Default)]
struct Summary {
    inputs: usize,
    invalid: usize,
    counts: (usize, usize, usize),
    by_message: BTreeMap<(&'static str, &'static str), usize>,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome) {
        self.inputs += 1;
        if !outcome.is_valid() {
            self.invalid += 1;
        }
        let (e, w, i) = outcome.counts();
        self.counts = (self.counts.0 + e, self.counts.1 + w, self.counts.2 + i);
        for issue in &outcome.issues {
            *self
                .by_message
                .entry((issue.severity.as_str(), issue.message_id))
                .or_default() += 1;
        }
    }

    fn print(&self, text: bool) {
        eprintln!(
            "validated {} input(s): {} valid, {} invalid; {} error(s), {} warning(s), {} information",
            self.inputs,
            self.inputs - self.invalid,
            self.invalid,
            self.counts.0,
            self.counts.1,
            self.counts.2
        );
        if text && self.inputs > 1 {
            let mut rows: Vec<_> = self.by_message.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for ((severity, message_id), count) in rows {
                eprintln!("  {count:>6} × {severity} {message_id}");
            }
        }
    }
}

fn is_fhir_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "xml" | "ndjson" | "jsonl")
    )
}

/// Every FHIR file under `dir`, recursively, sorted.
fn collect_fhir_files(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_fhir_files(&entry, files)?;
        } else if is_fhir_file(&entry) {
            files.push(entry);
        }
    }
    Ok(())
}

/// Reads one file (or standard input) into its inputs.
fn read_inputs(path: &Path) -> anyhow::Result<Vec<Input>> {
    let (name, bytes) = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        ("-".to_string(), bytes)
    } else {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        (path.display().to_string(), bytes)
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            return Ok(vec![failed(name, "not UTF-8 text".into(), None)]);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    let ndjson_name = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("ndjson" | "jsonl")
    );
    let trimmed = text.trim_start();
    if ndjson_name {
        return Ok(ndjson_inputs(&name, &text));
    }
    if trimmed.starts_with('<') {
        let resource = fhir::xml::xml_to_json(&text)
            .map_err(|error| (format!("not valid FHIR XML: {error}"), None));
        return Ok(vec![Input {
            name,
            resource,
            json_text: None,
            line_offset: 0,
        }]);
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(resource) => Ok(vec![Input {
            name,
            resource: Ok(resource),
            json_text: Some(text),
            line_offset: 0,
        }]),
        Err(error) => {
            let first_line = text.lines().next().unwrap_or("");
            let more_lines = text.lines().filter(|l| !l.trim().is_empty()).count() > 1;
            if more_lines && serde_json::from_str::<Value>(first_line).is_ok() {
                return Ok(ndjson_inputs(&name, &text));
            }
            Ok(vec![json_failure(name, &error, 0)])
        }
    }
}

fn failed(name: String, message: String, position: Option<Position>) -> Input {
    Input {
        name,
        resource: Err((message, position)),
        json_text: None,
        line_offset: 0,
    }
}

fn json_failure(name: String, error: &serde_json::Error, line_offset: u32) -> Input {
    let position = (error.line() > 0).then(|| Position {
        line: u32::try_from(error.line())
            .unwrap_or(u32::MAX)
            .saturating_add(line_offset),
        column: u32::try_from(error.column()).unwrap_or(u32::MAX).max(1),
    });
    failed(name, format!("not valid JSON: {error}"), position)
}

/// One input per non-blank line, named `NAME:LINE`.
fn ndjson_inputs(name: &str, text: &str) -> Vec<Input> {
    let mut inputs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_offset = u32::try_from(index).unwrap_or(u32::MAX);
        let line_name = format!("{name}:{}", index + 1);
        match serde_json::from_str::<Value>(line) {
            Ok(resource) => inputs.push(Input {
                name: line_name,
                resource: Ok(resource),
                json_text: Some(line.to_string()),
                line_offset,
            }),
            Err(error) => inputs.push(json_failure(line_name, &error, line_offset)),
        }
    }
    inputs
}
