//! The FHIR R4 (4.0.1) type table: element order, cardinality and types of every resource,
//! datatype and BackboneElement, as the XML format needs them.
//!
//! The table is compiled from the core package's StructureDefinitions by
//! [`compile_r4_types`] (run by `examples/compile_r4_types.rs`) into the compact text file
//! `data/r4-types.txt`, which is embedded here and parsed once into lookup maps
//! ([`TypeTable::r4`]).
//!
//! Text format, one fact per line, tab-separated:
//! - a type line `name kind [abstract]`, kind being `resource`, `complex-type` or
//!   `primitive-type`;
//! - an element line `owner element max types [representation]`: `owner` is a type name or a
//!   BackboneElement path (`Patient.contact`), `max` is `1` or `*`, `types` is the type codes
//!   joined by `|` or `#Path` for a contentReference, and `representation` is the
//!   ElementDefinition representation codes (such as `xmlAttr`) joined by `,`.
//!
//! Lines starting with `#` are comments. Elements come in snapshot order, so inherited elements
//! (`id`, `meta`, `extension`…) come first.

use foldhash::{HashMap, HashMapExt};
use std::sync::OnceLock;

mod compile;
#[cfg(test)]
mod tests;

pub use compile::compile_r4_types;

/// The FHIR R4 primitive types.
pub const PRIMITIVE_TYPES: [&str; 20] = [
    "boolean",
    "integer",
    "decimal",
    "string",
    "uri",
    "url",
    "canonical",
    "code",
    "id",
    "oid",
    "uuid",
    "markdown",
    "base64Binary",
    "instant",
    "date",
    "dateTime",
    "time",
    "positiveInt",
    "unsignedInt",
    "xhtml",
];

/// The embedded table compiled from hl7.fhir.r4.core 4.0.1.
const R4_TYPES_TXT: &str = include_str!("../data/r4-types.txt");

/// An error compiling or parsing a type table, with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeTableError {
    /// A StructureDefinition lacks a member the table needs.
    #[error("StructureDefinition {definition}: missing or invalid {member}")]
    Definition {
        /// The StructureDefinition's `type` (or `url` when the type is missing).
        definition: String,
        /// What is missing, such as `snapshot.element[3].path`.
        member: String,
    },
    /// A line of the text table is malformed.
    #[error("type table line {line}: {reason}")]
    Line {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// The kind of a type in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    /// A resource such as `Patient` (or the abstract `Resource`, `DomainResource`).
    Resource,
    /// A complex datatype such as `HumanName`.
    Complex,
    /// A primitive datatype such as `boolean`.
    Primitive,
    /// A BackboneElement (or Element) defined inline, named by its path: `Patient.contact`.
    Backbone,
}

/// How a primitive value is written in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// `true` or `false`.
    Boolean,
    /// A JSON number: integer, decimal, positiveInt, unsignedInt.
    Number,
    /// A JSON string: every other primitive.
    String,
}

/// What an element holds, for one of its type codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A primitive value of the named type (not xhtml).
    Primitive {
        /// The primitive type, such as `dateTime`.
        name: Box<str>,
        /// How the value is written in JSON.
        json: JsonKind,
    },
    /// Embedded XHTML (`Narrative.div`).
    Xhtml,
    /// A complex type or BackboneElement path, looked up again with [`TypeTable::type_def`].
    Complex(Box<str>),
    /// Any resource (`contained`, `Bundle.entry.resource`…), carrying its own `resourceType`.
    Resource,
}

/// One type choice of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementType {
    /// The type code as in the definition (`Quantity`, `BackboneElement`, `#Questionnaire.item`).
    pub code: Box<str>,
    /// What the element holds with this type.
    pub target: Target,
}

/// One element of a type, in definition order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementDef {
    /// The element name as defined, such as `value[x]`.
    pub name: Box<str>,
    /// The name without a `[x]` suffix.
    pub base_name: Box<str>,
    /// True when max is `*` (the JSON value is an array).
    pub is_array: bool,
    /// True for a choice element (`value[x]`).
    pub is_choice: bool,
    /// True when the element is an XML attribute (`Element.id`, `Extension.url`).
    pub is_xml_attr: bool,
    /// The allowed types; one unless this is a choice element.
    pub types: Vec<ElementType>,
}

/// A resource, datatype or BackboneElement with its elements in definition order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDef {
    /// The type name or BackboneElement path.
    pub name: Box<str>,
    /// What kind of type this is.
    pub kind: TypeKind,
    /// True for abstract types (`Resource`, `DomainResource`, `Element`, `BackboneElement`).
    pub is_abstract: bool,
    /// The elements in definition (snapshot) order.
    pub elements: Vec<ElementDef>,
    /// JSON member name (choices expanded, `valueQuantity`) to (element index, type index).
    by_json_name: HashMap<Box<str>, (usize, usize)>,
}

/// An element found by its JSON (or XML) name.
#[derive(Debug, Clone, Copy)]
pub struct ElementMatch<'a> {
    /// The element's position in definition order.
    pub index: usize,
    /// The element definition.
    pub element: &'a ElementDef,
    /// The type chosen by the name (the only one unless a choice).
    pub element_type: &'a ElementType,
}

impl TypeDef {
    /// Finds an element by its JSON or XML name; choice elements match their typed names
    /// (`valueQuantity` finds `value[x]` with type `Quantity`).
    pub fn element(&self, json_name: &str) -> Option<ElementMatch<'_>> {
        let &(index, type_index) = self.by_json_name.get(json_name)?;
        let element = self.elements.get(index)?;
        let element_type = element.types.get(type_index)?;
        Some(ElementMatch {
            index,
            element,
            element_type,
        })
    }
}

/// The type table: every type and BackboneElement by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeTable {
    types: HashMap<Box<str>, TypeDef>,
}

impl TypeTable {
    /// The embedded R4 4.0.1 table, parsed on first use.
    pub fn r4() -> &'static TypeTable {
        static TABLE: OnceLock<TypeTable> = OnceLock::new();
        TABLE.get_or_init(|| match TypeTable::parse(R4_TYPES_TXT) {
            Ok(table) => table,
            // The embedded table is checked by the unit tests; an empty table makes every
            // conversion fail with a typed error instead of panicking.
            Err(_) => TypeTable {
                types: HashMap::new(),
            },
        })
    }

    /// The type or BackboneElement named `name` (`Patient`, `HumanName`, `Patient.contact`).
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    /// Finds the element of `type_name` named `json_name` (choices expanded).
    pub fn element(&self, type_name: &str, json_name: &str) -> Option<ElementMatch<'_>> {
        self.type_def(type_name)?.element(json_name)
    }

    /// True when `name` is a concrete (non-abstract) resource type.
    pub fn is_resource(&self, name: &str) -> bool {
        self.type_def(name)
            .is_some_and(|def| def.kind == TypeKind::Resource && !def.is_abstract)
    }

    /// True when `name` is a primitive type.
    pub fn is_primitive(name: &str) -> bool {
        PRIMITIVE_TYPES.contains(&name)
    }

    /// Parses a table in the text format described in the module documentation.
    pub fn parse(text: &str) -> Result<TypeTable, TypeTableError> {
        let mut types: HashMap<Box<str>, TypeDef> = HashMap::new();
        let mut raw_elements: Vec<RawElement<'_>> = Vec::new();
        for (line_idx, line) in text.lines().enumerate() {
            let line_no = line_idx + 1;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let bad = |reason: &str| TypeTableError::Line {
                line: line_no,
                reason: reason.to_owned(),
            };
            match fields.as_slice() {
                [name, kind, rest @ ..] if rest.len() <= 1 => {
                    let kind = match *kind {
                        "resource" => TypeKind::Resource,
                        "complex-type" => TypeKind::Complex,
                        "primitive-type" => TypeKind::Primitive,
                        _ => return Err(bad("unknown type kind")),
                    };
                    let is_abstract = match rest {
                        [] => false,
                        ["abstract"] => true,
                        _ => return Err(bad("expected `abstract`")),
                    };
                    types.insert((*name).into(), new_type_def(name, kind, is_abstract));
                }
                [owner, name, max, codes, rest @ ..] if rest.len() <= 1 => {
                    let is_array = match *max {
                        "1" => false,
                        "*" => true,
                        _ => return Err(bad("max must be 1 or *")),
                    };
                    let codes: Vec<&str> = codes.split('|').filter(|c| !c.is_empty()).collect();
                    if codes.is_empty() {
                        return Err(bad("no type codes"));
                    }
                    let is_xml_attr = rest
                        .first()
                        .is_some_and(|r| r.split(',').any(|r| r == "xmlAttr"));
                    raw_elements.push((line_no, owner, name, is_array, codes, is_xml_attr));
                }
                _ => return Err(bad("expected 2-3 or 4-5 tab-separated fields")),
            }
        }
        // Owners with children become BackboneElement types.
        for (_, owner, ..) in &raw_elements {
            if !types.contains_key(*owner) {
                types.insert(
                    (*owner).into(),
                    new_type_def(owner, TypeKind::Backbone, false),
                );
            }
        }
        let mut elements_by_owner: HashMap<&str, Vec<ElementDef>> = HashMap::new();
        for (line, owner, name, is_array, codes, is_xml_attr) in &raw_elements {
            let path = format!("{owner}.{name}");
            let mut element_types = Vec::with_capacity(codes.len());
            for code in codes {
                let target =
                    resolve_target(&types, &path, code).ok_or_else(|| TypeTableError::Line {
                        line: *line,
                        reason: format!("unknown type {code}"),
                    })?;
                element_types.push(ElementType {
                    code: (*code).into(),
                    target,
                });
            }
            let base_name = name.strip_suffix("[x]").unwrap_or(name);
            elements_by_owner
                .entry(owner)
                .or_default()
                .push(ElementDef {
                    name: (*name).into(),
                    base_name: base_name.into(),
                    is_array: *is_array,
                    is_choice: name.ends_with("[x]"),
                    is_xml_attr: *is_xml_attr,
                    types: element_types,
                });
        }
        for (owner, elements) in elements_by_owner {
            if let Some(def) = types.get_mut(owner) {
                for (index, element) in elements.iter().enumerate() {
                    if element.is_choice {
                        for (type_index, element_type) in element.types.iter().enumerate() {
                            let json_name =
                                format!("{}{}", element.base_name, upper_first(&element_type.code));
                            def.by_json_name
                                .insert(json_name.into(), (index, type_index));
                        }
                    } else {
                        def.by_json_name.insert(element.name.clone(), (index, 0));
                    }
                }
                def.elements = elements;
            }
        }
        Ok(TypeTable { types })
    }
}

/// An element line before its types are resolved: (line, owner, name, is_array, codes, is_xml_attr).
type RawElement<'a> = (usize, &'a str, &'a str, bool, Vec<&'a str>, bool);

fn new_type_def(name: &str, kind: TypeKind, is_abstract: bool) -> TypeDef {
    TypeDef {
        name: name.into(),
        kind,
        is_abstract,
        elements: Vec::new(),
        by_json_name: HashMap::new(),
    }
}

fn resolve_target(types: &HashMap<Box<str>, TypeDef>, path: &str, code: &str) -> Option<Target> {
    if let Some(reference) = code.strip_prefix('#') {
        return types
            .contains_key(reference)
            .then(|| Target::Complex(reference.into()));
    }
    if code == "xhtml" {
        return Some(Target::Xhtml);
    }
    if code == "Resource" {
        return Some(Target::Resource);
    }
    if TypeTable::is_primitive(code) {
        let json = match code {
            "boolean" => JsonKind::Boolean,
            "integer" | "decimal" | "positiveInt" | "unsignedInt" => JsonKind::Number,
            _ => JsonKind::String,
        };
        return Some(Target::Primitive {
            name: code.into(),
            json,
        });
    }
    if (code == "BackboneElement" || code == "Element") && types.contains_key(path) {
        return Some(Target::Complex(path.into()));
    }
    types
        .contains_key(code)
        .then(|| Target::Complex(code.into()))
}

/// Whether `suffix` (of a choice member's JSON name, `valueQuantity`) names type `code`:
/// `Quantity` names `Quantity`, `DateTime` names `dateTime`.
pub fn choice_suffix_names(code: &str, suffix: &str) -> bool {
    let (mut a, mut b) = (code.chars(), suffix.chars());
    match (a.next(), b.next()) {
        (Some(x), Some(y)) => x.to_ascii_uppercase() == y && a.as_str() == b.as_str(),
        _ => false,
    }
}

/// `dateTime` → `DateTime`: the suffix of a choice element's JSON name.
fn upper_first(code: &str) -> String {
    let mut chars = code.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}
