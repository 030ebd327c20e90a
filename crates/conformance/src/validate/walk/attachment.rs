//! Attachment content: a stated `size` agrees with the decoded length of inline `data`.

use serde_json::{Map, Value};

use super::Walker;
use crate::validate::IssueType;
use crate::validate::member::Member as _;

/// Checks `size` against the bytes `data` decodes to, when both are present.
pub(super) fn check(walker: &mut Walker<'_>, attachment: &Map<String, Value>) {
    let Some(data) = attachment.member("data").and_then(Value::as_str) else {
        return;
    };
    let Some(size) = attachment.member("size").and_then(Value::as_u64) else {
        return;
    };
    let Some(actual) = decoded_len(data) else {
        return; // not base64: the primitive check reports it
    };
    if actual != size {
        let message =
            format!("Stated Attachment Size {size} does not match actual attachment size {actual}");
        walker.error(IssueType::Structure, "attachment-size", message);
    }
}

/// The number of bytes base64 `text` decodes to (whitespace ignored); `None` if its length
/// is not a multiple of 4.
fn decoded_len(text: &str) -> Option<u64> {
    let mut chars = 0u64;
    let mut padding = 0u64;
    for byte in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        chars += 1;
        if byte == b'=' {
            padding += 1;
        }
    }
    (chars.is_multiple_of(4) && padding <= 2).then(|| chars / 4 * 3 - padding)
}

#[cfg(test)]
mod tests {
    use super::decoded_len;

    #[test]
    fn decoded_lengths() {
        for (text, len) in [
            ("", Some(0)),
            ("aGk=", Some(2)),
            ("aGk h", Some(3)),
            ("aGk", None),
            ("aGVsbG8gd29ybGQh", Some(12)),
            ("aGVs\nbG8=", Some(5)),
            ("aA==", Some(1)),
        ] {
            assert_eq!(decoded_len(text), len, "{text:?}");
        }
    }
}
