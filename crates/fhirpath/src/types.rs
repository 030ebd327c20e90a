//! The type model: FHIR supertypes, `is`, `as`/`ofType` and `type()`.

use std::borrow::Cow;

use fhir::r4_types::{TypeKind, TypeTable};

use crate::ast::TypeSpec;
use crate::value::{Item, Node, TypeInfo};

/// `type()` of one item: its namespace and name (nothing for a node of unknown type).
pub(crate) fn type_of<'a>(item: &Item<'a>) -> Option<Item<'a>> {
    let info = match item {
        Item::Node(node) => TypeInfo {
            namespace: "FHIR",
            name: Cow::Borrowed(node.type_name.filter(|t| !t.is_empty())?),
        },
        other => {
            let (namespace, name) = other.type_name();
            TypeInfo { namespace, name }
        }
    };
    Some(Item::Type(info))
}

/// The `baseType` of a type, as a qualified name.
pub(crate) fn base_type(info: &TypeInfo<'_>) -> Option<String> {
    if info.namespace == "System" {
        return (info.name != "Any").then(|| "System.Any".to_owned());
    }
    supertype(&info.name).map(|parent| format!("FHIR.{parent}"))
}

/// The FHIR supertype of a type, when it has one.
pub(crate) fn supertype(name: &str) -> Option<&'static str> {
    Some(match name {
        "Age" | "Count" | "Distance" | "Duration" | "MoneyQuantity" | "SimpleQuantity" => {
            "Quantity"
        }
        "code" | "id" | "markdown" => "string",
        "uuid" | "url" | "canonical" | "oid" => "uri",
        "positiveInt" | "unsignedInt" => "integer",
        "DomainResource" => "Resource",
        "Resource" | "Element" => return None,
        "BackboneElement" => "Element",
        _ => {
            let def = TypeTable::r4().type_def(name)?;
            return match def.kind {
                TypeKind::Resource if def.element("text").is_some() => Some("DomainResource"),
                TypeKind::Resource => Some("Resource"),
                TypeKind::Backbone => Some("BackboneElement"),
                TypeKind::Complex | TypeKind::Primitive => Some("Element"),
            };
        }
    })
}

/// True when `name` is `type_name` or one of its supertypes.
pub(crate) fn is_subtype(type_name: &str, name: &str) -> bool {
    let mut current = type_name;
    for _ in 0..8 {
        if current == name {
            return true;
        }
        match supertype(current) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

/// `item as spec` and `ofType(spec)`: like [`is_type`], but a FHIR primitive must be of the
/// type itself. The primitive specializations (`code`, `id` and `markdown` of `string`; `url`,
/// `uuid`… of `uri`) restrict a value rather than extend it, so `gender is string` is true while
/// `gender as string` is empty, as in the reference implementation the suite follows.
pub(crate) fn casts_to(item: &Item<'_>, spec: &TypeSpec) -> bool {
    match item {
        Item::Node(Node {
            type_name: Some(type_name),
            ..
        }) if fhir::r4_types::TypeTable::is_primitive(type_name) => {
            let fhir = spec.namespace.as_deref().is_none_or(|ns| ns == "FHIR")
                && **type_name == *spec.name;
            // The R4 engines let a FHIR primitive pass as its own System type (`value as
            // String` for a `string`), which R4 profiles rely on.
            let system = spec.namespace.as_deref().is_none_or(|ns| ns == "System")
                && system_type(type_name) == Some(&*spec.name);
            fhir || system
        }
        _ => is_type(item, spec),
    }
}

/// The System type a FHIR primitive is exactly (`string` → `String`).
fn system_type(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "string" => "String",
        "boolean" => "Boolean",
        "integer" => "Integer",
        "decimal" => "Decimal",
        "date" => "Date",
        "dateTime" => "DateTime",
        "time" => "Time",
        _ => return None,
    })
}

/// `item is spec`.
pub(crate) fn is_type(item: &Item<'_>, spec: &TypeSpec) -> bool {
    let (namespace, type_name) = item.type_name();
    let wanted_ns = spec.namespace.as_deref();
    if let Some(ns) = wanted_ns
        && ns != namespace
    {
        return false;
    }
    if namespace == "System" {
        return *type_name == *spec.name;
    }
    is_subtype(&type_name, &spec.name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{Environment, Expression};

    #[test]
    fn a_primitive_passes_as_its_own_system_type() {
        let patient = serde_json::json!({
            "resourceType": "Patient",
            "gender": "other",
            "address": [{"line": ["Musterstr. 1"]}]
        });
        let env = Environment::default();
        // (expression, items)
        let cases = [
            ("address.line[0] as String", 1),
            ("address.line[0] as System.String", 1),
            ("address.line[0] as string", 1),
            ("address.line[0] as Integer", 0),
            // A specialization (`code`) is not the System type itself.
            ("gender as String", 0),
            ("gender as code", 1),
        ];
        for (text, expected) in cases {
            let expression = Expression::parse(text).unwrap();
            let found = expression.evaluate(&patient, &env).unwrap();
            assert_eq!(found.len(), expected, "{text}");
        }
    }
}
