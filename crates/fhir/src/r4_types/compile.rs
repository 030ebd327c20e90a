//! Compiling StructureDefinitions into the text table (pure: no file I/O).

use serde_json::Value;

use super::TypeTableError;

/// The first line of a compiled table.
pub(crate) const HEADER: &str = "# fhirgate r4-types 1";

/// Compiles StructureDefinition JSON values (any set; non-StructureDefinitions, logical models
/// and constraints are skipped) into the text table format. Types are sorted by name.
pub fn compile_r4_types(definitions: &[Value]) -> Result<String, TypeTableError> {
    let mut selected: Vec<(&str, &str, bool, &Value)> = Vec::new();
    for definition in definitions {
        if definition.get("resourceType").and_then(Value::as_str) != Some("StructureDefinition") {
            continue;
        }
        let kind = definition
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !matches!(kind, "resource" | "complex-type" | "primitive-type") {
            continue;
        }
        if definition.get("derivation").and_then(Value::as_str) == Some("constraint") {
            continue;
        }
        let name = str_member(definition, "type", "?", "type")?;
        let is_abstract = definition
            .get("abstract")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        selected.push((name, kind, is_abstract, definition));
    }
    selected.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from(HEADER);
    out.push('\n');
    for (name, kind, is_abstract, definition) in selected {
        out.push_str(name);
        out.push('\t');
        out.push_str(kind);
        if is_abstract {
            out.push_str("\tabstract");
        }
        out.push('\n');
        let elements = definition
            .pointer("/snapshot/element")
            .and_then(Value::as_array)
            .ok_or_else(|| definition_error(name, "snapshot.element"))?;
        for (idx, element) in elements.iter().enumerate() {
            let path = str_member(
                element,
                "path",
                name,
                &format!("snapshot.element[{idx}].path"),
            )?;
            let Some((owner, element_name)) = path.rsplit_once('.') else {
                continue; // The root element describes the type itself.
            };
            let max = match element.get("max").and_then(Value::as_str) {
                Some("1") => "1",
                Some(_) => "*",
                None => return Err(definition_error(name, &format!("{path}.max"))),
            };
            let codes = element_type_codes(element, name, path)?;
            out.push_str(&format!("{owner}\t{element_name}\t{max}\t{codes}"));
            if let Some(representation) = element.get("representation").and_then(Value::as_array) {
                let codes: Vec<&str> = representation.iter().filter_map(Value::as_str).collect();
                out.push('\t');
                out.push_str(&codes.join(","));
            }
            out.push('\n');
        }
    }
    Ok(out)
}

fn element_type_codes(
    element: &Value,
    definition: &str,
    path: &str,
) -> Result<String, TypeTableError> {
    if let Some(reference) = element.get("contentReference").and_then(Value::as_str) {
        let fragment = reference.rsplit_once('#').map_or(reference, |(_, f)| f);
        return Ok(format!("#{fragment}"));
    }
    let types = element
        .get("type")
        .and_then(Value::as_array)
        .ok_or_else(|| definition_error(definition, &format!("{path}.type")))?;
    let mut codes = Vec::with_capacity(types.len());
    for element_type in types {
        let code = str_member(
            element_type,
            "code",
            definition,
            &format!("{path}.type.code"),
        )?;
        if code.starts_with("http://hl7.org/fhirpath/System.") {
            // FHIRPath system types carry the FHIR type in an extension.
            let fhir_type = element_type
                .get("extension")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|ext| {
                    ext.get("url").and_then(Value::as_str)
                        == Some(
                            "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type",
                        )
                })
                .and_then(|ext| ext.get("valueUrl").or_else(|| ext.get("valueUri")))
                .and_then(Value::as_str)
                .or_else(|| system_type_fallback(code))
                .ok_or_else(|| {
                    definition_error(definition, &format!("{path}.type fhir-type extension"))
                })?;
            codes.push(fhir_type);
        } else {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        return Err(definition_error(definition, &format!("{path}.type")));
    }
    Ok(codes.join("|"))
}

/// The FHIR type of a FHIRPath system type without a fhir-type extension (such as `xhtml.id`).
fn system_type_fallback(code: &str) -> Option<&'static str> {
    Some(
        match code.strip_prefix("http://hl7.org/fhirpath/System.")? {
            "String" => "string",
            "Boolean" => "boolean",
            "Integer" => "integer",
            "Decimal" => "decimal",
            "Date" => "date",
            "DateTime" => "dateTime",
            "Time" => "time",
            _ => return None,
        },
    )
}

fn str_member<'a>(
    value: &'a Value,
    member: &str,
    definition: &str,
    place: &str,
) -> Result<&'a str, TypeTableError> {
    value
        .get(member)
        .and_then(Value::as_str)
        .ok_or_else(|| definition_error(definition, place))
}

fn definition_error(definition: &str, member: &str) -> TypeTableError {
    TypeTableError::Definition {
        definition: definition.to_owned(),
        member: member.to_owned(),
    }
}
