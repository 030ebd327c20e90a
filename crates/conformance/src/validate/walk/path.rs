//! The location of the value being walked, as a stack of segments; rendered to a FHIRPath
//! expression in the Java validator's style only when an issue or a rule needs it.

use std::fmt::Write;

/// One step of a location.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    /// A member name (`name`), or the resource type at the root.
    Name(&'a str),
    /// An array index (`[2]`).
    Index(usize),
    /// A choice element with its type (`value.ofType(Quantity)`).
    Choice(&'a str, &'a str),
}

/// A stack of segments.
#[derive(Debug, Default)]
pub struct Path<'a> {
    segs: Vec<Seg<'a>>,
}

impl<'a> Path<'a> {
    /// Pushes a segment.
    pub fn push(&mut self, seg: Seg<'a>) {
        self.segs.push(seg);
    }

    /// Pops the last segment.
    pub fn pop(&mut self) {
        self.segs.pop();
    }

    /// The number of segments.
    pub fn len(&self) -> usize {
        self.segs.len()
    }

    /// Writes the expression into `out` (cleared first).
    pub fn render_into(&self, out: &mut String) {
        out.clear();
        for seg in &self.segs {
            match seg {
                Seg::Name(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Seg::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
                Seg::Choice(name, type_code) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    let _ = write!(out, "{name}.ofType({type_code})");
                }
            }
        }
    }

    /// The expression.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    /// The element path from segment `start` on, names only (`name.given`), for extension
    /// context checks.
    pub fn names_from(&self, start: usize) -> String {
        let mut out = String::new();
        for seg in self.segs.iter().skip(start) {
            let name = match seg {
                Seg::Name(name) => name,
                Seg::Choice(name, _) => name,
                Seg::Index(_) => continue,
            };
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(name);
        }
        out
    }
}
