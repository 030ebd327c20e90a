/*!
The durable receive journal.

A message that is not stored has not been received: every source (MLLP, HTTP, files) writes the raw
bytes here, with their metadata, and acknowledges only after [`Journal::append`] returns. The
journal is also the error store: a message that cannot be parsed or translated is kept with status
[`Status::Rejected`] or [`Status::Failed`] and a reason, so that it can be inspected and replayed.

Invariants:
- One SQLite file in WAL mode with `synchronous=FULL`: a returned [`MessageId`] means the row is on
  disk (the WAL was fsynced at commit).
- One writer thread owns the write connection. It takes every request queued while the previous
  commit ran and commits them in one transaction (group commit), so concurrent senders share the
  cost of one fsync.
- Payloads are stored byte for byte; nothing is decoded or rewritten here.

Main types: [`Journal`], [`NewMessage`], [`StoredMessage`], [`Status`], [`JournalError`].

Not for: parsing, translation or routing. It knows bytes and metadata, nothing of HL7 or FHIR.
*/

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

/// The most requests committed in one transaction.
const MAX_GROUP: usize = 512;

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The SQLite file could not be opened or prepared.
    #[error("cannot open the journal at {path}: {source}")]
    Open {
        /// The file's path.
        path: String,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error("journal {operation} failed: {source}")]
    Sql {
        /// What was being done.
        operation: &'static str,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// The transaction holding this request failed, so nothing of it was stored.
    #[error("journal group commit failed: {0}")]
    GroupFailed(String),
    /// The writer thread is gone (the journal is shutting down or crashed).
    #[error("the journal writer has stopped")]
    WriterStopped,
    /// A stored status could not be read back.
    #[error("unknown status {0:?} in the journal")]
    UnknownStatus(String),
}

type Result<T, E = JournalError> = std::result::Result<T, E>;

fn sql(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> JournalError {
    move |source| JournalError::Sql { operation, source }
}

/// The id of a stored message, unique within one journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub i64);

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Stored and acknowledged; waiting for processing.
    Received,
    /// Refused at receipt (for example no MSH segment); kept for inspection and replay.
    Rejected,
    /// Processed successfully.
    Processed,
    /// Processing failed after receipt; kept for inspection and replay.
    Failed,
}

impl Status {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Rejected => "rejected",
            Status::Processed => "processed",
            Status::Failed => "failed",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "received" => Ok(Status::Received),
            "rejected" => Ok(Status::Rejected),
            "processed" => Ok(Status::Processed),
            "failed" => Ok(Status::Failed),
            other => Err(JournalError::UnknownStatus(other.to_string())),
        }
    }
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Arrival time, RFC 3339 with offset.
    pub received_at: String,
    /// The source that received it, for example `mllp` or `http`.
    pub source: String,
    /// The remote peer (address), when known.
    pub peer: Option<String>,
    /// The payload format, for example `hl7v2`.
    pub format: String,
    /// The sender's control id (MSH-10), when known.
    pub control_id: Option<String>,
    /// The message type (for example `ADT^A01^ADT_A01`), when known.
    pub message_type: Option<String>,
    /// The initial status.
    pub status: Status,
    /// Why, for a rejected message.
    pub detail: Option<String>,
    /// The raw bytes, exactly as received.
    pub payload: Vec<u8>,
}

/// A message read back from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its id.
    pub id: MessageId,
    /// Arrival time.
    pub received_at: String,
    /// The receiving source.
    pub source: String,
    /// The remote peer.
    pub peer: Option<String>,
    /// The payload format.
    pub format: String,
    /// The sender's control id.
    pub control_id: Option<String>,
    /// The message type.
    pub message_type: Option<String>,
    /// The current status.
    pub status: Status,
    /// The reason for the current status, if any.
    pub detail: Option<String>,
    /// The raw bytes.
    pub payload: Vec<u8>,
}

/// Counters of the writer, for metrics and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Messages appended.
    pub appends: u64,
    /// Transactions committed.
    pub commits: u64,
}

enum Request {
    Append(NewMessage, oneshot::Sender<Result<MessageId>>),
    SetStatus(
        MessageId,
        Status,
        Option<String>,
        oneshot::Sender<Result<()>>,
    ),
}

/// The journal: one SQLite file, one writer thread, shared readers.
pub struct Journal {
    requests: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
    reader: Mutex<Connection>,
    stats: std::sync::Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    appends: AtomicU64,
    commits: AtomicU64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    source TEXT NOT NULL,
    peer TEXT,
    format TEXT NOT NULL,
    control_id TEXT,
    message_type TEXT,
    status TEXT NOT NULL,
    detail TEXT,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_status ON messages(status, id);
";

fn open_connection(path: &Path) -> Result<Connection> {
    let open_error = |source| JournalError::Open {
        path: path.display().to_string(),
        source,
    };
    let conn = Connection::open(path).map_err(open_error)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
    )
    .map_err(open_error)?;
    Ok(conn)
}

impl Journal {
    /// Opens (creating if needed) the journal file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let writer_conn = open_connection(path)?;
        writer_conn
            .execute_batch(SCHEMA)
            .map_err(|source| JournalError::Open {
                path: path.display().to_string(),
                source,
            })?;
        let reader = open_connection(path)?;
        let (requests, inbox) = mpsc::channel();
        let stats = std::sync::Arc::new(Counters::default());
        let writer_stats = stats.clone();
        let writer = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || write_loop(writer_conn, inbox, &writer_stats))
            .map_err(|_| JournalError::WriterStopped)?;
        Ok(Journal {
            requests: Some(requests),
            writer: Some(writer),
            reader: Mutex::new(reader),
            stats,
        })
    }

    fn send(&self, request: Request) -> Result<()> {
        self.requests
            .as_ref()
            .ok_or(JournalError::WriterStopped)?
            .send(request)
            .map_err(|_| JournalError::WriterStopped)
    }

    /// Stores a message durably; returns once it is committed to disk.
    pub async fn append(&self, message: NewMessage) -> Result<MessageId> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Append(message, reply))?;
        answer.await.map_err(|_| JournalError::WriterStopped)?
    }

    /// [`Journal::append`] for synchronous callers (not from inside an async runtime thread).
    pub fn append_blocking(&self, message: NewMessage) -> Result<MessageId> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Append(message, reply))?;
        answer
            .blocking_recv()
            .map_err(|_| JournalError::WriterStopped)?
    }

    /// Changes a message's status durably, with an optional reason.
    pub async fn set_status(
        &self,
        id: MessageId,
        status: Status,
        detail: Option<String>,
    ) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::SetStatus(id, status, detail, reply))?;
        answer.await.map_err(|_| JournalError::WriterStopped)?
    }

    /// Reads one message back.
    pub fn get(&self, id: MessageId) -> Result<Option<StoredMessage>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let row = conn
            .query_row(
                "SELECT id, received_at, source, peer, format, control_id, message_type, status, \
                 detail, payload FROM messages WHERE id = ?1",
                params![id.0],
                row_to_raw,
            )
            .optional()
            .map_err(sql("read"))?;
        row.map(RawRow::into_stored).transpose()
    }

    /// Lists messages with the given status (all when `None`), oldest first, after `after` (exclusive).
    pub fn list(
        &self,
        status: Option<Status>,
        after: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = conn
            .prepare_cached(
                "SELECT id, received_at, source, peer, format, control_id, message_type, status, \
                 detail, payload FROM messages WHERE (?1 IS NULL OR status = ?1) AND id > ?2 \
                 ORDER BY id LIMIT ?3",
            )
            .map_err(sql("list"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(
                params![
                    status.map(Status::as_str),
                    after.map_or(0, |id| id.0),
                    limit
                ],
                row_to_raw,
            )
            .map_err(sql("list"))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(sql("list"))?.into_stored()?);
        }
        Ok(out)
    }

    /// How many messages have each status.
    pub fn count_by_status(&self) -> Result<Vec<(Status, u64)>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = conn
            .prepare_cached("SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status")
            .map_err(sql("count"))?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(sql("count"))?;
        let mut out = Vec::new();
        for row in rows {
            let (status, count) = row.map_err(sql("count"))?;
            out.push((Status::parse(&status)?, u64::try_from(count).unwrap_or(0)));
        }
        Ok(out)
    }

    /// The writer's counters so far.
    pub fn stats(&self) -> JournalStats {
        JournalStats {
            appends: self.stats.appends.load(Ordering::Relaxed),
            commits: self.stats.commits.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // Closing the channel ends the writer after it has committed what is queued.
        self.requests.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

struct RawRow {
    id: i64,
    received_at: String,
    source: String,
    peer: Option<String>,
    format: String,
    control_id: Option<String>,
    message_type: Option<String>,
    status: String,
    detail: Option<String>,
    payload: Vec<u8>,
}

fn row_to_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        received_at: row.get(1)?,
        source: row.get(2)?,
        peer: row.get(3)?,
        format: row.get(4)?,
        control_id: row.get(5)?,
        message_type: row.get(6)?,
        status: row.get(7)?,
        detail: row.get(8)?,
        payload: row.get(9)?,
    })
}

impl RawRow {
    fn into_stored(self) -> Result<StoredMessage> {
        Ok(StoredMessage {
            id: MessageId(self.id),
            received_at: self.received_at,
            source: self.source,
            peer: self.peer,
            format: self.format,
            control_id: self.control_id,
            message_type: self.message_type,
            status: Status::parse(&self.status)?,
            detail: self.detail,
            payload: self.payload,
        })
    }
}

fn write_loop(mut conn: Connection, inbox: mpsc::Receiver<Request>, stats: &Counters) {
    while let Ok(first) = inbox.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match inbox.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        commit_group(&mut conn, group, stats);
    }
}

enum Done {
    Appended(oneshot::Sender<Result<MessageId>>, Result<MessageId>),
    StatusSet(oneshot::Sender<Result<()>>, Result<()>),
}

fn commit_group(conn: &mut Connection, group: Vec<Request>, stats: &Counters) {
    let transaction = match conn.transaction() {
        Ok(transaction) => transaction,
        Err(source) => {
            fail_all(group, "begin", source);
            return;
        }
    };
    let mut done = Vec::with_capacity(group.len());
    let mut appended = 0u64;
    for request in group {
        match request {
            Request::Append(message, reply) => {
                let result = transaction
                    .execute(
                        "INSERT INTO messages (received_at, source, peer, format, control_id, \
                         message_type, status, detail, payload) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        params![
                            message.received_at,
                            message.source,
                            message.peer,
                            message.format,
                            message.control_id,
                            message.message_type,
                            message.status.as_str(),
                            message.detail,
                            message.payload,
                        ],
                    )
                    .map(|_| MessageId(transaction.last_insert_rowid()))
                    .map_err(sql("append"));
                appended += u64::from(result.is_ok());
                done.push(Done::Appended(reply, result));
            }
            Request::SetStatus(id, status, detail, reply) => {
                let result = transaction
                    .execute(
                        "UPDATE messages SET status = ?2, detail = ?3 WHERE id = ?1",
                        params![id.0, status.as_str(), detail],
                    )
                    .map(|_| ())
                    .map_err(sql("set status"));
                done.push(Done::StatusSet(reply, result));
            }
        }
    }
    let committed = transaction.commit().map_err(sql("commit"));
    if committed.is_ok() {
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats.appends.fetch_add(appended, Ordering::Relaxed);
    }
    for item in done {
        // A caller that went away no longer needs its answer; its message is stored anyway.
        match (item, &committed) {
            (Done::Appended(reply, result), Ok(())) => {
                let _ = reply.send(result);
            }
            (Done::StatusSet(reply, result), Ok(())) => {
                let _ = reply.send(result);
            }
            (Done::Appended(reply, _), Err(error)) => {
                let _ = reply.send(Err(copy_error(error)));
            }
            (Done::StatusSet(reply, _), Err(error)) => {
                let _ = reply.send(Err(copy_error(error)));
            }
        }
    }
}

fn copy_error(error: &JournalError) -> JournalError {
    JournalError::GroupFailed(error.to_string())
}

fn fail_all(group: Vec<Request>, operation: &'static str, source: rusqlite::Error) {
    let error = JournalError::Sql { operation, source };
    for request in group {
        match request {
            Request::Append(_, reply) => {
                let _ = reply.send(Err(copy_error(&error)));
            }
            Request::SetStatus(_, _, _, reply) => {
                let _ = reply.send(Err(copy_error(&error)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: usize, status: Status) -> NewMessage {
        NewMessage {
            received_at: "2026-11-25T10:00:00+00:00".into(),
            source: "test".into(),
            peer: Some("127.0.0.1:9".into()),
            format: "hl7v2".into(),
            control_id: Some(format!("CTRL{n}")),
            message_type: Some("ADT^A01^ADT_A01".into()),
            status,
            detail: None,
            payload: format!("MSH|^~\\&|{n}\r").into_bytes(),
        }
    }

    #[test]
    fn stored_messages_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let first;
        {
            let journal = Journal::open(&path).unwrap();
            first = journal
                .append_blocking(message(1, Status::Received))
                .unwrap();
            let second = journal
                .append_blocking(message(2, Status::Rejected))
                .unwrap();
            assert!(second > first);
        }
        let journal = Journal::open(&path).unwrap();
        let stored = journal.get(first).unwrap().unwrap();
        assert_eq!(stored.control_id.as_deref(), Some("CTRL1"));
        assert_eq!(stored.payload, b"MSH|^~\\&|1\r");
        assert_eq!(stored.status, Status::Received);
        let rejected = journal.list(Some(Status::Rejected), None, 10).unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].control_id.as_deref(), Some("CTRL2"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_all_land_with_distinct_ids() {
        let dir = tempfile::tempdir().unwrap();
        let journal = std::sync::Arc::new(Journal::open(&dir.path().join("j.db")).unwrap());
        let mut tasks = Vec::new();
        for n in 0..200 {
            let journal = journal.clone();
            tasks.push(tokio::spawn(async move {
                journal.append(message(n, Status::Received)).await
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().unwrap());
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 200);
        let stats = journal.stats();
        assert_eq!(stats.appends, 200);
        assert!(stats.commits >= 1 && stats.commits <= 200);
        assert_eq!(
            journal.count_by_status().unwrap(),
            vec![(Status::Received, 200)]
        );
    }

    #[tokio::test]
    async fn status_changes_are_stored_with_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("j.db")).unwrap();
        let id = journal.append(message(7, Status::Received)).await.unwrap();
        journal
            .set_status(id, Status::Failed, Some("PID-3 missing".into()))
            .await
            .unwrap();
        let stored = journal.get(id).unwrap().unwrap();
        assert_eq!(stored.status, Status::Failed);
        assert_eq!(stored.detail.as_deref(), Some("PID-3 missing"));
        assert!(journal.get(MessageId(9999)).unwrap().is_none());
    }

    #[test]
    fn an_unwritable_path_is_a_clear_error() {
        let error = Journal::open(Path::new("/nonexistent-dir/x/journal.db"))
            .err()
            .unwrap();
        assert!(error.to_string().contains("/nonexistent-dir/x/journal.db"));
    }
}
