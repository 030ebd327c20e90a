//! PV1 (+ PV2) → Encounter, per the v2-to-FHIR tables "PV1\[Encounter\]" and "PV2\[Encounter\]".
//!
//! `Encounter.status` (required) is decided in this order:
//! 1. PV1-45 (discharge date/time) valued: `finished` (the table's rule).
//! 2. The trigger event (MSH-9.2) through the `Event[EncounterStatus]` map (A01/A02/A13
//!    `in-progress`, A03 `finished`, A04/A05 `planned`, A11 `cancelled`), plus the events that
//!    map does not list but whose meaning is plain: A14 (pending admit) `planned`, A27 (cancel
//!    pending admit) and A38 (cancel pre-admit) `cancelled`, A06/A07/A12/A16/A25 `in-progress`.
//!    A08/A31 (updates) imply no status: the map's `unknown` is skipped for them so that step 3
//!    can say more.
//! 3. PV1-2 (patient class) through `PatientClass[EncounterStatus]`.
//! 4. Else `unknown`, with an issue.
//!
//! `Encounter.class` (required) is PV1-2 through `PatientClass[EncounterClass]`; without a
//! mappable class it is the v3 NullFlavor `UNK`, with an issue.

use fhir::datatypes::ResourceBuilder;
use hl7v2::{Location, Segment};
use serde_json::{Value, json};

use super::super::context::{Context, ResourceKey};
use super::super::datatypes as dt;
use super::super::report::IssueSeverity;
use super::pid::{field_datetime, mapped_concept};

const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

/// Maps PV1 (and its PV2) to an Encounter of `patient`, adds it, and returns its reference.
pub fn encounter<'m>(
    ctx: &mut Context<'m>,
    pv1: &Segment<'m>,
    pv2: Option<&Segment<'m>>,
    patient: &str,
) -> String {
    // PV1-1 only numbers PV1 segments.
    ctx.consume(pv1, &[1]);
    let class_item = ctx.item(pv1, 2);
    let class_code = class_item.and_then(|item| item.text(1));
    if let Some(item) = &class_item {
        ctx.unused_components(item, &[1]);
    }
    let class = class_code
        .as_deref()
        .and_then(|code| ctx.vocabulary().map("PatientClass[EncounterClass]", code))
        .map(|m| json!({"system": m.system, "code": m.code, "display": m.display}));
    let class = match class {
        Some(class) => class,
        None => {
            let at = Location::field(pv1.index(), "PV1", 2);
            ctx.issue(
                IssueSeverity::Warning,
                at,
                format!(
                    "Encounter.class is required: patient class {:?} has no mapping; NullFlavor UNK used",
                    class_code.as_deref().unwrap_or("")
                ),
            );
            json!({"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK"})
        }
    };
    let preadmit = class_code.as_deref() == Some("P");

    let mut identifiers = Vec::new();
    if let Some(item) = ctx.item(pv1, 19)
        && let Some(id) = dt::identifier(ctx, &item)
    {
        identifiers.push(with_visit_number_type(id));
    }
    for item in ctx.items(pv1, 50) {
        identifiers.extend(dt::identifier(ctx, &item));
    }
    let first_pv1 = ctx.message().first("PV1").map(|s| s.index()) == Some(pv1.index());
    let key = identifiers
        .first()
        .and_then(dt::identifier_key)
        .unwrap_or(if first_pv1 {
            ResourceKey::Message("encounter")
        } else {
            ResourceKey::Segment(pv1.index())
        });

    let mut locations = Vec::new();
    let assigned_status = if preadmit { "planned" } else { "active" };
    for (segment, field, status) in [
        (Some(pv1), 3, assigned_status),
        (Some(pv1), 6, "completed"),
        (Some(pv1), 11, "active"),
        (Some(pv1), 42, "reserved"),
        (pv2, 1, "planned"),
    ] {
        let Some(segment) = segment else { continue };
        if let Some(item) = ctx.item(segment, field)
            && let Some(reference) = dt::location(ctx, &item)
        {
            if field == 3
                && segment.name() == "PV1"
                && (item.text(2).is_some() || item.text(3).is_some())
            {
                bed_status(ctx, pv1, &reference);
            }
            locations.push(json!({"location": dt::reference(&reference), "status": status}));
        }
    }

    let mut participants = Vec::new();
    let mut participant_fields = vec![
        (pv1, 7, "ATND", "attender"),
        (pv1, 8, "REF", "referrer"),
        (pv1, 9, "CON", "consultant"),
        (pv1, 17, "ADM", "admitter"),
        (pv1, 52, "PART", "Participation"),
    ];
    if let Some(pv2) = pv2 {
        participant_fields.push((pv2, 13, "REF", "referrer"));
    }
    for (segment, field, code, text) in participant_fields {
        for item in ctx.items(segment, field) {
            if let Some(reference) = dt::practitioner(ctx, &item) {
                participants.push(json!({
                    "type": [{
                        "coding": [{"system": PARTICIPATION_TYPE, "code": code}],
                        "text": text
                    }],
                    "individual": dt::reference(&reference)
                }));
            }
        }
    }

    let admission_type = ctx
        .item(pv1, 4)
        .and_then(|item| mapped_concept(ctx, &item, "0007", "AdmissionType"));
    let service_type = ctx
        .item(pv1, 10)
        .and_then(|item| mapped_concept(ctx, &item, "0069", "HospitalService"));

    let mut hospitalization = serde_json::Map::new();
    if let Some(item) = ctx.item(pv1, 5)
        && let Some(id) = dt::identifier(ctx, &item)
    {
        hospitalization.insert("preAdmissionIdentifier".into(), id);
    }
    if let Some(item) = ctx.item(pv1, 14)
        && let Some(concept) = dt::codeable_concept(ctx, &item, Some("0023"))
    {
        hospitalization.insert("admitSource".into(), concept);
    }
    if let Some(item) = ctx.item(pv1, 13)
        && let Some(concept) = mapped_concept(ctx, &item, "0092", "ReadmissionIndicator")
    {
        hospitalization.insert("reAdmission".into(), concept);
    }
    if let Some(item) = ctx.item(pv1, 38)
        && let Some(concept) = dt::codeable_concept(ctx, &item, Some("0159"))
    {
        hospitalization.insert("dietPreference".into(), Value::from(vec![concept]));
    }
    if let Some(item) = ctx.item(pv1, 16)
        && let Some(concept) = dt::codeable_concept(ctx, &item, Some("0099"))
    {
        hospitalization.insert("specialCourtesy".into(), Value::from(vec![concept]));
    }
    let mut arrangements = Vec::new();
    for item in ctx.items(pv1, 15) {
        arrangements.extend(mapped_concept(ctx, &item, "0009", "AmbulatoryStatus"));
    }
    if !arrangements.is_empty() {
        hospitalization.insert("specialArrangement".into(), Value::Array(arrangements));
    }
    if let Some(item) = ctx.item(pv1, 37) {
        // DLD-1 is the kind of place discharged to (table 0113); DLD-2 (effective date) has no
        // place in Location and is reported.
        ctx.unused_components(&item, &[1]);
        if let Some(code) = item.sub_text(1, 1) {
            let display = item.sub_text(1, 2);
            let name = display.clone().unwrap_or_else(|| code.clone());
            let reference = ctx.add(
                "Location",
                ResourceKey::Natural(format!("discharge-to:{code}")),
                |id| {
                    let mut location = ResourceBuilder::new("Location", &id);
                    location.set_str("name", &name).set(
                        "type",
                        Some(json!([{"coding": [{
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0113",
                            "code": code,
                            "display": display
                        }]}])),
                    );
                    location.build()
                },
            );
            hospitalization.insert("destination".into(), dt::reference(&reference));
        }
    }
    if let Some(item) = ctx.item(pv1, 36)
        && let Some(concept) = dt::codeable_concept(ctx, &item, Some("0112"))
    {
        hospitalization.insert("dischargeDisposition".into(), concept);
    }

    let start = field_datetime(ctx, pv1, 44);
    let end = field_datetime(ctx, pv1, 45);
    let status = status(ctx, pv1, end.is_some(), class_code.as_deref());

    let mut extensions = Vec::new();
    let mut reasons = Vec::new();
    let mut length = None;
    let mut text = None;
    let mut priority = None;
    if let Some(pv2) = pv2 {
        for (field, url) in [
            (
                8,
                "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedStartDate",
            ),
            (
                9,
                "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedEndDate",
            ),
        ] {
            if let Some(value) = field_datetime(ctx, pv2, field) {
                extensions.push(json!({"url": url, "valueDateTime": value}));
            }
        }
        if let Some(item) = ctx.item(pv2, 38)
            && let Some(coding) = dt::codeable_concept(ctx, &item, Some("0430"))
                .and_then(|concept| concept.get("coding")?.get(0).cloned())
        {
            extensions.push(json!({
                "url": "http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival",
                "valueCoding": coding
            }));
        }
        if let Some(item) = ctx.item(pv2, 3) {
            reasons.extend(dt::codeable_concept(ctx, &item, None));
        }
        if let Some(days) = ctx.text(pv2, 11) {
            length = days.parse::<Value>().ok().filter(Value::is_number).map(|value| {
                json!({"value": value, "unit": "d", "system": "http://unitsofmeasure.org", "code": "d"})
            });
            if length.is_none() {
                ctx.issue(
                    IssueSeverity::Error,
                    Location::field(pv2.index(), "PV2", 11),
                    "length of stay is not a number; left out",
                );
            }
        }
        text = ctx.text(pv2, 12).map(|description| {
            json!({
                "status": "generated",
                "div": format!(
                    "<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>",
                    escape_xhtml(&description)
                )
            })
        });
        priority = ctx
            .item(pv2, 25)
            .and_then(|item| mapped_concept(ctx, &item, "0217", "EncounterPriority"));
    }

    ctx.add("Encounter", key, |id| {
        let mut encounter = ResourceBuilder::new("Encounter", &id);
        encounter
            .set("text", text)
            .set("extension", Some(Value::Array(extensions)))
            .set("identifier", Some(Value::Array(identifiers)))
            .set_str("status", status)
            .set("class", Some(class))
            .set("type", admission_type.map(|t| Value::from(vec![t])))
            .set("serviceType", service_type)
            .set("priority", priority)
            .set("subject", Some(dt::reference(patient)))
            .set("participant", Some(Value::Array(participants)))
            .set("period", Some(json!({"start": start, "end": end})))
            .set("length", length)
            .set("reasonCode", Some(Value::Array(reasons)))
            .set("hospitalization", Some(Value::Object(hospitalization)))
            .set("location", Some(Value::Array(locations)));
        encounter.build()
    })
}

/// PV1-40 (bed status, table 0116) → `operationalStatus` of the assigned room or bed (PV1-3 with
/// a room or bed), per the table's condition; without one PV1-40 stays reported.
fn bed_status<'m>(ctx: &mut Context<'m>, pv1: &Segment<'m>, location: &str) {
    let Some(item) = ctx.item(pv1, 40) else {
        return;
    };
    ctx.unused_components(&item, &[1, 2, 3]);
    let Some(code) = item.text(1) else { return };
    let coding = match ctx.vocabulary().map("BedStatus", &code) {
        Some(m) => json!({"system": m.system, "code": m.code, "display": m.display}),
        None => json!({"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": code}),
    };
    let Some(resource) = ctx.resource_mut(location) else {
        return;
    };
    // R4 order: operationalStatus follows identifier and status.
    let mut reordered = serde_json::Map::new();
    let mut coding = Some(coding);
    for (key, value) in std::mem::take(resource) {
        if !matches!(
            key.as_str(),
            "resourceType"
                | "id"
                | "meta"
                | "text"
                | "extension"
                | "identifier"
                | "status"
                | "operationalStatus"
        ) && let Some(coding) = coding.take()
        {
            reordered.insert("operationalStatus".into(), coding);
        }
        if key != "operationalStatus" {
            reordered.insert(key, value);
        }
    }
    if let Some(coding) = coding {
        reordered.insert("operationalStatus".into(), coding);
    }
    *resource = reordered;
}

/// The Encounter status, per the order in the module documentation.
fn status(
    ctx: &mut Context<'_>,
    pv1: &Segment<'_>,
    discharged: bool,
    class: Option<&str>,
) -> &'static str {
    if discharged {
        return "finished";
    }
    let trigger = ctx.header().trigger_event.clone().unwrap_or_default();
    let by_event = match trigger.as_str() {
        "A08" | "A31" => None,
        "A14" => Some("planned"),
        "A27" | "A38" => Some("cancelled"),
        "A06" | "A07" | "A12" | "A16" | "A25" => Some("in-progress"),
        other => ctx
            .vocabulary()
            .map("Event[EncounterStatus]", other)
            .map(|m| m.code),
    };
    let by_class = class.and_then(|code| {
        ctx.vocabulary()
            .map("PatientClass[EncounterStatus]", code)
            .map(|m| m.code)
    });
    match by_event.or(by_class).and_then(static_status) {
        Some(status) => status,
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                Location::field(pv1.index(), "PV1", 2),
                "Encounter.status is required and neither the trigger event nor the patient class gives it; `unknown` used",
            );
            "unknown"
        }
    }
}

/// The R4 encounter-status code as a static string (the vocabulary's codes borrow it).
fn static_status(code: &str) -> Option<&'static str> {
    [
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    ]
    .into_iter()
    .find(|known| *known == code)
}

/// A visit number Identifier with the `VN` type the table assigns, unless CX-5 gave one.
fn with_visit_number_type(identifier: Value) -> Value {
    match identifier {
        Value::Object(mut object) => {
            object.entry("type").or_insert_with(|| {
                json!({
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "VN"}],
                    "text": "visit number"
                })
            });
            // Keep R4 member order: use, type, system, value, period, assigner.
            let order = ["use", "type", "system", "value", "period", "assigner"];
            let mut ordered = serde_json::Map::new();
            for name in order {
                if let Some(value) = object.remove(name) {
                    ordered.insert(name.to_owned(), value);
                }
            }
            ordered.extend(object);
            Value::Object(ordered)
        }
        other => other,
    }
}

/// Escapes text for an XHTML narrative.
pub(super) fn escape_xhtml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::adt_test::{check, resources_of, segment};

    fn message(trigger: &str, pv1: &str) -> String {
        format!(
            "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^{trigger}|C1|P|2.5\rEVN|{trigger}\rPID|1||123^^^HOSP^MR||DOE^JANE\r{pv1}"
        )
    }

    #[test]
    fn admit_maps_class_status_participants_and_period() {
        let message = message(
            "A01",
            &(segment(
                "PV1",
                &[
                    (1, "1"),
                    (2, "I"),
                    (3, "W1^101^A"),
                    (7, "1234^WELBY^MARCUS"),
                    (10, "MED"),
                    (14, "7"),
                    (40, "O"),
                    (19, "V42^^^HOSP^VN"),
                    (44, "20240305100000"),
                ],
            ) + &segment(
                "PV2",
                &[(3, "CHEST PAIN"), (11, "3"), (12, "Observation stay")],
            )),
        );
        check(
            &message,
            "Encounter",
            json!({
                "status": "in-progress",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
                "period": {"start": "2024-03-05T10:00:00-05:00"},
                "length": {"value": 3, "unit": "d", "system": "http://unitsofmeasure.org", "code": "d"},
                "reasonCode": [{"coding": [{"code": "CHEST PAIN"}]}],
                "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Observation stay</div>"}
            }),
        );
        let encounter = &resources_of(&message, "Encounter")[0];
        assert_eq!(
            encounter["participant"][0]["type"][0]["coding"][0]["code"],
            "ATND"
        );
        assert_eq!(encounter["location"][0]["status"], "active");
        assert_eq!(encounter["identifier"][0]["value"], "V42");
        assert!(
            encounter["subject"]["reference"]
                .as_str()
                .unwrap()
                .starts_with("urn:uuid:")
                || encounter["subject"]["reference"]
                    .as_str()
                    .unwrap()
                    .starts_with("Patient/")
        );
    }

    #[test]
    fn status_follows_discharge_event_and_class() {
        let finished = message("A08", &segment("PV1", &[(2, "O"), (45, "20240306")]));
        check(
            &finished,
            "Encounter",
            json!({"status": "finished", "class": {"code": "AMB"}}),
        );
        let planned = message("A05", "PV1|1|P|W1^101\r");
        check(&planned, "Encounter", json!({"status": "planned"}));
        assert_eq!(
            resources_of(&planned, "Encounter")[0]["location"][0]["status"],
            "planned"
        );
        let cancelled = message("A11", "PV1|1|E\r");
        check(
            &cancelled,
            "Encounter",
            json!({"status": "cancelled", "class": {"code": "EMER"}}),
        );
        let update = message("A08", "PV1|1|E\r");
        check(&update, "Encounter", json!({"status": "in-progress"}));
        let unknown = message("A08", "PV1|1|Z\r");
        check(
            &unknown,
            "Encounter",
            json!({"status": "unknown", "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK"}}),
        );
    }
}
