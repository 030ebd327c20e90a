//! The evaluator: contexts, path navigation over the JSON tree, operators.

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;

use serde_json::Value;
use smallvec::SmallVec;

use crate::ast::{Ast, BinOp};
use crate::navigate::member;
use crate::ops::{arithmetic, compare, equals, equivalent};
use crate::types::{casts_to, is_subtype, is_type};
use crate::value::{Item, Items};
use crate::{Environment, EvalError};

/// Where an evaluation happens: the resources behind `%resource`, `%rootResource`, `%context`,
/// the focus (`$this`), `$index`, `$total`.
#[derive(Clone)]
pub(crate) struct Ctx<'a, 'm> {
    pub root_resource: Option<&'a Value>,
    pub terminology: Option<&'a dyn crate::Terminology>,
    /// `%resource`, typed when it is used.
    pub resource: &'a Value,
    /// `%context`: always one item.
    pub context: Item<'a>,
    pub env: &'a Environment,
    pub this: Items<'a>,
    pub index: Option<i64>,
    pub total: Option<Items<'a>>,
    /// The values of the [`Ast::Hoisted`] parts computed so far in this evaluation.
    pub hoisted: &'m Hoisted<'a>,
}

/// The values of hoisted parts, by the address of their node.
pub(crate) type Hoisted<'a> = RefCell<SmallVec<[(usize, Items<'a>); 2]>>;

impl<'a, 'm> Ctx<'a, 'm> {
    /// Makes this (per-item) context's focus `item`, at `index`.
    pub(crate) fn set_item(&mut self, item: Item<'a>, index: usize) {
        self.this.clear();
        self.this.push(item);
        self.index = i64::try_from(index).ok();
    }

    /// The context for evaluating a lambda argument on one item.
    pub(crate) fn for_item(&self, item: Item<'a>, index: usize) -> Ctx<'a, 'm> {
        // Field by field: cloning `self` would copy `this` only to drop it.
        Ctx {
            root_resource: self.root_resource,
            terminology: self.terminology,
            resource: self.resource,
            context: self.context.clone(),
            env: self.env,
            this: smallvec::smallvec![item],
            index: i64::try_from(index).ok(),
            total: self.total.clone(),
            hoisted: self.hoisted,
        }
    }
}

/// Evaluates `ast` in `ctx`.
pub(crate) fn eval<'a>(ast: &'a Ast, ctx: &Ctx<'a, '_>) -> Result<Items<'a>, EvalError> {
    match ast {
        Ast::Empty => Ok(Items::new()),
        Ast::Literal(item) => Ok(smallvec::smallvec![item.borrowed()]),
        Ast::Ident(name) => {
            if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                let matches_type = ctx.this.iter().all(|item| match item {
                    Item::Node(node) => {
                        node.type_name == Some(&**name)
                            || is_subtype(node.type_name.unwrap_or(""), name)
                    }
                    _ => false,
                });
                if matches_type && !ctx.this.is_empty() {
                    return Ok(ctx.this.clone());
                }
            }
            member(&ctx.this, name, ctx.env.strict)
        }
        Ast::This => Ok(ctx.this.clone()),
        Ast::Index => Ok(ctx.index.map(Item::Integer).into_iter().collect()),
        Ast::Total => Ok(ctx.total.clone().unwrap_or_default()),
        Ast::Constant(name) => constant(name, ctx),
        Ast::Member(target, name) => member(&eval(target, ctx)?, name, ctx.env.strict),
        Ast::Call {
            target,
            func,
            args,
            regex,
            type_arg,
        } => {
            let input = match target {
                Some(target) => eval(target, ctx)?,
                None => ctx.this.clone(),
            };
            crate::functions::call(
                *func,
                input,
                args,
                regex.as_deref(),
                type_arg.as_ref(),
                target.is_some(),
                ctx,
            )
        }
        Ast::Indexer(target, index) => {
            let input = eval(target, ctx)?;
            let index = eval(index, ctx)?;
            let Some(Item::Integer(i)) = single(&index)?.map(|i| i.to_system()) else {
                return Ok(Items::new());
            };
            Ok(usize::try_from(i)
                .ok()
                .and_then(|i| input.into_iter().nth(i))
                .into_iter()
                .collect())
        }
        Ast::Neg(operand) => {
            let value = eval(operand, ctx)?;
            let Some(item) = single(&value)? else {
                return Ok(Items::new());
            };
            Ok(smallvec::smallvec![match item.to_system() {
                Item::Integer(i) => Item::Integer(-i),
                // Negating zero gives zero, not `-0`.
                Item::Decimal(d) if d.is_zero() => Item::Decimal(d.abs()),
                Item::Decimal(d) => Item::Decimal(-d),
                Item::Quantity(mut q) => {
                    q.value = -q.value;
                    Item::Quantity(q)
                }
                other => {
                    return Err(EvalError::Type(format!(
                        "cannot negate {}",
                        other.type_name().1
                    )));
                }
            }])
        }
        Ast::Binary(op, left, right) => binary(*op, left, right, ctx),
        Ast::Hoisted(inner) => {
            let key = std::ptr::from_ref::<Ast>(inner) as usize;
            if let Some((_, found)) = ctx.hoisted.borrow().iter().find(|(k, _)| *k == key) {
                return Ok(found.clone());
            }
            let value = eval(inner, ctx)?;
            ctx.hoisted.borrow_mut().push((key, value.clone()));
            Ok(value)
        }
        Ast::TypeTest(is, operand, spec) => {
            let value = eval(operand, ctx)?;
            if *is {
                if value.len() > 1 {
                    return Err(EvalError::Cardinality("`is` on more than one item".into()));
                }
                Ok(value
                    .first()
                    .map(|item| Item::Boolean(is_type(item, spec)))
                    .into_iter()
                    .collect())
            } else {
                if value.len() > 1 {
                    return Err(EvalError::Cardinality("`as` on more than one item".into()));
                }
                Ok(value
                    .into_iter()
                    .filter(|item| casts_to(item, spec))
                    .collect())
            }
        }
    }
}

fn constant<'a>(name: &str, ctx: &Ctx<'a, '_>) -> Result<Items<'a>, EvalError> {
    let string = |s: String| Ok(smallvec::smallvec![Item::String(Cow::Owned(s))]);
    match name {
        "resource" => Ok(smallvec::smallvec![Item::node(
            ctx.resource,
            resource_type(ctx.resource)
        )]),
        "rootResource" => {
            let root = ctx.root_resource.unwrap_or(ctx.resource);
            Ok(smallvec::smallvec![Item::node(root, resource_type(root))])
        }
        "context" => Ok(smallvec::smallvec![ctx.context.clone()]),
        "ucum" => string("http://unitsofmeasure.org".into()),
        "sct" => string("http://snomed.info/sct".into()),
        "loinc" => string("http://loinc.org".into()),
        _ => {
            if let Some(value) = ctx.env.variables.get(name) {
                return Ok(value
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Item::String(Cow::Borrowed(s.as_str())),
                        other => {
                            Item::node(other, other.get("resourceType").and_then(Value::as_str))
                        }
                    })
                    .collect());
            }
            if let Some(vs) = name.strip_prefix("vs-") {
                return string(format!("http://hl7.org/fhir/ValueSet/{vs}"));
            }
            if let Some(ext) = name.strip_prefix("ext-") {
                return string(format!("http://hl7.org/fhir/StructureDefinition/{ext}"));
            }
            Err(EvalError::UnknownVariable(name.to_owned()))
        }
    }
}

/// The `resourceType` of a JSON resource: the type table's own copy of the name when it
/// has the type (so that navigation caches see one address per type), else the JSON's.
pub(crate) fn resource_type(value: &Value) -> Option<&str> {
    let Value::Object(map) = value else {
        return None;
    };
    let name = crate::lookup::get(map, "resourceType").and_then(Value::as_str)?;
    Some(crate::lookup::type_def(name).map_or(name, |def| &*def.name))
}

/// At most one item: `Ok(None)` for empty, an error for more.
pub(crate) fn single<'c, 'a>(items: &'c [Item<'a>]) -> Result<Option<&'c Item<'a>>, EvalError> {
    match items {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(EvalError::Cardinality(format!(
            "expected at most one item, got {}",
            items.len()
        ))),
    }
}

/// The boolean value of a collection (singleton evaluation): `None` when empty.
pub(crate) fn to_bool(items: &[Item<'_>]) -> Result<Option<bool>, EvalError> {
    Ok(single(items)?.map(Item::truth))
}

fn binary<'a>(
    op: BinOp,
    left: &'a Ast,
    right: &'a Ast,
    ctx: &Ctx<'a, '_>,
) -> Result<Items<'a>, EvalError> {
    let boolean = |b: Option<bool>| Ok(b.map(Item::Boolean).into_iter().collect());
    if matches!(op, BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Implies) {
        let a = to_bool(&eval(left, ctx)?)?;
        // Short-circuit where the left side decides.
        match (op, a) {
            (BinOp::And, Some(false)) => return boolean(Some(false)),
            (BinOp::Or, Some(true)) => return boolean(Some(true)),
            (BinOp::Implies, Some(false)) => return boolean(Some(true)),
            _ => {}
        }
        let b = to_bool(&eval(right, ctx)?)?;
        let result = match op {
            BinOp::And => match (a, b) {
                (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            BinOp::Or => match (a, b) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            BinOp::Xor => a.zip(b).map(|(a, b)| a != b),
            _ => match (a, b) {
                (_, Some(true)) => Some(true),
                (Some(true), b) => b,
                _ => None,
            },
        };
        return boolean(result);
    }
    // `x = 'literal'`: compared with the literal in place, without copying it.
    if let (BinOp::Eq | BinOp::Ne, Ast::Literal(literal)) = (op, right) {
        let a = eval(left, ctx)?;
        return equality(op, &a, std::slice::from_ref(literal));
    }
    let a = eval(left, ctx)?;
    let b = eval(right, ctx)?;
    match op {
        BinOp::Union => Ok(union(a, b)),
        BinOp::Eq | BinOp::Ne => equality(op, &a, &b),
        BinOp::Equiv | BinOp::NotEquiv => {
            let same = a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| equivalent(x, y)));
            boolean(Some(same == (op == BinOp::Equiv)))
        }
        BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
            let (Some(x), Some(y)) = (single(&a)?, single(&b)?) else {
                return Ok(Items::new());
            };
            let ordering = compare(x, y)?;
            boolean(ordering.map(|o| match op {
                BinOp::Lt => o == Ordering::Less,
                BinOp::Gt => o == Ordering::Greater,
                BinOp::Le => o != Ordering::Greater,
                _ => o != Ordering::Less,
            }))
        }
        BinOp::In | BinOp::Contains => {
            let (item, collection) = if op == BinOp::In { (&a, &b) } else { (&b, &a) };
            let Some(item) = single(item)? else {
                return Ok(Items::new());
            };
            boolean(Some(
                collection.iter().any(|c| equals(item, c) == Some(true)),
            ))
        }
        BinOp::Concat => {
            // One side empty (the empty string): the other side's String as it is, borrowed.
            let (x, y) = (single(&a)?, single(&b)?);
            if let (Some(only), None) | (None, Some(only)) = (x, y)
                && let Item::String(text) = only.to_system()
            {
                return Ok(smallvec::smallvec![Item::String(text)]);
            }
            // Written into one string: a String's text as it is, other values as text.
            let mut out = String::new();
            for side in [&a, &b] {
                if let Some(item) = single(side)? {
                    match &*item.system() {
                        Item::String(text) => out.push_str(text),
                        other => {
                            use std::fmt::Write as _;
                            let _ = write!(out, "{other}");
                        }
                    }
                }
            }
            Ok(smallvec::smallvec![Item::String(Cow::Owned(out))])
        }
        _ => {
            let (Some(x), Some(y)) = (single(&a)?, single(&b)?) else {
                return Ok(Items::new());
            };
            Ok(arithmetic(op, x, y)?.into_iter().collect())
        }
    }
}

/// `=` and `!=` on two collections.
fn equality<'a>(op: BinOp, a: &[Item<'_>], b: &[Item<'_>]) -> Result<Items<'a>, EvalError> {
    if a.is_empty() || b.is_empty() {
        return Ok(Items::new());
    }
    let mut result = Some(a.len() == b.len());
    if a.len() == b.len() {
        for (x, y) in a.iter().zip(b) {
            match equals(x, y) {
                Some(true) => {}
                Some(false) => {
                    result = Some(false);
                    break;
                }
                None => result = None,
            }
        }
    }
    Ok(result
        .map(|r| Item::Boolean(r == (op == BinOp::Eq)))
        .into_iter()
        .collect())
}

/// From this many items, a union of strings is deduplicated with a hash set.
const STRING_SET_FROM: usize = 8;

/// The union when every item is a String (or a node whose system value is one), where `=`
/// is string equality: the same items in the same order as the pairwise scan, in linear
/// time. `None` when some item is not a String.
fn union_of_strings<'a>(a: &[Item<'a>], b: &[Item<'a>]) -> Option<Items<'a>> {
    let systems: Vec<Cow<'_, Item<'a>>> = a.iter().chain(b).map(Item::system).collect();
    if !systems.iter().all(|s| matches!(**s, Item::String(_))) {
        return None;
    }
    let mut seen = rustc_hash::FxHashSet::default();
    let mut out = Items::new();
    for (item, system) in a.iter().chain(b).zip(&systems) {
        if let Item::String(text) = &**system
            && seen.insert(text.as_ref())
        {
            out.push(item.clone());
        }
    }
    Some(out)
}

/// `a | b`: the union without duplicates.
pub(crate) fn union<'a>(a: Items<'a>, b: Items<'a>) -> Items<'a> {
    if a.len() + b.len() > STRING_SET_FROM
        && let Some(out) = union_of_strings(&a, &b)
    {
        return out;
    }
    let mut out: Items<'a> = Items::with_capacity(a.len() + b.len());
    for item in a.into_iter().chain(b) {
        if !out.iter().any(|o| equals(o, &item) == Some(true)) {
            out.push(item);
        }
    }
    out
}
