//! What an expression reads of its focus, found once at parse time.
//!
//! Many invariants start every path at a member of the focus (`contained.contained.empty()`,
//! `dataAbsentReason.empty() or value.empty()`). When the focus has none of those members,
//! nothing else of the input is read, so the result depends on the focus's type alone: a
//! caller can evaluate such an expression once per type and reuse the result wherever the
//! members are absent. [`focus_members`] finds those names, or `None` when the expression
//! reads anything else (`%resource`, `$this`, `children()`, a type name, the clock…).

use crate::ast::{Ast, Func};

/// The member names at the start of the expression's paths, when they are all it reads of
/// its input; `None` otherwise.
pub(crate) fn focus_members(ast: &Ast) -> Option<Vec<Box<str>>> {
    let mut names = Vec::new();
    roots(ast, &mut names)?;
    names.sort_unstable();
    names.dedup();
    Some(names)
}

/// Adds the focus members `ast` starts from to `names`; `None` when it reads anything else.
fn roots(ast: &Ast, names: &mut Vec<Box<str>>) -> Option<()> {
    match ast {
        Ast::Empty | Ast::Literal(_) => Some(()),
        // A capitalised identifier may be the focus's type name, which yields the focus.
        Ast::Ident(name) if name.starts_with(|c: char| c.is_ascii_uppercase()) => None,
        Ast::Ident(name) => {
            names.push(name.clone());
            Some(())
        }
        Ast::This | Ast::Index | Ast::Total => None,
        Ast::Constant(name) => constant_is_literal(name).then_some(()),
        Ast::Member(target, _)
        | Ast::Neg(target)
        | Ast::TypeTest(_, target, _)
        | Ast::Hoisted(target) => roots(target, names),
        Ast::Indexer(target, index) | Ast::Binary(_, target, index) => {
            roots(target, names)?;
            roots(index, names)
        }
        // A function on the focus itself (`children()`, `hasValue()`, `today()`).
        Ast::Call { target: None, .. } => None,
        Ast::Call {
            target: Some(target),
            func,
            args,
            ..
        } => {
            roots(target, names)?;
            if func.is_per_item() {
                // Arguments evaluated on each input item: never run when the input is empty,
                // and the input is empty whenever its members are absent.
                return empty_if_absent(target).then_some(());
            }
            for arg in args {
                roots(arg, names)?;
            }
            Some(())
        }
    }
}

/// The member names of an expression that reads its input only through `name.exists()` and
/// `name.empty()` on members of the focus (`code.empty() or system.exists()`): its result
/// depends on which of them are present, and on the focus's type. `None` otherwise.
pub(crate) fn presence_members(ast: &Ast) -> Option<Vec<Box<str>>> {
    let mut names = Vec::new();
    presence(ast, &mut names)?;
    names.sort_unstable();
    names.dedup();
    Some(names)
}

fn presence(ast: &Ast, names: &mut Vec<Box<str>>) -> Option<()> {
    match ast {
        Ast::Empty | Ast::Literal(_) => Some(()),
        Ast::Constant(name) => constant_is_literal(name).then_some(()),
        Ast::Call {
            target: Some(target),
            func: Func::Exists | Func::Empty,
            args,
            ..
        } if args.is_empty() => match &**target {
            Ast::Ident(name) if !name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                names.push(name.clone());
                Some(())
            }
            other => presence(other, names),
        },
        Ast::Call {
            target: Some(target),
            args,
            ..
        } => {
            presence(target, names)?;
            for arg in args {
                presence(arg, names)?;
            }
            Some(())
        }
        Ast::Binary(_, left, right) => {
            presence(left, names)?;
            presence(right, names)
        }
        Ast::Neg(operand) | Ast::TypeTest(_, operand, _) | Ast::Hoisted(operand) => {
            presence(operand, names)
        }
        Ast::Ident(_)
        | Ast::This
        | Ast::Index
        | Ast::Total
        | Ast::Member(..)
        | Ast::Indexer(..)
        | Ast::Call { target: None, .. } => None,
    }
}

/// `%ucum`, `%sct`, `%loinc`, `%vs-…`, `%ext-…`: fixed strings.
fn constant_is_literal(name: &str) -> bool {
    matches!(name, "ucum" | "sct" | "loinc") || name.starts_with("vs-") || name.starts_with("ext-")
}

/// Whether `ast` is empty whenever the focus members it starts from are absent.
fn empty_if_absent(ast: &Ast) -> bool {
    match ast {
        Ast::Ident(_) => true,
        Ast::Member(target, _) => empty_if_absent(target),
        Ast::Call {
            target: Some(target),
            func,
            ..
        } => {
            matches!(
                func,
                Func::Where
                    | Func::Select
                    | Func::Repeat
                    | Func::OfType
                    | Func::As
                    | Func::First
                    | Func::Last
                    | Func::Tail
                    | Func::Skip
                    | Func::Take
                    | Func::Single
                    | Func::Distinct
                    | Func::Trace
                    | Func::Children
                    | Func::Descendants
                    | Func::Extension
                    | Func::Resolve
                    | Func::Sort
            ) && empty_if_absent(target)
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::Expression;

    fn members(text: &str) -> Option<Vec<String>> {
        let expression = Expression::parse(text).unwrap();
        expression
            .focus_members()
            .map(|names| names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn presence_members_of_invariants() {
        let presence = |text: &str| {
            Expression::parse(text)
                .unwrap()
                .presence_members()
                .map(|names| names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        };
        let cases: [(&str, Option<&[&str]>); 6] = [
            ("code.empty() or system.exists()", Some(&["code", "system"])),
            (
                "resource.exists() or request.exists() or response.exists()",
                Some(&["request", "resource", "response"]),
            ),
            (
                "extension.exists() != value.exists()",
                Some(&["extension", "value"]),
            ),
            ("contained.contained.empty()", None),
            ("code = 'x' or system.exists()", None),
            ("%resource.code.exists()", None),
        ];
        for (text, expected) in cases {
            let expected = expected.map(|names| names.iter().map(|n| n.to_string()).collect());
            assert_eq!(presence(text), expected, "{text}");
        }
    }

    /// Values with the same presence key give the same result, and a key is given only
    /// where presence is plain.
    #[test]
    fn presence_keys_decide_results() {
        use crate::{Environment, Scope};
        let expression = Expression::parse("code.empty() or system.exists()").unwrap();
        let env = Environment::default();
        let values = [
            (serde_json::json!({"value": 1}), Some(0b00), true),
            (serde_json::json!({"code": "mg"}), Some(0b01), false),
            (
                serde_json::json!({"code": "mg", "system": "http://unitsofmeasure.org"}),
                Some(0b11),
                true,
            ),
            (
                serde_json::json!({"system": "s", "value": 2}),
                Some(0b10),
                true,
            ),
            // Not plain: a companion, a null.
            (serde_json::json!({"_code": {"extension": []}}), None, false),
            (serde_json::json!({"code": null}), None, false),
        ];
        for (value, key, result) in values {
            assert_eq!(expression.presence_key(&value, "Quantity"), key, "{value}");
            let scope = Scope {
                resource: &value,
                root_resource: None,
                context: Some((&value, Some("Quantity"))),
                terminology: None,
            };
            let evaluated = expression
                .evaluate_with(scope, &env, |items| {
                    items.first().is_some_and(crate::Item::truth)
                })
                .unwrap();
            assert_eq!(evaluated, result, "{value}");
        }
        // A choice member: present when a member names a type the element allows.
        let choice = Expression::parse("extension.exists() != value.exists()").unwrap();
        let extensions = [
            (
                serde_json::json!({"url": "u", "valueString": "x"}),
                Some(0b10),
                true,
            ),
            (serde_json::json!({"url": "u"}), Some(0b00), false),
            (
                serde_json::json!({"url": "u", "extension": [{"url": "v"}]}),
                Some(0b01),
                true,
            ),
            // Not a type of Extension.value[x], and a companion: evaluated.
            (serde_json::json!({"url": "u", "valueFoo": 1}), None, false),
            (
                serde_json::json!({"url": "u", "_valueString": {"id": "a"}}),
                None,
                true,
            ),
        ];
        for (value, key, result) in extensions {
            assert_eq!(choice.presence_key(&value, "Extension"), key, "{value}");
            let scope = Scope {
                resource: &value,
                root_resource: None,
                context: Some((&value, Some("Extension"))),
                terminology: None,
            };
            let evaluated = choice
                .evaluate_with(scope, &env, |items| {
                    items.first().is_some_and(crate::Item::truth)
                })
                .unwrap();
            assert_eq!(evaluated, result, "{value}");
        }
    }

    #[test]
    fn focus_members_of_invariants() {
        let cases: [(&str, Option<&[&str]>); 10] = [
            ("contained.contained.empty()", Some(&["contained"])),
            (
                "contained.where(('#'+id in %resource.descendants().reference).not()).empty()",
                Some(&["contained"]),
            ),
            (
                "dataAbsentReason.empty() or value.empty()",
                Some(&["dataAbsentReason", "value"]),
            ),
            (
                "value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()",
                Some(&["component", "value"]),
            ),
            ("code.empty() or system = %ucum", Some(&["code", "system"])),
            // Inputs besides the focus's members.
            ("%resource.contained.empty()", None),
            ("children().count() > id.count()", None),
            ("Observation.value.exists()", None),
            // A per-item argument on an input that is not empty without data.
            ("('a' | b).where(%resource.x.exists())", None),
            ("$this.value.exists()", None),
        ];
        for (text, expected) in cases {
            let expected = expected.map(|names| names.iter().map(|n| n.to_string()).collect());
            assert_eq!(members(text), expected, "{text}");
        }
    }
}
