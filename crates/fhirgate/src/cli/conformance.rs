//! `fhirgate conformance query`: the records of the conformance log that match a filter.
//!
//! Times are RFC 3339 timestamps (`2024-05-01T10:00:00Z`, any offset) or dates (`2024-05-01`,
//! midnight UTC); `--since` is inclusive, `--until` exclusive. Text output is one line per
//! record: time, message id, resource, counts, profiles checked; `--output json` prints the
//! records as they are stored (JSONL). A line of the log that is not a record is reported on
//! standard error and the query goes on; the exit code is then 1.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use conformance::log::{Filter, query};
use conformance::validate::IssueSeverity;
use jiff::Timestamp;

/// Options of `fhirgate conformance`.
#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    pub command: ConformanceCommand,
}

/// A severity to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeverityArg {
    /// Records with an error or fatal issue.
    Error,
    /// Records with a warning.
    Warning,
    /// Records with an information issue.
    Information,
}

/// The output of `fhirgate conformance query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryOutput {
    /// One summary line per record.
    Text,
    /// The stored records (JSONL).
    Json,
}

/// What to do with the conformance log.
#[derive(Debug, clap::Subcommand)]
pub enum ConformanceCommand {
    /// Print the log records that match every given condition.
    Query {
        /// Records at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Records before this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// Records that checked this profile (canonical url, `|version` optional).
        #[arg(long)]
        profile: Option<String>,
        /// Records with at least one issue of this severity.
        #[arg(long, value_enum)]
        severity: Option<SeverityArg>,
        /// Records of this resource type.
        #[arg(long = "type", value_name = "RESOURCE_TYPE")]
        resource_type: Option<String>,
        /// The log directory.
        #[arg(long, default_value = "fhirgate-data/conformance-log")]
        log: PathBuf,
        /// The output format.
        #[arg(long, value_enum, default_value = "text")]
        output: QueryOutput,
    },
}

/// Parses an RFC 3339 timestamp or a date (midnight UTC).
pub fn parse_time(text: &str) -> anyhow::Result<Timestamp> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp);
    }
    let date: jiff::civil::Date = text
        .parse()
        .with_context(|| format!("{text:?} is neither an RFC 3339 timestamp nor a date"))?;
    Ok(date.to_zoned_datetime(jiff::tz::TimeZone::UTC)?.timestamp())
}

/// Runs `fhirgate conformance`.
pub fn run(args: &ConformanceArgs) -> anyhow::Result<ExitCode> {
    let ConformanceCommand::Query {
        since,
        until,
        profile,
        severity,
        resource_type,
        log,
        output,
    } = &args.command;
    let filter = Filter {
        since: since.as_deref().map(parse_time).transpose()?,
        until: until.as_deref().map(parse_time).transpose()?,
        profile: profile.clone(),
        severity: severity.map(|s| match s {
            SeverityArg::Error => IssueSeverity::Error,
            SeverityArg::Warning => IssueSeverity::Warning,
            SeverityArg::Information => IssueSeverity::Information,
        }),
        resource_type: resource_type.clone(),
    };
    let records = query(log, filter)
        .with_context(|| format!("cannot read the conformance log {}", log.display()))?;
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let mut bad_lines = 0usize;
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                eprintln!("fhirgate: {error}");
                bad_lines += 1;
                continue;
            }
        };
        match output {
            QueryOutput::Json => {
                serde_json::to_writer(&mut stdout, &record)?;
                writeln!(stdout)?;
            }
            QueryOutput::Text => writeln!(
                stdout,
                "{}\t{}\t{}\terrors={} warnings={} information={}\t{}",
                record.time,
                record.message_id,
                record.resource,
                record.counts.error,
                record.counts.warning,
                record.counts.information,
                record.profiles.join(" ")
            )?,
        }
    }
    Ok(if bad_lines > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
