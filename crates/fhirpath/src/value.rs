//! Collection items: JSON nodes with their FHIR type, and system literals.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::temporal::{Temporal, TemporalKind, calendar_unit};

/// A FHIRPath collection: the result of every expression.
pub type Collection<'a> = Vec<Item<'a>>;

/// The evaluator's collections: most hold one item, kept inline without an allocation.
pub(crate) type Items<'a> = smallvec::SmallVec<[Item<'a>; 1]>;

/// A node of the resource tree, with its FHIR type where known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node<'a> {
    /// The JSON value; `None` for a primitive that has only its `_name` companion.
    pub value: Option<&'a Value>,
    /// The `_name` companion of a primitive (its `id` and `extension`).
    pub companion: Option<&'a Value>,
    /// The FHIR type (`Patient`, `HumanName`, `Patient.contact`, `date`), when known.
    pub type_name: Option<&'a str>,
}

/// A quantity: a decimal value and a unit (UCUM code or calendar keyword).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// The value.
    pub value: Decimal,
    /// The unit: a UCUM code (`mg`, `'1'`) or a calendar keyword (`year`, singular).
    pub unit: String,
}

/// A type, the result of `type()`: `System.Integer`, `FHIR.Patient`, `FHIR.boolean`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInfo<'a> {
    /// `System` or `FHIR`.
    pub namespace: &'static str,
    /// The type name within the namespace.
    pub name: Cow<'a, str>,
}

/// One item of a collection.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    /// A node of the evaluated resource (or of an environment variable).
    Node(Node<'a>),
    /// `System.Boolean`.
    Boolean(bool),
    /// `System.Integer`.
    Integer(i64),
    /// `System.Decimal`.
    Decimal(Decimal),
    /// `System.String`.
    String(Cow<'a, str>),
    /// `System.Date`, `System.DateTime` or `System.Time`.
    Temporal(Temporal),
    /// `System.Quantity`.
    Quantity(Quantity),
    /// A type, from `type()`; its `namespace` and `name` are navigable.
    Type(TypeInfo<'a>),
}

impl<'a> Item<'a> {
    /// A node item.
    pub fn node(value: &'a Value, type_name: Option<&'a str>) -> Item<'a> {
        Item::Node(Node {
            value: Some(value),
            companion: None,
            type_name,
        })
    }

    /// The FHIR type name of a node, or the system type name of a literal.
    pub fn type_name(&self) -> (&'static str, Cow<'a, str>) {
        match self {
            Item::Node(node) => match node.type_name {
                Some(name) => ("FHIR", Cow::Borrowed(name)),
                None => ("FHIR", Cow::Borrowed("")),
            },
            Item::Boolean(_) => ("System", Cow::Borrowed("Boolean")),
            Item::Integer(_) => ("System", Cow::Borrowed("Integer")),
            Item::Decimal(_) => ("System", Cow::Borrowed("Decimal")),
            Item::String(_) => ("System", Cow::Borrowed("String")),
            Item::Quantity(_) => ("System", Cow::Borrowed("Quantity")),
            Item::Type(_) => ("System", Cow::Borrowed("TypeInfo")),
            Item::Temporal(t) => (
                "System",
                Cow::Borrowed(match t.kind {
                    TemporalKind::Date => "Date",
                    TemporalKind::DateTime => "DateTime",
                    TemporalKind::Time => "Time",
                }),
            ),
        }
    }

    /// A copy that borrows a String's text from `self` instead of copying it (literals of
    /// the syntax tree, evaluated many times).
    pub(crate) fn borrowed(&self) -> Item<'_> {
        match self {
            Item::String(text) => Item::String(Cow::Borrowed(text)),
            other => other.clone(),
        }
    }

    /// The item read as a condition: a Boolean (or a FHIR `boolean` node) is its value,
    /// anything else is true. The same as `to_system()` then matching `Boolean`, without
    /// converting the item.
    pub fn truth(&self) -> bool {
        match self {
            Item::Boolean(b)
            | Item::Node(Node {
                value: Some(Value::Bool(b)),
                ..
            }) => *b,
            _ => true,
        }
    }

    /// The system value of an item: a FHIR primitive node becomes its literal (a `date` a
    /// Date, a `Quantity` node a Quantity); other nodes and literals are returned as they are.
    pub fn to_system(&self) -> Item<'a> {
        let Item::Node(node) = self else {
            return self.clone();
        };
        let Some(value) = node.value else {
            return self.clone();
        };
        let type_name = node.type_name.unwrap_or("");
        match value {
            Value::Bool(b) => Item::Boolean(*b),
            Value::Number(n) => {
                let text = n.to_string();
                if matches!(type_name, "integer" | "positiveInt" | "unsignedInt")
                    || (type_name.is_empty() && !text.contains(['.', 'e', 'E']))
                {
                    text.parse().map(Item::Integer).unwrap_or_else(|_| {
                        parse_decimal(&text).map_or(Item::Boolean(false), Item::Decimal)
                    })
                } else {
                    parse_decimal(&text).map_or_else(|| self.clone(), Item::Decimal)
                }
            }
            Value::String(s) => {
                let temporal = match type_name {
                    "date" => Temporal::parse_date(s),
                    "dateTime" | "instant" => Temporal::parse_date_time(s),
                    "time" => Temporal::parse_time(s),
                    _ => None,
                };
                match temporal {
                    Some(t) => Item::Temporal(t),
                    None => Item::String(Cow::Borrowed(s.as_str())),
                }
            }
            Value::Object(map)
                if matches!(
                    type_name,
                    "Quantity"
                        | "Age"
                        | "Duration"
                        | "Distance"
                        | "Count"
                        | "SimpleQuantity"
                        | "MoneyQuantity"
                ) =>
            {
                let number = map.get("value").map(|v| v.to_string());
                let unit = map
                    .get("code")
                    .or_else(|| map.get("unit"))
                    .and_then(Value::as_str)
                    .unwrap_or("1");
                match number.as_deref().and_then(parse_decimal) {
                    Some(value) => Item::Quantity(Quantity {
                        value,
                        unit: unit.to_owned(),
                    }),
                    None => self.clone(),
                }
            }
            _ => self.clone(),
        }
    }

    /// As [`Item::to_system`], without copying an item that is already a system value.
    pub(crate) fn system(&self) -> Cow<'_, Item<'a>> {
        match self {
            Item::Node(_) => Cow::Owned(self.to_system()),
            _ => Cow::Borrowed(self),
        }
    }

    /// True for a node holding a JSON object (a complex type or resource).
    pub fn is_complex(&self) -> bool {
        matches!(
            self,
            Item::Node(Node {
                value: Some(Value::Object(_)),
                ..
            })
        )
    }

    /// The JSON rendering of an item (literals as FHIR JSON values, quantities as objects).
    pub fn to_json(&self) -> Value {
        match self.to_system() {
            Item::Node(node) => node.value.cloned().unwrap_or(Value::Null),
            Item::Boolean(b) => Value::Bool(b),
            Item::Integer(i) => Value::from(i),
            Item::Decimal(d) => {
                serde_json::from_str(&d.to_string()).unwrap_or(Value::String(d.to_string()))
            }
            Item::String(s) => Value::String(s.into_owned()),
            Item::Temporal(t) => Value::String(t.to_string()),
            Item::Quantity(q) => {
                let value = serde_json::from_str(&q.value.to_string()).unwrap_or(Value::Null);
                serde_json::json!({"value": value, "unit": q.unit})
            }
            Item::Type(t) => serde_json::json!({"namespace": t.namespace, "name": t.name}),
        }
    }
}

/// Parses decimal text, including exponent forms.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

impl fmt::Display for Item<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Node(node) => match node.value {
                Some(Value::String(s)) => f.write_str(s),
                Some(other) => write!(f, "{other}"),
                None => Ok(()),
            },
            Item::Boolean(b) => write!(f, "{b}"),
            Item::Integer(i) => write!(f, "{i}"),
            Item::Decimal(d) => write!(f, "{d}"),
            Item::String(s) => f.write_str(s),
            Item::Temporal(t) => write!(f, "{t}"),
            Item::Type(t) => write!(f, "{}.{}", t.namespace, t.name),
            Item::Quantity(q) => {
                if calendar_unit(&q.unit).is_some() && q.unit.len() > 3 {
                    write!(f, "{} {}", q.value, q.unit)
                } else {
                    write!(f, "{} '{}'", q.value, q.unit)
                }
            }
        }
    }
}

/// A UCUM unit reduced to a factor of its base unit and the base unit's name.
pub(crate) fn ucum_base(unit: &str) -> Option<(Decimal, &'static str)> {
    // Areas and volumes: `cm2` is 0.0001 `m2`.
    for (power, suffix) in [(2, '2'), (3, '3')] {
        if let Some(base_unit) = unit.strip_suffix(suffix)
            && let Some((factor, base)) = ucum_base(base_unit)
        {
            let name = match (base, power) {
                ("m", 2) => "m2",
                ("m", _) => "m3",
                _ => return None,
            };
            let mut scaled = factor;
            for _ in 1..power {
                scaled = scaled.checked_mul(factor)?;
            }
            return Some((scaled, name));
        }
    }
    let time = |ms: i64| Some((Decimal::from(ms), "ms"));
    match unit {
        "ms" | "millisecond" => return time(1),
        "s" | "second" => return time(1000),
        "min" | "minute" => return time(60_000),
        "h" | "hour" => return time(3_600_000),
        "d" | "day" => return time(86_400_000),
        "wk" | "week" => return time(604_800_000),
        "1" => return Some((Decimal::ONE, "1")),
        "%" => return Some((Decimal::new(1, 2), "1")),
        "[in_i]" => return Some((Decimal::new(254, 4), "m")),
        "[lb_av]" => return Some((Decimal::new(45_359_237, 5), "g")),
        "kg" => return Some((Decimal::from(1000), "g")),
        _ => {}
    }
    for base in ["g", "m", "L", "l", "mol", "eq"] {
        if let Some(prefix) = unit.strip_suffix(base) {
            let scale: i64 = match prefix {
                "" => 0,
                "k" => 3,
                "d" => -1,
                "c" => -2,
                "m" => -3,
                "u" => -6,
                "n" => -9,
                "p" => -12,
                _ => continue,
            };
            let factor = if scale >= 0 {
                Decimal::from(10_i64.pow(u32::try_from(scale).unwrap_or(0)))
            } else {
                Decimal::new(1, u32::try_from(-scale).unwrap_or(0))
            };
            let base = match base {
                "l" | "L" => "L",
                "g" => "g",
                "m" => "m",
                "mol" => "mol",
                _ => "eq",
            };
            return Some((factor, base));
        }
    }
    None
}

impl Quantity {
    /// Compares two quantities, converting units where both reduce to the same base. `strict`
    /// keeps calendar years and months apart from UCUM `a` and `mo` (equality), as the
    /// specification requires.
    pub fn compare(&self, other: &Quantity, strict: bool) -> Option<Ordering> {
        let calendar = |u: &str| matches!(u, "year" | "years" | "month" | "months");
        let ucum_calendar = |u: &str| matches!(u, "a" | "mo");
        if self.unit == other.unit
            || calendar_unit(&self.unit).is_some_and(|u| {
                calendar_unit(&other.unit) == Some(u)
                    && !(strict && (calendar(&self.unit) != calendar(&other.unit)))
            })
        {
            return Some(self.value.cmp(&other.value));
        }
        if ucum_calendar(&self.unit)
            || ucum_calendar(&other.unit)
            || calendar(&self.unit)
            || calendar(&other.unit)
        {
            return None;
        }
        let (fa, ba) = ucum_base(&self.unit)?;
        let (fb, bb) = ucum_base(&other.unit)?;
        if ba != bb {
            return None;
        }
        let a = self.value.checked_mul(fa)?;
        let b = other.value.checked_mul(fb)?;
        Some(a.cmp(&b))
    }
}
