//! Starting a real `fhirgate serve` process for the integration tests.

#![allow(dead_code)]
// Test support: a failure here is a failed test, so panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running gateway, killed when dropped.
pub struct Gateway {
    child: Child,
    /// The MLLP address it listens on.
    pub mllp: SocketAddr,
    /// The HTTP address it listens on.
    pub http: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
}

impl Gateway {
    /// Starts `fhirgate serve` on free ports with `data_dir`, plus `extra` arguments.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Gateway {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fhirgate"))
            .args([
                "serve",
                "--mllp-listen",
                "127.0.0.1:0",
                "--http-listen",
                "127.0.0.1:0",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fhirgate serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the ready line");
        let mut mllp = None;
        let mut http = None;
        for part in line.split_whitespace() {
            if let Some(addr) = part.strip_prefix("mllp=") {
                mllp = addr.parse().ok();
            }
            if let Some(addr) = part.strip_prefix("http=") {
                http = addr.parse().ok();
            }
        }
        Gateway {
            child,
            mllp: mllp.unwrap_or_else(|| panic!("no mllp address in {line:?}")),
            http: http.unwrap_or_else(|| panic!("no http address in {line:?}")),
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// Stops the process (SIGKILL: nothing may depend on a graceful shutdown).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `fhirgate journal --data-dir DIR ARGS…` and returns its standard output.
pub fn journal(data_dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_fhirgate"))
        .arg("journal")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("run fhirgate journal");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// A small valid ADT^A01 with the given control id (and MSH-15/16 when `enhanced`).
pub fn adt_a01(control_id: &str, enhanced: bool) -> String {
    let ack_types = if enhanced { "|||AL|NE" } else { "" };
    format!(
        "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261125101500+0100||ADT^A01^ADT_A01|{control_id}|P|2.5{ack_types}\r\
         PID|1||123^^^HOSP^MR||DOE^JANE\r"
    )
}

/// The value of `SEG-n` in an ER7 message (segments split on CR).
pub fn field(message: &str, segment: &str, n: usize) -> String {
    message
        .split('\r')
        .find(|line| line.starts_with(segment))
        .and_then(|line| line.split('|').nth(n))
        .unwrap_or_default()
        .to_string()
}
