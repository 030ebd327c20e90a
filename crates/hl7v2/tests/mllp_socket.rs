//! `MllpCodec` over a real TCP socket: a `Framed` server answers each frame, a client writes
//! its frames in odd chunks and reads the replies in order.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used, clippy::panic)]

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use hl7v2::mllp::{MllpCodec, MllpFrame};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Encoder, Framed};

/// The reply the server sends for one decoded item.
fn reply_for(frame: &MllpFrame) -> String {
    match frame {
        MllpFrame::Message(payload) => {
            // Echo the control id (MSH-10) the way an ACK's MSA-2 would.
            let text = String::from_utf8_lossy(payload);
            let control_id = text
                .split('\r')
                .next()
                .and_then(|msh| msh.split('|').nth(9))
                .unwrap_or("");
            format!("MSH|^~\\&|SERVER\rMSA|AA|{control_id}\r")
        }
        MllpFrame::Oversized { discarded_len } => format!("MSA|AR||oversized {discarded_len}\r"),
        MllpFrame::Truncated(payload) => format!("MSA|AR||truncated {}\r", payload.len()),
    }
}

/// Serves one connection: one reply per decoded item, until the client closes.
async fn serve(listener: TcpListener) -> usize {
    let (stream, _) = listener.accept().await.unwrap();
    let mut framed = Framed::new(stream, MllpCodec::new(256));
    let mut n_frames = 0;
    while let Some(frame) = framed.next().await {
        let frame = frame.unwrap();
        n_frames += 1;
        framed.send(reply_for(&frame)).await.unwrap();
    }
    n_frames
}

fn message(control_id: usize) -> String {
    format!(
        "MSH|^~\\&|APP|FAC|GW|FAC|20240101120000||ADT^A01|CTRL{control_id}|P|2.5\rPID|1||{control_id}\r"
    )
}

#[tokio::test]
async fn framed_server_replies_to_each_frame_in_order() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve(listener));

    // The wire bytes: ten messages, with noise, an oversized and a truncated frame among them.
    let mut codec = MllpCodec::default();
    let mut wire = BytesMut::new();
    let mut expected = Vec::new();
    for control_id in 0..10 {
        codec.encode(message(control_id), &mut wire).unwrap();
        expected.push(format!("MSH|^~\\&|SERVER\rMSA|AA|CTRL{control_id}\r"));
        match control_id {
            3 => wire.extend_from_slice(b"\r\n"),
            5 => {
                codec.encode("X".repeat(300), &mut wire).unwrap();
                expected.push("MSA|AR||oversized 300\r".to_owned());
            }
            7 => {
                wire.extend_from_slice(b"\x0bMSH|^~\\&|cut");
                expected.push("MSA|AR||truncated 12\r".to_owned());
            }
            _ => {}
        }
    }

    let (reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
    let client = tokio::spawn(async move {
        let mut rest: &[u8] = &wire;
        let mut chunk_len = 1;
        while !rest.is_empty() {
            let (chunk, after) = rest.split_at(chunk_len.min(rest.len()));
            writer.write_all(chunk).await.unwrap();
            writer.flush().await.unwrap();
            rest = after;
            chunk_len = chunk_len * 7 % 61 + 1;
            if chunk_len % 5 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        writer.shutdown().await.unwrap();
    });

    let mut replies = tokio_util::codec::FramedRead::new(reader, MllpCodec::default());
    let mut received = Vec::new();
    while let Some(reply) = tokio::time::timeout(Duration::from_secs(10), replies.next())
        .await
        .unwrap()
    {
        match reply.unwrap() {
            MllpFrame::Message(payload) => {
                received.push(String::from_utf8(payload.to_vec()).unwrap())
            }
            other => panic!("unexpected reply item {other:?}"),
        }
    }
    client.await.unwrap();
    assert_eq!(received, expected);
    assert_eq!(server.await.unwrap(), expected.len());
}

#[tokio::test]
async fn partial_frame_at_close_is_reported_as_truncated() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut framed = Framed::new(stream, MllpCodec::default());
        let mut items = Vec::new();
        while let Some(frame) = framed.next().await {
            items.push(frame.unwrap());
        }
        items
    });
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"\x0bMSH|one\x1c\x0d\x0bMSH|tw")
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    assert_eq!(
        server.await.unwrap(),
        vec![
            MllpFrame::Message(Bytes::from_static(b"MSH|one")),
            MllpFrame::Truncated(Bytes::from_static(b"MSH|tw")),
        ]
    );
}
