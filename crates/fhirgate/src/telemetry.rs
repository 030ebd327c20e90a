//! Logging and metrics.
//!
//! Logs are `tracing` events, JSON by default. They carry control ids, message types and ids,
//! never payloads, names or patient identifiers: the receive path logs only those fields, so PHI
//! stays out of the logs by construction.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use tracing_subscriber::EnvFilter;

/// How logs are written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per event.
    Json,
    /// Human-readable lines.
    Text,
}

/// Starts the global tracing subscriber; `RUST_LOG` overrides the default `info` level.
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless, so its error is ignored.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The gateway's Prometheus metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Messages received, by source, stage outcome and ACK code.
    pub messages: IntCounterVec,
    /// Time from receipt to acknowledgement, by source.
    pub ack_latency: HistogramVec,
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new();
        let messages = IntCounterVec::new(
            Opts::new(
                "fhirgate_messages_received_total",
                "Messages received, by source and acknowledgement code",
            ),
            &["source", "ack"],
        )?;
        let ack_latency = HistogramVec::new(
            HistogramOpts::new(
                "fhirgate_ack_latency_seconds",
                "Time from receipt of a message to its acknowledgement (durable store included)",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["source"],
        )?;
        registry.register(Box::new(messages.clone()))?;
        registry.register(Box::new(ack_latency.clone()))?;
        Ok(Metrics {
            registry,
            messages,
            ack_latency,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let encoder = TextEncoder::new();
        if encoder
            .encode(&self.registry.gather(), &mut buffer)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}
