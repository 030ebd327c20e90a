//! `lowBoundary()`, `highBoundary()`, `precision()` and `comparable()` (FHIRPath 2.0).
//!
//! A decimal `1.587` stands for every value in `[1.5865, 1.5875)`: its boundaries are the value
//! minus and plus half a unit of its last digit, written to the asked precision (8 digits by
//! default). The bound on the zero side of the value is truncated to that precision and the bound
//! away from zero is rounded half away from zero, which is how the reference implementation
//! (and so the test suite) writes them. A date/time's boundaries fill the components it lacks
//! with their least or greatest values, and an absent time zone with the earliest (`+14:00`)
//! or latest (`-12:00`) one.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::EvalError;
use crate::ast::{Ast, Func};
use crate::eval::{Ctx, eval, single};
use crate::math::integer_arg;
use crate::temporal::{Precision, Temporal, TemporalKind, days_in_month};
use crate::value::{Item, Items, Quantity};

/// The greatest number of decimal digits a boundary can have (the scale limit of `Decimal`).
const MAX_DECIMAL_PRECISION: i64 = 28;

/// Evaluates one of the boundary functions on `input`.
pub(crate) fn call<'a>(
    func: Func,
    input: &[Item<'a>],
    args: &'a [Ast],
    ctx: &Ctx<'a, '_>,
) -> Result<Items<'a>, EvalError> {
    let Some(item) = single(input)? else {
        return Ok(Items::new());
    };
    let item = item.to_system();
    let result = match func {
        Func::Precision => precision(&item).map(Item::Integer),
        Func::Comparable => {
            let other = match args.first() {
                Some(ast) => eval(ast, ctx)?,
                None => Items::new(),
            };
            let Some(other) = single(&other)?.map(Item::to_system) else {
                return Ok(Items::new());
            };
            match (&item, &other) {
                (Item::Quantity(a), Item::Quantity(b)) => {
                    Some(Item::Boolean(a.compare(b, false).is_some()))
                }
                _ => {
                    return Err(EvalError::Type(format!(
                        "comparable() needs two Quantities, got {} and {}",
                        item.type_name().1,
                        other.type_name().1
                    )));
                }
            }
        }
        _ => {
            let high = func == Func::HighBoundary;
            let digits = integer_arg(args, 0, ctx)?;
            boundary(&item, digits, high)?
        }
    };
    Ok(result.into_iter().collect())
}

fn boundary<'a>(
    item: &Item<'a>,
    digits: Option<i64>,
    high: bool,
) -> Result<Option<Item<'a>>, EvalError> {
    Ok(match item {
        Item::Integer(i) => decimal_boundary(Decimal::from(*i), digits, high).map(Item::Decimal),
        Item::Decimal(d) => decimal_boundary(*d, digits, high).map(Item::Decimal),
        Item::Quantity(q) => decimal_boundary(q.value, digits, high).map(|value| {
            Item::Quantity(Quantity {
                value,
                unit: q.unit.clone(),
            })
        }),
        Item::Temporal(t) => temporal_boundary(t, digits, high).map(Item::Temporal),
        other => {
            return Err(EvalError::Type(format!(
                "lowBoundary()/highBoundary() need a number, quantity or date/time, got {}",
                other.type_name().1
            )));
        }
    })
}

/// The low or high boundary of a decimal written with its scale, to `digits` decimal places.
pub(crate) fn decimal_boundary(value: Decimal, digits: Option<i64>, high: bool) -> Option<Decimal> {
    let digits = digits.unwrap_or(8);
    if !(0..=MAX_DECIMAL_PRECISION).contains(&digits) {
        return None;
    }
    let digits = u32::try_from(digits).ok()?;
    let half = Decimal::try_new(5, value.scale() + 1).ok()?;
    let bound = if high {
        value.checked_add(half)?
    } else {
        value.checked_sub(half)?
    };
    // The bound away from zero rounds, the bound towards zero truncates.
    let strategy = if high != value.is_sign_negative() {
        RoundingStrategy::MidpointAwayFromZero
    } else {
        RoundingStrategy::ToZero
    };
    let mut result = bound.round_dp_with_strategy(digits, strategy);
    result.rescale(digits);
    // A negative bound that truncates to zero keeps its sign (`-0.0`).
    result.set_sign_negative(bound.is_sign_negative());
    Some(result)
}

/// The precision of a date/time in digits (`2014` is 4, `2014-01-05T10:30:00.000` is 17).
fn temporal_digits(kind: TemporalKind, precision: Precision) -> i64 {
    match (kind, precision) {
        (TemporalKind::Time, Precision::Hour) => 2,
        (TemporalKind::Time, Precision::Minute) => 4,
        (TemporalKind::Time, Precision::Second) => 6,
        (TemporalKind::Time, _) => 9,
        (_, Precision::Year) => 4,
        (_, Precision::Month) => 6,
        (_, Precision::Day) => 8,
        (_, Precision::Hour) => 10,
        (_, Precision::Minute) => 12,
        (_, Precision::Second) => 14,
        (_, Precision::Millisecond) => 17,
    }
}

/// The precision named by a digit count for `kind`, if there is one.
fn precision_of_digits(kind: TemporalKind, digits: i64) -> Option<Precision> {
    let all = [
        Precision::Year,
        Precision::Month,
        Precision::Day,
        Precision::Hour,
        Precision::Minute,
        Precision::Second,
        Precision::Millisecond,
    ];
    all.into_iter().find(|p| {
        let allowed = match kind {
            TemporalKind::Date => *p <= Precision::Day,
            TemporalKind::DateTime => true,
            TemporalKind::Time => *p >= Precision::Hour,
        };
        allowed && temporal_digits(kind, *p) == digits
    })
}

/// `precision()`: decimal places of a number, digits of a date/time.
fn precision(item: &Item<'_>) -> Option<i64> {
    match item {
        Item::Integer(_) => Some(0),
        Item::Decimal(d) => Some(i64::from(d.scale())),
        Item::Quantity(q) => Some(i64::from(q.value.scale())),
        Item::Temporal(t) => Some(temporal_digits(t.kind, t.precision)),
        _ => None,
    }
}

/// The earliest or latest instant a date/time can stand for, to the precision of `digits`.
fn temporal_boundary(value: &Temporal, digits: Option<i64>, high: bool) -> Option<Temporal> {
    let target = match digits {
        Some(digits) => precision_of_digits(value.kind, digits)?,
        None if value.kind == TemporalKind::Date => Precision::Day,
        None => Precision::Millisecond,
    };
    let mut out = value.clone();
    // FHIR has no hour-only time: `T08` is read as `T08:00`.
    if out.kind == TemporalKind::DateTime && out.precision == Precision::Hour {
        out.precision = Precision::Minute;
        out.minute = 0;
    }
    let have = out.precision;
    let pick = |low: u8, high_value: u8| if high { high_value } else { low };
    if have < Precision::Month {
        out.month = pick(1, 12);
    }
    if have < Precision::Day {
        out.day = pick(1, days_in_month(out.year, out.month));
    }
    if have < Precision::Hour {
        out.hour = pick(0, 23);
    }
    if have < Precision::Minute {
        out.minute = pick(0, 59);
    }
    if have < Precision::Second {
        out.second = pick(0, 59);
    }
    if have < Precision::Millisecond {
        out.millis = if high { 999 } else { 0 };
    }
    // Components below the target precision go back to their defaults.
    if target < Precision::Month {
        out.month = 1;
    }
    if target < Precision::Day {
        out.day = 1;
    }
    if target < Precision::Hour && out.kind != TemporalKind::Time {
        out.hour = 0;
    }
    if target < Precision::Minute {
        out.minute = 0;
    }
    if target < Precision::Second {
        out.second = 0;
    }
    if target < Precision::Millisecond {
        out.millis = 0;
    }
    out.precision = target;
    if out.kind == TemporalKind::DateTime && target >= Precision::Hour && out.offset.is_none() {
        out.offset = Some(if high { -12 * 60 } else { 14 * 60 });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> Decimal {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn decimal_boundaries() {
        let cases = [
            ("1.587", None, false, Some("1.58650000")),
            ("1.587", Some(2), false, Some("1.58")),
            ("1.587", Some(2), true, Some("1.59")),
            ("1.587", Some(0), false, Some("1")),
            ("-1.587", Some(0), false, Some("-2")),
            ("-1.587", Some(2), true, Some("-1.58")),
            ("1", Some(0), true, Some("2")),
            ("120", Some(2), false, Some("119.50")),
            ("12.500", Some(4), true, Some("12.5005")),
            ("0.0034", Some(1), true, Some("0.0")),
            ("-0.0034", Some(1), false, Some("-0.0")),
            ("1.587", Some(-1), false, None),
            ("1.587", Some(29), true, None),
        ];
        for (value, digits, high, expected) in cases {
            let actual = decimal_boundary(decimal(value), digits, high).map(|d| d.to_string());
            assert_eq!(
                actual.as_deref(),
                expected,
                "{value} {digits:?} high={high}"
            );
        }
    }

    #[test]
    fn temporal_boundaries() {
        let cases = [
            ("2014", Some(6), false, Some("2014-01")),
            ("2014", Some(6), true, Some("2014-12")),
            ("2014-02", None, true, Some("2014-02-28")),
            (
                "2014-01-01T08",
                Some(17),
                false,
                Some("2014-01-01T08:00:00.000+14:00"),
            ),
            (
                "2014-01-01T08",
                Some(17),
                true,
                Some("2014-01-01T08:00:59.999-12:00"),
            ),
            (
                "2014-01-01T08:05-05:00",
                Some(17),
                true,
                Some("2014-01-01T08:05:59.999-05:00"),
            ),
            ("2014-01-01T08", Some(8), false, Some("2014-01-01")),
            ("T10:30", Some(9), true, Some("10:30:59.999")),
            ("2014", Some(5), false, None),
        ];
        for (value, digits, high, expected) in cases {
            let parsed = Temporal::parse_literal(value);
            let actual = parsed
                .and_then(|t| temporal_boundary(&t, digits, high))
                .map(|t| t.to_string());
            assert_eq!(
                actual.as_deref(),
                expected,
                "{value} {digits:?} high={high}"
            );
        }
    }
}
