//! `fhirgate convert`: HL7v2 files to FHIR R4 Bundles.
//!
//! Each input file may hold one message or a batch; every message becomes one Bundle. Without
//! `--out` the Bundles go to standard output. With `--out DIR` each message gets its own file,
//! named after its input (`ADT-A01-01.hl7` → `DIR/ADT-A01-01.json`; a batch `B.hl7` →
//! `DIR/B-1.json`, `DIR/B-2.json`…). A summary goes to standard error at the end, with failures
//! grouped by reason. The exit code is 1 when any message failed, 2 on a usage or I/O error.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use proxy::site_config::SiteConfig;
use proxy::v2::{ConvertError, Converter};

use super::inspect::collect_files;

/// The output serialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Pretty-printed FHIR JSON, one document per Bundle.
    Json,
    /// One Bundle per line.
    Ndjson,
    /// FHIR XML.
    Xml,
}

impl OutputFormat {
    fn extension(self) -> &'static str {
        match self {
            OutputFormat::Json => "json",
            OutputFormat::Ndjson => "ndjson",
            OutputFormat::Xml => "xml",
        }
    }
}

/// Options of `fhirgate convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// HL7v2 files, directories (every file in them, recursively), or `-` for standard input.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// A directory for one output file per message (created if needed).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: OutputFormat,
    /// Print, for each message, what was not mapped and what was repaired (to standard error).
    #[arg(long)]
    pub report: bool,
    /// The site configuration (TOML): time zone, id namespace, code maps, overrides.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// One message read from an input.
struct Source {
    /// A name for messages and output files, such as `ADT-A01-01` or `batch-2`.
    name: String,
    /// Where it came from, for error messages.
    origin: String,
    bytes: Vec<u8>,
}

/// Runs `fhirgate convert`.
pub fn run(args: &ConvertArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => SiteConfig::load(path)?,
        None => SiteConfig::default(),
    };
    let converter = Converter::new(config);
    let mut files = Vec::new();
    for input in &args.inputs {
        collect_files(input, &mut files)?;
    }
    let sources = read_sources(&files)?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output directory {}", dir.display()))?;
    }
    let progress = if files.len() > 1 {
        let bar = ProgressBar::new(u64::try_from(sources.len()).unwrap_or(u64::MAX));
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} messages {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let mut converted = 0usize;
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for source in &sources {
        progress.inc(1);
        match converter.convert(&source.bytes) {
            Ok(conversion) => {
                converted += 1;
                let text = render(&conversion.bundle, args.format)
                    .with_context(|| format!("{}: cannot write the Bundle", source.origin))?;
                match &args.out {
                    Some(dir) => {
                        let path = dir.join(format!("{}.{}", source.name, args.format.extension()));
                        std::fs::write(&path, text)
                            .with_context(|| format!("cannot write {}", path.display()))?;
                    }
                    None => stdout.write_all(text.as_bytes())?,
                }
                if args.report && !conversion.report.is_clean() {
                    progress.suspend(|| {
                        eprint!("{}: report\n{}", source.origin, conversion.report);
                    });
                }
            }
            Err(error) => {
                progress.suspend(|| eprintln!("{}: {error}", source.origin));
                failures
                    .entry(failure_kind(&error))
                    .or_default()
                    .push(source.origin.clone());
            }
        }
    }
    progress.finish_and_clear();
    let failed: usize = failures.values().map(Vec::len).sum();
    eprintln!("converted {converted}, failed {failed}");
    for (reason, origins) in &failures {
        eprintln!("  {} × {reason}: {}", origins.len(), origins.join(", "));
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads every file and splits batches, naming each message after its file.
fn read_sources(files: &[PathBuf]) -> anyhow::Result<Vec<Source>> {
    let mut sources = Vec::new();
    for file in files {
        let bytes = if file.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .context("cannot read standard input")?;
            bytes
        } else {
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
        };
        let stem = stem(file);
        let batch = hl7v2::split_batch(&bytes);
        if batch.messages.len() <= 1 {
            sources.push(Source {
                name: stem.clone(),
                origin: file.display().to_string(),
                bytes: batch.messages.first().map_or(bytes.clone(), |m| m.to_vec()),
            });
            continue;
        }
        for (idx, message) in batch.messages.iter().enumerate() {
            sources.push(Source {
                name: format!("{stem}-{}", idx + 1),
                origin: format!("{} (message {})", file.display(), idx + 1),
                bytes: message.to_vec(),
            });
        }
    }
    Ok(sources)
}

fn stem(file: &Path) -> String {
    if file.as_os_str() == "-" {
        return "stdin".to_owned();
    }
    file.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "message".to_owned())
}

fn render(bundle: &serde_json::Value, format: OutputFormat) -> anyhow::Result<String> {
    let mut text = match format {
        OutputFormat::Json => serde_json::to_string_pretty(bundle)?,
        OutputFormat::Ndjson => serde_json::to_string(bundle)?,
        OutputFormat::Xml => fhir::xml::json_to_xml(bundle)?,
    };
    text.push('\n');
    Ok(text)
}

/// A short, stable name of the reason, for grouping failures in the summary.
fn failure_kind(error: &ConvertError) -> String {
    match error {
        ConvertError::NotHl7v2 { .. } => "not an HL7v2 message".to_owned(),
        ConvertError::UnsupportedMessageType { structure, .. } => {
            format!("unsupported message structure {structure}")
        }
        ConvertError::MissingRequired { what, .. } => format!("missing {what}"),
        ConvertError::Bundle(_) => "Bundle assembly failed".to_owned(),
    }
}
