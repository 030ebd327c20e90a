//! ADT (and the ADT-shaped) message structures: the segment grouping and the walk.
//!
//! Every ADT structure is a sequence of PATIENT groups whose members hang off the group's PID:
//! `MSH EVN [SFT] PID [PD1] [ROL] [NK1] PV1 [PV2] [ROL] [DB1] [OBX] [AL1] [DG1] [DRG]
//! [{PR1 [ROL]}] [GT1] [{IN1 [IN2] [IN3] [ROL]}] [ACC] [UB1] [UB2] [PDA]` for ADT_A01 and its
//! kin (ADT_A02…A16, A21, A38, A60 are subsets of it), and `{PID [PD1] [MRG] [PV1]}` repeated
//! for ADT_A39 (A40–A42) and ADT_A17 (two patients swapping beds); ADT_A45 is
//! `PID [PD1] {MRG PV1}`; ADT_A18/A30/A43/A44/A50 are `PID [PD1] MRG [PV1]`, and ADT_A52/A54/A61
//! are PID, PV1 and PV2 with ROLs. So one walk serves them all: a PID opens a PATIENT group, and the
//! segments after it, up to the next PID, belong to that patient (and PV1 opens its visit, which
//! DG1, PR1 and OBX then point to). Segments a structure does not use are left unread and so
//! reported, never guessed at.
//!
//! Updates (A08, A31) need no special handling: every Patient and Encounter with a business
//! identifier is written with a conditional update on it, so an update message replaces the
//! resource's content on the server, and the deterministic id makes a replay idempotent.

use hl7v2::{Location, Segment};

use super::super::ConvertError;
use super::super::context::Context;
use serde_json::Value;

use super::super::datatypes::reference;
use super::super::segments::{al1, dg1, evn, iam, in1, mrg, nk1, obx, pd1, pid, pr1, pv1, rol};

/// Converts an ADT message: walks its PATIENT groups in order and maps each segment.
pub fn convert<'m>(ctx: &mut Context<'m>) -> Result<(), ConvertError> {
    let segments: Vec<Segment<'m>> = ctx.message().segments().collect();
    if !segments.iter().any(|segment| segment.name() == "PID") {
        return Err(ConvertError::MissingRequired {
            location: Box::new(Location::segment(segments.len(), "PID")),
            what: "an ADT message needs a PID segment (the PATIENT group); there is none".into(),
        });
    }
    let mut patient: Option<String> = None;
    let mut encounter: Option<String> = None;
    let mut anchor = Anchor::Patient;
    let mut events = Vec::new();
    for (position, segment) in segments.iter().enumerate() {
        if segment.name() == "EVN" {
            events.push(*segment);
            continue;
        }
        if segment.name() == "PID" {
            patient = Some(pid::patient(ctx, segment));
            encounter = None;
            anchor = Anchor::Patient;
            continue;
        }
        // Every other segment belongs to the PATIENT group opened by the last PID; before the
        // first PID there is none, and the segment stays unread (reported).
        let Some(patient) = patient.as_deref() else {
            continue;
        };
        // A PROCEDURE group is PR1 and its ROLs: any other segment closes it, and a ROL after
        // GT1 or IN1 is no procedure's.
        if !matches!(segment.name(), "PR1" | "ROL") && matches!(anchor, Anchor::Procedure(_)) {
            anchor = Anchor::Other;
        }
        match segment.name() {
            "PD1" => pd1::amend_patient(ctx, segment, patient),
            "NK1" => {
                nk1::related_person(ctx, segment, patient);
            }
            "PV1" => {
                // PV2 directly follows its PV1 in every ADT structure.
                let pv2 = segments
                    .get(position + 1)
                    .filter(|next| next.name() == "PV2");
                let visit = pv1::encounter(ctx, segment, pv2, patient);
                anchor = Anchor::Encounter(visit.clone());
                encounter = Some(visit);
            }
            "IAM" => {
                let reactions: Vec<Segment<'m>> = segments
                    .iter()
                    .skip(position + 1)
                    .take_while(|next| next.name() == "IAR")
                    .copied()
                    .collect();
                iam::allergy(ctx, segment, &reactions, patient);
            }
            "AL1" => {
                al1::allergy(ctx, segment, patient);
            }
            "DG1" => {
                dg1::condition(ctx, segment, patient, encounter.as_deref());
            }
            "PR1" => {
                let procedure = pr1::procedure(ctx, segment, patient, encounter.as_deref());
                anchor = Anchor::Procedure(procedure);
            }
            "IN1" => {
                in1::coverage(ctx, segment, patient);
                anchor = Anchor::Other;
            }
            "ROL" => {
                if let Some(role) = rol::practitioner_role(ctx, segment) {
                    link_role(ctx, &anchor, patient, &role);
                }
            }
            "OBX" => {
                let notes: Vec<Segment<'m>> = segments
                    .iter()
                    .skip(position + 1)
                    .take_while(|next| next.name() == "NTE")
                    .copied()
                    .collect();
                obx::observation(ctx, segment, &notes, Some(patient), encounter.as_deref());
            }
            "MRG" => {
                mrg::merge(ctx, segment, patient);
            }
            _ => {}
        }
    }
    // The event Provenance targets what the PATIENT groups produced, so it comes last.
    for evn in &events {
        evn::provenance(ctx, evn);
    }
    Ok(())
}

/// What a ROL segment belongs to: the group it follows.
enum Anchor {
    /// After PID/PD1: the patient's roles (general practitioner).
    Patient,
    /// After PV1/PV2: the visit's roles (Encounter.participant).
    Encounter(String),
    /// After PR1: the procedure's roles (Procedure.performer).
    Procedure(String),
    /// After IN1 (or after a PROCEDURE group): roles that no resource of the group has an
    /// element for.
    Other,
}

/// Links a PractitionerRole from a ROL to what its group is about. An insurance ROL keeps only
/// the PractitionerRole (Coverage has no element for it; the Provenance targets it).
fn link_role(ctx: &mut Context<'_>, anchor: &Anchor, patient: &str, role: &str) {
    let code = ctx
        .resource_mut(role)
        .and_then(|resource| resource.get("code"))
        .and_then(|code| code.get(0))
        .cloned();
    match anchor {
        Anchor::Patient => {
            if let Some(resource) = ctx.resource_mut(patient) {
                dg1::push_member(resource, "generalPractitioner", reference(role));
            }
        }
        Anchor::Encounter(encounter) => {
            let mut participant = serde_json::Map::new();
            if let Some(code) = code {
                participant.insert("type".into(), Value::from(vec![code]));
            }
            participant.insert("individual".into(), reference(role));
            if let Some(resource) = ctx.resource_mut(encounter) {
                dg1::push_member(resource, "participant", Value::Object(participant));
            }
        }
        Anchor::Procedure(procedure) => {
            let mut performer = serde_json::Map::new();
            if let Some(code) = code {
                performer.insert("function".into(), code);
            }
            performer.insert("actor".into(), reference(role));
            if let Some(resource) = ctx.resource_mut(procedure) {
                dg1::push_member(resource, "performer", Value::Object(performer));
            }
        }
        Anchor::Other => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::site_config::SiteConfig;
    use crate::v2::{ConvertError, Converter};
    use serde_json::Value;

    fn bundle(message: &str) -> Value {
        Converter::new(SiteConfig::default())
            .convert(message.as_bytes())
            .unwrap()
            .bundle
    }

    fn of_type<'a>(bundle: &'a Value, resource_type: &str) -> Vec<&'a Value> {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| &entry["resource"])
            .filter(|resource| resource["resourceType"] == resource_type)
            .collect()
    }

    fn full_url_of(bundle: &Value, resource: &Value) -> String {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["resource"]["id"] == resource["id"])
            .unwrap()["fullUrl"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn rol_segments_attach_to_the_group_they_follow() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01^ADT_A01|C1|P|2.5\r\
EVN|A01|20240305103000\r\
PID|1||123^^^HOSP^MR||DOE^JANE\r\
ROL|1|AD|PP^Primary Care Provider^HL70443|11^FAMILY^DOC\r\
PV1|1|I\r\
ROL|2|AD|AT^Attending^HL70443|22^WARD^DOC\r\
OBX|1|NM|8867-4^Heart rate^LN||60|/min|||||F\r\
PR1|1||73761001^Colonoscopy^SCT||20240301\r\
ROL|3|AD|SURG^Surgeon|33^CUT^DOC\r";
        let bundle = bundle(message);
        let roles = of_type(&bundle, "PractitionerRole");
        assert_eq!(roles.len(), 3);
        let patient = of_type(&bundle, "Patient")[0];
        assert_eq!(
            patient["generalPractitioner"][0]["reference"],
            full_url_of(&bundle, roles[0])
        );
        let encounter = of_type(&bundle, "Encounter")[0];
        let participant = &encounter["participant"][0];
        assert_eq!(
            participant["individual"]["reference"],
            full_url_of(&bundle, roles[1])
        );
        assert_eq!(participant["type"][0]["coding"][0]["code"], "AT");
        let procedure = of_type(&bundle, "Procedure")[0];
        assert_eq!(
            procedure["performer"][0]["actor"]["reference"],
            full_url_of(&bundle, roles[2])
        );
        let observation = of_type(&bundle, "Observation")[0];
        assert_eq!(
            observation["subject"]["reference"],
            full_url_of(&bundle, patient)
        );
        assert_eq!(
            observation["encounter"]["reference"],
            full_url_of(&bundle, encounter)
        );
    }

    #[test]
    fn each_patient_group_of_a39_gets_its_own_patient_and_merge() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A40^ADT_A39|C1|P|2.5\r\
EVN|A40|20240305103000\r\
PID|1||1^^^HOSP&1.2.3&ISO^MR||ONE^ANN\r\
MRG|10^^^HOSP&1.2.3&ISO^MR\r\
PID|2||2^^^HOSP&1.2.3&ISO^MR||TWO^BEN\r\
MRG|20^^^HOSP&1.2.3&ISO^MR\r";
        let bundle = bundle(message);
        let patients = of_type(&bundle, "Patient");
        assert_eq!(patients.len(), 4);
        let replaced: Vec<&str> = patients
            .iter()
            .filter(|p| p["active"] == false)
            .map(|p| p["identifier"][0]["value"].as_str().unwrap())
            .collect();
        assert_eq!(replaced, ["10", "20"]);
        let two = patients
            .iter()
            .find(|p| p["identifier"][0]["value"] == "2")
            .unwrap();
        let twenty = patients
            .iter()
            .find(|p| p["identifier"][0]["value"] == "20")
            .unwrap();
        assert_eq!(
            two["link"][0]["other"]["reference"],
            full_url_of(&bundle, twenty)
        );
    }

    #[test]
    fn a54_change_of_attending_maps_the_visit_role() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A54|C1|P|2.5\r\
EVN|A54|20240305103000\r\
PID|1||123^^^HOSP^MR||DOE^JANE\r\
PV1|1|I\r\
ROL|1|UP|AT^Attending^HL70443|44^NEW^DOC\r";
        let bundle = bundle(message);
        let encounter = of_type(&bundle, "Encounter")[0];
        assert_eq!(encounter["status"], "in-progress");
        assert_eq!(
            encounter["participant"][0]["type"][0]["coding"][0]["code"],
            "AT"
        );
    }

    #[test]
    fn an_adt_message_without_pid_is_refused() {
        let message = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01^ADT_A01|C1|P|2.5\rEVN|A01\rPV1|1|I\r";
        let error = Converter::new(SiteConfig::default())
            .convert(message.as_bytes())
            .unwrap_err();
        assert!(
            matches!(error, ConvertError::MissingRequired { .. }),
            "{error}"
        );
    }

    #[test]
    fn an_a08_update_writes_the_same_patient_and_visit_as_the_a01() {
        let admit = "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01^ADT_A01|C1|P|2.5\r\
EVN|A01|20240305103000\r\
PID|1||123^^^HOSP&1.2.3&ISO^MR||DOE^JANE\r\
PV1|1|I|||||||||||||||||V9^^^HOSP&1.2.3&ISO^VN\r";
        let update = admit
            .replace("ADT^A01^ADT_A01|C1", "ADT^A08^ADT_A01|C2")
            .replace("EVN|A01", "EVN|A08")
            .replace("DOE^JANE", "DOE^JANET");
        let (first, second) = (bundle(admit), bundle(&update));
        for resource_type in ["Patient", "Encounter"] {
            let request = |bundle: &Value| {
                let entry = bundle["entry"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|entry| entry["resource"]["resourceType"] == resource_type)
                    .unwrap()
                    .clone();
                (entry["resource"]["id"].clone(), entry["request"].clone())
            };
            let (first_id, first_request) = request(&first);
            let (second_id, second_request) = request(&second);
            assert_eq!(first_id, second_id, "{resource_type}");
            assert_eq!(first_request, second_request, "{resource_type}");
            assert_eq!(first_request["method"], "PUT");
        }
        assert_eq!(
            of_type(&second, "Patient")[0]["name"][0]["given"][0],
            "JANET"
        );
        // A replay gives the same bytes.
        assert_eq!(bundle(admit), first);
    }
}
