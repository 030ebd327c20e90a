//! Units as written by senders to UCUM codes.
//!
//! The rule: only units this module knows are marked as UCUM. [`ucum_unit`] answers in order:
//! 1. a known non-canonical spelling (`mmHg`, `beats/min`, `K/uL`, `lbs`, `F`) is rewritten to
//!    its UCUM code, even when the spelling happens to be valid UCUM with another meaning (`F` is
//!    the farad and `C` the coulomb in UCUM, but in a v2 vital sign they are temperatures);
//! 2. a text that parses as UCUM built from the atoms listed here (the units of clinical labs and
//!    vital signs, with metric prefixes, exponents, `.` and `/`, factors such as `10*3`, and
//!    `{annotations}`) passes through unchanged;
//! 3. a known spelling in another letter case (`MG/DL`) is rewritten.
//!
//! Anything else gives `None`: the translator keeps it as `Quantity.unit` text without a
//! `system`, so that no unit is ever claimed to be UCUM when it might not be.

/// Non-canonical spellings and their UCUM codes. Case-sensitive here; matched ignoring ASCII
/// case only after the UCUM parse fails.
const REWRITES: &[(&str, &str)] = &[
    // Rates.
    ("beats/min", "/min"),
    ("beat/min", "/min"),
    ("bpm", "/min"),
    ("breaths/min", "/min"),
    ("breath/min", "/min"),
    ("resp/min", "/min"),
    ("per min", "/min"),
    // Pressure.
    ("mmHg", "mm[Hg]"),
    ("mm Hg", "mm[Hg]"),
    ("cmH2O", "cm[H2O]"),
    ("cm H2O", "cm[H2O]"),
    // Mass, length, temperature.
    ("lbs", "[lb_av]"),
    ("lb", "[lb_av]"),
    ("oz", "[oz_av]"),
    ("in", "[in_i]"),
    ("inch", "[in_i]"),
    ("inches", "[in_i]"),
    ("ft", "[ft_i]"),
    ("degF", "[degF]"),
    ("deg F", "[degF]"),
    ("°F", "[degF]"),
    ("F", "[degF]"),
    ("degC", "Cel"),
    ("deg C", "Cel"),
    ("°C", "Cel"),
    ("C", "Cel"),
    ("kgs", "kg"),
    ("gm", "g"),
    ("gms", "g"),
    ("grams", "g"),
    ("cc", "mL"),
    ("ml", "mL"),
    ("dl", "dL"),
    ("l", "L"),
    // Time.
    ("sec", "s"),
    ("secs", "s"),
    ("hr", "h"),
    ("hrs", "h"),
    ("hours", "h"),
    ("days", "d"),
    ("wks", "wk"),
    ("yrs", "a"),
    ("years", "a"),
    // Lab concentrations.
    ("mg/dl", "mg/dL"),
    ("g/dl", "g/dL"),
    ("ug/dl", "ug/dL"),
    ("mmol/l", "mmol/L"),
    ("mEq/L", "meq/L"),
    ("mEq/l", "meq/L"),
    ("IU/L", "[IU]/L"),
    ("IU/mL", "[IU]/mL"),
    ("mIU/mL", "m[IU]/mL"),
    ("uIU/mL", "u[IU]/mL"),
    ("mcg", "ug"),
    ("mcg/dL", "ug/dL"),
    ("mcg/mL", "ug/mL"),
    ("mcg/L", "ug/L"),
    ("µg/dL", "ug/dL"),
    ("µL", "uL"),
    ("fl", "fL"),
    ("K/uL", "10*3/uL"),
    ("K/mm3", "10*3/uL"),
    ("K/cumm", "10*3/uL"),
    ("x10(3)/uL", "10*3/uL"),
    ("x10E3/uL", "10*3/uL"),
    ("10^3/uL", "10*3/uL"),
    ("thou/uL", "10*3/uL"),
    ("M/uL", "10*6/uL"),
    ("M/mm3", "10*6/uL"),
    ("x10(6)/uL", "10*6/uL"),
    ("x10E6/uL", "10*6/uL"),
    ("10^6/uL", "10*6/uL"),
    ("mil/uL", "10*6/uL"),
    ("mL/min/1.73m2", "mL/min/{1.73_m2}"),
    ("mL/min/1.73 m2", "mL/min/{1.73_m2}"),
    ("mL/min/1.73m^2", "mL/min/{1.73_m2}"),
    ("ml/min/1.73m2", "mL/min/{1.73_m2}"),
    ("kg/m^2", "kg/m2"),
    ("percent", "%"),
];

/// Metric UCUM atoms (they take a prefix), clinical subset.
const METRIC_ATOMS: &[&str] = &[
    "g", "L", "l", "m", "s", "mol", "eq", "osm", "U", "kat", "Pa", "bar", "J", "cal", "W", "V",
    "A", "Ohm", "Hz", "K", "Bq", "Gy", "Sv", "[iU]", "[IU]", "m[Hg]", "m[H2O]",
];

/// Non-metric UCUM atoms (no prefix), clinical subset.
const OTHER_ATOMS: &[&str] = &[
    "%", "min", "h", "d", "wk", "mo", "a", "Cel", "[degF]", "[lb_av]", "[oz_av]", "[in_i]",
    "[ft_i]", "[ppm]", "[ppb]", "[pH]", "[drp]", "[HPF]", "[LPF]", "[arb'U]", "[USP'U]",
    "[tsp_us]", "[tbs_us]", "[foz_us]", "[pt_us]", "[gal_us]", "deg", "10*", "10^",
];

/// UCUM prefixes, longest first so that `da` wins over `d`.
const PREFIXES: &[&str] = &[
    "da", "Y", "Z", "E", "P", "T", "G", "M", "k", "h", "d", "c", "m", "u", "n", "p", "f", "a", "z",
    "y",
];

/// The UCUM code for a unit as written, and whether it was rewritten.
///
/// See the module documentation for the rule. Surrounding spaces are ignored; an empty text
/// gives `None`.
pub fn ucum_unit(unit_text: &str) -> Option<(&str, bool)> {
    let text = unit_text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(&(_, code)) = REWRITES.iter().find(|(from, _)| *from == text) {
        return Some((code, true));
    }
    if is_known_ucum(text) {
        return Some((text, text.len() != unit_text.len()));
    }
    REWRITES
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(text))
        .map(|&(_, code)| (code, true))
}

/// Whether `text` is a UCUM term made only of the atoms listed in this module.
fn is_known_ucum(text: &str) -> bool {
    let mut parser = Parser { rest: text };
    // A term may start with `/` (`/min`).
    if parser.eat('/') && parser.rest.is_empty() {
        return false;
    }
    parser.term() && parser.rest.is_empty()
}

/// A recursive-descent parser over the rest of the input.
struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    /// term := component (('.' | '/') component)*
    fn term(&mut self) -> bool {
        if !self.component() {
            return false;
        }
        while self.eat('.') || self.eat('/') {
            if !self.component() {
                return false;
            }
        }
        true
    }

    /// component := annotation | '(' term ')' annotation? | factor | simple-unit annotation?
    fn component(&mut self) -> bool {
        if self.rest.starts_with('{') {
            return self.annotation();
        }
        let ok = if self.eat('(') {
            self.term() && self.eat(')')
        } else {
            self.simple_unit()
        };
        ok && (!self.rest.starts_with('{') || self.annotation())
    }

    /// annotation := '{' printable ASCII except braces '}'
    fn annotation(&mut self) -> bool {
        let Some(body) = self.rest.strip_prefix('{') else {
            return false;
        };
        let Some(end) = body.find('}') else {
            return false;
        };
        let (inside, after) = body.split_at(end);
        if !inside
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'{')
        {
            return false;
        }
        self.rest = after.get(1..).unwrap_or("");
        true
    }

    /// A factor (`1000`), or an atom with an optional prefix and exponent (`mm[Hg]`, `m2`, `s-1`,
    /// `10*3`).
    fn simple_unit(&mut self) -> bool {
        let end = symbol_end(self.rest);
        let (symbol, rest) = self.rest.split_at(end);
        if symbol.is_empty() {
            return false;
        }
        self.rest = rest;
        if symbol.bytes().all(|b| b.is_ascii_digit()) {
            return true;
        }
        let body = strip_exponent(symbol);
        is_atom(body)
    }
}

/// Where the symbol at the start of `text` ends: at `.`, `/`, `(`, `)` or `{` outside brackets.
fn symbol_end(text: &str) -> usize {
    let mut depth = 0usize;
    for (idx, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' | '/' | '(' | ')' | '{' if depth == 0 => return idx,
            _ => {}
        }
    }
    text.len()
}

/// The symbol without its trailing exponent (`m2` → `m`, `s-1` → `s`, `10*3` → `10*`).
fn strip_exponent(symbol: &str) -> &str {
    let without_digits = symbol.trim_end_matches(|c: char| c.is_ascii_digit());
    if without_digits.len() == symbol.len() || without_digits.is_empty() {
        return symbol;
    }
    without_digits
        .strip_suffix(['+', '-'])
        .filter(|body| !body.is_empty())
        .unwrap_or(without_digits)
}

/// Whether `body` is a known atom, or a prefix followed by a known metric atom.
fn is_atom(body: &str) -> bool {
    if OTHER_ATOMS.contains(&body) || METRIC_ATOMS.contains(&body) {
        return true;
    }
    PREFIXES.iter().any(|prefix| {
        body.strip_prefix(prefix)
            .is_some_and(|atom| METRIC_ATOMS.contains(&atom))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[(&str, Option<(&str, bool)>)]) {
        for &(input, expected) in cases {
            assert_eq!(ucum_unit(input), expected, "ucum_unit({input:?})");
        }
    }

    #[test]
    fn rewrites_known_spellings() {
        check(&[
            ("beats/min", Some(("/min", true))),
            ("bpm", Some(("/min", true))),
            ("mmHg", Some(("mm[Hg]", true))),
            ("lbs", Some(("[lb_av]", true))),
            ("lb", Some(("[lb_av]", true))),
            ("in", Some(("[in_i]", true))),
            ("degF", Some(("[degF]", true))),
            ("F", Some(("[degF]", true))),
            ("C", Some(("Cel", true))),
            ("degC", Some(("Cel", true))),
            ("K/uL", Some(("10*3/uL", true))),
            ("x10E3/uL", Some(("10*3/uL", true))),
            ("M/uL", Some(("10*6/uL", true))),
            ("mEq/L", Some(("meq/L", true))),
            ("IU/L", Some(("[IU]/L", true))),
            ("mL/min/1.73m2", Some(("mL/min/{1.73_m2}", true))),
            ("MG/DL", Some(("mg/dL", true))),
            ("MMHG", Some(("mm[Hg]", true))),
            ("mcg/mL", Some(("ug/mL", true))),
            ("°F", Some(("[degF]", true))),
            ("  mmHg ", Some(("mm[Hg]", true))),
        ]);
    }

    #[test]
    fn passes_valid_ucum_through() {
        check(&[
            ("kg", Some(("kg", false))),
            ("%", Some(("%", false))),
            ("mg/dL", Some(("mg/dL", false))),
            ("mmol/L", Some(("mmol/L", false))),
            ("10*3/uL", Some(("10*3/uL", false))),
            ("10*6/uL", Some(("10*6/uL", false))),
            ("g/dL", Some(("g/dL", false))),
            ("fL", Some(("fL", false))),
            ("pg", Some(("pg", false))),
            ("mL/min/{1.73_m2}", Some(("mL/min/{1.73_m2}", false))),
            ("/min", Some(("/min", false))),
            ("mm[Hg]", Some(("mm[Hg]", false))),
            ("cm[H2O]", Some(("cm[H2O]", false))),
            ("[lb_av]", Some(("[lb_av]", false))),
            ("Cel", Some(("Cel", false))),
            ("kg/m2", Some(("kg/m2", false))),
            ("m2", Some(("m2", false))),
            ("s-1", Some(("s-1", false))),
            ("U/L", Some(("U/L", false))),
            ("[IU]/L", Some(("[IU]/L", false))),
            ("ng/mL", Some(("ng/mL", false))),
            ("dag", Some(("dag", false))),
            ("{cells}/uL", Some(("{cells}/uL", false))),
            ("mL{total}", Some(("mL{total}", false))),
            ("(mg/dL)/h", Some(("(mg/dL)/h", false))),
            ("g.m", Some(("g.m", false))),
            ("1", Some(("1", false))),
            // Trimmed text is a rewrite: the caller's text changed.
            (" kg", Some(("kg", true))),
        ]);
    }

    #[test]
    fn leaves_unknown_units_alone() {
        check(&[
            ("", None),
            ("   ", None),
            ("cells", None),
            ("ratio", None),
            ("mg/", None),
            ("/", None),
            ("mg//dL", None),
            ("{unclosed", None),
            ("(mg", None),
            ("xyz/L", None),
            ("mm[Hg", None),
            ("-1", None),
            ("Hg", None),
        ]);
    }
}
