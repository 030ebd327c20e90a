//! Tests of the site overrides: focused messages, a Patient added by hand (the structure's
//! conversion is not under test), the overrides applied, the resource and report compared.

use fhir::datatypes::ResourceBuilder;
use serde_json::{Value, json};

use super::*;
use crate::site_config::SiteConfig;
use crate::v2::context::ResourceKey;
use crate::v2::datatypes::testing::MSH;

/// Converts `segments` with `toml` as the site configuration: adds an empty Patient (unless
/// `with_patient` is false), applies the overrides, and returns the Patient (without its id)
/// and the report's lines.
fn run(toml: &str, segments: &str, with_patient: bool) -> (Option<Value>, Vec<String>) {
    let config = SiteConfig::from_toml_str(toml).unwrap();
    let text = format!("{MSH}{segments}");
    let (message, _) = hl7v2::parse(text.as_bytes());
    let header = message.header();
    let mut ctx = Context::new(&message, &header, &config);
    if let Some(msh) = ctx.message().first("MSH") {
        ctx.consume(&msh, &[3, 4, 5, 6, 7, 9, 10, 11, 12]);
    }
    if with_patient {
        ctx.add("Patient", ResourceKey::Message("patient"), |id| {
            let mut builder = ResourceBuilder::new("Patient", &id);
            builder.set("gender", Some(json!("female")));
            builder.build()
        });
    }
    apply(&mut ctx);
    let (resources, report) = ctx.finish();
    let patient = resources.first().map(|pending| {
        let mut patient = pending.resource.clone();
        if let Some(object) = patient.as_object_mut() {
            object.remove("id");
        }
        patient
    });
    let lines = report.to_string().lines().map(str::to_owned).collect();
    (patient, lines)
}

const ZPI_STRING: &str = "[[segment_overrides]]\nfield = \"ZPI-2\"\nextension = { resource = \"Patient\", url = \"http://example.org/pharmacy\", value_type = \"string\" }\n";

#[test]
fn a_z_segment_field_becomes_a_patient_extension() {
    let (patient, report) = run(
        ZPI_STRING,
        "ZPI|1|Corner \\T\\ Main Pharmacy~Second|other\r",
        true,
    );
    assert_eq!(
        patient,
        Some(json!({
            "resourceType": "Patient",
            "extension": [
                {"url": "http://example.org/pharmacy", "valueString": "Corner & Main Pharmacy"},
                {"url": "http://example.org/pharmacy", "valueString": "Second"}
            ],
            "gender": "female"
        }))
    );
    // The Z-segment is no longer unmapped as a whole: only its fields without an override are.
    assert_eq!(
        report,
        ["unmapped field ZPI(1)-1", "unmapped field ZPI(1)-3"]
    );
}

#[test]
fn without_the_override_the_z_segment_is_reported_whole() {
    let (_, report) = run("", "ZPI|1|Corner Pharmacy|other\r", true);
    assert_eq!(report, ["unmapped segment ZPI(1)"]);
}

#[test]
fn values_of_each_type() {
    let toml = [
        ("ZPI-1", "boolean"),
        ("ZPI-2", "integer"),
        ("ZPI-3", "decimal"),
        ("ZPI-4", "dateTime"),
        ("ZPI-5", "CodeableConcept"),
        ("ZPI-6", "code"),
        ("ZPI-7", "Reference"),
        ("ZPI-8", "Identifier"),
        ("ZPI-9.2", "Coding"),
    ]
    .iter()
    .map(|(field, kind)| {
        format!("[[segment_overrides]]\nfield = \"{field}\"\nextension = {{ resource = \"Patient\", url = \"u:{field}\", value_type = \"{kind}\" }}\n")
    })
    .collect::<String>();
    let (patient, report) = run(
        &toml,
        "ZPI|Y|42|1.50|20240301101500|A^Alpha^LN|C^ignored|Practitioner/1|7^^^HOSP^MR|x^Y2\r",
        true,
    );
    let extensions = patient.unwrap()["extension"].clone();
    let decimal: Value = serde_json::from_str("1.50").unwrap();
    assert_eq!(
        extensions,
        json!([
            {"url": "u:ZPI-1", "valueBoolean": true},
            {"url": "u:ZPI-2", "valueInteger": 42},
            {"url": "u:ZPI-3", "valueDecimal": decimal},
            {"url": "u:ZPI-4", "valueDateTime": "2024-03-01T10:15:00-05:00"},
            {"url": "u:ZPI-5", "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "A", "display": "Alpha"}]}},
            {"url": "u:ZPI-6", "valueCode": "C"},
            {"url": "u:ZPI-7", "valueReference": {"reference": "Practitioner/1"}},
            {"url": "u:ZPI-8", "valueIdentifier": {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR", "display": "Medical record number"}]},
                "system": "urn:fhirgate:namespace:HOSP", "value": "7"}},
            {"url": "u:ZPI-9.2", "valueCoding": {"code": "Y2"}}
        ])
    );
    assert!(extensions.to_string().contains("\"valueDecimal\":1.50"));
    assert_eq!(
        report,
        [
            "unmapped component ZPI(1)-6[1].2",
            "unmapped component ZPI(1)-9[1].1",
            "information at ZPI(1)-4[1]: time zone offset taken from MSH-7",
        ]
    );
}

#[test]
fn an_element_path_replaces_the_value_and_leaves_the_rest_reported() {
    let toml = "[[segment_overrides]]\nfield = \"PID-16.2\"\nelement = { resource = \"Patient\", path = \"Patient.maritalStatus.text\" }\n";
    let (patient, report) = run(
        toml,
        &format!("PID|1{}M^Married, twice\r", "|".repeat(15)),
        true,
    );
    assert_eq!(
        patient,
        Some(
            json!({"resourceType": "Patient", "gender": "female", "maritalStatus": {"text": "Married, twice"}})
        )
    );
    // PID-1 is not read: no PID mapping runs here.
    assert_eq!(
        report,
        [
            "unmapped field PID(1)-1",
            "unmapped component PID(1)-16[1].1"
        ]
    );
}

#[test]
fn values_that_cannot_be_written_stay_reported() {
    let toml = format!(
        "{ZPI_STRING}[[segment_overrides]]\nfield = \"ZPI-3\"\nextension = {{ resource = \"Patient\", url = \"u:3\", value_type = \"boolean\" }}\n"
    );
    // No Patient at all.
    let (patient, report) = run(&toml, "ZPI||Pharmacy\r", false);
    assert_eq!(patient, None);
    assert_eq!(
        report,
        [
            "unmapped component ZPI(1)-2[1].1",
            "warning at ZPI(1)-2[1]: override ZPI-2: this message produced no Patient; not written",
        ]
    );
    // A value that is not of the type.
    let (_, report) = run(&toml, "ZPI||Pharmacy|maybe\r", true);
    assert_eq!(
        report,
        [
            "unmapped component ZPI(1)-3[1].1",
            "warning at ZPI(1)-3[1]: override ZPI-3: the value does not convert to Boolean; not written",
        ]
    );
}

#[test]
fn element_paths() {
    let mut resource = json!({"name": [{"family": "X"}], "gender": "male"});
    let object = resource.as_object_mut().unwrap();
    assert!(set_path(object, &["name", "text"], json!("Jo X")));
    assert!(set_path(object, &["a", "b", "c"], json!("deep")));
    assert!(!set_path(object, &["gender", "text"], json!("no")));
    assert!(!set_path(object, &[], json!("no")));
    assert_eq!(
        resource,
        json!({"name": [{"family": "X", "text": "Jo X"}], "gender": "male", "a": {"b": {"c": "deep"}}})
    );
}
