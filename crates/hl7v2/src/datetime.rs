//! HL7 DTM/TS timestamps and their FHIR R4 rendering.
//!
//! `YYYY[MM[DD[HH[MM[SS[.S..]]]]]][+/-ZZZZ]` is parsed keeping its precision,
//! the fraction digits as written (`.920` stays `.920`) and the offset when
//! given. A TS's second component (the old `^precision`) is ignored. Ranges
//! are checked: month 1-12, the day against the month (leap years too), hour
//! 0-23, minute 0-59, second 0-60 (leap second) and offset within ±14:00.
//! HL7 allows four fraction digits; up to nine are accepted because feeds send
//! micro- and nanoseconds.
//!
//! [`Timestamp::to_fhir`] never guesses a zone and never uses the host's.

use std::fmt;

/// How much of a timestamp was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// `YYYY`
    Year,
    /// `YYYYMM`
    Month,
    /// `YYYYMMDD`
    Day,
    /// `YYYYMMDDHH`
    Hour,
    /// `YYYYMMDDHHMM`
    Minute,
    /// `YYYYMMDDHHMMSS`
    Second,
    /// `YYYYMMDDHHMMSS.S` with 1 to 9 fraction digits.
    Fraction,
}

/// Why a timestamp is invalid; every variant names the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Nothing was written.
    #[error("empty timestamp")]
    Empty,
    /// A character that does not belong.
    #[error("timestamp {input:?}: unexpected character at byte {at}")]
    UnexpectedCharacter {
        /// The timestamp as written.
        input: String,
        /// Byte offset of the character.
        at: usize,
    },
    /// The date/time digits are not 4, 6, 8, 10, 12 or 14 long.
    #[error("timestamp {input:?}: {digits} date/time digits; expected 4, 6, 8, 10, 12 or 14")]
    BadLength {
        /// The timestamp as written.
        input: String,
        /// How many digits were found.
        digits: usize,
    },
    /// A component is out of its range.
    #[error("timestamp {input:?}: {part} {value} is out of range")]
    OutOfRange {
        /// The timestamp as written.
        input: String,
        /// Which part: month, day, hour, minute or second.
        part: &'static str,
        /// The value found.
        value: u32,
    },
    /// A fraction without seconds, or with no or more than 9 digits.
    #[error("timestamp {input:?}: a fraction needs seconds and 1 to 9 digits")]
    BadFraction {
        /// The timestamp as written.
        input: String,
    },
    /// The offset is not `+hhmm`/`-hhmm` within ±14:00.
    #[error("timestamp {input:?}: offset must be +hhmm or -hhmm within ±14:00")]
    BadOffset {
        /// The timestamp as written.
        input: String,
    },
    /// A time was given without an offset and no fallback offset was supplied.
    #[error("timestamp {input:?} has a time but no offset, and no fallback offset was given")]
    MissingOffset {
        /// The timestamp (HL7 form).
        input: String,
    },
}

/// A parsed HL7 timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    fraction: u32,
    fraction_digits: u8,
    offset_minutes: Option<i16>,
    precision: Precision,
}

/// A FHIR R4 `date` or `dateTime` string and how it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirDateTime {
    /// The FHIR text, such as `2024-03-05T10:30:00+01:00`.
    pub value: String,
    /// True when minutes or seconds were added as `00` (hour or minute precision).
    pub padded: bool,
    /// True when the offset came from the fallback, not the timestamp.
    pub offset_from_fallback: bool,
}

fn is_leap(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses a run of ASCII digits (at most 9) as a number.
fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0u32, |acc, &d| {
        acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    })
}

impl Timestamp {
    /// Parses an HL7 DTM or TS value; a `^` and anything after it are ignored.
    pub fn parse(input: &str) -> Result<Self, TimestampError> {
        let value = input.split('^').next().unwrap_or_default().trim();
        if value.is_empty() {
            return Err(TimestampError::Empty);
        }
        let owned = || value.to_owned();
        let bytes = value.as_bytes();
        let (main, offset) = match bytes.iter().position(|&b| b == b'+' || b == b'-') {
            Some(at) => (bytes.get(..at).unwrap_or_default(), bytes.get(at..)),
            None => (bytes, None),
        };
        let (digits, fraction) = match main.iter().position(|&b| b == b'.') {
            Some(at) => (main.get(..at).unwrap_or_default(), main.get(at + 1..)),
            None => (main, None),
        };
        if let Some(at) = digits.iter().position(|b| !b.is_ascii_digit()) {
            return Err(TimestampError::UnexpectedCharacter { input: owned(), at });
        }
        let precision = match digits.len() {
            4 => Precision::Year,
            6 => Precision::Month,
            8 => Precision::Day,
            10 => Precision::Hour,
            12 => Precision::Minute,
            14 => Precision::Second,
            n => {
                return Err(TimestampError::BadLength {
                    input: owned(),
                    digits: n,
                });
            }
        };
        let part = |range: std::ops::Range<usize>| digits.get(range).map(number);
        let mut stamp = Self {
            year: part(0..4).and_then(|y| u16::try_from(y).ok()).unwrap_or(0),
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            fraction: 0,
            fraction_digits: 0,
            offset_minutes: None,
            precision,
        };
        let checks: [(&'static str, std::ops::Range<usize>, u32, &mut u8); 5] = [
            ("month", 4..6, 12, &mut stamp.month),
            ("day", 6..8, 31, &mut stamp.day),
            ("hour", 8..10, 23, &mut stamp.hour),
            ("minute", 10..12, 59, &mut stamp.minute),
            ("second", 12..14, 60, &mut stamp.second),
        ];
        for (name, range, max, slot) in checks {
            let Some(value) = part(range) else { break };
            let min = if name == "month" || name == "day" {
                1
            } else {
                0
            };
            if value < min || value > max {
                return Err(TimestampError::OutOfRange {
                    input: owned(),
                    part: name,
                    value,
                });
            }
            *slot = u8::try_from(value).unwrap_or(0);
        }
        if precision >= Precision::Day && stamp.day > days_in_month(stamp.year, stamp.month) {
            return Err(TimestampError::OutOfRange {
                input: owned(),
                part: "day",
                value: u32::from(stamp.day),
            });
        }
        if let Some(fraction) = fraction {
            let valid = precision == Precision::Second
                && (1..=9).contains(&fraction.len())
                && fraction.iter().all(u8::is_ascii_digit);
            if !valid {
                return Err(TimestampError::BadFraction { input: owned() });
            }
            stamp.fraction = number(fraction);
            stamp.fraction_digits = u8::try_from(fraction.len()).unwrap_or(0);
            stamp.precision = Precision::Fraction;
        }
        if let Some(offset) = offset {
            stamp.offset_minutes = Some(
                parse_offset(offset).ok_or_else(|| TimestampError::BadOffset { input: owned() })?,
            );
        }
        Ok(stamp)
    }

    /// How much was written.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The offset from UTC in minutes, when written.
    pub fn offset_minutes(&self) -> Option<i32> {
        self.offset_minutes.map(i32::from)
    }

    /// `(year, month, day)`; month and day are 1 when not written.
    pub fn date(&self) -> (u16, u8, u8) {
        (self.year, self.month, self.day)
    }

    /// `(hour, minute, second)`; 0 when not written.
    pub fn time(&self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }

    /// The fraction digits as written, such as `"920"`; empty when none.
    pub fn fraction(&self) -> String {
        match self.fraction_digits {
            0 => String::new(),
            n => format!("{:0width$}", self.fraction, width = usize::from(n)),
        }
    }

    /// Renders a FHIR R4 `date` (year, month or day precision) or `dateTime`.
    ///
    /// A time needs an offset: the timestamp's own, else `fallback_offset_minutes`
    /// (which must be within ±14:00), else [`TimestampError::MissingOffset`].
    /// Hour and minute precision are padded with `:00`; the result says so.
    /// Offsets render as `+hh:mm`, so `+00:00` stays `+00:00`.
    pub fn to_fhir(
        &self,
        fallback_offset_minutes: Option<i32>,
    ) -> Result<FhirDateTime, TimestampError> {
        let mut value = String::with_capacity(32);
        push_digits(&mut value, u32::from(self.year), 4);
        if self.precision >= Precision::Month {
            value.push('-');
            push_digits(&mut value, u32::from(self.month), 2);
        }
        if self.precision >= Precision::Day {
            value.push('-');
            push_digits(&mut value, u32::from(self.day), 2);
        }
        if self.precision <= Precision::Day {
            return Ok(FhirDateTime {
                value,
                padded: false,
                offset_from_fallback: false,
            });
        }
        let fallback = fallback_offset_minutes.filter(|minutes| minutes.abs() <= 14 * 60);
        let (offset, offset_from_fallback) = match (self.offset_minutes(), fallback) {
            (Some(own), _) => (own, false),
            (None, Some(fallback)) => (fallback, true),
            (None, None) => {
                return Err(TimestampError::MissingOffset {
                    input: self.to_string(),
                });
            }
        };
        value.push('T');
        push_digits(&mut value, u32::from(self.hour), 2);
        value.push(':');
        push_digits(&mut value, u32::from(self.minute), 2);
        value.push(':');
        push_digits(&mut value, u32::from(self.second), 2);
        if self.fraction_digits > 0 {
            value.push('.');
            push_digits(&mut value, self.fraction, usize::from(self.fraction_digits));
        }
        value.push(if offset < 0 { '-' } else { '+' });
        push_digits(&mut value, offset.unsigned_abs() / 60, 2);
        value.push(':');
        push_digits(&mut value, offset.unsigned_abs() % 60, 2);
        Ok(FhirDateTime {
            value,
            padded: self.precision < Precision::Second,
            offset_from_fallback,
        })
    }
}

/// Appends `number` in decimal, zero-padded to at least `width` digits.
fn push_digits(out: &mut String, number: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut rest = number;
    let mut used = 0;
    while rest > 0 || used == 0 {
        // `rest % 10` is below 10, so the cast cannot truncate.
        digits[digits.len() - 1 - used] = b'0' + (rest % 10) as u8;
        rest /= 10;
        used += 1;
    }
    for _ in used..width {
        out.push('0');
    }
    for &digit in &digits[digits.len() - used..] {
        out.push(char::from(digit));
    }
}

/// Parses `+hhmm`/`-hhmm` to minutes within ±14:00.
fn parse_offset(offset: &[u8]) -> Option<i16> {
    let (&sign, digits) = offset.split_first()?;
    if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let hours = number(digits.get(..2)?);
    let minutes = number(digits.get(2..)?);
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > 14 * 60 {
        return None;
    }
    let total = i16::try_from(total).ok()?;
    Some(if sign == b'-' { -total } else { total })
}

impl fmt::Display for Timestamp {
    /// Renders the HL7 form at the parsed precision, such as `20240305103000.920+0100`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        let parts = [
            (Precision::Month, self.month),
            (Precision::Day, self.day),
            (Precision::Hour, self.hour),
            (Precision::Minute, self.minute),
            (Precision::Second, self.second),
        ];
        for (precision, value) in parts {
            if self.precision >= precision {
                write!(f, "{value:02}")?;
            }
        }
        if self.fraction_digits > 0 {
            write!(f, ".{}", self.fraction())?;
        }
        if let Some(offset) = self.offset_minutes {
            let sign = if offset < 0 { '-' } else { '+' };
            write!(f, "{sign}{:02}{:02}", offset.abs() / 60, offset.abs() % 60)?;
        }
        Ok(())
    }
}

impl Timestamp {
    /// 1970-01-01T00:00:00+00:00 at second precision: a valid value for callers that need a
    /// timestamp and whose clock reading could not be parsed.
    pub const UNIX_EPOCH: Timestamp = Timestamp {
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        fraction: 0,
        fraction_digits: 0,
        offset_minutes: Some(0),
        precision: Precision::Second,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` is `Ok((precision, hl7 round trip, fhir with fallback +01:00))` or `Err(message part)`.
    fn check(input: &str, expected: Result<(Precision, &str, &str), &str>) {
        match (Timestamp::parse(input), expected) {
            (Ok(stamp), Ok((precision, hl7, fhir))) => {
                assert_eq!(stamp.precision(), precision, "{input}");
                assert_eq!(stamp.to_string(), hl7, "{input}");
                let rendered = stamp.to_fhir(Some(60)).map(|f| f.value);
                assert_eq!(rendered.as_deref(), Ok(fhir), "{input}");
            }
            (Err(err), Err(part)) => assert!(err.to_string().contains(part), "{input}: {err}"),
            (got, want) => panic!("{input}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn parse_table() {
        use Precision::*;
        type Case<'c> = (&'c str, Result<(Precision, &'c str, &'c str), &'c str>);
        let cases: &[Case<'_>] = &[
            ("2024", Ok((Year, "2024", "2024"))),
            ("202403", Ok((Month, "202403", "2024-03"))),
            ("20240305", Ok((Day, "20240305", "2024-03-05"))),
            ("20240305+0200", Ok((Day, "20240305+0200", "2024-03-05"))),
            (
                "2024030510",
                Ok((Hour, "2024030510", "2024-03-05T10:00:00+01:00")),
            ),
            (
                "202403051030",
                Ok((Minute, "202403051030", "2024-03-05T10:30:00+01:00")),
            ),
            (
                "20240305103015",
                Ok((Second, "20240305103015", "2024-03-05T10:30:15+01:00")),
            ),
            (
                "20240305103015.920",
                Ok((
                    Fraction,
                    "20240305103015.920",
                    "2024-03-05T10:30:15.920+01:00",
                )),
            ),
            (
                "20240305103015.0001",
                Ok((
                    Fraction,
                    "20240305103015.0001",
                    "2024-03-05T10:30:15.0001+01:00",
                )),
            ),
            (
                "20240305103015.123456",
                Ok((
                    Fraction,
                    "20240305103015.123456",
                    "2024-03-05T10:30:15.123456+01:00",
                )),
            ),
            (
                "20240305103015+0000",
                Ok((Second, "20240305103015+0000", "2024-03-05T10:30:15+00:00")),
            ),
            (
                "20240305103015-0530",
                Ok((Second, "20240305103015-0530", "2024-03-05T10:30:15-05:30")),
            ),
            (
                "198908181126+0215",
                Ok((Minute, "198908181126+0215", "1989-08-18T11:26:00+02:15")),
            ),
            (
                "20240305103015+1400",
                Ok((Second, "20240305103015+1400", "2024-03-05T10:30:15+14:00")),
            ),
            ("20240305^S", Ok((Day, "20240305", "2024-03-05"))),
            (" 20240305 ", Ok((Day, "20240305", "2024-03-05"))),
            ("20240229", Ok((Day, "20240229", "2024-02-29"))),
            ("20000229", Ok((Day, "20000229", "2000-02-29"))),
            (
                "20161231235960",
                Ok((Second, "20161231235960", "2016-12-31T23:59:60+01:00")),
            ),
            ("", Err("empty")),
            ("^x", Err("empty")),
            ("2024030", Err("7 date/time digits")),
            ("20240305103015123", Err("17 date/time digits")),
            ("2024-03-05", Err("offset")),
            ("2024x305", Err("unexpected character at byte 4")),
            ("202413", Err("month 13")),
            ("202400", Err("month 0")),
            ("20240230", Err("day 30")),
            ("20230229", Err("day 29")),
            ("19000229", Err("day 29")),
            ("20240431", Err("day 31")),
            ("20240100", Err("day 0")),
            ("2024010124", Err("hour 24")),
            ("202401012360", Err("minute 60")),
            ("20240101235961", Err("second 61")),
            ("202401011230.5", Err("fraction")),
            ("20240101123000.", Err("fraction")),
            ("20240101123000.1234567890", Err("fraction")),
            ("20240101123000.12a", Err("fraction")),
            ("20240101123000+1401", Err("offset")),
            ("20240101123000+0060", Err("offset")),
            ("20240101123000+01", Err("offset")),
            ("20240101123000+01:00", Err("offset")),
        ];
        for (input, expected) in cases {
            check(input, *expected);
        }
    }

    #[test]
    fn fhir_offsets() {
        type Case<'c> = (&'c str, Option<i32>, Result<(&'c str, bool, bool), &'c str>);
        let cases: &[Case<'_>] = &[
            ("20240305103015", None, Err("no offset")),
            ("2024030510", None, Err("no offset")),
            ("20240305", None, Ok(("2024-03-05", false, false))),
            (
                "20240305103015",
                Some(0),
                Ok(("2024-03-05T10:30:15+00:00", false, true)),
            ),
            (
                "20240305103015",
                Some(-300),
                Ok(("2024-03-05T10:30:15-05:00", false, true)),
            ),
            ("20240305103015", Some(900), Err("no offset")),
            (
                "20240305103015+0100",
                Some(-300),
                Ok(("2024-03-05T10:30:15+01:00", false, false)),
            ),
            (
                "202403051030-0000",
                None,
                Ok(("2024-03-05T10:30:00+00:00", true, false)),
            ),
            (
                "2024030510+0930",
                None,
                Ok(("2024-03-05T10:00:00+09:30", true, false)),
            ),
        ];
        for (input, fallback, expected) in cases {
            let stamp = Timestamp::parse(input).unwrap();
            let got = stamp.to_fhir(*fallback);
            match (got, expected) {
                (Ok(fhir), Ok((value, padded, from_fallback))) => {
                    assert_eq!(fhir.value, *value, "{input}");
                    assert_eq!(fhir.padded, *padded, "{input}");
                    assert_eq!(fhir.offset_from_fallback, *from_fallback, "{input}");
                }
                (Err(err), Err(part)) => assert!(err.to_string().contains(part), "{input}: {err}"),
                (got, want) => panic!("{input}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn accessors() {
        let stamp = Timestamp::parse("20240305103015.920-0500").unwrap();
        assert_eq!(stamp.date(), (2024, 3, 5));
        assert_eq!(stamp.time(), (10, 30, 15));
        assert_eq!(stamp.fraction(), "920");
        assert_eq!(stamp.offset_minutes(), Some(-300));
    }
}
