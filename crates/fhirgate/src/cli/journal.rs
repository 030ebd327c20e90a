//! `fhirgate journal`: list and show stored messages, including the rejected ones (the error
//! store), from the embedded journal.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use journal::{Journal, MessageId, Status};

/// Options of `fhirgate journal`.
#[derive(Debug, clap::Args)]
pub struct JournalArgs {
    /// Directory of the embedded journal.
    #[arg(long, default_value_os_t = crate::default_data_dir())]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: JournalCommand,
}

/// What to do with the journal.
#[derive(Debug, clap::Subcommand)]
pub enum JournalCommand {
    /// List messages (metadata only, no payload), oldest first.
    List {
        /// Only messages with this status.
        #[arg(long, value_parser = ["received", "rejected", "processed", "failed"])]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Print one message's payload exactly as received (it contains PHI).
    Show {
        /// The message id.
        id: i64,
    },
    /// Count messages by status.
    Stats,
}

/// Runs `fhirgate journal`.
pub fn run(args: &JournalArgs) -> anyhow::Result<ExitCode> {
    let path = args.data_dir.join("journal.db");
    if !path.exists() {
        anyhow::bail!(
            "no journal at {} (start `fhirgate serve` first)",
            path.display()
        );
    }
    let journal = Journal::open(&path)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match &args.command {
        JournalCommand::List { status, limit } => {
            let status = status.as_deref().map(Status::parse).transpose()?;
            writeln!(
                out,
                "id\treceived_at\tsource\tstatus\tmessage_type\tcontrol_id\tdetail"
            )?;
            for message in journal.list(status, None, *limit)? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    message.id,
                    message.received_at,
                    message.source,
                    message.status.as_str(),
                    message.message_type.as_deref().unwrap_or("-"),
                    message.control_id.as_deref().unwrap_or("-"),
                    message.detail.as_deref().unwrap_or("")
                )?;
            }
        }
        JournalCommand::Show { id } => {
            let message = journal
                .get(MessageId(*id))?
                .with_context(|| format!("no message with id {id}"))?;
            out.write_all(&message.payload)?;
        }
        JournalCommand::Stats => {
            for (status, count) in journal.count_by_status()? {
                writeln!(out, "{}\t{count}", status.as_str())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
