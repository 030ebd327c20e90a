//! Hand-written matchers for the R4 primitive types' regexes, chosen by the pattern's text.
//!
//! Matching `code`, `uri`, `string` or `dateTime` values with the `regex` crate was about a
//! seventh of validating an Observation. Each function here accepts exactly the strings the
//! anchored R4 pattern accepts (`\s` and `\S` as the `regex` crate reads them: Unicode
//! White_Space, which is what `char::is_whitespace` tests); the unit tests compare both on
//! many inputs. A pattern not listed here (a profile's own regex) goes to the `regex` crate.

/// The matcher for an R4 primitive regex, by the pattern's exact text.
pub(super) fn matcher(pattern: &str) -> Option<fn(&str) -> bool> {
    Some(match pattern {
        r"[ \r\n\t\S]+" => string,
        r"\S*" => uri,
        r"[^\s]+(\s[^\s]+)*" => code,
        r"[A-Za-z0-9\-\.]{1,64}" => id,
        "-?([0]|([1-9][0-9]*))" => integer,
        "[0]|([1-9][0-9]*)" => unsigned_int,
        "[1-9][0-9]*" => positive_int,
        r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?" => decimal,
        "true|false" => boolean,
        DATE => date,
        DATE_TIME => date_time,
        INSTANT => instant,
        TIME => time,
        _ => return None,
    })
}

const DATE: &str = "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?";
const DATE_TIME: &str = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?";
const INSTANT: &str = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))";
const TIME: &str = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?";

/// `[ \r\n\t\S]+`: not empty, no white space but space, CR, LF and tab.
fn string(text: &str) -> bool {
    if text.is_ascii() {
        // The ASCII white space `\s` knows is tab to CR and space; tab, LF, CR are allowed.
        return !text.is_empty() && !text.bytes().any(|b| b == 0x0B || b == 0x0C);
    }
    !text.is_empty()
        && text
            .chars()
            .all(|c| matches!(c, ' ' | '\r' | '\n' | '\t') || !c.is_whitespace())
}

/// Whether an ASCII byte is white space as `\s` reads it (`char::is_whitespace`).
fn ascii_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0D).contains(&b)
}

/// `\S*`: no white space.
fn uri(text: &str) -> bool {
    if text.is_ascii() {
        return !text.bytes().any(ascii_space);
    }
    !text.chars().any(char::is_whitespace)
}

/// `[^\s]+(\s[^\s]+)*`: not empty, no white space at either end or two in a row.
fn code(text: &str) -> bool {
    if text.is_ascii() {
        let mut previous_space = true;
        for b in text.bytes() {
            let space = ascii_space(b);
            if space && previous_space {
                return false;
            }
            previous_space = space;
        }
        return !previous_space;
    }
    let mut previous_space = true;
    for c in text.chars() {
        let space = c.is_whitespace();
        if space && previous_space {
            return false;
        }
        previous_space = space;
    }
    !previous_space
}

/// `[A-Za-z0-9\-\.]{1,64}`.
fn id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn boolean(text: &str) -> bool {
    matches!(text, "true" | "false")
}

/// `[0]|([1-9][0-9]*)`.
fn unsigned_int(text: &str) -> bool {
    text == "0" || positive_int(text)
}

/// `[1-9][0-9]*`.
fn positive_int(text: &str) -> bool {
    match text.as_bytes() {
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
        [] => false,
    }
}

/// `-?([0]|([1-9][0-9]*))`.
fn integer(text: &str) -> bool {
    unsigned_int(text.strip_prefix('-').unwrap_or(text))
}

/// The length of the run of ASCII digits at the start of `bytes`.
fn digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn decimal(text: &str) -> bool {
    let bytes = text.as_bytes();
    let bytes = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let n = digits(bytes);
    let (whole, mut rest) = bytes.split_at(n);
    if !(whole == b"0" || positive_int_bytes(whole)) {
        return false;
    }
    if let Some(after) = rest.strip_prefix(b".") {
        let n = digits(after);
        if n == 0 {
            return false;
        }
        rest = &after[n..];
    }
    if let Some(after) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let after = after
            .strip_prefix(b"+")
            .or_else(|| after.strip_prefix(b"-"))
            .unwrap_or(after);
        let n = digits(after);
        return n > 0 && n == after.len();
    }
    rest.is_empty()
}

fn positive_int_bytes(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(positive_int)
}

/// Two ASCII digits at the start of `bytes`, as a number.
fn two_digits(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [a, b, ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some((a - b'0') * 10 + (b - b'0'))
        }
        _ => None,
    }
}

/// A four-digit year other than `0000`; the rest.
fn year(bytes: &[u8]) -> Option<&[u8]> {
    let (year, rest) = bytes.split_at_checked(4)?;
    (year.iter().all(u8::is_ascii_digit) && year != b"0000").then_some(rest)
}

/// `-MM` (01–12); the rest.
fn month(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(b"-")?;
    two_digits(rest)
        .filter(|m| (1..=12).contains(m))
        .map(|_| &rest[2..])
}

/// `-DD` (01–31); the rest.
fn day(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(b"-")?;
    two_digits(rest)
        .filter(|d| (1..=31).contains(d))
        .map(|_| &rest[2..])
}

/// `hh:mm:ss(.f+)?` (hours to 23, seconds to 60); the rest.
fn clock(bytes: &[u8]) -> Option<&[u8]> {
    let hours = two_digits(bytes).filter(|h| *h <= 23)?;
    let _ = hours;
    let rest = bytes.get(2..)?.strip_prefix(b":")?;
    two_digits(rest).filter(|m| *m <= 59)?;
    let rest = rest.get(2..)?.strip_prefix(b":")?;
    two_digits(rest).filter(|s| *s <= 60)?;
    let rest = rest.get(2..)?;
    match rest.strip_prefix(b".") {
        Some(fraction) => {
            let n = digits(fraction);
            (n > 0).then(|| &fraction[n..])
        }
        None => Some(rest),
    }
}

/// `Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)`, the whole of `bytes`.
fn zone(bytes: &[u8]) -> bool {
    if bytes == b"Z" {
        return true;
    }
    let Some(rest) = bytes
        .strip_prefix(b"+")
        .or_else(|| bytes.strip_prefix(b"-"))
    else {
        return false;
    };
    if rest == b"14:00" {
        return true;
    }
    rest.len() == 5
        && two_digits(rest).is_some_and(|h| h <= 13)
        && rest.get(2) == Some(&b':')
        && rest.get(3..).and_then(two_digits).is_some_and(|m| m <= 59)
}

/// `Thh:mm:ss(.f+)?` and a zone: the whole of `bytes`.
fn time_and_zone(bytes: &[u8]) -> bool {
    bytes.strip_prefix(b"T").and_then(clock).is_some_and(zone)
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` at the start of `bytes`: what follows the longest of
/// them, and whether it reached the day (what follows a shorter one can only be rejected).
fn partial_date(bytes: &[u8]) -> Option<(&[u8], bool)> {
    let after_year = year(bytes)?;
    let Some(after_month) = month(after_year) else {
        return Some((after_year, false));
    };
    Some(match day(after_month) {
        Some(after_day) => (after_day, true),
        None => (after_month, false),
    })
}

fn date(text: &str) -> bool {
    partial_date(text.as_bytes()).is_some_and(|(rest, _)| rest.is_empty())
}

fn date_time(text: &str) -> bool {
    partial_date(text.as_bytes())
        .is_some_and(|(rest, to_day)| rest.is_empty() || (to_day && time_and_zone(rest)))
}

fn instant(text: &str) -> bool {
    year(text.as_bytes())
        .and_then(month)
        .and_then(day)
        .is_some_and(time_and_zone)
}

fn time(text: &str) -> bool {
    clock(text.as_bytes()).is_some_and(<[u8]>::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    const PATTERNS: [&str; 13] = [
        r"[ \r\n\t\S]+",
        r"\S*",
        r"[^\s]+(\s[^\s]+)*",
        r"[A-Za-z0-9\-\.]{1,64}",
        "-?([0]|([1-9][0-9]*))",
        "[0]|([1-9][0-9]*)",
        "[1-9][0-9]*",
        r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?",
        "true|false",
        DATE,
        DATE_TIME,
        INSTANT,
        TIME,
    ];

    const SEEDS: [&str; 24] = [
        "",
        "a",
        "final",
        "a b",
        "http://loinc.org",
        "Heart rate",
        "obs-1.x",
        "0",
        "-12",
        "007",
        "3.14e-10",
        "1E+5",
        "true",
        "2019",
        "2019-02",
        "2019-02-29",
        "1999-12-31T23:59:60.123+14:00",
        "2019-02-03T04:05:06Z",
        "2019-02-03T04:05:06-13:59",
        "23:59:60.5",
        "0000-01-01",
        "lé\u{a0}x",
        "a\u{2003}b",
        "x\ty\r\nz",
    ];

    /// Characters that exercise every class of the patterns.
    const ALPHABET: [&str; 26] = [
        "0", "1", "2", "3", "5", "6", "9", "-", "+", ".", ":", "T", "Z", "e", "E", " ", "\t", "\n",
        "\r", "\u{b}", "\u{c}", "\u{1f}", "\u{a0}", "\u{2003}", "é", "a",
    ];

    /// Every seed, and every seed with one character replaced, inserted or removed.
    fn inputs() -> Vec<String> {
        let mut out = Vec::new();
        for seed in SEEDS {
            out.push(seed.to_owned());
            out.push("x".repeat(64));
            out.push("x".repeat(65));
            let chars: Vec<char> = seed.chars().collect();
            for i in 0..=chars.len() {
                let (head, tail) = chars.split_at(i);
                let head: String = head.iter().collect();
                let tail: String = tail.iter().collect();
                let rest: String = tail.chars().skip(1).collect();
                out.push(format!("{head}{rest}"));
                for c in ALPHABET {
                    out.push(format!("{head}{c}{tail}"));
                    out.push(format!("{head}{c}{rest}"));
                }
            }
        }
        out
    }

    #[test]
    fn every_matcher_agrees_with_its_regex() {
        let inputs = inputs();
        assert!(inputs.len() > 5_000, "{} inputs", inputs.len());
        for pattern in PATTERNS {
            let fast = matcher(pattern).unwrap();
            let regex = Regex::new(&format!("^(?:{pattern})$")).unwrap();
            let mut accepted = 0;
            for input in &inputs {
                assert_eq!(
                    fast(input),
                    regex.is_match(input),
                    "pattern {pattern:?} on {input:?}"
                );
                accepted += usize::from(regex.is_match(input));
            }
            // Both outcomes are exercised for every pattern.
            assert!(
                accepted > 0 && accepted < inputs.len(),
                "{pattern}: {accepted}"
            );
        }
    }

    #[test]
    fn other_patterns_go_to_the_regex_crate() {
        assert!(matcher("[a-z]+").is_none());
        assert!(matcher(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+").is_none());
    }
}
