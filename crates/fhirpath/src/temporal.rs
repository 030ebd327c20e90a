//! Partial-precision dates, date-times and times: parsing, comparison, arithmetic, formatting.

use std::cmp::Ordering;
use std::fmt;

/// How precise a temporal value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    /// Year only.
    Year,
    /// Year and month.
    Month,
    /// A calendar day.
    Day,
    /// Hours.
    Hour,
    /// Minutes.
    Minute,
    /// Seconds.
    Second,
    /// Milliseconds (a fraction of a second).
    Millisecond,
}

/// Which FHIRPath type a [`Temporal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalKind {
    /// `System.Date`.
    Date,
    /// `System.DateTime`.
    DateTime,
    /// `System.Time`.
    Time,
}

/// A date, date-time or time with the precision it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Temporal {
    /// Date, DateTime or Time.
    pub kind: TemporalKind,
    /// The year (0 for a Time).
    pub year: i32,
    /// 1-12 (1 when below the precision).
    pub month: u8,
    /// 1-31 (1 when below the precision).
    pub day: u8,
    /// 0-23.
    pub hour: u8,
    /// 0-59.
    pub minute: u8,
    /// 0-59.
    pub second: u8,
    /// 0-999.
    pub millis: u32,
    /// The finest component present.
    pub precision: Precision,
    /// The time zone offset in minutes, when written.
    pub offset: Option<i32>,
}

fn digits(text: &str, n: usize) -> Option<u32> {
    let part = text.get(..n)?;
    if part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

impl Temporal {
    fn empty(kind: TemporalKind, precision: Precision) -> Temporal {
        Temporal {
            kind,
            year: 0,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
            precision,
            offset: None,
        }
    }

    /// Parses a FHIRPath literal body (after `@`): `2014-01`, `2014-01-05T10:00`, `T14:30`.
    pub fn parse_literal(text: &str) -> Option<Temporal> {
        if let Some(time) = text.strip_prefix('T') {
            return Temporal::parse_time(time);
        }
        if let Some(date) = text.strip_suffix('T') {
            let mut value = Temporal::parse_date(date)?;
            value.kind = TemporalKind::DateTime;
            return Some(value);
        }
        if text.contains('T') {
            Temporal::parse_date_time(text)
        } else {
            Temporal::parse_date(text)
        }
    }

    /// Parses a date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse_date(text: &str) -> Option<Temporal> {
        let mut value = Temporal::empty(TemporalKind::Date, Precision::Year);
        value.year = i32::try_from(digits(text, 4)?).ok()?;
        let rest = text.get(4..)?;
        if rest.is_empty() {
            return Some(value);
        }
        let rest = rest.strip_prefix('-')?;
        value.month = u8::try_from(digits(rest, 2)?).ok()?;
        value.precision = Precision::Month;
        let rest = rest.get(2..)?;
        if rest.is_empty() {
            return (1..=12).contains(&value.month).then_some(value);
        }
        let rest = rest.strip_prefix('-')?;
        value.day = u8::try_from(digits(rest, 2)?).ok()?;
        value.precision = Precision::Day;
        let valid = (1..=12).contains(&value.month)
            && value.day >= 1
            && value.day <= days_in_month(value.year, value.month);
        (rest.len() == 2 && valid).then_some(value)
    }

    /// Parses a date-time: a date, `T`, a partial time and an optional zone.
    pub fn parse_date_time(text: &str) -> Option<Temporal> {
        let Some((date, time)) = text.split_once('T') else {
            let mut value = Temporal::parse_date(text)?;
            value.kind = TemporalKind::DateTime;
            return Some(value);
        };
        let mut value = Temporal::parse_date(date)?;
        if value.precision != Precision::Day {
            return None;
        }
        value.kind = TemporalKind::DateTime;
        let (time, offset) = split_zone(time)?;
        let parsed = Temporal::parse_time(time)?;
        value.hour = parsed.hour;
        value.minute = parsed.minute;
        value.second = parsed.second;
        value.millis = parsed.millis;
        value.precision = parsed.precision;
        value.offset = offset;
        Some(value)
    }

    /// Parses a time: `hh`, `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fff`.
    pub fn parse_time(text: &str) -> Option<Temporal> {
        let mut value = Temporal::empty(TemporalKind::Time, Precision::Hour);
        value.hour = u8::try_from(digits(text, 2)?).ok()?;
        let mut rest = text.get(2..)?;
        if let Some(r) = rest.strip_prefix(':') {
            value.minute = u8::try_from(digits(r, 2)?).ok()?;
            value.precision = Precision::Minute;
            rest = r.get(2..)?;
            if let Some(r) = rest.strip_prefix(':') {
                value.second = u8::try_from(digits(r, 2)?).ok()?;
                value.precision = Precision::Second;
                rest = r.get(2..)?;
                if let Some(fraction) = rest.strip_prefix('.') {
                    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let padded = format!("{:0<3}", fraction.get(..3).unwrap_or(fraction));
                    value.millis = padded.parse().ok()?;
                    value.precision = Precision::Millisecond;
                    rest = "";
                }
            }
        }
        let valid = value.hour < 24 && value.minute < 60 && value.second < 60;
        (rest.is_empty() && valid).then_some(value)
    }

    /// Minutes since 0000-03-01 in UTC (offset applied), for comparison and arithmetic.
    fn epoch_millis(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let minutes = days * 1440 + i64::from(self.hour) * 60 + i64::from(self.minute)
            - i64::from(self.offset.unwrap_or(0));
        (minutes * 60 + i64::from(self.second)) * 1000 + i64::from(self.millis)
    }

    /// Compares two values: `None` when the answer is unknown (different precisions that agree
    /// as far as both go) or the kinds differ.
    pub fn compare(&self, other: &Temporal) -> Option<Ordering> {
        let date_like = |k| matches!(k, TemporalKind::Date | TemporalKind::DateTime);
        if self.kind != other.kind && !(date_like(self.kind) && date_like(other.kind)) {
            return None;
        }
        let norm = |p: Precision| p.min(Precision::Second);
        let common = norm(self.precision).min(norm(other.precision));
        if common >= Precision::Hour && self.offset.is_some() != other.offset.is_some() {
            return None;
        }
        let (a, b) = if self.offset.is_some() && other.offset.is_some() && common >= Precision::Hour
        {
            (self.normalized(), other.normalized())
        } else {
            (self.clone(), other.clone())
        };
        let fields = |t: &Temporal| {
            [
                i64::from(t.year),
                i64::from(t.month),
                i64::from(t.day),
                i64::from(t.hour),
                i64::from(t.minute),
                i64::from(t.second) * 1000 + i64::from(t.millis),
            ]
        };
        let start = if self.kind == TemporalKind::Time {
            3
        } else {
            0
        };
        let (fa, fb) = (fields(&a), fields(&b));
        let last = common as usize;
        for idx in start..=last.min(5) {
            match fa.get(idx).cmp(&fb.get(idx)) {
                Ordering::Equal => {}
                other => return Some(other),
            }
        }
        if norm(self.precision) == norm(other.precision) {
            Some(Ordering::Equal)
        } else {
            None
        }
    }

    /// The same instant in UTC (offset 0), keeping the precision.
    fn normalized(&self) -> Temporal {
        let Some(offset) = self.offset else {
            return self.clone();
        };
        let mut value = self.clone();
        value.offset = Some(0);
        value.set_epoch_millis(self.epoch_millis());
        value.offset = Some(0);
        let _ = offset;
        value
    }

    fn set_epoch_millis(&mut self, millis: i64) {
        let local = millis + i64::from(self.offset.unwrap_or(0)) * 60_000;
        let days = local.div_euclid(86_400_000);
        let in_day = local.rem_euclid(86_400_000);
        if self.kind != TemporalKind::Time {
            let (y, m, d) = civil_from_days(days);
            self.year = y;
            self.month = m;
            self.day = d;
        }
        self.hour = u8::try_from(in_day / 3_600_000).unwrap_or(0);
        self.minute = u8::try_from(in_day / 60_000 % 60).unwrap_or(0);
        self.second = u8::try_from(in_day / 1000 % 60).unwrap_or(0);
        self.millis = u32::try_from(in_day % 1000).unwrap_or(0);
    }

    /// Adds a calendar amount; `unit` is a calendar keyword or UCUM time unit. Returns `None`
    /// for a unit that is not a time unit.
    pub fn add(&self, amount: i64, unit: &str) -> Option<Temporal> {
        let mut value = self.clone();
        let unit = calendar_unit(unit)?;
        match unit {
            "year" | "month" => {
                if self.kind == TemporalKind::Time {
                    return None;
                }
                let months = if unit == "year" { amount * 12 } else { amount };
                let months = if self.precision == Precision::Year {
                    months / 12 * 12
                } else {
                    months
                };
                let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 + months;
                value.year = i32::try_from(total.div_euclid(12)).ok()?;
                value.month = u8::try_from(total.rem_euclid(12) + 1).ok()?;
                value.day = value.day.min(days_in_month(value.year, value.month));
            }
            _ => {
                let unit_millis: i64 = match unit {
                    "week" => 7 * 86_400_000,
                    "day" => 86_400_000,
                    "hour" => 3_600_000,
                    "minute" => 60_000,
                    "second" => 1000,
                    _ => 1,
                };
                let mut delta = amount.checked_mul(unit_millis)?;
                let granularity: i64 = match self.precision {
                    Precision::Year => {
                        let years = delta / (365 * 86_400_000);
                        return self.add(years, "year");
                    }
                    Precision::Month => {
                        let months = delta / (30 * 86_400_000);
                        return self.add(months, "month");
                    }
                    Precision::Day => 86_400_000,
                    Precision::Hour => 3_600_000,
                    Precision::Minute => 60_000,
                    Precision::Second => 1000,
                    Precision::Millisecond => 1,
                };
                delta = delta / granularity * granularity;
                let millis = self.epoch_millis() + delta;
                value.set_epoch_millis(millis);
            }
        }
        Some(value)
    }

    /// Truncates a date-time to a date.
    pub fn to_date(&self) -> Temporal {
        let mut value = self.clone();
        value.kind = TemporalKind::Date;
        value.precision = value.precision.min(Precision::Day);
        value.offset = None;
        value.hour = 0;
        value.minute = 0;
        value.second = 0;
        value.millis = 0;
        value
    }
}

/// Maps calendar keywords (singular or plural) and UCUM time units to a calendar keyword.
pub fn calendar_unit(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "year" | "years" | "a" => "year",
        "month" | "months" | "mo" => "month",
        "week" | "weeks" | "wk" => "week",
        "day" | "days" | "d" => "day",
        "hour" | "hours" | "h" => "hour",
        "minute" | "minutes" | "min" => "minute",
        "second" | "seconds" | "s" => "second",
        "millisecond" | "milliseconds" | "ms" => "millisecond",
        _ => return None,
    })
}

/// Splits a time zone suffix (`Z`, `+hh:mm`, `-hh:mm`) off a time.
fn split_zone(time: &str) -> Option<(&str, Option<i32>)> {
    if let Some(t) = time.strip_suffix('Z') {
        return Some((t, Some(0)));
    }
    if let Some(idx) = time.rfind(['+', '-']) {
        let zone = time.get(idx..)?;
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let hours = digits(zone.get(1..)?, 2)?;
        let minutes = digits(zone.get(4..)?, 2)?;
        if zone.get(3..4) != Some(":") || zone.len() != 6 {
            return None;
        }
        let offset = sign * i32::try_from(hours * 60 + minutes).ok()?;
        return Some((time.get(..idx)?, Some(offset)));
    }
    Some((time, None))
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in a month.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(0),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

impl fmt::Display for Temporal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind != TemporalKind::Time {
            write!(f, "{:04}", self.year)?;
            if self.precision >= Precision::Month {
                write!(f, "-{:02}", self.month)?;
            }
            if self.precision >= Precision::Day {
                write!(f, "-{:02}", self.day)?;
            }
            if self.kind == TemporalKind::Date || self.precision < Precision::Hour {
                return Ok(());
            }
            f.write_str("T")?;
        }
        write!(f, "{:02}", self.hour)?;
        if self.precision >= Precision::Minute {
            write!(f, ":{:02}", self.minute)?;
        }
        if self.precision >= Precision::Second {
            write!(f, ":{:02}", self.second)?;
        }
        if self.precision >= Precision::Millisecond {
            write!(f, ".{:03}", self.millis)?;
        }
        if let Some(offset) = self.offset {
            if offset == 0 {
                f.write_str("Z")?;
            } else {
                let sign = if offset < 0 { '-' } else { '+' };
                let abs = offset.abs();
                write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        for (text, printed) in [
            ("2014", "2014"),
            (
                "2014-01-05T10:00:00.1+10:00",
                "2014-01-05T10:00:00.100+10:00",
            ),
            ("T14:30", "14:30"),
            ("2015T", "2015"),
            ("2015-02-04T14:34:28Z", "2015-02-04T14:34:28Z"),
        ] {
            let value = Temporal::parse_literal(text).map(|t| t.to_string());
            assert_eq!(value.as_deref(), Some(printed), "{text}");
        }
        assert!(Temporal::parse_date("2014-02-30").is_none());
    }

    #[test]
    fn add_and_compare() {
        let date = Temporal::parse_literal("2014-01-31").unwrap();
        assert_eq!(date.add(1, "month").unwrap().to_string(), "2014-02-28");
        let a = Temporal::parse_literal("2012-04-15T15:00:00+02:00").unwrap();
        let b = Temporal::parse_literal("2012-04-15T13:00:00Z").unwrap();
        assert_eq!(a.compare(&b), Some(Ordering::Equal));
        let c = Temporal::parse_literal("2012-04-15").unwrap();
        let d = Temporal::parse_literal("2012-04").unwrap();
        assert_eq!(c.compare(&d), None);
    }
}
