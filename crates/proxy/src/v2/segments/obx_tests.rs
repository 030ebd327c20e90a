//! OBX → Observation, one focused message per value type.

use serde_json::{Value, json};

use super::super::super::context::Context;
use super::super::super::report::Report;
use super::observation;
use crate::site_config::SiteConfig;

const MSH: &str = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240305103000-0500||ORU^R01^ORU_R01|C1|P|2.5.1\r";

/// Converts every OBX of `segments` (with the NTEs after it) and returns the resources and report.
fn convert(segments: &str) -> (Vec<Value>, Report) {
    let text = format!("{MSH}{segments}");
    let (message, _) = hl7v2::parse(text.as_bytes());
    let header = message.header();
    let config = SiteConfig::default();
    let mut ctx = Context::new(&message, &header, &config);
    let all: Vec<_> = ctx.message().segments().collect();
    for (idx, segment) in all.iter().enumerate() {
        if segment.name() == "OBX" {
            let notes: Vec<_> = all
                .iter()
                .skip(idx + 1)
                .take_while(|s| s.name() == "NTE")
                .copied()
                .collect();
            observation(&mut ctx, segment, &notes, Some("Patient/p1"), None);
        }
    }
    let (resources, report) = ctx.finish();
    (resources.into_iter().map(|r| r.resource).collect(), report)
}

/// The first resource of `resource_type` holds every member of `expected` with equal values.
fn check(segments: &str, resource_type: &str, expected: Value) -> Report {
    let (resources, report) = convert(segments);
    let resource = resources
        .iter()
        .find(|r| r["resourceType"] == resource_type)
        .unwrap_or_else(|| panic!("no {resource_type} in {resources:#?}"));
    for (name, value) in expected.as_object().unwrap() {
        assert_eq!(&resource[name], value, "{name} in {resource:#}");
    }
    report
}

#[test]
fn nm_with_units_range_interpretation_status_and_time() {
    let report = check(
        "OBX|1|NM|2345-7^Glucose^LN||1.50|mg/dL^^UCUM|0.70-1.10|H|||F|||20240305101500\r\
         NTE|1|L|Fasting sample\r",
        "Observation",
        serde_json::from_str(r#"{
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7", "display": "Glucose"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2024-03-05T10:15:00-05:00",
            "valueQuantity": {"value": 1.50, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"},
            "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "H", "display": "High"}]}],
            "referenceRange": [{"low": {"value": 0.70, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}, "high": {"value": 1.10, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}, "text": "0.70-1.10"}],
            "note": [{"text": "Fasting sample"}]
        }"#)
        .unwrap(),
    );
    // NTE-2 (source of comment) has no Annotation member: reported.
    let unmapped: Vec<String> = report
        .unmapped
        .iter()
        .map(|u| u.location.to_string())
        .collect();
    assert!(
        unmapped
            .iter()
            .any(|u| u.contains("NTE") && u.contains('2')),
        "{unmapped:?}"
    );
}

#[test]
fn nm_keeps_decimal_text_and_reads_comparators() {
    let (resources, _) = convert("OBX|1|NM|X^Y^L||<0.50|mmol/L|||||F\r");
    assert_eq!(
        resources[0]["valueQuantity"].to_string(),
        r#"{"value":0.50,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L","comparator":"<"}"#
    );
}

#[test]
fn sn_range_ratio_and_quantity_take_obx6_units() {
    check(
        "OBX|1|SN|X^Y^L||^1^-^3|mg|||||F\r",
        "Observation",
        json!({"valueRange": {"low": {"value": 1, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}, "high": {"value": 3, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}}),
    );
    check(
        "OBX|1|SN|X^Y^L||^1^:^128||||||F\r",
        "Observation",
        json!({"valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 128}}}),
    );
    check(
        "OBX|1|SN|X^Y^L||>^10||||||F\r",
        "Observation",
        json!({"valueQuantity": {"value": 10, "comparator": ">"}}),
    );
}

#[test]
fn text_types_join_repetitions_and_decode_formatting() {
    check(
        "OBX|1|FT|X^Y^L||line one\\.br\\line two~line three||||||F\r",
        "Observation",
        json!({"valueString": "line one\nline two\nline three"}),
    );
    check(
        "OBX|1|ST|X^Y^L||positive||||||P\r",
        "Observation",
        json!({"valueString": "positive", "status": "preliminary"}),
    );
}

#[test]
fn coded_dates_and_times() {
    check(
        "OBX|1|CWE|X^Y^L||260373001^Detected^SCT||||||C\r",
        "Observation",
        json!({"status": "corrected", "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260373001", "display": "Detected"}]}}),
    );
    check(
        "OBX|1|DT|X^Y^L||20240301||||||F\r",
        "Observation",
        json!({"valueDateTime": "2024-03-01"}),
    );
    check(
        "OBX|1|TS|X^Y^L||202403011230||||||F\r",
        "Observation",
        json!({"valueDateTime": "2024-03-01T12:30:00-05:00"}),
    );
    check(
        "OBX|1|TM|X^Y^L||0930||||||F\r",
        "Observation",
        json!({"valueTime": "09:30:00"}),
    );
}

#[test]
fn repetitions_of_a_single_value_type_all_become_components_without_value() {
    check(
        "OBX|1|CE|X^Y^L||A^Alpha^L~B^Beta^L||||||F\r",
        "Observation",
        json!({
            "component": [
                {"code": {"coding": [{"code": "X", "display": "Y"}]}, "valueCodeableConcept": {"coding": [{"code": "A", "display": "Alpha"}]}},
                {"code": {"coding": [{"code": "X", "display": "Y"}]}, "valueCodeableConcept": {"coding": [{"code": "B", "display": "Beta"}]}}
            ]
        }),
    );
    let (resources, _) = convert("OBX|1|NM|8867-4^Heart rate^LN||60~120|/min|||||F\r");
    let observation = resources
        .iter()
        .find(|r| r["resourceType"] == "Observation")
        .unwrap();
    assert!(observation.get("valueQuantity").is_none());
    assert_eq!(observation["component"].as_array().map(Vec::len), Some(2));
}

#[test]
fn ed_and_rp_become_a_document_reference_derived_from() {
    let (resources, _) = convert(
        "OBX|1|ED|PDF^Report^L||LAB^Application^PDF^Base64^JVBERi0=||||||F\r\
         OBX|2|RP|IMG^Image^L||http://img.example/1^PACS^IM^JPEG||||||F\r\
         OBX|3|ED|TXT^Note^L||^TEXT^^A^foo||||||F\r",
    );
    let documents: Vec<&Value> = resources
        .iter()
        .filter(|r| r["resourceType"] == "DocumentReference")
        .collect();
    assert_eq!(documents.len(), 3);
    assert_eq!(documents[0]["status"], "current");
    assert_eq!(
        documents[0]["content"],
        json!([{"attachment": {"data": "JVBERi0=", "contentType": "application/pdf"}}])
    );
    assert_eq!(
        documents[1]["content"],
        json!([{"attachment": {"url": "http://img.example/1", "contentType": "image/jpeg"}}])
    );
    assert_eq!(
        documents[2]["content"],
        json!([{"attachment": {"data": "Zm9v", "contentType": "text/plain"}}])
    );
    let observation = resources
        .iter()
        .find(|r| r["resourceType"] == "Observation")
        .unwrap();
    assert_eq!(
        observation["derivedFrom"][0]["reference"],
        format!("DocumentReference/{}", documents[0]["id"].as_str().unwrap())
    );
}

#[test]
fn status_fallbacks_and_missing_code() {
    let report = check(
        "OBX|1|ST|X^Y^L||text\r",
        "Observation",
        json!({"status": "unknown"}),
    );
    assert!(report.issues.iter().any(|i| i.message.contains("OBX-11")));
    check(
        "OBX|1|ST|X^Y^L||text||||||X\r",
        "Observation",
        json!({"status": "cancelled", "dataAbsentReason": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "not-performed"}]}}),
    );
    check(
        "OBX|1|ST|X^Y^L||text||||||I\r",
        "Observation",
        json!({"status": "registered"}),
    );
    let (resources, report) = convert("OBX|1|ST|||text||||||F\r");
    assert!(resources.is_empty());
    assert!(report.issues.iter().any(|i| i.message.contains("OBX-3")));
}

#[test]
fn identifier_keys_the_observation_and_performers_are_kept() {
    check(
        "OBX|1|NM|X^Y^L||5|||||F|||||||||||OBS-1^LAB^1.2.3^ISO||Quest^L^^^^^^^^Q1|1 Lab Rd^^Town^ST^12345|1234^Boss^Big\r",
        "Observation",
        json!({
            "identifier": [{"system": "urn:oid:1.2.3", "value": "OBS-1", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "FILL"}]}}],
        }),
    );
    let (resources, report) = convert(
        "OBX|1|NM|X^Y^L||5|||||F|||||||||||||Quest^L^^^^^^^^Q1|1 Lab Rd^^Town^ST^12345|1234^Boss^Big\r",
    );
    let observation = &resources
        .iter()
        .find(|r| r["resourceType"] == "Observation")
        .unwrap();
    assert_eq!(observation["performer"].as_array().unwrap().len(), 2);
    let organization = resources
        .iter()
        .find(|r| r["resourceType"] == "Organization")
        .unwrap();
    assert_eq!(organization["address"][0]["city"], "Town");
    // Every OBX field with data is mapped.
    assert!(
        report
            .unmapped
            .iter()
            .all(|u| u.location.segment_id.as_deref() != Some("OBX")
                || u.kind != super::super::super::report::UnmappedKind::Field),
        "{:?}",
        report.unmapped
    );
}
