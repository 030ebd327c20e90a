//! Semantic checks made once at parse time, reported in strict mode.
//!
//! Two mistakes are visible from the expression alone, whatever the input:
//! - a member that the type named by `as`/`ofType` does not have (`(value as Period).unit`);
//! - an order-dependent function (`first()`, `skip()`, `[0]`…) on the result of `children()`
//!   or `descendants()`, whose order the specification leaves undefined.

use fhir::r4_types::{TypeKind, TypeTable};

use crate::ast::{Ast, Func, TypeSpec};

/// What is known of an expression's result without evaluating it.
#[derive(Debug, Default, Clone, Copy)]
struct Shape {
    /// The result comes from `children()`/`descendants()`: its order means nothing.
    unordered: bool,
    /// The FHIR complex type or resource every item has, from `as`/`ofType`.
    type_name: Option<&'static str>,
}

/// The semantic issues of an expression, in source order.
pub(crate) fn semantic_issues(ast: &Ast) -> Vec<String> {
    let mut issues = Vec::new();
    walk(ast, &mut issues);
    issues
}

/// A FHIR complex type or resource named by a type specifier.
fn complex_type(spec: &TypeSpec) -> Option<&'static str> {
    if spec.namespace.as_deref().is_some_and(|ns| ns != "FHIR") {
        return None;
    }
    let def = TypeTable::r4().type_def(&spec.name)?;
    matches!(def.kind, TypeKind::Complex | TypeKind::Resource).then_some(&*def.name)
}

fn has_member(type_name: &str, name: &str) -> bool {
    let Some(def) = TypeTable::r4().type_def(type_name) else {
        return true;
    };
    def.element(name)
        .is_some_and(|found| !found.element.is_choice || *found.element.base_name == *name)
        || def
            .elements
            .iter()
            .any(|e| e.is_choice && *e.base_name == *name)
}

fn order_dependent(func: Func) -> Option<&'static str> {
    Some(match func {
        Func::First => "first()",
        Func::Last => "last()",
        Func::Tail => "tail()",
        Func::Skip => "skip()",
        Func::Take => "take()",
        _ => return None,
    })
}

fn walk(ast: &Ast, issues: &mut Vec<String>) -> Shape {
    match ast {
        Ast::Empty
        | Ast::Literal(_)
        | Ast::Ident(_)
        | Ast::This
        | Ast::Index
        | Ast::Total
        | Ast::Constant(_) => Shape::default(),
        Ast::Member(target, name) => {
            let input = walk(target, issues);
            if let Some(type_name) = input.type_name
                && !has_member(type_name, name)
            {
                issues.push(format!("{type_name} has no element {name}"));
            }
            Shape {
                unordered: input.unordered,
                type_name: None,
            }
        }
        Ast::Call {
            target,
            func,
            args,
            type_arg,
            ..
        } => {
            let input = target
                .as_deref()
                .map(|t| walk(t, issues))
                .unwrap_or_default();
            for arg in args {
                walk(arg, issues);
            }
            if let Some(name) = order_dependent(*func)
                && input.unordered
            {
                issues.push(format!(
                    "{name} depends on order, and children()/descendants() give none"
                ));
            }
            match func {
                Func::Children | Func::Descendants => Shape {
                    unordered: true,
                    type_name: None,
                },
                Func::OfType | Func::As => Shape {
                    unordered: input.unordered,
                    type_name: type_arg.as_ref().and_then(complex_type),
                },
                Func::Where | Func::Select | Func::Distinct | Func::Repeat | Func::Trace => Shape {
                    unordered: input.unordered,
                    type_name: None,
                },
                _ => Shape::default(),
            }
        }
        Ast::Indexer(target, index) => {
            let input = walk(target, issues);
            walk(index, issues);
            if input.unordered {
                issues.push(
                    "an indexer depends on order, and children()/descendants() give none".into(),
                );
            }
            Shape::default()
        }
        Ast::Neg(operand) => {
            walk(operand, issues);
            Shape::default()
        }
        Ast::Binary(_, left, right) => {
            walk(left, issues);
            walk(right, issues);
            Shape::default()
        }
        Ast::Hoisted(inner) => walk(inner, issues),
        Ast::TypeTest(is, operand, spec) => {
            let input = walk(operand, issues);
            Shape {
                unordered: input.unordered && !is,
                type_name: if *is { None } else { complex_type(spec) },
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn issues() {
        let cases = [
            ("(Observation.value as Period).unit", 1),
            ("(Observation.value as Quantity).unit", 0),
            ("Observation.value.ofType(Period).start", 0),
            ("Observation.value.ofType(Period).unit", 1),
            ("Extension.value.as(Reference).reference", 0),
            ("Patient.children().skip(1)", 1),
            ("Patient.descendants().where(true)[0]", 1),
            ("Patient.children().count()", 0),
            ("Patient.name.skip(1)", 0),
        ];
        for (text, n_issues) in cases {
            let tokens = crate::lexer::tokenize(text).unwrap();
            let ast = crate::parser::Parser::new(tokens).parse_all();
            let found = ast.map(|ast| semantic_issues(&ast).len());
            assert_eq!(found, Ok(n_issues), "{text}");
        }
    }
}
