//! Extensions: the definition is found (by url, or the type profile of the slice the
//! extension matched), the extension is allowed where it is used (its `context`s), and
//! `modifierExtension` holds only modifier extensions and `extension` none.
//!
//! An extension whose definition is not loaded is an error, as in the Java validator (which
//! reports "could not be found so is not allowed here"): its content and context cannot be
//! checked, and a site that uses its own extensions loads their package. The exception is
//! an extension under `http://hl7.org/fhir/` (the HL7 extensions packages, which the Java
//! validator loads by itself and which are not compiled here): a warning that it was not
//! checked. With [`Checks::allow_examples`](crate::validate::Checks), one on an example domain
//! is also only reported as not checked.
//!
//! Context kinds: `element` (a type name, an element path, or a base such as `Element`,
//! `Resource`, `DomainResource`, `BackboneElement`) and `extension` (the url of the enclosing
//! extension) are checked; a `fhirpath` context is accepted without evaluation.

use serde_json::{Map, Value};

use super::{Def, Walker};
use crate::model::StructureDef;
use crate::validate::member::Member as _;
use crate::validate::{Issue, IssueSeverity, IssueType};

/// The canonical base of HL7's own extension definitions.
const HL7_EXTENSIONS: &str = "http://hl7.org/fhir/";

/// Checks an extension value of element `def`; returns the definition to walk it against.
pub(super) fn check<'a>(
    walker: &mut Walker<'a>,
    def: Def<'a>,
    object: &'a Map<String, Value>,
) -> Option<&'a StructureDef> {
    let element = def.element()?;
    let url = object.member("url").and_then(Value::as_str)?;
    let absolute = url.contains(':');
    // An unversioned extension url resolves in the package of the profile that is walked
    // first (US Core 6.1.0's Patient means 6.1.0's race extension, not 7.0.0's).
    let from = walker.cx.registry.package_of(def.sd);
    let type_profile = element
        .types
        .iter()
        .find(|t| t.code == "Extension")
        .and_then(|t| t.profiles.first())
        .and_then(|p| walker.cx.registry.structure_from(p, from));
    let by_url = if absolute {
        walker.cx.registry.structure_from(url, from)
    } else {
        None
    };
    let Some(found) = by_url.or(type_profile) else {
        // A relative url names a sub-extension of the enclosing extension; when that one is
        // not loaded, it was reported and its parts cannot be checked.
        let parent_unknown = walker.holder.type_code == "Extension"
            && walker
                .holder
                .url
                .is_some_and(|parent| walker.cx.registry.structure(parent).is_none());
        if !absolute && parent_unknown {
            return None;
        }
        if absolute || def.children().is_empty() {
            if url.starts_with(HL7_EXTENSIONS) {
                let message = format!(
                    "The extension {url} is not loaded (it is defined by an HL7 extensions package), so it was not checked"
                );
                walker.issue(
                    IssueSeverity::Warning,
                    IssueType::Extension,
                    "extension-not-loaded",
                    message,
                );
            } else if walker.checks.allow_examples && is_example(url) {
                let message = format!(
                    "The extension {url} is an example extension that is not loaded, so it was not checked"
                );
                walker.issue(
                    IssueSeverity::Information,
                    IssueType::Extension,
                    "extension-not-loaded",
                    message,
                );
            } else {
                let message =
                    format!("The extension {url} could not be found so is not allowed here");
                walker.error(IssueType::Extension, "extension-unknown", message);
            }
        }
        return None;
    };
    if found.type_name != "Extension" {
        let message = format!("{url} is not an extension definition");
        walker.error(IssueType::Extension, "extension-not-extension", message);
        return None;
    }
    let modifier = found.elements.first().is_some_and(|root| root.is_modifier);
    match (element.name() == "modifierExtension", modifier) {
        (true, false) => {
            let message = format!(
                "The Extension '{url}' must not be used as a modifierExtension (it's a regular extension)"
            );
            walker.error(IssueType::Structure, "extension-not-modifier", message);
        }
        (false, true) => {
            let message = format!(
                "The Extension '{url}' must not be used as an extension (it's a modifierExtension)"
            );
            walker.error(IssueType::Structure, "extension-is-modifier", message);
        }
        _ => {}
    }
    check_context(walker, found, url);
    check_context_invariants(walker, found, url);
    Some(found)
}

/// Whether R4 resource type `name` is what R5 calls a `CanonicalResource` (contexts of
/// extensions shared across versions name it): one with a `url` and a `status`.
fn is_canonical_resource(name: &str) -> bool {
    let table = fhir::r4_types::TypeTable::r4();
    table.element(name, "url").is_some() && table.element(name, "status").is_some()
}

/// Whether `url` is on an example domain (`example.org`, `acme.com`).
fn is_example(url: &str) -> bool {
    url.contains("example.org") || url.contains("acme.com")
}

/// Whether context `Resource.x` or `DomainResource.x` names `element_path` (`Patient.x`): the
/// resource's element inherited from that base.
fn inherited(context: &str, element_path: &str) -> bool {
    let Some((base, rest)) = context.split_once('.') else {
        return false;
    };
    matches!(base, "Resource" | "DomainResource")
        && element_path
            .split_once('.')
            .is_some_and(|(_, tail)| tail == rest)
}

/// Whether context `Type.x.y` (an element of a complex datatype) names `element_path`
/// (`Patient.address.line`): the path ends with `.x.y` and what precedes it is of that type
/// in R4 (`Patient.address` is an `Address`), as the Java validator also matches an element
/// by its path within the datatype that holds it.
fn in_datatype(context: &str, element_path: &str) -> bool {
    let Some((type_name, rest)) = context.split_once('.') else {
        return false;
    };
    let Some(prefix) = element_path
        .strip_suffix(rest)
        .and_then(|p| p.strip_suffix('.'))
    else {
        return false;
    };
    let table = fhir::r4_types::TypeTable::r4();
    let mut names = prefix.split('.');
    let Some(mut current) = names.next().map(str::to_owned) else {
        return false;
    };
    for name in names {
        let Some(found) = table.element(&current, name) else {
            return false;
        };
        match &found.element_type.target {
            fhir::r4_types::Target::Complex(next) => current = next.to_string(),
            _ => return false,
        }
    }
    current == type_name
}

/// Whether `definition` may be used on the object that holds this extension.
fn check_context(walker: &mut Walker<'_>, definition: &StructureDef, url: &str) {
    if definition.contexts.is_empty() {
        return;
    }
    let holder = walker.holder;
    let holder_type = holder.type_code;
    let names = walker.path.names_from(walker.resource_start);
    let names = names
        .strip_suffix("modifierExtension")
        .or_else(|| names.strip_suffix("extension"))
        .unwrap_or(&names)
        .trim_end_matches('.');
    let element_path = if names.is_empty() {
        walker.resource_type.to_string()
    } else {
        format!("{}.{names}", walker.resource_type)
    };
    let holder_is_resource = walker
        .cache
        .core_type(holder_type)
        .is_some_and(|(_, kind)| kind == crate::model::StructureKind::Resource);
    let allowed = definition.contexts.iter().any(|context| {
        let expression = context.expression.as_str();
        match context.kind.as_str() {
            "element" => {
                let expression = expression.strip_suffix("[x]").unwrap_or(expression);
                expression == holder_type
                    || expression == element_path
                    || expression == holder.element_path
                    || expression == "Element"
                    || expression == "Base"
                    || (holder_is_resource && matches!(expression, "Resource" | "DomainResource"))
                    || (holder_is_resource
                        && matches!(expression, "CanonicalResource" | "MetadataResource")
                        && is_canonical_resource(holder_type))
                    || inherited(expression, &element_path)
                    || in_datatype(expression, &element_path)
            }
            "extension" => holder.url == Some(expression),
            _ => fhirpath_allows(walker, expression),
        }
    });
    if !allowed {
        let contexts: Vec<String> = definition
            .contexts
            .iter()
            .map(|c| format!("{}:{}", c.kind.chars().next().unwrap_or('?'), c.expression))
            .collect();
        let expression = holder_expression(walker);
        walker.issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Extension,
            "extension-context",
            expression,
            format!(
                "The extension {url} is not allowed to be used at this point (this element is [{holder_type}, {element_path}]; allowed = {})",
                contexts.join(", ")
            ),
        ));
    }
}

/// The location of the object that holds the extension being checked.
fn holder_expression(walker: &Walker<'_>) -> String {
    let mut expression = walker.path.render();
    if let Some(cut) = expression
        .rfind(".extension")
        .or_else(|| expression.rfind(".modifierExtension"))
    {
        expression.truncate(cut);
    }
    expression
}

/// The definition's `contextInvariant`s, evaluated with the holder as focus: one that is
/// false makes the extension not allowed there. One that does not parse or evaluate, or is
/// not a boolean, is not held against the extension (it cannot be checked).
fn check_context_invariants(walker: &mut Walker<'_>, definition: &StructureDef, url: &str) {
    let Some(holder) = walker.holder.value else {
        return;
    };
    for text in &definition.context_invariants {
        let Ok(compiled) = fhirpath::Expression::parse(text) else {
            continue;
        };
        let scope = fhirpath::Scope {
            resource: walker.cx.resource,
            root_resource: walker.cx.bundle,
            context: Some((holder, Some(walker.holder.type_code))),
            terminology: Some(walker.cx.registry),
        };
        let environment = fhirpath::Environment::default();
        let Ok(items) = compiled.evaluate_in(scope, &environment) else {
            continue;
        };
        let holds = match items.iter().collect::<Vec<_>>().as_slice() {
            [fhirpath::Item::Boolean(b)] => *b,
            [fhirpath::Item::Node(node)] => node.value.and_then(Value::as_bool) != Some(false),
            _ => true,
        };
        if !holds {
            let expression = holder_expression(walker);
            walker.issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Extension,
                "extension-context-invariant",
                expression,
                format!(
                    "The extension {url} is not allowed to be used at this point (based on context invariant '{text}')"
                ),
            ));
        }
    }
}

/// A `fhirpath` context: the expression, evaluated on the resource, selects the holder. One
/// that does not compile or evaluate allows the extension (it cannot be checked).
fn fhirpath_allows(walker: &Walker<'_>, expression: &str) -> bool {
    let Some(Ok(compiled)) = walker.cache.fhirpath(expression) else {
        return true;
    };
    let Some(holder) = walker.holder.value else {
        return true;
    };
    let scope = fhirpath::Scope {
        resource: walker.cx.resource,
        root_resource: walker.cx.bundle,
        context: None,
        terminology: Some(walker.cx.registry),
    };
    let environment = fhirpath::Environment::default();
    match compiled.evaluate_in(scope, &environment) {
        Ok(items) => items.iter().any(|item| match item {
            fhirpath::Item::Node(node) => [node.value, node.companion]
                .into_iter()
                .flatten()
                .any(|v| std::ptr::eq(v, holder)),
            _ => false,
        }),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::{in_datatype, inherited, is_canonical_resource};

    #[test]
    fn contexts_on_base_resource_elements() {
        for (context, path, expect) in [
            ("DomainResource.text", "Patient.text", true),
            ("Resource.meta", "Observation.meta", true),
            ("DomainResource.text", "Patient.name", false),
            ("Patient.text", "Patient.text", false),
            ("DomainResource", "Patient", false),
            ("DomainResource.text", "Patient.contact.text", false),
        ] {
            assert_eq!(inherited(context, path), expect, "{context} on {path}");
        }
    }

    #[test]
    fn canonical_resources() {
        for (name, expect) in [
            ("CodeSystem", true),
            ("StructureDefinition", true),
            ("Patient", false),
            ("Observation", false),
        ] {
            assert_eq!(is_canonical_resource(name), expect, "{name}");
        }
    }

    #[test]
    fn contexts_on_datatype_elements() {
        for (context, path, expect) in [
            ("Address.line", "Patient.address.line", true),
            ("Address.line", "Organization.contact.address.line", true),
            ("Address.line", "Patient.name.given", false),
            ("HumanName.given", "Patient.address.line", false),
            ("Address.line", "Patient.line", false),
        ] {
            assert_eq!(in_datatype(context, path), expect, "{context} on {path}");
        }
    }
}
