//! A Pratt parser from tokens to [`Ast`].

use std::borrow::Cow;

use regex::Regex;

use crate::ParseError;
use crate::ast::{Ast, BinOp, Func, TypeSpec};
use crate::lexer::{Tok, Token};
use crate::temporal::{Temporal, calendar_unit};
use crate::value::{Item, Quantity, parse_decimal};

/// Binding power of postfix `.` and `[`.
const POSTFIX_BP: u8 = 12;
/// Binding power of unary `+`/`-`.
const UNARY_BP: u8 = 11;

/// The FHIRPath system types.
const SYSTEM_TYPES: [&str; 8] = [
    "Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time", "Quantity",
];

/// The maximum nesting of sub-expressions, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 200;

pub(crate) struct Parser {
    tokens: Vec<Token>,
    idx: usize,
    depth: usize,
}

/// Compiles a FHIRPath regular expression (single-line mode: `.` matches newlines).
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("(?s){pattern}"))
}

impl Parser {
    pub(crate) fn new(tokens: Vec<Token>) -> Parser {
        Parser {
            tokens,
            idx: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> &Tok {
        self.tokens.get(self.idx).map_or(&Tok::End, |t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.tokens.get(self.idx).map_or(0, |t| t.pos)
    }

    fn next(&mut self) -> Tok {
        let tok = self.peek().clone();
        self.idx += 1;
        tok
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            position: self.pos(),
            message: message.into(),
        })
    }

    fn expect(&mut self, symbol: &str) -> Result<(), ParseError> {
        if *self.peek() == Tok::Sym(symbol_static(symbol)) {
            self.idx += 1;
            Ok(())
        } else {
            self.error(format!(
                "expected `{symbol}`, found {}",
                describe(self.peek())
            ))
        }
    }

    /// Parses a whole expression: everything must be consumed.
    pub(crate) fn parse_all(&mut self) -> Result<Ast, ParseError> {
        let ast = self.parse_expr(0)?;
        if *self.peek() != Tok::End {
            return self.error(format!("unexpected {}", describe(self.peek())));
        }
        Ok(ast)
    }

    fn infix(&self) -> Option<(BinOp, u8)> {
        let op = match self.peek() {
            Tok::Sym(s) => match *s {
                "*" => (BinOp::Mul, 10),
                "/" => (BinOp::Div, 10),
                "+" => (BinOp::Add, 9),
                "-" => (BinOp::Sub, 9),
                "&" => (BinOp::Concat, 9),
                "|" => (BinOp::Union, 7),
                "<" => (BinOp::Lt, 6),
                ">" => (BinOp::Gt, 6),
                "<=" => (BinOp::Le, 6),
                ">=" => (BinOp::Ge, 6),
                "=" => (BinOp::Eq, 5),
                "!=" => (BinOp::Ne, 5),
                "~" => (BinOp::Equiv, 5),
                "!~" => (BinOp::NotEquiv, 5),
                _ => return None,
            },
            Tok::Ident(word) => match word.as_str() {
                "div" => (BinOp::IntDiv, 10),
                "mod" => (BinOp::Mod, 10),
                "in" => (BinOp::In, 4),
                "contains" => (BinOp::Contains, 4),
                "and" => (BinOp::And, 3),
                "or" => (BinOp::Or, 2),
                "xor" => (BinOp::Xor, 2),
                "implies" => (BinOp::Implies, 1),
                _ => return None,
            },
            _ => return None,
        };
        Some(op)
    }

    fn parse_expr(&mut self, min_bp: u8) -> Result<Ast, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error("expression nested too deeply");
        }
        let mut lhs = self.parse_prefix()?;
        loop {
            match self.peek() {
                Tok::Sym(".") => {
                    self.idx += 1;
                    let name = match self.next() {
                        Tok::Ident(name) | Tok::Delimited(name) => name,
                        other => {
                            self.idx -= 1;
                            return self.error(format!(
                                "expected a name after `.`, found {}",
                                describe(&other)
                            ));
                        }
                    };
                    if *self.peek() == Tok::Sym("(") {
                        lhs = self.parse_call(Some(lhs), &name)?;
                    } else {
                        lhs = Ast::Member(Box::new(lhs), name.into());
                    }
                    continue;
                }
                Tok::Sym("[") => {
                    self.idx += 1;
                    let index = self.parse_expr(0)?;
                    self.expect("]")?;
                    lhs = Ast::Indexer(Box::new(lhs), Box::new(index));
                    continue;
                }
                Tok::Ident(word) if word == "is" || word == "as" => {
                    if 8 < min_bp {
                        break;
                    }
                    let is = word == "is";
                    self.idx += 1;
                    let spec = self.parse_type_spec()?;
                    lhs = Ast::TypeTest(is, Box::new(lhs), spec);
                    continue;
                }
                _ => {}
            }
            let Some((op, bp)) = self.infix() else {
                break;
            };
            if bp < min_bp {
                break;
            }
            self.idx += 1;
            let rhs = self.parse_expr(bp + 1)?;
            lhs = Ast::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    /// Parses a type specifier and checks that the type exists.
    fn parse_type_spec(&mut self) -> Result<TypeSpec, ParseError> {
        let position = self.pos();
        let spec = self.parse_type_name()?;
        let system = SYSTEM_TYPES.contains(&&*spec.name);
        let fhir = fhir::r4_types::TypeTable::r4()
            .type_def(&spec.name)
            .is_some()
            || fhir::r4_types::TypeTable::is_primitive(&spec.name);
        let known = match spec.namespace.as_deref() {
            // A model type asked for in the wrong namespace is known, and matches nothing.
            Some("System") => system || fhir,
            Some("FHIR") => fhir,
            Some(_) => false,
            None => system || fhir,
        };
        if known {
            Ok(spec)
        } else {
            Err(ParseError {
                position,
                message: format!("unknown type {}", spec.name),
            })
        }
    }

    fn parse_type_name(&mut self) -> Result<TypeSpec, ParseError> {
        let first = match self.next() {
            Tok::Ident(name) | Tok::Delimited(name) => name,
            other => {
                self.idx -= 1;
                return self.error(format!("expected a type name, found {}", describe(&other)));
            }
        };
        if *self.peek() == Tok::Sym(".")
            && matches!(
                self.tokens.get(self.idx + 1).map(|t| &t.tok),
                Some(Tok::Ident(_) | Tok::Delimited(_))
            )
        {
            self.idx += 1;
            if let Tok::Ident(name) | Tok::Delimited(name) = self.next() {
                return Ok(TypeSpec {
                    namespace: Some(first.into()),
                    name: name.into(),
                });
            }
        }
        Ok(TypeSpec {
            namespace: None,
            name: first.into(),
        })
    }

    fn parse_prefix(&mut self) -> Result<Ast, ParseError> {
        let start = self.pos();
        let tok = self.next();
        let ast = match tok {
            Tok::Number(text) => {
                let unit = match self.peek() {
                    Tok::Str(unit) => Some(unit.clone()),
                    Tok::Ident(word) => calendar_unit(word).and(Some(word.clone())),
                    _ => None,
                };
                if let Some(unit) = unit {
                    self.idx += 1;
                    let value = parse_decimal(&text).ok_or(ParseError {
                        position: start,
                        message: "bad number".to_owned(),
                    })?;
                    let unit = match unit.strip_suffix('s') {
                        Some(singular) if calendar_unit(&unit).is_some() && unit.len() > 3 => {
                            singular.to_owned()
                        }
                        _ => unit,
                    };
                    Ast::Literal(Item::Quantity(Quantity { value, unit }))
                } else if text.contains('.') {
                    match parse_decimal(&text) {
                        Some(d) => Ast::Literal(Item::Decimal(d)),
                        None => return self.error("bad decimal"),
                    }
                } else {
                    match text.parse::<i64>() {
                        Ok(i) => Ast::Literal(Item::Integer(i)),
                        Err(_) => return self.error("integer out of range"),
                    }
                }
            }
            Tok::Str(s) => Ast::Literal(Item::String(Cow::Owned(s))),
            Tok::Temporal(text) => match Temporal::parse_literal(&text) {
                Some(t) => Ast::Literal(Item::Temporal(t)),
                None => {
                    return Err(ParseError {
                        position: start,
                        message: format!("bad date/time literal @{text}"),
                    });
                }
            },
            Tok::Ident(word) if word == "true" => Ast::Literal(Item::Boolean(true)),
            Tok::Ident(word) if word == "false" => Ast::Literal(Item::Boolean(false)),
            Tok::Ident(name) | Tok::Delimited(name) => {
                if *self.peek() == Tok::Sym("(") {
                    self.parse_call(None, &name)?
                } else {
                    Ast::Ident(name.into())
                }
            }
            Tok::Constant(name) => Ast::Constant(name.into()),
            Tok::Special(name) => match name.as_str() {
                "$this" => Ast::This,
                "$index" => Ast::Index,
                "$total" => Ast::Total,
                _ => {
                    return Err(ParseError {
                        position: start,
                        message: format!("unknown special variable {name}"),
                    });
                }
            },
            Tok::Sym("(") => {
                let inner = self.parse_expr(0)?;
                self.expect(")")?;
                inner
            }
            Tok::Sym("{") => {
                self.expect("}")?;
                Ast::Empty
            }
            Tok::Sym("-") => {
                let operand = self.parse_expr(UNARY_BP)?;
                match operand {
                    Ast::Literal(Item::Integer(i)) => Ast::Literal(Item::Integer(-i)),
                    Ast::Literal(Item::Decimal(d)) => Ast::Literal(Item::Decimal(-d)),
                    other => Ast::Neg(Box::new(other)),
                }
            }
            Tok::Sym("+") => self.parse_expr(UNARY_BP)?,
            other => {
                self.idx -= 1;
                return self.error(format!("unexpected {}", describe(&other)));
            }
        };
        let _ = POSTFIX_BP;
        Ok(ast)
    }

    fn parse_call(&mut self, target: Option<Ast>, name: &str) -> Result<Ast, ParseError> {
        let position = self.pos();
        self.expect("(")?;
        let Some((func, min, max)) = Func::lookup(name) else {
            return Err(ParseError {
                position,
                message: format!("unknown function {name}()"),
            });
        };
        let mut args = Vec::new();
        let mut type_arg = None;
        if *self.peek() != Tok::Sym(")") {
            loop {
                if matches!(func, Func::OfType | Func::Is | Func::As)
                    && args.is_empty()
                    && type_arg.is_none()
                {
                    type_arg = Some(self.parse_type_spec()?);
                } else {
                    args.push(self.parse_expr(0)?);
                }
                if *self.peek() == Tok::Sym(",") {
                    self.idx += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(")")?;
        let n_args = args.len() + usize::from(type_arg.is_some());
        if n_args < min || n_args > max {
            return Err(ParseError {
                position,
                message: format!("{name}() takes {min} to {max} arguments, got {n_args}"),
            });
        }
        let regex = match (func, args.first()) {
            (
                Func::Matches | Func::ReplaceMatches | Func::MatchesFull,
                Some(Ast::Literal(Item::String(pattern))),
            ) => {
                let anchored;
                let pattern = if func == Func::MatchesFull {
                    anchored = format!("^(?:{pattern})$");
                    &anchored
                } else {
                    pattern.as_ref()
                };
                match compile_regex(pattern) {
                    Ok(regex) => Some(Box::new(regex)),
                    Err(e) => {
                        return Err(ParseError {
                            position,
                            message: format!("bad regular expression: {e}"),
                        });
                    }
                }
            }
            _ => None,
        };
        Ok(Ast::Call {
            target: target.map(Box::new),
            func,
            args,
            regex,
            type_arg,
        })
    }
}

fn symbol_static(symbol: &str) -> &'static str {
    match symbol {
        "(" => "(",
        ")" => ")",
        "]" => "]",
        "}" => "}",
        _ => "",
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::End => "end of expression".to_owned(),
        Tok::Sym(s) => format!("`{s}`"),
        Tok::Ident(s) | Tok::Delimited(s) => format!("`{s}`"),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Number(s) => s.clone(),
        Tok::Temporal(s) => format!("@{s}"),
        Tok::Constant(s) => format!("%{s}"),
        Tok::Special(s) => s.clone(),
    }
}
