//! `fhirgate serve`: the gateway process.
//!
//! It opens the journal, starts the MLLP and HTTP listeners, and runs until SIGINT or SIGTERM.
//! Every received message is stored in the journal before it is acknowledged ([`receive`]).

mod http;
mod mllp;
pub mod receive;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::telemetry::{self, LogFormat, Metrics};
use receive::Receiver;

/// Options of `fhirgate serve`. Every option has a working default, so `fhirgate serve` alone
/// runs a gateway with an embedded journal under `./fhirgate-data`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address of the MLLP (HL7v2 over TCP) listener.
    #[arg(long, default_value = "127.0.0.1:2575")]
    pub mllp_listen: SocketAddr,
    /// Address of the HTTP listener (API, health, metrics).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http_listen: SocketAddr,
    /// Directory of the embedded journal and stores.
    #[arg(long, default_value_os_t = crate::default_data_dir())]
    pub data_dir: PathBuf,
    /// Largest accepted message, in bytes (MLLP frame or HTTP body).
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Log format.
    #[arg(long, value_enum, default_value = "json")]
    pub log_format: LogFormat,
}

/// Shared state of the servers.
#[derive(Clone)]
pub struct AppState {
    /// Stores and acknowledges messages.
    pub receiver: Arc<Receiver>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The largest accepted message.
    pub max_message_bytes: usize,
}

/// Runs the gateway until it is told to stop.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    telemetry::init_logging(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            args.data_dir.display()
        )
    })?;
    let journal_path = args.data_dir.join("journal.db");
    let journal = journal::Journal::open(&journal_path)?;
    let metrics = Metrics::new()?;
    let state = AppState {
        receiver: Arc::new(Receiver::new(journal, metrics.clone())),
        metrics,
        max_message_bytes: args.max_message_bytes,
    };

    let mllp_listener = TcpListener::bind(args.mllp_listen)
        .await
        .with_context(|| format!("cannot listen for MLLP on {}", args.mllp_listen))?;
    let http_listener = TcpListener::bind(args.http_listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", args.http_listen))?;
    let mllp_addr = mllp_listener.local_addr()?;
    let http_addr = http_listener.local_addr()?;
    tracing::info!(%mllp_addr, %http_addr, journal = %journal_path.display(), "fhirgate ready");
    // A machine-readable line for scripts and tests that start the gateway on port 0.
    println!("ready mllp={mllp_addr} http={http_addr}");

    let shutdown = tokio_util::sync::CancellationToken::new();
    let mllp_task = tokio::spawn(mllp::serve(mllp_listener, state.clone(), shutdown.clone()));
    let http_task = tokio::spawn(http::serve(http_listener, state.clone(), shutdown.clone()));

    wait_for_signal().await;
    tracing::info!("shutting down");
    shutdown.cancel();
    let (mllp_result, http_result) = tokio::join!(mllp_task, http_task);
    mllp_result??;
    http_result??;
    Ok(())
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
