//! Loop-invariant parts of per-item arguments, marked once at parse time.
//!
//! In `entry.all(request.exists() = (%resource.type = 'batch' or …))` the right-hand side
//! reads only `%resource`, yet it is evaluated again for every entry. A part of a per-item
//! argument (`where`, `all`, `exists`, `select`…) that reads neither the item nor anything
//! relative to it (`$this`, `$index`, `$total`, a member of the focus, a function on the
//! focus) has the same value for every item, so it is wrapped in [`Ast::Hoisted`] and the
//! evaluator computes it on first use and reuses it for the rest of the evaluation. FHIRPath
//! has no way to name an outer item from inside a nested argument, so such a part depends on
//! nothing that changes during one evaluation. It is still evaluated lazily, on first use,
//! so an argument that never runs (empty input) never evaluates it, as before.

use crate::ast::{Ast, Func};

/// Wraps the maximal item-independent parts of per-item arguments in [`Ast::Hoisted`].
pub(crate) fn hoist(ast: &mut Ast) {
    visit(ast, false);
}

fn visit(ast: &mut Ast, per_item: bool) {
    if per_item && worth_hoisting(ast) && independent(ast) {
        let inner = std::mem::replace(ast, Ast::Empty);
        *ast = Ast::Hoisted(Box::new(inner));
        return;
    }
    match ast {
        Ast::Member(target, _) | Ast::Neg(target) | Ast::TypeTest(_, target, _) => {
            visit(target, per_item);
        }
        Ast::Indexer(left, right) | Ast::Binary(_, left, right) => {
            visit(left, per_item);
            visit(right, per_item);
        }
        Ast::Call {
            target, func, args, ..
        } => {
            if let Some(target) = target {
                visit(target, per_item);
            }
            let args_per_item = per_item || func.is_per_item();
            for arg in args {
                visit(arg, args_per_item);
            }
        }
        Ast::Empty
        | Ast::Literal(_)
        | Ast::Ident(_)
        | Ast::This
        | Ast::Index
        | Ast::Total
        | Ast::Constant(_)
        | Ast::Hoisted(_) => {}
    }
}

/// Leaves cost no more to evaluate than to look up.
fn worth_hoisting(ast: &Ast) -> bool {
    !matches!(
        ast,
        Ast::Empty | Ast::Literal(_) | Ast::Constant(_) | Ast::Hoisted(_)
    )
}

/// Whether `ast` reads nothing of the current item (`$this` and what is relative to it).
fn independent(ast: &Ast) -> bool {
    match ast {
        Ast::Empty | Ast::Literal(_) | Ast::Constant(_) => true,
        Ast::Ident(_) | Ast::This | Ast::Index | Ast::Total => false,
        Ast::Member(target, _)
        | Ast::Neg(target)
        | Ast::TypeTest(_, target, _)
        | Ast::Hoisted(target) => independent(target),
        Ast::Indexer(left, right) | Ast::Binary(_, left, right) => {
            independent(left) && independent(right)
        }
        // A function on the focus reads the item, apart from the clock.
        Ast::Call {
            target: None, func, ..
        } => {
            matches!(func, Func::Now | Func::Today | Func::TimeOfDay)
        }
        Ast::Call {
            target: Some(target),
            func,
            args,
            ..
        } => {
            // Per-item arguments run on the target's items, not on the current item.
            independent(target) && (func.is_per_item() || args.iter().all(independent))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{Environment, Expression};

    /// The hoisted parts, as their debug form, of `text`.
    fn hoisted(text: &str) -> usize {
        let expression = Expression::parse(text).unwrap();
        format!("{:?}", expression.ast).matches("Hoisted(").count()
    }

    #[test]
    fn item_independent_parts_of_per_item_arguments_are_hoisted() {
        let cases = [
            (
                "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction'))",
                1,
            ),
            ("entry.where(fullUrl = %resource.entry.first().fullUrl)", 1),
            // Relative to the item, or outside any per-item argument.
            ("entry.all(request.exists())", 0),
            ("%resource.type = 'batch'", 0),
            ("entry.where($this.fullUrl.exists())", 0),
            ("entry.select(fullUrl & %resource.id)", 1),
            (
                "entry.where(%resource.entry.where(fullUrl.exists()).count() > 1)",
                1,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(hoisted(text), expected, "{text}");
        }
    }

    #[test]
    fn hoisted_parts_give_the_same_results() {
        let bundle = serde_json::json!({
            "resourceType": "Bundle",
            "type": "transaction",
            "id": "b1",
            "entry": [
                {"fullUrl": "urn:a", "request": {"method": "POST", "url": "Patient"}},
                {"fullUrl": "urn:b"},
                {"fullUrl": "urn:a", "request": {"method": "PUT", "url": "Patient/1"}}
            ]
        });
        let env = Environment::default();
        let cases = [
            (
                "entry.all(request.exists() = (%resource.type = 'transaction'))",
                "false",
            ),
            (
                "entry.where(fullUrl = %resource.entry.first().fullUrl).count()",
                "2",
            ),
            (
                "entry.select(%resource.id + '/' + fullUrl)",
                "b1/urn:a,b1/urn:b,b1/urn:a",
            ),
            (
                "entry.where(%resource.entry.where(fullUrl.exists()).count() = 3).count()",
                "3",
            ),
            (
                "entry.where(false).all(%resource.missing.single() = 1)",
                "true",
            ),
        ];
        for (text, expected) in cases {
            let expression = Expression::parse(text).unwrap();
            let result = expression.evaluate(&bundle, &env).unwrap();
            let shown: Vec<String> = result.iter().map(|i| i.to_system().to_string()).collect();
            assert_eq!(shown.join(","), expected, "{text}");
        }
    }
}
