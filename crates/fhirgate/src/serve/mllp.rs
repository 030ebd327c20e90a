//! The MLLP listener: one task per connection, one ACK per frame, in order.

use futures::{SinkExt, StreamExt};
use hl7v2::mllp::{MllpCodec, MllpFrame};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use super::AppState;

/// Accepts connections until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, peer)) => {
                        let state = state.clone();
                        let shutdown = shutdown.clone();
                        tokio::spawn(async move {
                            if let Err(error) = connection(stream, peer.to_string(), state, shutdown).await {
                                tracing::warn!(%peer, %error, "MLLP connection ended with an error");
                            }
                        });
                    }
                    Err(error) => tracing::warn!(%error, "MLLP accept failed"),
                }
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: String,
    state: AppState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    tracing::debug!(%peer, "MLLP connection opened");
    let mut framed = Framed::new(stream, MllpCodec::new(state.max_message_bytes));
    loop {
        let frame = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            frame = framed.next() => frame,
        };
        let Some(frame) = frame else {
            tracing::debug!(%peer, "MLLP connection closed");
            return Ok(());
        };
        let reply = match frame? {
            MllpFrame::Message(payload) => {
                state
                    .receiver
                    .hl7v2(&payload, "mllp", Some(peer.clone()))
                    .await
                    .ack
            }
            other => {
                state
                    .receiver
                    .framing_problem(&other, "mllp", Some(peer.clone()))
                    .await
            }
        };
        framed.send(reply).await?;
    }
}
