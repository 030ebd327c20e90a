//! FHIRPath (<http://hl7.org/fhirpath/N1/>) over FHIR R4 resources held as `serde_json::Value`.
//!
//! Why a crate of its own: both the validator (`conformance`, for invariants) and the routing
//! rules (`routing`, for FHIRPath predicates) need FHIRPath, and routing must not depend on the
//! validator. This crate depends only on `fhir` (for the R4 type table).
//!
//! Main types:
//! - [`Expression`]: parsed once ([`Expression::parse`], a lexer and a Pratt parser, with the
//!   byte position of a syntax error), evaluated many times ([`Expression::evaluate`]). Functions
//!   are resolved and regular expressions with a literal pattern are compiled at parse time.
//! - [`Item`] and [`Collection`]: the result, a list of JSON nodes (with their FHIR type from
//!   [`fhir::r4_types::TypeTable::r4`], so `Observation.value is Quantity` and
//!   `Patient.birthDate is date` work, and a primitive's `_name` companion stays visible to
//!   `extension()`), or literals: Boolean, Integer, Decimal (`rust_decimal`), String,
//!   Date/DateTime/Time with partial precision ([`Temporal`]) and Quantity.
//! - [`Environment`]: `%` variables beyond the built-in `%resource`, `%rootResource`, `%context`,
//!   `%ucum`, `%sct`, `%loinc`, `%vs-*` and `%ext-*`.
//!
//! ```
//! let patient = serde_json::json!({"resourceType": "Patient", "name": [{"given": ["Ann"]}]});
//! let expression = fhirpath::Expression::parse("name.given.first() = 'Ann'").unwrap();
//! let env = fhirpath::Environment::default();
//! let result = expression.evaluate(&patient, &env).unwrap();
//! assert_eq!(result, vec![fhirpath::Item::Boolean(true)]);
//! ```
//!
//! Beyond N1, the FHIRPath 2.0 functions the R4 suite uses: `type()` (a [`TypeInfo`] with
//! `namespace` and `name`), `lowBoundary()`, `highBoundary()`, `precision()`, `comparable()`,
//! `sort()`, `encode()`/`decode()`, `escape()`/`unescape()`.
//!
//! Not for: terminology (`memberOf()` asks the caller's [`Terminology`] given in the
//! [`Scope`]; without one, or when it cannot tell, it returns [`EvalError::Unsupported`], which
//! the caller reports as "not checked") or profile validation (`conformsTo()` likewise, beyond
//! the base type definitions).
//!
//! Crates evaluated before writing this one (crates.io, 2026): `fhirpath` 0.1.0 (a 14-line
//! placeholder); `octofhir-fhirpath` 0.5.1 (async-only API, needs rust 1.98, pulls chumsky, an
//! LSP server and axum); `helios-fhirpath` 0.2.7 (synchronous, but over the generated
//! `helios-fhir` typed models, not serde_json, and pulls axum, clap and an HTTP server);
//! `rh-fhirpath` 0.3.0 (synchronous over serde_json and reports 99.8% on this suite, but it
//! depends on `rh-hl7-fhir-r4-core`, 264,000 lines of generated types, and its
//! `EvaluationContext` owns the resource and clones JSON subtrees at each navigation step).
//! None was both light to build and borrow-based, so the engine is written here.

mod ast;
mod boundary;
mod check;
mod convert;
mod eval;
mod functions;
mod hoist;
mod inputs;
mod lexer;
mod lookup;
mod math;
mod navigate;
mod ops;
mod parser;
mod temporal;
mod text;
mod types;
mod value;

use std::collections::HashMap;

use serde_json::Value;

pub use temporal::{Precision, Temporal, TemporalKind};
pub use value::{Collection, Item, Node, Quantity, TypeInfo};

/// A syntax error, with the byte offset in the expression where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("FHIRPath syntax error at offset {position}: {message}")]
pub struct ParseError {
    /// The byte offset in the expression text.
    pub position: usize,
    /// What was wrong.
    pub message: String,
}

/// An evaluation error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// An operand or argument has the wrong type.
    #[error("type error: {0}")]
    Type(String),
    /// A singleton was expected and the collection had more items.
    #[error("cardinality error: {0}")]
    Cardinality(String),
    /// A path step names no element of the node's type.
    #[error("{type_name} has no element {element}")]
    UnknownElement {
        /// The FHIR type navigated from.
        type_name: String,
        /// The element name asked for.
        element: String,
    },
    /// In strict mode ([`Environment::set_strict`]), an expression that cannot be right for the
    /// model: a choice element named with its type, a member the type named by `as`/`ofType`
    /// lacks, an order-dependent function on an unordered collection.
    #[error("semantic error: {0}")]
    Semantic(String),
    /// `%name` is neither built in nor in the [`Environment`].
    #[error("unknown variable %{0}")]
    UnknownVariable(String),
    /// A regular expression given at run time does not compile.
    #[error("bad regular expression: {0}")]
    Regex(String),
    /// A function this engine cannot evaluate offline (`memberOf`, `conformsTo`).
    #[error("not supported: {0}")]
    Unsupported(String),
}

/// Variables for `%name` beyond the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    variables: HashMap<String, Vec<Value>>,
    strict: bool,
}

impl Environment {
    /// Strict semantic checking (off by default): a path step that names no element of a
    /// node's FHIR type is [`EvalError::UnknownElement`] instead of empty, and the checks of
    /// [`EvalError::Semantic`] apply. Nodes of unknown type (such as JSON given through
    /// [`Environment::set`]) and `children()`/`descendants()` stay lenient.
    pub fn set_strict(&mut self, strict: bool) {
        self.strict = strict;
    }

    /// Sets `%name` to a collection of JSON values (a JSON string becomes a String).
    pub fn set(&mut self, name: impl Into<String>, values: Vec<Value>) {
        self.variables.insert(name.into(), values);
    }
}

/// Value set membership for `memberOf()`, supplied by the caller (the validator answers from
/// its loaded value sets), so that this crate knows no terminology itself.
pub trait Terminology {
    /// Whether `code` (in `system`, when given) is in the value set `value_set` (a canonical);
    /// `None` when it cannot tell (unknown value set, or one that needs a terminology server).
    fn member_of(&self, system: Option<&str>, code: &str, value_set: &str) -> Option<bool>;
}

/// Where an expression is evaluated: the resource, and optionally the enclosing Bundle (for
/// `resolve()` and `%rootResource`), an element inside the resource (for `%context` and the
/// focus) and the terminology `memberOf()` asks.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// The resource (`%resource`).
    pub resource: &'a Value,
    /// The containing resource, such as a Bundle (`%rootResource`, and where `resolve()` looks).
    pub root_resource: Option<&'a Value>,
    /// The focus (`%context`) when it is not the resource itself, with its FHIR type.
    pub context: Option<(&'a Value, Option<&'a str>)>,
    /// What `memberOf()` asks; without it `memberOf()` is [`EvalError::Unsupported`].
    pub terminology: Option<&'a dyn Terminology>,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("resource", &self.resource)
            .field("root_resource", &self.root_resource)
            .field("context", &self.context)
            .field("terminology", &self.terminology.is_some())
            .finish()
    }
}

/// The [`Expression::result_key`] of a value without any of the expression's members
/// (presence keys use at most 31 bits, so they never equal it).
pub const ALL_ABSENT: u32 = u32::MAX;

/// A parsed FHIRPath expression: parse once, evaluate many times.
#[derive(Debug, Clone)]
pub struct Expression {
    text: String,
    ast: ast::Ast,
    /// Semantic issues found at parse time, reported in strict mode.
    issues: Vec<String>,
    /// The focus members the expression reads, when they are all it reads.
    focus_members: Option<Vec<Box<str>>>,
    /// The focus members whose presence alone decides the result, when it reads nothing else.
    presence_members: Option<Vec<Box<str>>>,
}

impl Expression {
    /// Parses `text`; function names and argument counts are checked here.
    pub fn parse(text: &str) -> Result<Expression, ParseError> {
        let tokens = lexer::tokenize(text)?;
        let mut ast = parser::Parser::new(tokens).parse_all()?;
        let issues = check::semantic_issues(&ast);
        let focus_members = inputs::focus_members(&ast);
        let presence_members = inputs::presence_members(&ast);
        hoist::hoist(&mut ast);
        Ok(Expression {
            text: text.to_owned(),
            issues,
            focus_members,
            presence_members,
            ast,
        })
    }

    /// The expression text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The members of the focus at the start of the expression's paths, when they are all
    /// it reads of its input: on a focus that has none of them (nor their `_name` or choice
    /// forms), the result depends on the focus's type alone. `None` when it reads anything
    /// else (`%resource`, `$this`, `children()`, a type name…).
    pub fn focus_members(&self) -> Option<&[Box<str>]> {
        self.focus_members.as_deref()
    }

    /// The members of the focus the expression reads only through `name.exists()` and
    /// `name.empty()`, when it reads nothing else (`code.empty() or system.exists()`): its
    /// result depends on which of them are present and on the focus's type.
    pub fn presence_members(&self) -> Option<&[Box<str>]> {
        self.presence_members.as_deref()
    }

    /// Which of [`Expression::presence_members`] the object `value` (of type `type_name`)
    /// has, a bit per member in their order: two values with the same key and type give the
    /// same result. `None` when the expression is not presence-only or a member's presence
    /// is not plain (a `_name` companion, a null, an empty array or one with nulls, a choice
    /// member of a type the element does not allow, a type or member the R4 table does not
    /// have), so it must be evaluated.
    pub fn presence_key(&self, value: &Value, type_name: &str) -> Option<u32> {
        let members = self.presence_members.as_deref()?;
        let Value::Object(map) = value else {
            return None;
        };
        if members.len() > 31 {
            return None;
        }
        let mut key = 0;
        for (bit, name) in members.iter().enumerate() {
            if navigate::plain_presence(map, type_name, name)? {
                key |= 1 << bit;
            }
        }
        Some(key)
    }

    /// A key under which the result on `value` (of type `type_name`) can be remembered: two
    /// values of that type with the same key give the same result. The
    /// [`presence_key`](Expression::presence_key) for a presence-only expression, else
    /// [`ALL_ABSENT`] when `value` has none of the [`focus_members`](Expression::focus_members)
    /// in any form (`name`, `_name`, a choice `nameType`: any member starting with the name
    /// counts, which errs towards evaluating); `None` otherwise.
    pub fn result_key(&self, value: &Value, type_name: &str) -> Option<u32> {
        if let Some(key) = self.presence_key(value, type_name) {
            return Some(key);
        }
        let members = self.focus_members.as_deref()?;
        let Value::Object(object) = value else {
            return None;
        };
        let lacks_all = object.keys().all(|key| {
            let key = key.strip_prefix('_').unwrap_or(key);
            // The first byte first: most keys differ there, and it spares a `memcmp` call.
            !members.iter().any(|name| {
                key.as_bytes().first() == name.as_bytes().first() && key.starts_with(&**name)
            })
        });
        lacks_all.then_some(ALL_ABSENT)
    }

    /// Evaluates the expression on `resource` (also `%resource` and `%context`).
    pub fn evaluate<'a>(
        &'a self,
        resource: &'a Value,
        env: &'a Environment,
    ) -> Result<Collection<'a>, EvalError> {
        self.evaluate_in(
            Scope {
                resource,
                root_resource: None,
                context: None,
                terminology: None,
            },
            env,
        )
    }

    /// Evaluates the expression in a [`Scope`].
    pub fn evaluate_in<'a>(
        &'a self,
        scope: Scope<'a>,
        env: &'a Environment,
    ) -> Result<Collection<'a>, EvalError> {
        self.evaluate_with(scope, env, <[Item<'a>]>::to_vec)
    }

    /// As [`Expression::evaluate_in`], handing the result to `read` instead of returning
    /// it (no collection is allocated for it).
    pub fn evaluate_with<'a, R>(
        &'a self,
        scope: Scope<'a>,
        env: &'a Environment,
        read: impl FnOnce(&[Item<'a>]) -> R,
    ) -> Result<R, EvalError> {
        if env.strict
            && let Some(issue) = self.issues.first()
        {
            return Err(EvalError::Semantic(issue.clone()));
        }
        let context = match scope.context {
            Some((value, type_name)) => Item::node(value, type_name),
            None => Item::node(scope.resource, eval::resource_type(scope.resource)),
        };
        let ctx = eval::Ctx {
            root_resource: scope.root_resource,
            terminology: scope.terminology,
            resource: scope.resource,
            context: context.clone(),
            env,
            this: smallvec::smallvec![context],
            index: None,
            total: None,
            hoisted: &eval::Hoisted::default(),
        };
        eval::eval(&self.ast, &ctx).map(|items| read(&items))
    }

    /// Evaluates to a boolean the way invariants are read: `Some(true)`/`Some(false)` for a
    /// single Boolean (or a single other item, true), `None` for an empty result.
    pub fn evaluate_bool(
        &self,
        resource: &Value,
        env: &Environment,
    ) -> Result<Option<bool>, EvalError> {
        let result = self.evaluate(resource, env)?;
        eval::to_bool(&result)
    }
}
