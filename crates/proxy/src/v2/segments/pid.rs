//! PID → Patient, per the v2-to-FHIR table "PID\[Patient\]".
//!
//! The Patient's key is its first PID-3 identifier that has both a system and a value, so that
//! the same patient in two messages is one resource written with a conditional update; without
//! one the Patient is keyed by the segment (one per message). Also holds the small helpers the
//! ADT segment mappings share (Yes/No indicators, time fields, concepts with a v2-to-FHIR map).

use fhir::datatypes::ResourceBuilder;
use hl7v2::Segment;
use serde_json::{Map, Value, json};

use super::super::context::{Context, Item, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::pid_related;

const US_CORE_RACE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
const US_CORE_ETHNICITY: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
/// CDC Race & Ethnicity code system.
const CDCREC: &str = "urn:oid:2.16.840.1.113883.6.238";
/// The OMB race categories (US Core `ombCategory`); other CDC race codes are `detailed`.
const OMB_RACE: &[&str] = &[
    "1002-5", "2028-9", "2054-5", "2076-8", "2106-3", "UNK", "ASKU",
];
/// The OMB ethnicity categories.
const OMB_ETHNICITY: &[&str] = &["2135-2", "2186-5", "UNK", "ASKU"];

/// Maps PID to a Patient, adds it, and returns its reference (`Patient/<id>`).
pub fn patient<'m>(ctx: &mut Context<'m>, pid: &Segment<'m>) -> String {
    // PID-1 only numbers PID segments.
    ctx.consume(pid, &[1]);
    let mut identifiers = Vec::new();
    for item in ctx.items(pid, 2) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    let mut patient_ids = Vec::new();
    for item in ctx.items(pid, 3) {
        patient_ids.extend(dt::identifier(ctx, &item));
    }
    let key = patient_ids
        .iter()
        .find_map(dt::identifier_key)
        .unwrap_or(ResourceKey::Segment(pid.index()));
    identifiers.extend(patient_ids);
    for item in ctx.items(pid, 4) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    if let Some(ssn) = ctx.text(pid, 19) {
        identifiers.push(json!({
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                "code": "SS"
            }]},
            "system": "http://hl7.org/fhir/sid/us-ssn",
            "value": ssn
        }));
    }
    if let Some(dln) = ctx.item(pid, 20) {
        ctx.unused_components(&dln, &[1, 3]);
        if let Some(number) = dln.text(1) {
            let end = dt::date(ctx, &dln, 3);
            identifiers.push(json!({
                "type": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                    "code": "DL"
                }]},
                "value": number,
                "period": end.map(|end| json!({"end": end}))
            }));
        }
    }

    let mut names = Vec::new();
    for item in ctx.items(pid, 5) {
        names.extend(dt::human_name(ctx, &item));
    }
    for item in ctx.items(pid, 9) {
        // PID-9 is the alias: a name the patient is also known by (its use, if any, from XPN-7).
        names.extend(dt::human_name(ctx, &item));
    }

    let mut extensions = Vec::new();
    // The extension holds one string: the first name's surname (XPN-1.1), else its XPN-1; further
    // repetitions and components are reported.
    if let Some(maiden) = ctx.item(pid, 6).as_ref() {
        ctx.unused_components(maiden, &[1]);
        if let Some(family) = maiden.sub_text(1, 1).or_else(|| maiden.text(1)) {
            extensions.push(json!({
                "url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                "valueString": family
            }));
        }
    }
    for item in ctx.items(pid, 10) {
        extensions.extend(race_or_ethnicity(ctx, &item, US_CORE_RACE, OMB_RACE));
    }
    for item in ctx.items(pid, 22) {
        extensions.extend(race_or_ethnicity(
            ctx,
            &item,
            US_CORE_ETHNICITY,
            OMB_ETHNICITY,
        ));
    }
    if let Some(religion) = ctx.item(pid, 17)
        && let Some(concept) = dt::codeable_concept(ctx, &religion, Some("0006"))
    {
        extensions.push(json!({
            "url": "http://hl7.org/fhir/StructureDefinition/patient-religion",
            "valueCodeableConcept": concept
        }));
    }
    if let Some(place) = ctx.text(pid, 23) {
        extensions.push(json!({
            "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
            "valueAddress": {"text": place}
        }));
    }
    for field in [26, 39] {
        for item in ctx.items(pid, field) {
            if let Some(concept) = dt::codeable_concept(ctx, &item, None) {
                extensions.push(json!({
                    "url": "http://hl7.org/fhir/StructureDefinition/patient-citizenship",
                    "extension": [{"url": "code", "valueCodeableConcept": concept}]
                }));
            }
        }
    }
    if let Some(item) = ctx.item(pid, 28)
        && let Some(concept) = dt::codeable_concept(ctx, &item, None)
    {
        extensions.push(json!({
            "url": "http://hl7.org/fhir/StructureDefinition/patient-nationality",
            "extension": [{"url": "code", "valueCodeableConcept": concept}]
        }));
    }
    let mut animal = Vec::new();
    for (field, part) in [(35, "species"), (36, "breed")] {
        if let Some(item) = ctx.item(pid, field)
            && let Some(concept) = dt::codeable_concept(ctx, &item, None)
        {
            animal.push(json!({"url": part, "valueCodeableConcept": concept}));
        }
    }
    if !animal.is_empty() {
        extensions.push(json!({
            "url": "http://hl7.org/fhir/StructureDefinition/patient-animal",
            "extension": animal
        }));
    }

    let birth = ctx.item(pid, 7);
    let (birth_date, birth_time) = match birth {
        Some(item) => {
            ctx.unused_components(&item, &[1]);
            let date = dt::date(ctx, &item, 1);
            // A time of birth (more than the 8 digits of a date) goes into the birthTime
            // extension on birthDate.
            let time = item
                .text(1)
                .filter(|text| text.len() > 8)
                .and_then(|_| dt::datetime(ctx, &item, 1))
                .filter(|value| value.len() > 10);
            (date, time)
        }
        None => (None, None),
    };
    let gender = ctx
        .item(pid, 8)
        .and_then(|item| dt::code(ctx, &item, "AdministrativeSex"));

    let mut telecom = Vec::new();
    for (field, default_use) in [(13, "home"), (14, "work"), (40, "")] {
        for item in ctx.items(pid, field) {
            let use_given = item.text(2).is_some();
            if let Some(point) = dt::contact_point(ctx, &item) {
                telecom.push(if use_given || default_use.is_empty() {
                    point
                } else {
                    with_member(point, "use", default_use)
                });
            }
        }
    }

    let mut addresses = Vec::new();
    for item in ctx.items(pid, 11) {
        addresses.extend(dt::address(ctx, &item));
    }
    if let Some(county) = ctx.text(pid, 12) {
        // PID-12 is the county of the (first) address, unless XAD-9 already gives one.
        match addresses.first_mut().and_then(Value::as_object_mut) {
            Some(first) if !first.contains_key("district") => {
                first.insert("district".into(), Value::String(county.into_owned()));
            }
            Some(_) => addresses.push(json!({"district": county})),
            None => addresses.push(json!({"district": county})),
        }
    }

    let marital = ctx
        .item(pid, 16)
        .and_then(|item| mapped_concept(ctx, &item, "0002", "MaritalStatus"));
    let language = ctx
        .item(pid, 15)
        .and_then(|item| dt::codeable_concept(ctx, &item, Some("0296")));

    let birth_order = ctx.text(pid, 25);
    let multiple_indicator = ctx.item(pid, 24).and_then(|item| yes_no(ctx, &item));
    let multiple_birth = match birth_order.as_deref().map(str::parse::<i64>) {
        Some(Ok(order)) => Some(("multipleBirthInteger", json!(order))),
        Some(Err(_)) => {
            ctx.issue(
                IssueSeverity::Error,
                hl7v2::Location::field(pid.index(), "PID", 25),
                "birth order is not an integer; left out",
            );
            multiple_indicator.map(|b| ("multipleBirthBoolean", json!(b)))
        }
        None => multiple_indicator.map(|b| ("multipleBirthBoolean", json!(b))),
    };

    let death_time = ctx.item(pid, 29).and_then(|item| {
        ctx.unused_components(&item, &[1]);
        dt::datetime(ctx, &item, 1)
    });
    let death_indicator = ctx.item(pid, 30).and_then(|item| yes_no(ctx, &item));
    let deceased = match (death_time, death_indicator) {
        (Some(time), _) => Some(("deceasedDateTime", json!(time))),
        (None, Some(flag)) => Some(("deceasedBoolean", json!(flag))),
        (None, None) => None,
    };

    let birth_date_ext = birth_time.map(|time| {
        json!({"extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
            "valueDateTime": time
        }]})
    });

    let reference = ctx.add("Patient", key, |id| {
        let mut patient = ResourceBuilder::new("Patient", &id);
        patient
            .set("extension", Some(Value::Array(extensions)))
            .set("identifier", Some(Value::Array(identifiers)))
            .set("name", Some(Value::Array(names)))
            .set("telecom", Some(Value::Array(telecom)))
            .set("gender", gender.map(Value::String))
            .set("birthDate", birth_date.map(Value::String))
            .set("_birthDate", birth_date_ext);
        if let Some((name, value)) = deceased {
            patient.set(name, Some(value));
        }
        patient
            .set("address", Some(Value::Array(addresses)))
            .set("maritalStatus", marital);
        if let Some((name, value)) = multiple_birth {
            patient.set(name, Some(value));
        }
        patient.set(
            "communication",
            language.map(|language| json!([{"language": language}])),
        );
        patient.build()
    });
    pid_related::account(ctx, pid, &reference);
    pid_related::mother(ctx, pid, &reference);
    reference
}

/// `value` (an object) with the string member `name` set to `member`.
pub(super) fn with_member(value: Value, name: &str, member: &str) -> Value {
    match value {
        Value::Object(mut object) => {
            object.insert(name.to_owned(), Value::String(member.to_owned()));
            Value::Object(object)
        }
        other => other,
    }
}

/// An HL7 table 0136 Yes/No indicator (component 1) as a boolean; anything else is an issue.
pub(super) fn yes_no<'m>(ctx: &mut Context<'m>, item: &Item<'m>) -> Option<bool> {
    ctx.unused_components(item, &[1]);
    match item.text(1).as_deref() {
        Some("Y") => Some(true),
        Some("N") => Some(false),
        other => {
            ctx.issue(
                IssueSeverity::Error,
                item.location(),
                format!("not a Yes/No indicator (table 0136): {other:?}; left out"),
            );
            None
        }
    }
}

/// A CWE as a CodeableConcept (system v2-`table` when CWE-3 is empty), with the FHIR coding of
/// the v2-to-FHIR concept map `map` added first when the code maps.
pub(super) fn mapped_concept<'m>(
    ctx: &mut Context<'m>,
    item: &Item<'m>,
    table: &str,
    map: &str,
) -> Option<Value> {
    let mapped = item
        .text(1)
        .and_then(|code| ctx.vocabulary().map(map, &code))
        .map(|m| {
            let mut coding = Map::new();
            coding.insert("system".into(), json!(m.system));
            coding.insert("code".into(), json!(m.code));
            if let Some(display) = m.display {
                coding.insert("display".into(), json!(display));
            }
            Value::Object(coding)
        });
    let mut concept = dt::codeable_concept(ctx, item, Some(table))?;
    if let (Some(mapped), Some(codings)) = (
        mapped,
        concept.get_mut("coding").and_then(Value::as_array_mut),
    ) && !codings.iter().any(|coding| {
        coding.get("system") == mapped.get("system") && coding.get("code") == mapped.get("code")
    }) {
        codings.insert(0, mapped);
    }
    Some(concept)
}

/// A DTM/TS field's first component as a FHIR dateTime; its other components are reported.
pub(super) fn field_datetime<'m>(
    ctx: &mut Context<'m>,
    segment: &Segment<'m>,
    field: usize,
) -> Option<String> {
    let item = ctx.item(segment, field)?;
    ctx.unused_components(&item, &[1]);
    dt::datetime(ctx, &item, 1)
}

/// PID-10 / PID-22 → the US Core race / ethnicity extension. CDC Race & Ethnicity codes (CWE-3
/// `CDCREC`, `HL70005` or `HL70189` with a `nnnn-n` code) become `ombCategory` (the OMB
/// categories) or `detailed`; table 0189's H/N/U become their OMB ethnicity categories; the
/// required `text` is CWE-2, else the code. A code of another system keeps only the text, and
/// an issue says so.
fn race_or_ethnicity<'m>(
    ctx: &mut Context<'m>,
    item: &Item<'m>,
    url: &str,
    omb: &[&str],
) -> Option<Value> {
    ctx.unused_components(item, &[1, 2, 3]);
    let code = item.text(1);
    let display = item.text(2);
    let text = display.clone().or_else(|| code.clone())?;
    let system = item.text(3);
    let cdc_system = matches!(
        system.as_deref(),
        None | Some("CDCREC" | "HL70005" | "HL70189" | "2.16.840.1.113883.6.238")
    );
    // HL7 table 0189 (ethnic group) codes, as v2.5+ senders write them, have OMB equivalents.
    let ethnic_0189 = url == US_CORE_ETHNICITY
        && matches!(system.as_deref(), None | Some("HL70189"))
        && matches!(code.as_deref(), Some("H" | "N" | "U"));
    let mapped = match code.as_deref() {
        Some("H") if ethnic_0189 => Some(("2135-2", Some("Hispanic or Latino"))),
        Some("N") if ethnic_0189 => Some(("2186-5", Some("Not Hispanic or Latino"))),
        Some("U") if ethnic_0189 => Some(("UNK", Some("Unknown"))),
        Some(code) if cdc_system && (omb.contains(&code) || is_cdc_code(code)) => {
            Some((code, display.as_deref()))
        }
        _ => None,
    };
    let mut parts = Vec::new();
    match (mapped, code.as_deref()) {
        (Some((code, display)), _) => {
            let part = if omb.contains(&code) {
                "ombCategory"
            } else {
                "detailed"
            };
            // UNK and ASKU are null flavors, not CDC codes.
            let coding_system = if matches!(code, "UNK" | "ASKU") {
                "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
            } else {
                CDCREC
            };
            let mut coding = Map::new();
            coding.insert("system".into(), json!(coding_system));
            coding.insert("code".into(), json!(code));
            if let Some(display) = display {
                coding.insert("display".into(), json!(display));
            }
            parts.push(json!({"url": part, "valueCoding": coding}));
        }
        (None, Some(code)) => ctx.issue(
            IssueSeverity::Warning,
            item.location(),
            format!("code {code:?} is not a CDC Race & Ethnicity code; kept as text only"),
        ),
        (None, None) => {}
    }
    parts.push(json!({"url": "text", "valueString": text}));
    Some(json!({"url": url, "extension": parts}))
}

/// A CDC Race & Ethnicity concept code: four digits, a dash, one check digit.
fn is_cdc_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 6
        && bytes.get(4) == Some(&b'-')
        && bytes
            .iter()
            .enumerate()
            .all(|(idx, b)| idx == 4 || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, resources_of, segment};

    const MSH: &str =
        "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A04^ADT_A01|C1|P|2.5\rEVN|A04\r";

    #[test]
    fn pid_maps_identity_demographics_and_extensions() {
        let message = format!(
            "{MSH}PID|1||123^^^HOSP&1.2.3&ISO^MR~999^^^OTHER^PI||DOE^JANE^Q~SMITH^J|MAIDEN^M|19800102083000|F||2106-3^White^CDCREC|1 MAIN ST^^TOWN||555-1234|555-9999^WPN|en|M|||123-45-6789|||2186-5^Hispanic^CDCREC||Y|2||||20240101120000|Y\rPV1|1|O\r"
        );
        check(
            &message,
            "Patient",
            json!({
                "gender": "female",
                "birthDate": "1980-01-02",
                "_birthDate": {"extension": [{
                    "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                    "valueDateTime": "1980-01-02T08:30:00-05:00"
                }]},
                "deceasedDateTime": "2024-01-01T12:00:00-05:00",
                "multipleBirthInteger": 2,
                "maritalStatus": {"coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": "M", "display": "Married"},
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0002", "code": "M"}
                ]}
            }),
        );
        let patients = resources_of(&message, "Patient");
        let patient = &patients[0];
        let identifiers = patient["identifier"].as_array().unwrap();
        assert_eq!(identifiers.len(), 3, "{patient:#}");
        assert_eq!(identifiers[2]["system"], "http://hl7.org/fhir/sid/us-ssn");
        let urls: Vec<&str> = patient["extension"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["url"].as_str().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                super::US_CORE_RACE,
                super::US_CORE_ETHNICITY
            ]
        );
        assert_eq!(
            patient["extension"][1]["extension"][0],
            json!({"url": "ombCategory", "valueCoding": {"system": super::CDCREC, "code": "2106-3", "display": "White"}})
        );
        assert_eq!(patient["name"].as_array().unwrap().len(), 2);
        assert_eq!(patient["telecom"][0]["use"], "home");
        assert_eq!(patient["telecom"][1]["use"], "work");
    }

    #[test]
    fn death_indicator_without_time_and_unknown_gender_code() {
        let message = MSH.to_owned()
            + &segment(
                "PID",
                &[
                    (3, "123^^^HOSP^MR"),
                    (5, "DOE^JANE"),
                    (7, "1980"),
                    (8, "X"),
                    (22, "N^Not Hispanic^HL70189"),
                    (24, "N"),
                    (30, "Y"),
                ],
            )
            + "PV1|1|O\r";
        check(
            &message,
            "Patient",
            json!({"birthDate": "1980", "multipleBirthBoolean": false, "deceasedBoolean": true}),
        );
        let patient = &resources_of(&message, "Patient")[0];
        assert!(patient.get("gender").is_none());
        assert_eq!(
            patient["extension"][0]["extension"][0],
            json!({"url": "ombCategory", "valueCoding": {"system": super::CDCREC, "code": "2186-5", "display": "Not Hispanic or Latino"}})
        );
    }
}
