//! Table-driven tests of both directions.

use serde_json::{Value, json};

use super::*;

const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("test JSON")
}

/// JSON → XML gives `xml` (after the declaration), and XML → JSON gives the JSON back.
fn check(name: &str, json_text: &str, xml: &str) {
    let json = parse(json_text);
    let written = json_to_xml(&json).unwrap_or_else(|e| panic!("{name}: json_to_xml: {e}"));
    assert_eq!(written, format!("{DECL}{xml}"), "{name}: XML");
    let read = xml_to_json(&written).unwrap_or_else(|e| panic!("{name}: xml_to_json: {e}"));
    assert_eq!(sorted(&read), sorted(&json), "{name}: JSON back");
    // Number text is kept exactly, not just numerically.
    assert_eq!(
        serde_json::to_string(&sorted(&read)).ok(),
        serde_json::to_string(&sorted(&json)).ok(),
        "{name}: text"
    );
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[test]
fn round_trips() {
    let ns = r#"xmlns="http://hl7.org/fhir""#;
    let cases: &[(&str, &str, String)] = &[
        (
            "member order follows the definition",
            r#"{"resourceType":"Patient","gender":"female","active":true,"id":"p1"}"#,
            format!(
                r#"<Patient {ns}><id value="p1"/><active value="true"/><gender value="female"/></Patient>"#
            ),
        ),
        (
            "primitive with id and extension",
            r#"{"resourceType":"Patient","birthDate":"1970-03-30","_birthDate":{"id":"b1","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-03-30T14:35:45-05:00"}]}}"#,
            format!(
                r#"<Patient {ns}><birthDate id="b1" value="1970-03-30"><extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime"><valueDateTime value="1970-03-30T14:35:45-05:00"/></extension></birthDate></Patient>"#
            ),
        ),
        (
            "primitive with only an extension",
            r#"{"resourceType":"Patient","_gender":{"extension":[{"url":"u","valueCode":"x"}]}}"#,
            format!(
                r#"<Patient {ns}><gender><extension url="u"><valueCode value="x"/></extension></gender></Patient>"#
            ),
        ),
        (
            "array of primitives with nulls on both sides",
            r#"{"resourceType":"Patient","name":[{"given":["A",null,"C"],"_given":[null,{"extension":[{"url":"u","valueString":"B"}]},{"id":"g3"}]}]}"#,
            format!(
                r#"<Patient {ns}><name><given value="A"/><given><extension url="u"><valueString value="B"/></extension></given><given id="g3" value="C"/></name></Patient>"#
            ),
        ),
        (
            // serde_json keeps the digits but writes exponents canonically (`1e3` as `1e+3`).
            "choice types and numbers kept as written",
            r#"{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueQuantity":{"value":1.00,"unit":"mg"},"referenceRange":[{"low":{"value":1e3}}]}"#,
            format!(
                r#"<Observation {ns}><status value="final"/><code><text value="t"/></code><valueQuantity><value value="1.00"/><unit value="mg"/></valueQuantity><referenceRange><low><value value="1e+3"/></low></referenceRange></Observation>"#
            ),
        ),
        (
            "integer, boolean and string choices",
            r#"{"resourceType":"Patient","multipleBirthInteger":2,"deceasedBoolean":false}"#,
            format!(
                r#"<Patient {ns}><deceasedBoolean value="false"/><multipleBirthInteger value="2"/></Patient>"#
            ),
        ),
        (
            "contained resources and element ids as attributes",
            r##"{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1","name":"Org"}],"managingOrganization":{"reference":"#o1","id":"r1"}}"##,
            format!(
                r##"<Patient {ns}><contained><Organization><id value="o1"/><name value="Org"/></Organization></contained><managingOrganization id="r1"><reference value="#o1"/></managingOrganization></Patient>"##
            ),
        ),
        (
            "bundle entry resource and backbone paths",
            r#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","active":true}}]}"#,
            format!(
                r#"<Bundle {ns}><type value="collection"/><entry><fullUrl value="urn:uuid:1"/><resource><Patient><active value="true"/></Patient></resource></entry></Bundle>"#
            ),
        ),
        (
            "content reference Questionnaire.item.item",
            r#"{"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"string"}]}]}"#,
            format!(
                r#"<Questionnaire {ns}><status value="draft"/><item><linkId value="1"/><type value="group"/><item><linkId value="1.1"/><type value="string"/></item></item></Questionnaire>"#
            ),
        ),
        (
            "narrative div written raw",
            r#"{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a &amp; <b>b</b></p></div>"}}"#,
            format!(
                r#"<Patient {ns}><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; <b>b</b></p></div></text></Patient>"#
            ),
        ),
        (
            "escaping of markup, quotes, newlines and unicode",
            r#"{"resourceType":"Patient","name":[{"text":"a<b>&\"c\" 'd'\nline2\ttab\r ü 漢 😀"}]}"#,
            format!(
                r#"<Patient {ns}><name><text value="a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos;&#10;line2&#9;tab&#13; ü 漢 😀"/></name></Patient>"#
            ),
        ),
        (
            "extension url attribute and nested extensions",
            r#"{"resourceType":"Patient","extension":[{"url":"a","extension":[{"url":"b","valueBoolean":true}]}]}"#,
            format!(
                r#"<Patient {ns}><extension url="a"><extension url="b"><valueBoolean value="true"/></extension></extension></Patient>"#
            ),
        ),
    ];
    for (name, json_text, xml) in cases {
        check(name, json_text, xml);
    }
}

#[test]
fn xml_input_details() {
    // (name, XML, expected JSON)
    let cases: &[(&str, &str, Value)] = &[
        (
            "comments, whitespace and xsi attributes are dropped; the div is kept as written",
            "<?xml version=\"1.0\"?>\r\n<!-- c --><Patient xmlns=\"http://hl7.org/fhir\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"x\">\r\n  <text><status value=\"generated\"/><div xmlns=\"http://www.w3.org/1999/xhtml\">a\r\nb</div></text>\r\n  <!-- c --><active value=\"true\"/></Patient>",
            json!({"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">a\r\nb</div>"}, "active": true}),
        ),
        (
            "a prefixed FHIR namespace and an inherited XHTML namespace",
            "<f:Patient xmlns:f=\"http://hl7.org/fhir\" xmlns=\"http://www.w3.org/1999/xhtml\"><f:text><f:status value=\"generated\"/><div><p/></div></f:text></f:Patient>",
            json!({"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p/></div>"}}),
        ),
        (
            "literal newlines in attributes are normalized to spaces, references are not",
            "<Patient xmlns=\"http://hl7.org/fhir\"><name><text value=\"a\nb&#10;c\"/></name></Patient>",
            json!({"resourceType": "Patient", "name": [{"text": "a b\nc"}]}),
        ),
        (
            "decimals keep their digits; exponents are written as serde_json does",
            "<Observation xmlns=\"http://hl7.org/fhir\"><valueQuantity><value value=\"1.00\"/></valueQuantity><referenceRange><low><value value=\"1E3\"/></low><high><value value=\"-0.0500\"/></high></referenceRange></Observation>",
            parse(
                r#"{"resourceType":"Observation","valueQuantity":{"value":1.00},"referenceRange":[{"low":{"value":1e+3},"high":{"value":-0.0500}}]}"#,
            ),
        ),
        (
            "one item of a max * element is still an array",
            "<Patient xmlns=\"http://hl7.org/fhir\"><identifier><value value=\"1\"/></identifier></Patient>",
            json!({"resourceType": "Patient", "identifier": [{"value": "1"}]}),
        ),
    ];
    for (name, xml, expected) in cases {
        match xml_to_json(xml) {
            Ok(json) => {
                assert_eq!(&json, expected, "{name}");
                assert_eq!(
                    serde_json::to_string(&json).ok(),
                    serde_json::to_string(expected).ok(),
                    "{name}: text"
                );
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

#[test]
fn xml_errors_name_the_place() {
    let open = "<Patient xmlns=\"http://hl7.org/fhir\">";
    let deep = format!("{open}{}", "<extension url=\"u\">".repeat(200));
    // (name, XML, expected path, expected kind, expected line)
    let cases: Vec<(&str, String, &str, XmlErrorKind, usize)> = vec![
        ("unknown element", format!("{open}\n<name><foo value=\"x\"/></name></Patient>"), "Patient.name[0].foo", XmlErrorKind::UnknownElement("foo".into()), 2),
        ("unknown resource", "<Foo xmlns=\"http://hl7.org/fhir\"/>".into(), "Foo", XmlErrorKind::UnknownResourceType("Foo".into()), 1),
        ("abstract resource", "<DomainResource xmlns=\"http://hl7.org/fhir\"/>".into(), "DomainResource", XmlErrorKind::UnknownResourceType("DomainResource".into()), 1),
        ("wrong namespace", "<Patient/>".into(), "", XmlErrorKind::WrongNamespace { name: "Patient".into(), expected: FHIR_NS }, 1),
        ("out of order", format!("{open}<gender value=\"male\"/><active value=\"true\"/></Patient>"), "Patient.active", XmlErrorKind::OutOfOrder("active".into()), 1),
        ("repeated max 1", format!("{open}<active value=\"true\"/><active value=\"true\"/></Patient>"), "Patient.active", XmlErrorKind::Repeated("active".into()), 1),
        ("two choice types", format!("{open}<deceasedBoolean value=\"true\"/><deceasedDateTime value=\"2020\"/></Patient>"), "Patient.deceasedDateTime", XmlErrorKind::Repeated("deceasedDateTime".into()), 1),
        ("bad boolean", format!("{open}<active value=\"yes\"/></Patient>"), "Patient.active", XmlErrorKind::InvalidValue { type_name: "boolean".into(), value: "yes".into() }, 1),
        ("bad decimal", "<Observation xmlns=\"http://hl7.org/fhir\"><valueQuantity><value value=\"1.\"/></valueQuantity></Observation>".into(), "Observation.valueQuantity.value", XmlErrorKind::InvalidValue { type_name: "decimal".into(), value: "1.".into() }, 1),
        ("text in an element", format!("{open}<active value=\"true\">x</active></Patient>"), "Patient.active", XmlErrorKind::UnexpectedText, 1),
        ("unexpected attribute", format!("{open}<active value=\"true\" foo=\"1\"/></Patient>"), "Patient.active", XmlErrorKind::UnexpectedAttribute("foo".into()), 1),
        ("empty primitive", format!("{open}<active/></Patient>"), "Patient.active", XmlErrorKind::EmptyPrimitive, 1),
        ("two resources in contained", format!("{open}<contained><Patient/><Patient/></contained></Patient>"), "Patient.contained[0]", XmlErrorKind::ResourceWrapper, 1),
        ("div in the FHIR namespace", format!("{open}<text><status value=\"generated\"/><div/></text></Patient>"), "Patient.text.div", XmlErrorKind::WrongNamespace { name: "div".into(), expected: XHTML_NS }, 1),
        ("deep nesting", deep, "", XmlErrorKind::TooDeep(MAX_DEPTH), 1),
    ];
    for (name, xml, path, kind, line) in cases {
        match xml_to_json(&xml) {
            Ok(json) => panic!("{name}: expected an error, got {json}"),
            Err(error) => {
                if !path.is_empty() {
                    assert_eq!(error.path, path, "{name}: {error}");
                }
                assert_eq!(error.kind, kind, "{name}: {error}");
                assert_eq!(
                    error.position.map(|p| p.line),
                    Some(line),
                    "{name}: {error}"
                );
            }
        }
    }
    let syntax =
        xml_to_json("<Patient xmlns=\"http://hl7.org/fhir\">\n<active value=\"true\"></Patient>");
    assert!(
        matches!(
            syntax,
            Err(XmlError {
                kind: XmlErrorKind::Syntax(_),
                position: Some(TextPosition { line: 2, .. }),
                ..
            })
        ),
        "{syntax:?}"
    );
}

#[test]
fn json_errors_name_the_path() {
    let mut deep = json!({"url": "u"});
    for _ in 0..200 {
        deep = json!({"url": "u", "extension": [deep]});
    }
    let deep = json!({"resourceType": "Patient", "extension": [deep]});
    // (name, JSON, expected path, expected kind)
    let cases: Vec<(&str, Value, &str, XmlErrorKind)> = vec![
        (
            "unknown member",
            json!({"resourceType": "Patient", "name": [{"foo": 1}]}),
            "Patient.name[0]",
            XmlErrorKind::UnknownElement("foo".into()),
        ),
        (
            "unknown choice type",
            json!({"resourceType": "Patient", "deceasedString": "x"}),
            "Patient",
            XmlErrorKind::UnknownElement("deceasedString".into()),
        ),
        (
            "two choice types",
            json!({"resourceType": "Patient", "deceasedBoolean": true, "deceasedDateTime": "2020"}),
            "Patient",
            XmlErrorKind::Repeated("deceasedDateTime".into()),
        ),
        (
            "missing resourceType",
            json!({"id": "x"}),
            "",
            XmlErrorKind::MissingResourceType,
        ),
        (
            "unknown resourceType",
            json!({"resourceType": "Foo"}),
            "",
            XmlErrorKind::UnknownResourceType("Foo".into()),
        ),
        (
            "array for max 1",
            json!({"resourceType": "Patient", "active": [true]}),
            "Patient.active",
            XmlErrorKind::WrongJsonType {
                expected: "a single value (max is 1)",
                found: "an array",
            },
        ),
        (
            "object for max *",
            json!({"resourceType": "Patient", "name": {"text": "x"}}),
            "Patient.name",
            XmlErrorKind::WrongJsonType {
                expected: "an array (max is *)",
                found: "an object",
            },
        ),
        (
            "string for boolean",
            json!({"resourceType": "Patient", "active": "true"}),
            "Patient.active",
            XmlErrorKind::WrongJsonType {
                expected: "a boolean",
                found: "a string",
            },
        ),
        (
            "companion length",
            json!({"resourceType": "Patient", "name": [{"given": ["a", "b"], "_given": [null]}]}),
            "Patient.name[0].given",
            XmlErrorKind::ArrayLengthMismatch("given".into()),
        ),
        (
            "null without companion",
            json!({"resourceType": "Patient", "name": [{"given": [null]}]}),
            "Patient.name[0].given[0]",
            XmlErrorKind::EmptyPrimitive,
        ),
        (
            "bad div",
            json!({"resourceType": "Patient", "text": {"status": "generated", "div": "<p>x</p>"}}),
            "Patient.text.div",
            XmlErrorKind::InvalidXhtml(format!("root must be a div in namespace {XHTML_NS}")),
        ),
        (
            "control character",
            json!({"resourceType": "Patient", "gender": "a\u{1}"}),
            "Patient.gender",
            XmlErrorKind::InvalidValue {
                type_name: "code".into(),
                value: "a\u{1}".into(),
            },
        ),
        ("deep nesting", deep, "", XmlErrorKind::TooDeep(MAX_DEPTH)),
    ];
    for (name, json, path, kind) in cases {
        match json_to_xml(&json) {
            Ok(xml) => panic!("{name}: expected an error, got {xml}"),
            Err(error) => {
                if !path.is_empty() {
                    assert_eq!(error.path, path, "{name}: {error}");
                }
                assert_eq!(error.kind, kind, "{name}: {error}");
                assert_eq!(error.position, None, "{name}");
            }
        }
    }
}

#[test]
fn error_display_and_positions() {
    let error = xml_to_json("<Patient xmlns=\"http://hl7.org/fhir\">\n  <foo/></Patient>").err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("Patient.foo (line 2, column 3, byte 40): unknown element `foo`".to_owned())
    );
    assert_eq!(
        TextPosition::of("ab\ncü\nd", 6),
        TextPosition {
            line: 2,
            column: 3,
            byte: 6
        }
    );
    assert_eq!(
        TextPosition::of("ab", 99),
        TextPosition {
            line: 1,
            column: 3,
            byte: 2
        }
    );
}
