//! `fhirgate serve` over real MLLP sockets: ACK after commit, NAKs that keep the connection, and
//! messages that survive a crash.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Gateway, adt_a01, field, journal};

fn frame(payload: &str) -> Vec<u8> {
    let mut bytes = vec![0x0b];
    bytes.extend_from_slice(payload.as_bytes());
    bytes.extend_from_slice(&[0x1c, 0x0d]);
    bytes
}

/// Reads one MLLP frame's payload.
fn read_frame(stream: &mut TcpStream) -> String {
    let mut payload = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        stream.read_exact(&mut byte).expect("read ack");
        match byte[0] {
            0x0b => payload.clear(),
            0x1c => {
                stream.read_exact(&mut byte).expect("read end");
                assert_eq!(byte[0], 0x0d);
                return String::from_utf8(payload).expect("utf-8 ack");
            }
            other => payload.push(other),
        }
    }
}

fn connect(gateway: &Gateway) -> TcpStream {
    let stream = TcpStream::connect(gateway.mllp).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

#[test]
fn each_frame_is_acknowledged_in_order_and_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(dir.path(), &[]);
    let mut stream = connect(&gateway);
    // Three frames in one write, with noise between them.
    let mut wire = frame(&adt_a01("C1", false));
    wire.extend_from_slice(b"\r\n");
    wire.extend(frame(&adt_a01("C2", false)));
    wire.extend(frame(&adt_a01("C3", false)));
    stream.write_all(&wire).unwrap();
    for control_id in ["C1", "C2", "C3"] {
        let ack = read_frame(&mut stream);
        assert_eq!(field(&ack, "MSA", 1), "AA", "{ack:?}");
        assert_eq!(field(&ack, "MSA", 2), control_id);
        // MSH-3/4 and MSH-5/6 are swapped; the version is kept.
        assert_eq!(field(&ack, "MSH", 2), "EHR");
        assert_eq!(field(&ack, "MSH", 4), "LAB");
        assert_eq!(field(&ack, "MSH", 11), "2.5");
        assert_eq!(field(&ack, "MSH", 8), "ACK^A01^ACK");
    }
    // Kill without a graceful shutdown: what was acknowledged must be on disk.
    gateway.kill();
    let listing = journal(dir.path(), &["list"]);
    for control_id in ["C1", "C2", "C3"] {
        assert!(
            listing.contains(&format!("\treceived\tADT^A01^ADT_A01\t{control_id}\t")),
            "{listing}"
        );
    }
    let shown = journal(dir.path(), &["show", "1"]);
    assert_eq!(shown, adt_a01("C1", false));
}

#[test]
fn a_bad_payload_gets_a_nak_with_err_and_the_connection_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(dir.path(), &["--max-message-bytes", "2000"]);
    let mut stream = connect(&gateway);

    stream.write_all(&frame("this is not HL7")).unwrap();
    let nak = read_frame(&mut stream);
    assert_eq!(field(&nak, "MSA", 1), "AE", "{nak:?}");
    assert!(field(&nak, "ERR", 3).starts_with("100^"), "{nak:?}");
    assert!(field(&nak, "ERR", 2).starts_with("MSH"), "{nak:?}");

    // An oversized frame is discarded and refused, and the stream stays usable.
    let big = format!("{}ZZZ|{}\r", adt_a01("BIG", false), "x".repeat(5000));
    stream.write_all(&frame(&big)).unwrap();
    let refused = read_frame(&mut stream);
    assert_eq!(field(&refused, "MSA", 1), "AR", "{refused:?}");
    assert!(field(&refused, "ERR", 8).contains("exceeds"), "{refused:?}");

    stream.write_all(&frame(&adt_a01("OK1", false))).unwrap();
    let ack = read_frame(&mut stream);
    assert_eq!(field(&ack, "MSA", 1), "AA");
    assert_eq!(field(&ack, "MSA", 2), "OK1");
    drop(stream);
    gateway.kill();

    // The refused payloads are in the error store, with their reasons.
    let rejected = journal(dir.path(), &["list", "--status", "rejected"]);
    assert_eq!(rejected.lines().count(), 3, "{rejected}");
    assert!(rejected.contains("not MSH"), "{rejected}");
    assert!(rejected.contains("exceeds the maximum"), "{rejected}");
}

#[test]
fn enhanced_mode_answers_with_commit_acknowledgements() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(dir.path(), &[]);
    let mut stream = connect(&gateway);
    stream.write_all(&frame(&adt_a01("E1", true))).unwrap();
    let ack = read_frame(&mut stream);
    assert_eq!(field(&ack, "MSA", 1), "CA", "{ack:?}");
    assert_eq!(field(&ack, "MSA", 2), "E1");
}
