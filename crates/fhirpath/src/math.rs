//! Math functions (`abs`, `round`, `power`…) and the clock (`now`, `today`, `timeOfDay`).

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use crate::EvalError;
use crate::ast::{Ast, Func};
use crate::eval::{Ctx, eval, single};
use crate::temporal::{Precision, Temporal, TemporalKind};
use crate::value::{Item, Items};

/// An optional Integer argument.
pub(crate) fn integer_arg<'a>(
    args: &'a [Ast],
    idx: usize,
    ctx: &Ctx<'a, '_>,
) -> Result<Option<i64>, EvalError> {
    let value = match args.get(idx) {
        Some(ast) => eval(ast, ctx)?,
        None => return Ok(None),
    };
    match single(&value)?.map(Item::to_system) {
        None => Ok(None),
        Some(Item::Integer(i)) => Ok(Some(i)),
        Some(other) => Err(EvalError::Type(format!(
            "expected an Integer argument, got {}",
            other.type_name().1
        ))),
    }
}

fn arg<'a>(args: &'a [Ast], idx: usize, ctx: &Ctx<'a, '_>) -> Result<Items<'a>, EvalError> {
    match args.get(idx) {
        Some(ast) => eval(ast, ctx),
        None => Ok(Items::new()),
    }
}

/// The current time in UTC, as a DateTime, Date or Time for `func`.
pub(crate) fn now(func: Func) -> Temporal {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
    let epoch = Temporal {
        kind: TemporalKind::DateTime,
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        precision: Precision::Millisecond,
        offset: Some(0),
    };
    let current = epoch.add(millis, "millisecond").unwrap_or(epoch);
    match func {
        Func::Today => current.to_date(),
        Func::TimeOfDay => {
            let mut time = current;
            time.kind = TemporalKind::Time;
            time.offset = None;
            time
        }
        _ => current,
    }
}

/// A math function on a single number.
pub(crate) fn math<'a>(
    func: Func,
    input: &[Item<'a>],
    args: &'a [Ast],
    ctx: &Ctx<'a, '_>,
) -> Result<Items<'a>, EvalError> {
    let Some(item) = single(input)? else {
        return Ok(Items::new());
    };
    let item = item.to_system();
    let decimal = match &item {
        Item::Integer(i) => Decimal::from(*i),
        Item::Decimal(d) => *d,
        Item::Quantity(q) if func == Func::Abs => {
            let mut q = q.clone();
            q.value = q.value.abs();
            return Ok(smallvec::smallvec![Item::Quantity(q)]);
        }
        other => {
            return Err(EvalError::Type(format!(
                "{func:?} needs a number, got {}",
                other.type_name().1
            )));
        }
    };
    let is_integer = matches!(item, Item::Integer(_));
    let to_int = |d: Decimal| d.to_i64().map(Item::Integer);
    let float = |f: f64| {
        if f.is_finite() {
            Decimal::from_f64(f).map(Item::Decimal)
        } else {
            None
        }
    };
    let x = decimal.to_f64().unwrap_or(f64::NAN);
    let result = match func {
        Func::Abs if is_integer => to_int(decimal.abs()),
        Func::Abs => Some(Item::Decimal(decimal.abs())),
        Func::Ceiling => to_int(decimal.ceil()),
        Func::Floor => to_int(decimal.floor()),
        Func::Truncate => to_int(decimal.trunc()),
        Func::Round => {
            let precision = integer_arg(args, 0, ctx)?.unwrap_or(0);
            let dp = u32::try_from(precision)
                .map_err(|_| EvalError::Type("round() precision must be >= 0".into()))?;
            Some(Item::Decimal(decimal.round_dp_with_strategy(
                dp,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            )))
        }
        Func::Exp => float(x.exp()),
        Func::Ln => float(x.ln()),
        Func::Sqrt => float(x.sqrt()),
        Func::Log | Func::Power => {
            let other = arg(args, 0, ctx)?;
            let Some(other) = single(&other)?.map(Item::to_system) else {
                return Ok(Items::new());
            };
            let (y, other_int) = match other {
                Item::Integer(i) => (Decimal::from(i), true),
                Item::Decimal(d) => (d, false),
                _ => return Err(EvalError::Type("a number argument is needed".into())),
            };
            let yf = y.to_f64().unwrap_or(f64::NAN);
            if func == Func::Log {
                float(x.ln() / yf.ln())
            } else if is_integer && other_int {
                u32::try_from(y.to_i64().unwrap_or(-1))
                    .ok()
                    .and_then(|e| decimal.to_i64()?.checked_pow(e))
                    .map(Item::Integer)
                    .or_else(|| float(x.powf(yf)))
            } else {
                float(x.powf(yf))
            }
        }
        _ => None,
    };
    Ok(result.into_iter().collect())
}
