//! The location of the value being walked, as a stack of segments; rendered to a FHIRPath
//! expression in the Java validator's style only when an issue or a rule needs it.

/// Appends `n` in decimal (rendering runs for every value with rules, so no `fmt`).
fn push_decimal(out: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(slot) = digits.get_mut(at) {
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    for &digit in digits.get(at..).unwrap_or(&[]) {
        out.push(char::from(digit));
    }
}

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

/// The depth a path is allocated for at once (resources rarely nest deeper).
const DEPTH: usize = 24;

impl<'a> Path<'a> {
    /// An empty path with room for [`DEPTH`] segments.
    pub fn new() -> Path<'a> {
        Path {
            segs: Vec::with_capacity(DEPTH),
        }
    }

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
                    out.push('[');
                    push_decimal(out, *i);
                    out.push(']');
                }
                Seg::Choice(name, type_code) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                    out.push_str(".ofType(");
                    out.push_str(type_code);
                    out.push(')');
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
