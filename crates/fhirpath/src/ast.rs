//! The syntax tree and the table of functions (name, arity).

use regex::Regex;

use crate::value::Item;

macro_rules! functions {
    ($($variant:ident = $name:literal, $min:literal, $max:literal;)*) => {
        /// A function known to the engine, resolved when the expression is parsed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Func { $($variant),* }

        impl Func {
            /// The function named `name` with its minimum and maximum argument counts.
            pub(crate) fn lookup(name: &str) -> Option<(Func, usize, usize)> {
                match name {
                    $($name => Some((Func::$variant, $min, $max)),)*
                    _ => None,
                }
            }
        }
    };
}

functions! {
    Empty = "empty", 0, 0;
    Exists = "exists", 0, 1;
    All = "all", 1, 1;
    AllTrue = "allTrue", 0, 0;
    AnyTrue = "anyTrue", 0, 0;
    AllFalse = "allFalse", 0, 0;
    AnyFalse = "anyFalse", 0, 0;
    SubsetOf = "subsetOf", 1, 1;
    SupersetOf = "supersetOf", 1, 1;
    Count = "count", 0, 0;
    Distinct = "distinct", 0, 0;
    IsDistinct = "isDistinct", 0, 0;
    Where = "where", 1, 1;
    Select = "select", 1, 1;
    Repeat = "repeat", 1, 1;
    OfType = "ofType", 1, 1;
    Is = "is", 1, 1;
    As = "as", 1, 1;
    Single = "single", 0, 0;
    First = "first", 0, 0;
    Last = "last", 0, 0;
    Tail = "tail", 0, 0;
    Skip = "skip", 1, 1;
    Take = "take", 1, 1;
    Intersect = "intersect", 1, 1;
    Exclude = "exclude", 1, 1;
    Union = "union", 1, 1;
    Combine = "combine", 1, 1;
    Iif = "iif", 2, 3;
    ToBoolean = "toBoolean", 0, 0;
    ConvertsToBoolean = "convertsToBoolean", 0, 0;
    ToInteger = "toInteger", 0, 0;
    ConvertsToInteger = "convertsToInteger", 0, 0;
    ToDecimal = "toDecimal", 0, 0;
    ConvertsToDecimal = "convertsToDecimal", 0, 0;
    ToStringFn = "toString", 0, 0;
    ConvertsToString = "convertsToString", 0, 0;
    ToDate = "toDate", 0, 0;
    ConvertsToDate = "convertsToDate", 0, 0;
    ToDateTime = "toDateTime", 0, 0;
    ConvertsToDateTime = "convertsToDateTime", 0, 0;
    ToTime = "toTime", 0, 0;
    ConvertsToTime = "convertsToTime", 0, 0;
    ToQuantity = "toQuantity", 0, 1;
    ConvertsToQuantity = "convertsToQuantity", 0, 1;
    IndexOf = "indexOf", 1, 1;
    Substring = "substring", 1, 2;
    StartsWith = "startsWith", 1, 1;
    EndsWith = "endsWith", 1, 1;
    Contains = "contains", 1, 1;
    Upper = "upper", 0, 0;
    Lower = "lower", 0, 0;
    Replace = "replace", 2, 2;
    Matches = "matches", 1, 1;
    MatchesFull = "matchesFull", 1, 1;
    ReplaceMatches = "replaceMatches", 2, 2;
    Length = "length", 0, 0;
    ToChars = "toChars", 0, 0;
    Trim = "trim", 0, 0;
    Encode = "encode", 1, 1;
    Decode = "decode", 1, 1;
    Escape = "escape", 1, 1;
    Unescape = "unescape", 1, 1;
    Sort = "sort", 0, 8;
    Split = "split", 1, 1;
    Join = "join", 0, 1;
    Children = "children", 0, 0;
    Descendants = "descendants", 0, 0;
    Trace = "trace", 1, 2;
    Now = "now", 0, 0;
    Today = "today", 0, 0;
    TimeOfDay = "timeOfDay", 0, 0;
    Abs = "abs", 0, 0;
    Ceiling = "ceiling", 0, 0;
    Exp = "exp", 0, 0;
    Floor = "floor", 0, 0;
    Ln = "ln", 0, 0;
    Log = "log", 1, 1;
    Power = "power", 1, 1;
    Round = "round", 0, 1;
    Sqrt = "sqrt", 0, 0;
    Truncate = "truncate", 0, 0;
    Not = "not", 0, 0;
    HasValue = "hasValue", 0, 0;
    HtmlChecks = "htmlChecks", 0, 0;
    HtmlChecksLower = "htmlchecks", 0, 0;
    ConformsTo = "conformsTo", 1, 1;
    MemberOf = "memberOf", 1, 1;
    GetValue = "getValue", 0, 0;
    Extension = "extension", 1, 1;
    Resolve = "resolve", 0, 0;
    Aggregate = "aggregate", 1, 2;
    LowBoundary = "lowBoundary", 0, 1;
    HighBoundary = "highBoundary", 0, 1;
    Precision = "precision", 0, 0;
    Comparable = "comparable", 1, 1;
    Type = "type", 0, 0;
}

impl Func {
    /// Whether the function evaluates its arguments on each input item (with that item as
    /// `$this`) or not at all, rather than once in the caller's context.
    pub(crate) fn is_per_item(self) -> bool {
        matches!(
            self,
            Func::Exists
                | Func::All
                | Func::Where
                | Func::Select
                | Func::Repeat
                | Func::Sort
                | Func::Trace
        )
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Mul,
    Div,
    IntDiv,
    Mod,
    Add,
    Sub,
    Concat,
    Union,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    Equiv,
    NotEquiv,
    In,
    Contains,
    And,
    Or,
    Xor,
    Implies,
}

/// A type specifier: `Quantity`, `FHIR.Quantity`, `System.String`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeSpec {
    pub namespace: Option<Box<str>>,
    pub name: Box<str>,
}

/// An expression node.
#[derive(Debug, Clone)]
pub(crate) enum Ast {
    /// `{}`.
    Empty,
    /// A literal value.
    Literal(Item<'static>),
    /// An identifier at the start of a path: a member of the focus, or its type name.
    Ident(Box<str>),
    /// `$this`.
    This,
    /// `$index`.
    Index,
    /// `$total`.
    Total,
    /// `%name`.
    Constant(Box<str>),
    /// `target.name`.
    Member(Box<Ast>, Box<str>),
    /// A function call, on a target or on the focus.
    Call {
        target: Option<Box<Ast>>,
        func: Func,
        args: Vec<Ast>,
        /// The compiled regular expression when the pattern argument is a literal.
        regex: Option<Box<Regex>>,
        /// The type argument of `ofType`, `is`, `as`.
        type_arg: Option<TypeSpec>,
    },
    /// `target[index]`.
    Indexer(Box<Ast>, Box<Ast>),
    /// `-operand`.
    Neg(Box<Ast>),
    /// `left op right`.
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// `operand is Type` (true) or `operand as Type` (false).
    TypeTest(bool, Box<Ast>, TypeSpec),
    /// A part of a per-item argument that does not depend on the item (`%resource.type =
    /// 'batch'` inside `entry.all(…)`): evaluated once per evaluation, then reused.
    Hoisted(Box<Ast>),
}
