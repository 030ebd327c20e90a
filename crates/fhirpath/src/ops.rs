//! Operators on items: equality, equivalence, ordering, arithmetic.

use std::borrow::Cow;
use std::cmp::Ordering;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::EvalError;
use crate::ast::BinOp;
use crate::temporal::{TemporalKind, calendar_unit};
use crate::value::{Item, Node, Quantity, ucum_base};

/// `=` on two single items: `None` when the answer is unknown (empty).
pub(crate) fn equals(a: &Item<'_>, b: &Item<'_>) -> Option<bool> {
    // Literals compare as they are (no copy of a string); nodes become their system value.
    let (a, b) = (a.system(), b.system());
    match (&*a, &*b) {
        (Item::Boolean(x), Item::Boolean(y)) => Some(x == y),
        (Item::Integer(x), Item::Integer(y)) => Some(x == y),
        (Item::Integer(x), Item::Decimal(y)) => Some(Decimal::from(*x) == *y),
        (Item::Decimal(x), Item::Integer(y)) => Some(*x == Decimal::from(*y)),
        (Item::Decimal(x), Item::Decimal(y)) => Some(x == y),
        (Item::String(x), Item::String(y)) => Some(x == y),
        (Item::Temporal(x), Item::Temporal(y)) => {
            if (x.kind == TemporalKind::Time) != (y.kind == TemporalKind::Time) {
                return Some(false);
            }
            x.compare(y).map(|o| o == Ordering::Equal)
        }
        (Item::Quantity(x), Item::Quantity(y)) => x.compare(y, true).map(|o| o == Ordering::Equal),
        (Item::Node(x), Item::Node(y)) => Some(node_equal(x, y)),
        (Item::Type(x), Item::Type(y)) => Some(x == y),
        _ => Some(false),
    }
}

fn node_equal(a: &Node<'_>, b: &Node<'_>) -> bool {
    a.value == b.value && a.companion == b.companion
}

fn normalize_string(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `~` on two single items.
pub(crate) fn equivalent(a: &Item<'_>, b: &Item<'_>) -> bool {
    match (a.to_system(), b.to_system()) {
        (Item::String(x), Item::String(y)) => normalize_string(&x) == normalize_string(&y),
        (Item::Decimal(x), Item::Decimal(y)) => decimal_equivalent(x, y),
        (Item::Integer(x), Item::Decimal(y)) | (Item::Decimal(y), Item::Integer(x)) => {
            decimal_equivalent(Decimal::from(x), y)
        }
        (Item::Temporal(x), Item::Temporal(y)) => x.compare(&y) == Some(Ordering::Equal),
        (Item::Quantity(x), Item::Quantity(y)) => match (ucum_base(&x.unit), ucum_base(&y.unit)) {
            (Some((fx, bx)), Some((fy, by))) if bx == by && x.unit != y.unit => {
                let (a, b) = (x.value * fx, y.value * fy);
                let scale = a.scale().min(b.scale());
                a.round_dp(scale) == b.round_dp(scale)
            }
            _ => x.compare(&y, false) == Some(Ordering::Equal),
        },
        (Item::Node(x), Item::Node(y)) => node_equal(&x, &y),
        (x, y) => equals(&x, &y) == Some(true),
    }
}

fn decimal_equivalent(x: Decimal, y: Decimal) -> bool {
    let scale = x.scale().min(y.scale());
    x.round_dp(scale) == y.round_dp(scale)
}

/// `<`, `>`, `<=`, `>=` on two single items: `Ok(None)` when unknown.
pub(crate) fn compare(a: &Item<'_>, b: &Item<'_>) -> Result<Option<Ordering>, EvalError> {
    let ordering = match (a.to_system(), b.to_system()) {
        (Item::Integer(x), Item::Integer(y)) => Some(x.cmp(&y)),
        (Item::Integer(x), Item::Decimal(y)) => Some(Decimal::from(x).cmp(&y)),
        (Item::Decimal(x), Item::Integer(y)) => Some(x.cmp(&Decimal::from(y))),
        (Item::Decimal(x), Item::Decimal(y)) => Some(x.cmp(&y)),
        (Item::String(x), Item::String(y)) => Some(x.cmp(&y)),
        (Item::Temporal(x), Item::Temporal(y)) => {
            if (x.kind == TemporalKind::Time) != (y.kind == TemporalKind::Time) {
                return Err(EvalError::Type(format!("cannot compare {x} with {y}")));
            }
            x.compare(&y)
        }
        (Item::Quantity(x), Item::Quantity(y)) => x.compare(&y, false),
        (x, y) => {
            return Err(EvalError::Type(format!(
                "cannot compare {} with {}",
                x.type_name().1,
                y.type_name().1
            )));
        }
    };
    Ok(ordering)
}

/// Arithmetic on two single items; `Ok(None)` is an empty result (division by zero).
pub(crate) fn arithmetic<'a>(
    op: BinOp,
    a: &Item<'a>,
    b: &Item<'a>,
) -> Result<Option<Item<'a>>, EvalError> {
    let (a, b) = (a.to_system(), b.to_system());
    let mismatch = || {
        EvalError::Type(format!(
            "operator {op:?} cannot apply to {} and {}",
            a.type_name().1,
            b.type_name().1
        ))
    };
    let result = match (&a, &b) {
        (Item::Integer(x), Item::Integer(y)) => match op {
            BinOp::Add => x.checked_add(*y).map(Item::Integer),
            BinOp::Sub => x.checked_sub(*y).map(Item::Integer),
            BinOp::Mul => x.checked_mul(*y).map(Item::Integer),
            BinOp::Div => Decimal::from(*x)
                .checked_div(Decimal::from(*y))
                .map(Item::Decimal),
            BinOp::IntDiv => x.checked_div(*y).map(Item::Integer),
            BinOp::Mod => x.checked_rem(*y).map(Item::Integer),
            _ => return Err(mismatch()),
        },
        (Item::Integer(_) | Item::Decimal(_), Item::Integer(_) | Item::Decimal(_)) => {
            let x = as_decimal(&a).ok_or_else(mismatch)?;
            let y = as_decimal(&b).ok_or_else(mismatch)?;
            match op {
                BinOp::Add => x.checked_add(y).map(Item::Decimal),
                BinOp::Sub => x.checked_sub(y).map(Item::Decimal),
                BinOp::Mul => x.checked_mul(y).map(Item::Decimal),
                BinOp::Div => x.checked_div(y).map(|d| Item::Decimal(d.normalize())),
                BinOp::IntDiv => x
                    .checked_div(y)
                    .and_then(|d| d.trunc().to_i64())
                    .map(Item::Integer),
                BinOp::Mod => x.checked_rem(y).map(Item::Decimal),
                _ => return Err(mismatch()),
            }
        }
        (Item::String(x), Item::String(y)) if op == BinOp::Add => {
            Some(Item::String(Cow::Owned(format!("{x}{y}"))))
        }
        (Item::Temporal(t), Item::Quantity(q)) if matches!(op, BinOp::Add | BinOp::Sub) => {
            let unit = calendar_unit(&q.unit).ok_or_else(mismatch)?;
            if matches!(q.unit.as_str(), "a" | "mo") && t.kind != TemporalKind::Time {
                return Err(mismatch());
            }
            let amount = q.value.trunc().to_i64().ok_or_else(mismatch)?;
            let amount = if op == BinOp::Sub { -amount } else { amount };
            Some(Item::Temporal(t.add(amount, unit).ok_or_else(mismatch)?))
        }
        (Item::Quantity(x), Item::Quantity(y)) => match op {
            BinOp::Add | BinOp::Sub if x.unit == y.unit => {
                let value = if op == BinOp::Add {
                    x.value.checked_add(y.value)
                } else {
                    x.value.checked_sub(y.value)
                };
                value.map(|value| {
                    Item::Quantity(Quantity {
                        value,
                        unit: x.unit.clone(),
                    })
                })
            }
            BinOp::Mul => multiply(x, y).map(Item::Quantity),
            BinOp::Div if !y.value.is_zero() => x.value.checked_div(y.value).map(|value| {
                Item::Quantity(Quantity {
                    value: value.normalize(),
                    unit: if x.unit == y.unit {
                        "1".to_owned()
                    } else {
                        combine_units(&x.unit, &y.unit, '/')
                    },
                })
            }),
            BinOp::Div => None,
            _ => return Err(mismatch()),
        },
        (Item::Quantity(x), Item::Integer(_) | Item::Decimal(_))
            if matches!(op, BinOp::Mul | BinOp::Div) =>
        {
            let y = as_decimal(&b).ok_or_else(mismatch)?;
            let value = if op == BinOp::Mul {
                x.value.checked_mul(y)
            } else {
                x.value.checked_div(y)
            };
            value.map(|value| {
                Item::Quantity(Quantity {
                    value,
                    unit: x.unit.clone(),
                })
            })
        }
        _ => return Err(mismatch()),
    };
    Ok(result)
}

/// `x * y` on quantities: lengths become an area in `m2` (`cm * m`); other units are joined
/// (`g.m`). `None` on overflow.
fn multiply(x: &Quantity, y: &Quantity) -> Option<Quantity> {
    if let (Some((fx, bx)), Some((fy, by))) = (ucum_base(&x.unit), ucum_base(&y.unit))
        && bx == by
        && bx == "m"
        && let Some(value) = x
            .value
            .checked_mul(fx)
            .zip(y.value.checked_mul(fy))
            .and_then(|(a, b)| a.checked_mul(b))
    {
        return Some(Quantity {
            value,
            unit: format!("{bx}2"),
        });
    }
    Some(Quantity {
        value: x.value.checked_mul(y.value)?,
        unit: combine_units(&x.unit, &y.unit, '.'),
    })
}

fn combine_units(a: &str, b: &str, sep: char) -> String {
    match (a, b) {
        ("1", other) if sep == '.' => other.to_owned(),
        (other, "1") => other.to_owned(),
        _ => format!("{a}{sep}{b}"),
    }
}

/// The decimal value of an Integer or Decimal item.
pub(crate) fn as_decimal(item: &Item<'_>) -> Option<Decimal> {
    match item {
        Item::Integer(i) => Some(Decimal::from(*i)),
        Item::Decimal(d) => Some(*d),
        _ => None,
    }
}
