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
