//! Tests of the type table: the embedded table, lookups, parse errors and compiling.

use super::compile::HEADER;
use super::*;

#[test]
fn embedded_table_parses() {
    let table = TypeTable::parse(R4_TYPES_TXT);
    assert!(table.is_ok(), "{table:?}");
}

#[test]
fn lookups() {
    let table = TypeTable::r4();
    // (type, json name, element name, is_array, chosen code, target)
    let cases: &[(&str, &str, &str, bool, &str, Target)] = &[
        (
            "Patient",
            "id",
            "id",
            false,
            "string",
            Target::Primitive {
                name: "string".into(),
                json: JsonKind::String,
            },
        ),
        (
            "Patient",
            "contact",
            "contact",
            true,
            "BackboneElement",
            Target::Complex("Patient.contact".into()),
        ),
        (
            "Patient",
            "contained",
            "contained",
            true,
            "Resource",
            Target::Resource,
        ),
        (
            "Patient",
            "deceasedBoolean",
            "deceased[x]",
            false,
            "boolean",
            Target::Primitive {
                name: "boolean".into(),
                json: JsonKind::Boolean,
            },
        ),
        (
            "Observation",
            "valueQuantity",
            "value[x]",
            false,
            "Quantity",
            Target::Complex("Quantity".into()),
        ),
        (
            "Questionnaire.item",
            "item",
            "item",
            true,
            "#Questionnaire.item",
            Target::Complex("Questionnaire.item".into()),
        ),
        ("Narrative", "div", "div", false, "xhtml", Target::Xhtml),
        (
            "Timing.repeat",
            "count",
            "count",
            false,
            "positiveInt",
            Target::Primitive {
                name: "positiveInt".into(),
                json: JsonKind::Number,
            },
        ),
        (
            "Extension",
            "valueBase64Binary",
            "value[x]",
            false,
            "base64Binary",
            Target::Primitive {
                name: "base64Binary".into(),
                json: JsonKind::String,
            },
        ),
    ];
    for (owner, json_name, name, is_array, code, target) in cases {
        let found = table.element(owner, json_name);
        let Some(found) = found else {
            panic!("{owner}.{json_name} not found");
        };
        assert_eq!(&*found.element.name, *name, "{owner}.{json_name}");
        assert_eq!(found.element.is_array, *is_array, "{owner}.{json_name}");
        assert_eq!(&*found.element_type.code, *code, "{owner}.{json_name}");
        assert_eq!(&found.element_type.target, target, "{owner}.{json_name}");
    }
    for (owner, json_name) in [
        ("Patient", "value"),
        ("Patient", "deceased"),
        ("Observation", "valueFoo"),
        ("Nope", "id"),
    ] {
        assert!(
            table.element(owner, json_name).is_none(),
            "{owner}.{json_name}"
        );
    }
}

#[test]
fn inherited_elements_come_first_and_attributes_are_marked() {
    let table = TypeTable::r4();
    let names = |t: &str| -> Vec<String> {
        table
            .type_def(t)
            .map(|d| d.elements.iter().map(|e| e.name.to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        names("Patient")[..9],
        [
            "id",
            "meta",
            "implicitRules",
            "language",
            "text",
            "contained",
            "extension",
            "modifierExtension",
            "identifier"
        ]
    );
    assert_eq!(
        names("Extension")[..4],
        ["id", "extension", "url", "value[x]"]
    );
    assert_eq!(
        names("Patient.contact")[..3],
        ["id", "extension", "modifierExtension"]
    );
    let attr = |t: &str, e: &str| table.element(t, e).map(|m| m.element.is_xml_attr);
    assert_eq!(attr("Extension", "url"), Some(true));
    assert_eq!(attr("HumanName", "id"), Some(true));
    assert_eq!(attr("Patient", "id"), Some(false));
    assert!(table.is_resource("Patient"));
    assert!(!table.is_resource("DomainResource"));
    assert!(!table.is_resource("HumanName"));
    assert!(
        table.type_def("SimpleQuantity").is_none(),
        "constraints are skipped"
    );
}

#[test]
fn parse_errors_name_the_line() {
    let cases = [
        ("X\tresource\nX\ta\t2\tstring\n", 2),
        ("X\tweird\n", 1),
        ("X\tresource\nX\ta\t1\tNoSuchType\n", 2),
        ("only-one-field\n", 1),
    ];
    for (text, line) in cases {
        match TypeTable::parse(text) {
            Err(TypeTableError::Line { line: got, .. }) => assert_eq!(got, line, "{text:?}"),
            other => panic!("{text:?}: expected a line error, got {other:?}"),
        }
    }
}

#[test]
fn compile_skips_constraints_and_maps_system_types() {
    let definitions = vec![
        serde_json::json!({"resourceType": "StructureDefinition", "type": "Quantity", "kind": "complex-type",
            "derivation": "constraint", "snapshot": {"element": []}}),
        serde_json::json!({"resourceType": "StructureDefinition", "type": "Thing", "kind": "complex-type",
        "derivation": "specialization", "snapshot": {"element": [
            {"path": "Thing", "max": "*"},
            {"path": "Thing.id", "max": "1", "representation": ["xmlAttr"], "type": [{"code": "http://hl7.org/fhirpath/System.String",
                "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type", "valueUrl": "string"}]}]},
            {"path": "Thing.part", "max": "*", "type": [{"code": "BackboneElement"}]},
            {"path": "Thing.part.part", "max": "*", "contentReference": "#Thing.part"},
            {"path": "Thing.value[x]", "max": "1", "type": [{"code": "string"}, {"code": "boolean"}]}
        ]}}),
    ];
    let compiled = compile_r4_types(&definitions);
    assert_eq!(
        compiled,
        Ok(format!(
            "{HEADER}\nThing\tcomplex-type\nThing\tid\t1\tstring\txmlAttr\nThing\tpart\t*\tBackboneElement\n\
             Thing.part\tpart\t*\t#Thing.part\nThing\tvalue[x]\t1\tstring|boolean\n"
        ))
    );
    let missing = vec![
        serde_json::json!({"resourceType": "StructureDefinition", "type": "T", "kind": "resource",
        "snapshot": {"element": [{"path": "T.a", "max": "1"}]}}),
    ];
    assert_eq!(
        compile_r4_types(&missing),
        Err(TypeTableError::Definition {
            definition: "T".into(),
            member: "T.a.type".into()
        })
    );
}
