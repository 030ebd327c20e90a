//! Conversion functions: `toBoolean`, `toInteger`, `toDecimal`, `toString`, `toDate`,
//! `toDateTime`, `toTime`, `toQuantity` (the `convertsTo*` functions test their result).

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::ast::Func;
use crate::temporal::{Temporal, TemporalKind, calendar_unit};
use crate::value::{Item, Quantity, parse_decimal, ucum_base};

/// Converts one item as `func` says; `None` when it does not convert.
pub(crate) fn convert<'a>(func: Func, item: &Item<'a>, unit: Option<&str>) -> Option<Item<'a>> {
    let item = item.to_system();
    match func {
        Func::ToBoolean | Func::ConvertsToBoolean => to_boolean(&item).map(Item::Boolean),
        Func::ToInteger | Func::ConvertsToInteger => match item {
            Item::Integer(i) => Some(Item::Integer(i)),
            Item::Boolean(b) => Some(Item::Integer(i64::from(b))),
            Item::String(s) if is_integer_text(&s) => s.parse().ok().map(Item::Integer),
            _ => None,
        },
        Func::ToDecimal | Func::ConvertsToDecimal => match item {
            Item::Integer(i) => Some(Item::Decimal(Decimal::from(i))),
            Item::Decimal(d) => Some(Item::Decimal(d)),
            Item::Boolean(b) => Some(Item::Decimal(if b { Decimal::ONE } else { Decimal::ZERO })),
            Item::String(s) if is_decimal_text(&s) => parse_decimal(&s).map(Item::Decimal),
            _ => None,
        },
        Func::ToStringFn | Func::ConvertsToString => match item {
            Item::Node(_) => None,
            other => Some(Item::String(Cow::Owned(other.to_string()))),
        },
        Func::ToDate | Func::ConvertsToDate => match item {
            Item::Temporal(t) if t.kind != TemporalKind::Time => Some(Item::Temporal(t.to_date())),
            Item::String(s) => Temporal::parse_date(&s)
                .or_else(|| Temporal::parse_date_time(&s).map(|t| t.to_date()))
                .map(Item::Temporal),
            _ => None,
        },
        Func::ToDateTime | Func::ConvertsToDateTime => match item {
            Item::Temporal(mut t) if t.kind != TemporalKind::Time => {
                t.kind = TemporalKind::DateTime;
                Some(Item::Temporal(t))
            }
            Item::String(s) => Temporal::parse_date_time(&s).map(Item::Temporal),
            _ => None,
        },
        Func::ToTime | Func::ConvertsToTime => match item {
            Item::Temporal(t) if t.kind == TemporalKind::Time => Some(Item::Temporal(t)),
            Item::String(s) => {
                Temporal::parse_time(s.strip_prefix('T').unwrap_or(&s)).map(Item::Temporal)
            }
            _ => None,
        },
        Func::ToQuantity | Func::ConvertsToQuantity => {
            let quantity = match item {
                Item::Integer(i) => Some(Quantity {
                    value: Decimal::from(i),
                    unit: "1".to_owned(),
                }),
                Item::Decimal(d) => Some(Quantity {
                    value: d,
                    unit: "1".to_owned(),
                }),
                Item::Quantity(q) => Some(q),
                Item::String(s) => parse_quantity(&s),
                Item::Boolean(b) => Some(Quantity {
                    value: if b { Decimal::ONE } else { Decimal::ZERO },
                    unit: "1".to_owned(),
                }),
                _ => None,
            }?;
            match unit {
                None => Some(Item::Quantity(quantity)),
                Some(unit) if unit == quantity.unit => Some(Item::Quantity(quantity)),
                Some(unit) => {
                    let factor = conversion_factor(&quantity.unit, unit)?;
                    Some(Item::Quantity(Quantity {
                        value: (quantity.value * factor).normalize(),
                        unit: unit.to_owned(),
                    }))
                }
            }
        }
        _ => None,
    }
}

/// How many `to` units one `from` unit is.
fn conversion_factor(from: &str, to: &str) -> Option<Decimal> {
    let (fa, ba) = ucum_base(from)?;
    let (fb, bb) = ucum_base(to)?;
    if ba != bb {
        return None;
    }
    fa.checked_div(fb)
}

fn to_boolean(item: &Item<'_>) -> Option<bool> {
    match item {
        Item::Boolean(b) => Some(*b),
        Item::Integer(1) => Some(true),
        Item::Integer(0) => Some(false),
        Item::Decimal(d) if *d == Decimal::ONE => Some(true),
        Item::Decimal(d) if d.is_zero() => Some(false),
        Item::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" | "1.0" => Some(true),
            "false" | "f" | "no" | "n" | "0" | "0.0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn is_integer_text(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_decimal_text(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    is_integer_text(int)
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !int.starts_with(['+', '-'])
}

/// Parses `5`, `5.1 'mg'`, `4 days`.
fn parse_quantity(s: &str) -> Option<Quantity> {
    let s = s.trim();
    let (number, rest) = match s.find(' ') {
        Some(idx) => (s.get(..idx)?, s.get(idx..)?.trim()),
        None => (s, ""),
    };
    if !is_decimal_text(number) {
        return None;
    }
    let value = parse_decimal(number)?;
    let unit = if rest.is_empty() {
        "1".to_owned()
    } else if let Some(quoted) = rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        quoted.to_owned()
    } else if calendar_unit(rest).is_some() && rest.len() >= 3 {
        rest.strip_suffix('s').unwrap_or(rest).to_owned()
    } else {
        return None;
    };
    Some(Quantity { value, unit })
}
