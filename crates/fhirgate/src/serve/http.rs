//! The HTTP listener: HL7v2 over HTTP, health, readiness and metrics.
//!
//! `POST /hl7v2` takes one message (or an MLLP-less batch is refused: one message per request) and
//! answers with its ACK. The body is stored in the journal before the answer is sent.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::AppState;
use super::receive::Outcome;

/// The media type of HL7v2 ER7 messages over HTTP.
const HL7V2_MEDIA_TYPE: &str = "x-application/hl7-v2+er7";

/// The HTTP routes, separate from the listener so tests can drive them directly.
pub fn router(state: AppState) -> Router {
    let limit = state.max_message_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/hl7v2", post(receive_hl7v2))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves HTTP until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.receiver.ready() {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "journal unavailable\n").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    (headers, state.metrics.render()).into_response()
}

async fn receive_hl7v2(State(state): State<AppState>, body: Bytes) -> Response {
    let received = state.receiver.hl7v2(&body, "http", None).await;
    let status = match received.outcome {
        Outcome::Accepted => StatusCode::OK,
        Outcome::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        Outcome::NotStored => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(HL7V2_MEDIA_TYPE),
    );
    if let Some(value) = received
        .message_id
        .and_then(|id| HeaderValue::from_str(&id.to_string()).ok())
    {
        headers.insert("x-fhirgate-message-id", value);
    }
    (status, headers, received.ack).into_response()
}
