//! The function library.

use std::borrow::Cow;

use regex::Regex;
use serde_json::Value;

use crate::EvalError;
use crate::ast::{Ast, Func, TypeSpec};
use crate::convert::convert;
use crate::eval::{Ctx, eval, single, to_bool, union};
use crate::navigate::{children, navigate, resolve};
use crate::ops::equals;
use crate::parser::compile_regex;
use crate::types::{casts_to, is_subtype, is_type, type_of};
use crate::value::{Item, Items, Node};

fn boolean<'a>(b: bool) -> Result<Items<'a>, EvalError> {
    Ok(smallvec::smallvec![Item::Boolean(b)])
}

fn contains_item(items: &[Item<'_>], item: &Item<'_>) -> bool {
    items.iter().any(|i| equals(i, item) == Some(true))
}

/// Evaluates an argument in the calling context.
fn arg<'a>(args: &'a [Ast], idx: usize, ctx: &Ctx<'a, '_>) -> Result<Items<'a>, EvalError> {
    match args.get(idx) {
        Some(ast) => eval(ast, ctx),
        None => Ok(Items::new()),
    }
}

fn string_arg<'a>(
    args: &'a [Ast],
    idx: usize,
    ctx: &Ctx<'a, '_>,
) -> Result<Option<Cow<'a, str>>, EvalError> {
    let value = arg(args, idx, ctx)?;
    match single(&value)?.map(Item::to_system) {
        None => Ok(None),
        Some(Item::String(s)) => Ok(Some(s)),
        Some(other) => Err(EvalError::Type(format!(
            "expected a String argument, got {}",
            other.type_name().1
        ))),
    }
}

fn integer_arg<'a>(
    args: &'a [Ast],
    idx: usize,
    ctx: &Ctx<'a, '_>,
) -> Result<Option<i64>, EvalError> {
    let value = arg(args, idx, ctx)?;
    match single(&value)?.map(Item::to_system) {
        None => Ok(None),
        Some(Item::Integer(i)) => Ok(Some(i)),
        Some(other) => Err(EvalError::Type(format!(
            "expected an Integer argument, got {}",
            other.type_name().1
        ))),
    }
}

/// The single String input of a string function; `None` when empty.
fn input_string<'a>(input: &[Item<'a>]) -> Result<Option<Cow<'a, str>>, EvalError> {
    match single(input)?.map(Item::to_system) {
        None => Ok(None),
        Some(Item::String(s)) => Ok(Some(s)),
        Some(other) => Err(EvalError::Type(format!(
            "expected a String, got {}",
            other.type_name().1
        ))),
    }
}

fn string_result<'a>(s: String) -> Result<Items<'a>, EvalError> {
    Ok(smallvec::smallvec![Item::String(Cow::Owned(s))])
}

/// Calls `func` on `input`.
pub(crate) fn call<'a>(
    func: Func,
    input: Items<'a>,
    args: &'a [Ast],
    regex: Option<&Regex>,
    type_arg: Option<&TypeSpec>,
    has_target: bool,
    ctx: &Ctx<'a, '_>,
) -> Result<Items<'a>, EvalError> {
    // One context for the per-item arguments, made on first use; each item replaces its
    // focus and index.
    let mut per_item = None;
    let mut lambda = |item: &Item<'a>, idx: usize, ast: &'a Ast| {
        let inner = per_item.get_or_insert_with(|| ctx.for_item(item.clone(), idx));
        inner.set_item(item.clone(), idx);
        eval(ast, inner)
    };
    let first_arg = args.first();
    match func {
        Func::Empty => boolean(input.is_empty()),
        Func::Exists => match first_arg {
            None => boolean(!input.is_empty()),
            Some(criteria) => {
                for (idx, item) in input.iter().enumerate() {
                    if to_bool(&lambda(item, idx, criteria)?)? == Some(true) {
                        return boolean(true);
                    }
                }
                boolean(false)
            }
        },
        Func::All => {
            let Some(criteria) = first_arg else {
                return boolean(true);
            };
            for (idx, item) in input.iter().enumerate() {
                if to_bool(&lambda(item, idx, criteria)?)? != Some(true) {
                    return boolean(false);
                }
            }
            boolean(true)
        }
        Func::AllTrue | Func::AnyTrue | Func::AllFalse | Func::AnyFalse => {
            let mut values = Vec::with_capacity(input.len());
            for item in &input {
                match item.to_system() {
                    Item::Boolean(b) => values.push(b),
                    other => {
                        return Err(EvalError::Type(format!(
                            "expected Booleans, got {}",
                            other.type_name().1
                        )));
                    }
                }
            }
            boolean(match func {
                Func::AllTrue => values.iter().all(|b| *b),
                Func::AnyTrue => values.iter().any(|b| *b),
                Func::AllFalse => values.iter().all(|b| !*b),
                _ => values.iter().any(|b| !*b),
            })
        }
        Func::SubsetOf | Func::SupersetOf => {
            let other = arg(args, 0, ctx)?;
            let (small, big) = if func == Func::SubsetOf {
                (&input, &other)
            } else {
                (&other, &input)
            };
            boolean(small.iter().all(|i| contains_item(big, i)))
        }
        Func::Count => Ok(smallvec::smallvec![Item::Integer(
            i64::try_from(input.len()).unwrap_or(i64::MAX),
        )]),
        Func::Distinct => Ok(union(input, Items::new())),
        Func::IsDistinct => {
            let n = input.len();
            boolean(union(input, Items::new()).len() == n)
        }
        Func::Where | Func::Select | Func::Repeat => {
            let Some(ast) = first_arg else {
                return Ok(Items::new());
            };
            let mut out = Items::new();
            if func == Func::Repeat {
                let mut queue = input;
                while !queue.is_empty() {
                    let mut next = Items::new();
                    for (idx, item) in queue.iter().enumerate() {
                        for found in lambda(item, idx, ast)? {
                            if !contains_item(&out, &found) {
                                out.push(found.clone());
                                next.push(found);
                            }
                        }
                    }
                    queue = next;
                }
                return Ok(out);
            }
            for (idx, item) in input.iter().enumerate() {
                let result = lambda(item, idx, ast)?;
                if func == Func::Select {
                    out.extend(result);
                } else if to_bool(&result)? == Some(true) {
                    out.push(item.clone());
                }
            }
            Ok(out)
        }
        Func::OfType | Func::As => {
            let Some(spec) = type_arg else {
                return Ok(Items::new());
            };
            if func == Func::As && input.len() > 1 {
                return Err(EvalError::Cardinality("as() on more than one item".into()));
            }
            Ok(input.into_iter().filter(|i| casts_to(i, spec)).collect())
        }
        Func::Is => {
            let Some(spec) = type_arg else {
                return Ok(Items::new());
            };
            Ok(single(&input)?
                .map(|i| Item::Boolean(is_type(i, spec)))
                .into_iter()
                .collect())
        }
        Func::Single => Ok(single(&input)?.cloned().into_iter().collect()),
        Func::First => Ok(input.into_iter().take(1).collect()),
        Func::Last => Ok(input.into_iter().next_back().into_iter().collect()),
        Func::Tail => Ok(input.into_iter().skip(1).collect()),
        Func::Skip | Func::Take => {
            let n = integer_arg(args, 0, ctx)?.unwrap_or(0);
            let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
            Ok(if func == Func::Skip {
                input.into_iter().skip(n).collect()
            } else {
                input.into_iter().take(n).collect()
            })
        }
        Func::Intersect => {
            let other = arg(args, 0, ctx)?;
            let kept = input
                .into_iter()
                .filter(|i| contains_item(&other, i))
                .collect();
            Ok(union(kept, Items::new()))
        }
        Func::Exclude => {
            let other = arg(args, 0, ctx)?;
            Ok(input
                .into_iter()
                .filter(|i| !contains_item(&other, i))
                .collect())
        }
        Func::Union => Ok(union(input, arg(args, 0, ctx)?)),
        Func::Combine => {
            let mut out = input;
            out.extend(arg(args, 0, ctx)?);
            Ok(out)
        }
        Func::Iif => {
            let inner = match (has_target, single(&input)?) {
                (true, Some(item)) => ctx.for_item(item.clone(), 0),
                _ => ctx.clone(),
            };
            let criteria = arg(args, 0, &inner)?;
            let decision = match single(&criteria)?.map(Item::to_system) {
                None => false,
                Some(Item::Boolean(b)) => b,
                Some(other) => {
                    return Err(EvalError::Type(format!(
                        "iif criterion must be Boolean, got {}",
                        other.type_name().1
                    )));
                }
            };
            arg(args, if decision { 1 } else { 2 }, &inner)
        }
        Func::ToBoolean
        | Func::ToInteger
        | Func::ToDecimal
        | Func::ToStringFn
        | Func::ToDate
        | Func::ToDateTime
        | Func::ToTime
        | Func::ToQuantity => {
            let unit = string_arg(args, 0, ctx)?;
            let Some(item) = single(&input)? else {
                return Ok(Items::new());
            };
            Ok(convert(func, item, unit.as_deref()).into_iter().collect())
        }
        Func::ConvertsToBoolean
        | Func::ConvertsToInteger
        | Func::ConvertsToDecimal
        | Func::ConvertsToString
        | Func::ConvertsToDate
        | Func::ConvertsToDateTime
        | Func::ConvertsToTime
        | Func::ConvertsToQuantity => {
            let unit = string_arg(args, 0, ctx)?;
            let Some(item) = single(&input)? else {
                return Ok(Items::new());
            };
            boolean(convert(func, item, unit.as_deref()).is_some())
        }
        Func::IndexOf | Func::StartsWith | Func::EndsWith | Func::Contains => {
            let Some(s) = input_string(&input)? else {
                return Ok(Items::new());
            };
            let Some(needle) = string_arg(args, 0, ctx)? else {
                return Ok(Items::new());
            };
            match func {
                Func::IndexOf => {
                    let idx = s.find(&*needle).map_or(-1, |byte| {
                        i64::try_from(s.get(..byte).map_or(0, |p| p.chars().count())).unwrap_or(-1)
                    });
                    Ok(smallvec::smallvec![Item::Integer(idx)])
                }
                Func::StartsWith => boolean(s.starts_with(&*needle)),
                Func::EndsWith => boolean(s.ends_with(&*needle)),
                _ => boolean(s.contains(&*needle)),
            }
        }
        Func::Substring => {
            let Some(s) = input_string(&input)? else {
                return Ok(Items::new());
            };
            let Some(start) = integer_arg(args, 0, ctx)? else {
                return Ok(Items::new());
            };
            let length = integer_arg(args, 1, ctx)?;
            let n_chars = i64::try_from(s.chars().count()).unwrap_or(0);
            if start < 0 || start >= n_chars {
                return Ok(Items::new());
            }
            let take = length.unwrap_or(n_chars).max(0);
            let start = usize::try_from(start).unwrap_or(0);
            let take = usize::try_from(take).unwrap_or(0);
            string_result(s.chars().skip(start).take(take).collect())
        }
        Func::Upper | Func::Lower | Func::Length | Func::ToChars | Func::Trim => {
            let Some(s) = input_string(&input)? else {
                return Ok(Items::new());
            };
            match func {
                Func::Upper => string_result(s.to_uppercase()),
                Func::Lower => string_result(s.to_lowercase()),
                Func::Trim => string_result(s.trim().to_owned()),
                Func::Length => Ok(smallvec::smallvec![Item::Integer(
                    i64::try_from(s.chars().count()).unwrap_or(0),
                )]),
                _ => Ok(s
                    .chars()
                    .map(|c| Item::String(Cow::Owned(c.to_string())))
                    .collect()),
            }
        }
        Func::Encode | Func::Decode | Func::Escape | Func::Unescape => {
            let Some(s) = input_string(&input)? else {
                return Ok(Items::new());
            };
            let Some(format) = string_arg(args, 0, ctx)? else {
                return Ok(Items::new());
            };
            Ok(crate::text::transform(func, &s, &format)
                .map(|t| Item::String(Cow::Owned(t)))
                .into_iter()
                .collect())
        }
        Func::Sort => {
            let mut keyed = Vec::with_capacity(input.len());
            for (idx, item) in input.into_iter().enumerate() {
                let mut keys = Vec::with_capacity(args.len().max(1));
                if args.is_empty() {
                    keys.push((smallvec::smallvec![item.clone()], false));
                }
                for key in args {
                    let (ast, descending) = match key {
                        Ast::Neg(inner) => (&**inner, true),
                        other => (other, false),
                    };
                    keys.push((lambda(&item, idx, ast)?, descending));
                }
                keyed.push((keys, item));
            }
            keyed.sort_by(|(a, _), (b, _)| {
                for ((ka, descending), (kb, _)) in a.iter().zip(b) {
                    // An empty key sorts first in either direction.
                    let ordering = match (ka.first(), kb.first()) {
                        (None, None) => std::cmp::Ordering::Equal,
                        (None, Some(_)) => std::cmp::Ordering::Less,
                        (Some(_), None) => std::cmp::Ordering::Greater,
                        (Some(x), Some(y)) => {
                            let ordering = crate::ops::compare(x, y)
                                .ok()
                                .flatten()
                                .unwrap_or(std::cmp::Ordering::Equal);
                            if *descending {
                                ordering.reverse()
                            } else {
                                ordering
                            }
                        }
                    };
                    if ordering != std::cmp::Ordering::Equal {
                        return ordering;
                    }
                }
                std::cmp::Ordering::Equal
            });
            Ok(keyed.into_iter().map(|(_, item)| item).collect())
        }
        Func::Split => {
            let Some(s) = input_string(&input)? else {
                return Ok(Items::new());
            };
            let Some(sep) = string_arg(args, 0, ctx)? else {
                return Ok(Items::new());
            };
            Ok(s.split(&*sep)
                .map(|p| Item::String(Cow::Owned(p.to_owned())))
                .collect())
        }
        Func::Join => {
            let sep = string_arg(args, 0, ctx)?.unwrap_or_default();
            let parts: Vec<String> = input.iter().map(|i| i.to_system().to_string()).collect();
            string_result(parts.join(&sep))
        }
        Func::Replace => {
            let Some(s) = input_string(&input)? else {
                return Ok(Items::new());
            };
            let (Some(pattern), Some(substitution)) =
                (string_arg(args, 0, ctx)?, string_arg(args, 1, ctx)?)
            else {
                return Ok(Items::new());
            };
            string_result(s.replace(&*pattern, &substitution))
        }
        Func::Matches | Func::ReplaceMatches | Func::MatchesFull => {
            let Some(s) = input_string(&input)? else {
                return Ok(Items::new());
            };
            let compiled;
            let regex = match regex {
                Some(regex) => regex,
                None => {
                    let Some(pattern) = string_arg(args, 0, ctx)? else {
                        return Ok(Items::new());
                    };
                    let pattern = if func == Func::MatchesFull {
                        format!("^(?:{pattern})$")
                    } else {
                        pattern.into_owned()
                    };
                    compiled =
                        compile_regex(&pattern).map_err(|e| EvalError::Regex(e.to_string()))?;
                    &compiled
                }
            };
            if func != Func::ReplaceMatches {
                return boolean(regex.is_match(&s));
            }
            let Some(substitution) = string_arg(args, 1, ctx)? else {
                return Ok(Items::new());
            };
            if regex.as_str() == "(?s)" {
                return Ok(smallvec::smallvec![Item::String(s)]);
            }
            string_result(regex.replace_all(&s, &*substitution).into_owned())
        }
        Func::Children | Func::Descendants => {
            let mut out = Items::new();
            let mut queue = input;
            loop {
                let mut next = Items::new();
                for item in &queue {
                    children(item, &mut next)?;
                }
                if next.is_empty() || func == Func::Children {
                    out.extend(next);
                    return Ok(out);
                }
                out.extend(next.iter().cloned());
                queue = next;
            }
        }
        Func::Trace => Ok(input),
        Func::Now | Func::Today | Func::TimeOfDay => {
            Ok(smallvec::smallvec![Item::Temporal(crate::math::now(func))])
        }
        Func::Abs
        | Func::Ceiling
        | Func::Exp
        | Func::Floor
        | Func::Ln
        | Func::Log
        | Func::Power
        | Func::Round
        | Func::Sqrt
        | Func::Truncate => crate::math::math(func, &input, args, ctx),
        Func::LowBoundary | Func::HighBoundary | Func::Precision | Func::Comparable => {
            crate::boundary::call(func, &input, args, ctx)
        }
        Func::Type => Ok(input.iter().filter_map(type_of).collect()),
        Func::Not => Ok(to_bool(&input)?
            .map(|b| Item::Boolean(!b))
            .into_iter()
            .collect()),
        Func::HasValue => boolean(matches!(
            single(&input)?,
            Some(Item::Node(Node { value: Some(v), .. })) if !v.is_object() && !v.is_array()
        )),
        Func::GetValue => match single(&input)? {
            Some(item @ Item::Node(Node { value: Some(v), .. })) if !v.is_object() => {
                Ok(smallvec::smallvec![item.to_system()])
            }
            _ => Ok(Items::new()),
        },
        Func::HtmlChecks | Func::HtmlChecksLower => boolean(true),
        Func::ConformsTo => {
            let Some(url) = string_arg(args, 0, ctx)? else {
                return Ok(Items::new());
            };
            // Only the base definitions are known here; profiles need the validator.
            let unsupported =
                || EvalError::Unsupported(format!("conformsTo({url}) needs the validator"));
            let type_name = url
                .strip_prefix("http://hl7.org/fhir/StructureDefinition/")
                .filter(|t| fhir::r4_types::TypeTable::r4().type_def(t).is_some())
                .ok_or_else(unsupported)?;
            let Some(item) = single(&input)? else {
                return Ok(Items::new());
            };
            let (_, actual) = item.type_name();
            boolean(is_subtype(&actual, type_name))
        }
        Func::MemberOf => {
            let Some(url) = string_arg(args, 0, ctx)? else {
                return Ok(Items::new());
            };
            let Some(item) = single(&input)? else {
                return Ok(Items::new());
            };
            let unsupported =
                || EvalError::Unsupported(format!("memberOf({url}) needs terminology"));
            let terminology = ctx.terminology.ok_or_else(unsupported)?;
            let member =
                |system: Option<&str>, code: &str| terminology.member_of(system, code, &url);
            let coding = |value: &Value| match value.get("code").and_then(Value::as_str) {
                Some(code) => member(value.get("system").and_then(Value::as_str), code),
                None => Some(false),
            };
            let found = match &item {
                Item::Node(Node {
                    value: Some(value), ..
                }) if value.is_object() => {
                    match value.get("coding").and_then(Value::as_array) {
                        // A CodeableConcept is in the value set when one of its codings is.
                        Some(codings) => {
                            let answers: Vec<Option<bool>> = codings.iter().map(coding).collect();
                            if answers.contains(&Some(true)) {
                                Some(true)
                            } else if answers.contains(&None) {
                                None
                            } else {
                                Some(false)
                            }
                        }
                        None => coding(value),
                    }
                }
                other => match other.to_system() {
                    Item::String(code) => member(None, &code),
                    _ => return Ok(Items::new()),
                },
            };
            boolean(found.ok_or_else(unsupported)?)
        }
        Func::Extension => {
            let Some(url) = string_arg(args, 0, ctx)? else {
                return Ok(Items::new());
            };
            let mut extensions = Items::new();
            for item in &input {
                navigate(item, "extension", &mut extensions, false)?;
            }
            Ok(extensions
                .into_iter()
                .filter(|e| match e {
                    Item::Node(Node { value: Some(v), .. }) => {
                        v.get("url").and_then(Value::as_str) == Some(&*url)
                    }
                    _ => false,
                })
                .collect())
        }
        Func::Resolve => Ok(input.iter().filter_map(|item| resolve(item, ctx)).collect()),
        Func::Aggregate => {
            let Some(ast) = first_arg else {
                return Ok(Items::new());
            };
            let mut total = arg(args, 1, ctx)?;
            for (idx, item) in input.iter().enumerate() {
                let mut inner = ctx.for_item(item.clone(), idx);
                inner.total = Some(total);
                total = eval(ast, &inner)?;
            }
            Ok(total)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod member_of_tests {
    use crate::{Environment, EvalError, Expression, Item, Scope, Terminology};

    /// Knows one value set holding `http://s|a`.
    struct OneValueSet;

    impl Terminology for OneValueSet {
        fn member_of(&self, system: Option<&str>, code: &str, value_set: &str) -> Option<bool> {
            (value_set == "http://vs")
                .then(|| system.is_none_or(|s| s == "http://s") && code == "a")
        }
    }

    #[test]
    fn member_of_asks_the_terminology() {
        let basic = serde_json::json!({
            "resourceType": "Basic",
            "code": {"coding": [{"system": "http://s", "code": "b"}, {"system": "http://s", "code": "a"}]},
            "extension": [{"url": "http://x", "valueCoding": {"system": "http://s", "code": "b"}}]
        });
        let run = |text: &str, terminology: Option<&dyn Terminology>| {
            let env = Environment::default();
            let scope = Scope {
                resource: &basic,
                root_resource: None,
                context: None,
                terminology,
            };
            Expression::parse(text)
                .unwrap()
                .evaluate_in(scope, &env)
                .map(|items| {
                    items
                        .iter()
                        .map(Item::to_system)
                        .map(|i| format!("{i:?}"))
                        .collect::<Vec<_>>()
                })
        };
        let yes = vec![format!("{:?}", Item::Boolean(true))];
        let no = vec![format!("{:?}", Item::Boolean(false))];
        assert_eq!(
            run("code.memberOf('http://vs')", Some(&OneValueSet)),
            Ok(yes.clone())
        );
        assert_eq!(
            run("extension.value.memberOf('http://vs')", Some(&OneValueSet)),
            Ok(no)
        );
        assert_eq!(
            run("'a'.memberOf('http://vs')", Some(&OneValueSet)),
            Ok(yes)
        );
        assert!(matches!(
            run("code.memberOf('http://other')", Some(&OneValueSet)),
            Err(EvalError::Unsupported(_))
        ));
        assert!(matches!(
            run("code.memberOf('http://vs')", None),
            Err(EvalError::Unsupported(_))
        ));
    }
}
