//! Pharmacy mappings through whole messages: RDE → MedicationRequest, RDS → MedicationDispense.

use serde_json::{Value, json};

use crate::v2::Converter;

const MSH: &str = "MSH|^~\\&|PHARM|HOSP|EHR|HOSP|20240305103000-0500||RDE^O11^RDE_O11|C1|P|2.5.1\r";

fn resources(message: &str, resource_type: &str) -> (Vec<Value>, String) {
    let conversion = Converter::default().convert(message.as_bytes()).unwrap();
    let found = conversion.bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["resource"].clone())
        .filter(|r| r["resourceType"] == resource_type)
        .collect();
    (found, conversion.report.to_string())
}

/// Checks the members of `expected` on the resource (others are not compared).
fn check(resource: &Value, expected: Value) {
    let Value::Object(expected) = expected else {
        panic!("expected an object")
    };
    for (member, value) in expected {
        assert_eq!(
            resource.get(&member),
            Some(&value),
            "{member} in {resource:#}"
        );
    }
}

#[test]
fn rde_gives_an_encoded_order_based_on_the_original_order() {
    let message = format!(
        "{MSH}PID|1||123^^^HOSP^MR||DOE^JANE\r\
         PV1|1|I|W1^101^A\r\
         ORC|NW|ORD-1^HOSP|||SC||||20240305100000-0500|||1234^WELBY^MARCUS^^^^^^HOSP\r\
         TQ1|1||BID|||5^d|||R^Routine^HL70485\r\
         RXO|00047040230^Ampicillin 250 mg caps^NDC|2||caps^capsule\r\
         RXR|PO^Oral^HL70162\r\
         RXE||00047040230^Ampicillin 250 mg caps^NDC|250|500|mg^mg^UCUM||Titrate|||20|CAP^capsule|3|||RX-77||||2^g\r\
         NTE|1||Take with food\r\
         TQ1|1||TID||||20240305120000|20240312120000|S||Before meals\r\
         RXR|PO^Oral^HL70162|LA^Left arm^HL70163\r\
         RXR|NG^Nasogastric^HL70162\r"
    );
    let (requests, report) = resources(&message, "MedicationRequest");
    assert_eq!(requests.len(), 2, "{report}");
    let (original, order) = (&requests[0], &requests[1]);
    check(
        original,
        json!({"status": "active", "intent": "original-order", "priority": "routine"}),
    );
    assert!(original.get("identifier").is_none());
    check(
        order,
        json!({
            "identifier": [
                {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC"}]},
                 "system": order["identifier"][0]["system"], "value": "ORD-1"},
                {"type": {"text": "Prescription number"}, "value": "RX-77"}
            ],
            "status": "active",
            "intent": "order",
            "priority": "stat",
            "medicationCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "00047040230", "display": "Ampicillin 250 mg caps"}]},
            "authoredOn": "2024-03-05T10:00:00-05:00",
            "basedOn": [{"reference": format!("urn:uuid:{}", original["id"].as_str().unwrap())}],
            "note": [{"text": "Take with food"}],
            "dispenseRequest": {
                "numberOfRepeatsAllowed": 3,
                "quantity": {"value": 20, "unit": "capsule"}
            }
        }),
    );
    let dosages = order["dosageInstruction"].as_array().unwrap();
    assert_eq!(dosages.len(), 2, "one per RXR: {dosages:#?}");
    check(
        &dosages[0],
        json!({
            "sequence": 1,
            "text": "Before meals",
            "additionalInstruction": [{"text": "Titrate"}],
            "timing": {
                "repeat": {"boundsPeriod": {"start": "2024-03-05T12:00:00-05:00", "end": "2024-03-12T12:00:00-05:00"}},
                "code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "TID"}]}
            },
            "doseAndRate": [{"doseRange": {
                "low": {"value": 250, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
                "high": {"value": 500, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
            }}],
            "maxDosePerPeriod": {
                "numerator": {"value": 2, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"},
                "denominator": {"value": 1, "unit": "d", "system": "http://unitsofmeasure.org", "code": "d"}
            }
        }),
    );
    assert_eq!(dosages[0]["site"]["coding"][0]["code"], "LA");
    assert_eq!(dosages[1]["route"]["coding"][0]["code"], "NG");
    assert!(order["requester"]["reference"].is_string());
    assert!(order["subject"]["reference"].is_string());
    assert!(order["encounter"]["reference"].is_string());
}

#[test]
fn rds_gives_a_dispense_authorized_by_the_order() {
    let message = "MSH|^~\\&|PHARM|HOSP|EHR|HOSP|20240305103000-0500||RDS^O13^RDS_O13|C2|P|2.5.1\r\
         PID|1||123^^^HOSP^MR||DOE^JANE\r\
         ORC|RE|ORD-2^HOSP|||CM\r\
         RXE||01151327^Doxycycline^NDC|1||TAB^Tablet\r\
         RXR|PO^oral^HL70162\r\
         RXD|1|01151327^Doxycycline^NDC|20240306091500|10|TAB^Tablet||||After food|9941^SMITH^ADAM^^^^^^NPI|G\r\
         NTE|1||Counselled\r\
         RXR|PO^oral^HL70162\r\
         OBX|1|NM|8867-4^Heart rate^LN||72|/min|||||F\r";
    let (dispenses, report) = resources(message, "MedicationDispense");
    assert_eq!(dispenses.len(), 1, "{report}");
    let (requests, _) = resources(message, "MedicationRequest");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["status"], "completed");
    let dispense = &dispenses[0];
    check(
        dispense,
        json!({
            "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "01151327", "display": "Doxycycline"}]},
            "authorizingPrescription": [{"reference": format!("urn:uuid:{}", requests[0]["id"].as_str().unwrap())}],
            "quantity": {"value": 10, "unit": "Tablet"},
            "whenHandedOver": "2024-03-06T09:15:00-05:00",
            "note": [{"text": "After food"}, {"text": "Counselled"}],
            "substitution": {"wasSubstituted": true, "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0167", "code": "G"}]}}
        }),
    );
    assert_eq!(
        dispense["dosageInstruction"][0]["route"]["coding"][0]["code"],
        "PO"
    );
    assert_eq!(dispense["performer"].as_array().unwrap().len(), 1);
    assert_eq!(
        dispense["supportingInformation"].as_array().unwrap().len(),
        1
    );
    assert!(requests[0].get("supportingInformation").is_none());
}

#[test]
fn missing_medication_and_status_are_repaired_with_issues() {
    let message = format!("{MSH}PID|1||123^^^HOSP^MR\rORC|XX\rRXE|^^^^^^^|||\r");
    let (requests, report) = resources(&message, "MedicationRequest");
    check(
        &requests[0],
        json!({
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "unknown"}]}
        }),
    );
    assert!(
        report.contains("RXE-2 empty: medication (required)"),
        "{report}"
    );
    assert!(
        report.contains("MedicationRequest.status active assumed"),
        "{report}"
    );
}
