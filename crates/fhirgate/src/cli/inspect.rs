//! `fhirgate inspect`: parse HL7v2 files and print what the parser sees.
//!
//! For each message: its identity (type, structure, version, control id, time) and every
//! diagnostic with its place. With `--path`, the decoded value at that place (for example
//! `PID-3[2].1`). Output names files and message numbers, so a batch's bad message is easy to find.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// Options of `fhirgate inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// HL7v2 files (single messages or batches), directories (read recursively), or `-` for stdin.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Also print the decoded value at these places (for example `PID-5.1`, `OBX-5[2]`).
    #[arg(long = "path")]
    pub paths: Vec<String>,
}

/// Runs `fhirgate inspect`; exits 1 when any message has an error-level diagnostic.
pub fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for input in &args.inputs {
        collect_files(input, &mut files)?;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut any_error = false;
    for file in &files {
        let bytes = read(file)?;
        let batch = hl7v2::split_batch(&bytes);
        for diagnostic in &batch.diagnostics {
            writeln!(out, "{}: batch: {diagnostic}", file.display())?;
        }
        for (number, raw) in batch.messages.iter().enumerate() {
            let (message, diagnostics) = hl7v2::parse(raw);
            let header = message.header();
            writeln!(
                out,
                "{}#{}: {} structure={} version={} control_id={} time={}",
                file.display(),
                number + 1,
                crate::serve::receive::message_type_label(&header),
                header.structure.as_deref().unwrap_or("?"),
                header.version.as_deref().unwrap_or("?"),
                header.control_id.as_deref().unwrap_or("?"),
                header
                    .timestamp
                    .as_ref()
                    .map_or_else(|| "?".to_string(), |t| t.to_string()),
            )?;
            for diagnostic in &diagnostics {
                any_error |= diagnostic.severity == hl7v2::Severity::Error;
                writeln!(out, "  {diagnostic}")?;
            }
            for path in &args.paths {
                match message.get(path) {
                    Some(value) => writeln!(out, "  {path} = {value:?}")?,
                    None => writeln!(out, "  {path} (absent)")?,
                }
            }
        }
    }
    Ok(if any_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .context("cannot read standard input")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Expands directories recursively, in name order, so the output is stable.
pub fn collect_files(input: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if input.as_os_str() != "-" && input.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(input)
            .with_context(|| format!("cannot read directory {}", input.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        entries.sort();
        for entry in entries {
            collect_files(&entry, files)?;
        }
    } else {
        files.push(input.to_path_buf());
    }
    Ok(())
}
