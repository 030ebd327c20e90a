//! `fhirgate format`: convert a FHIR resource between JSON and XML.
//!
//! The input's format is detected from its first non-blank character (`<` is XML, `{` is JSON).
//! The output is the other format unless `--to` says otherwise.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// A FHIR serialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FhirFormat {
    /// FHIR JSON.
    Json,
    /// FHIR XML.
    Xml,
}

/// Options of `fhirgate format`.
#[derive(Debug, clap::Args)]
pub struct FormatArgs {
    /// A FHIR resource file (JSON or XML), or `-` for standard input.
    pub input: PathBuf,
    /// The output format (default: the other one).
    #[arg(long, value_enum)]
    pub to: Option<FhirFormat>,
    /// Write here instead of standard output.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
}

/// Runs `fhirgate format`.
pub fn run(args: &FormatArgs) -> anyhow::Result<ExitCode> {
    let text = read_input(&args.input)?;
    let source = detect(&text).with_context(|| {
        format!(
            "{}: neither FHIR JSON (starts with '{{') nor FHIR XML (starts with '<')",
            args.input.display()
        )
    })?;
    let target = args.to.unwrap_or(match source {
        FhirFormat::Json => FhirFormat::Xml,
        FhirFormat::Xml => FhirFormat::Json,
    });
    let value: serde_json::Value = match source {
        FhirFormat::Json => serde_json::from_str(&text)
            .with_context(|| format!("{}: not valid JSON", args.input.display()))?,
        FhirFormat::Xml => fhir::xml::xml_to_json(&text)
            .with_context(|| format!("{}: not valid FHIR XML", args.input.display()))?,
    };
    let mut output = match target {
        FhirFormat::Json => serde_json::to_string_pretty(&value)?,
        FhirFormat::Xml => fhir::xml::json_to_xml(&value)
            .with_context(|| format!("{}: cannot write as FHIR XML", args.input.display()))?,
    };
    output.push('\n');
    match &args.out {
        Some(path) => std::fs::write(path, output)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(output.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn read_input(path: &PathBuf) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn detect(text: &str) -> Option<FhirFormat> {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{') => Some(FhirFormat::Json),
        Some('<') => Some(FhirFormat::Xml),
        _ => None,
    }
}
