//! Resource-level builders: Extension, Meta and the ResourceBuilder.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Coding, DatatypeError, ObjectWriter, prune_empty};

/// The `value[x]` of an extension: a member name such as `valueString` and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionValue {
    member_name: String,
    value: Value,
}

impl ExtensionValue {
    /// A value of the R4 type `type_name` (`"String"`, `"CodeableConcept"`, or `"string"`: the
    /// first letter is upper-cased to form `valueString`).
    ///
    /// The type name must be ASCII letters and digits, starting with a letter. Whether it names
    /// an R4 type allowed in `value[x]` is checked by validation, not here.
    pub fn new(type_name: &str, value: Value) -> Result<ExtensionValue, DatatypeError> {
        let mut chars = type_name.chars();
        let Some(first) = chars.next().filter(char::is_ascii_alphabetic) else {
            return Err(DatatypeError::BadValueType {
                type_name: type_name.to_owned(),
            });
        };
        if !chars.as_str().chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DatatypeError::BadValueType {
                type_name: type_name.to_owned(),
            });
        }
        let member_name = format!("value{}{}", first.to_ascii_uppercase(), chars.as_str());
        Ok(ExtensionValue { member_name, value })
    }

    /// The member name, such as `valueString`.
    pub fn member_name(&self) -> &str {
        &self.member_name
    }

    /// The value.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// `Extension`: `url`, `extension[]`, `value[x]`.
///
/// The url comes first, as in the R4 JSON template (and as an attribute in XML). A simple
/// extension has a value; a complex one has nested extensions. Having both breaks invariant
/// `ext-1`, which validation reports; the builder writes what it is given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extension {
    /// `url`: what the extension means.
    pub url: String,
    /// `extension`: nested extensions of a complex extension.
    pub extension: Vec<Extension>,
    /// `value[x]`.
    pub value: Option<ExtensionValue>,
}

impl Extension {
    /// A simple extension: a url and a value of type `type_name` (see [`ExtensionValue::new`]).
    pub fn with_value(
        url: &str,
        type_name: &str,
        value: Value,
    ) -> Result<Extension, DatatypeError> {
        Ok(Extension {
            url: url.to_owned(),
            extension: Vec::new(),
            value: Some(ExtensionValue::new(type_name, value)?),
        })
    }

    /// The JSON object, or `None` when there is no url or nothing besides it (an empty value
    /// and no nested extension).
    pub fn to_json(&self) -> Option<Value> {
        if self.url.trim().is_empty() {
            return None;
        }
        let nested: Vec<Value> = self
            .extension
            .iter()
            .filter_map(Extension::to_json)
            .collect();
        let value = self
            .value
            .as_ref()
            .and_then(|value| Some((&value.member_name, prune_empty(value.value.clone())?)));
        if nested.is_empty() && value.is_none() {
            return None;
        }
        let mut writer = ObjectWriter::new();
        writer.string("url", Some(&self.url));
        writer.array("extension", nested);
        if let Some((member_name, value)) = value {
            writer.value(member_name, Some(value));
        }
        writer.finish()
    }
}

/// `Meta`: source, profile[], security[], tag[] (the members the translator sets; `versionId`
/// and `lastUpdated` belong to the server).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// `source`: where the resource came from (a URI, for example the message's).
    pub source: Option<String>,
    /// `profile`: canonical URLs of profiles the resource claims to conform to.
    pub profile: Vec<String>,
    /// `security`: security labels.
    pub security: Vec<Coding>,
    /// `tag`: tags.
    pub tag: Vec<Coding>,
}

impl Meta {
    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("source", self.source.as_deref());
        writer.strings("profile", &self.profile);
        writer.array(
            "security",
            self.security.iter().filter_map(Coding::to_json).collect(),
        );
        writer.array("tag", self.tag.iter().filter_map(Coding::to_json).collect());
        writer.finish()
    }
}

/// Builds a resource: `{"resourceType": T, "id": id}` and then members in call order.
///
/// Call the setters in the order the resource's R4 definition lists its elements, so the output
/// reads like the specification. Every value goes through [`prune_empty`], so absent and empty
/// parts never appear.
///
/// ```
/// use fhir::datatypes::{HumanName, ResourceBuilder};
/// use uuid::Uuid;
///
/// let mut patient = ResourceBuilder::new("Patient", &Uuid::nil());
/// let name = HumanName { family: Some("Doe".into()), ..HumanName::default() };
/// patient.push("name", name.to_json()).set_str("gender", "female").set_str("birthDate", "");
/// assert_eq!(
///     patient.build().to_string(),
///     r#"{"resourceType":"Patient","id":"00000000-0000-0000-0000-000000000000","name":[{"family":"Doe"}],"gender":"female"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceBuilder {
    members: Map<String, Value>,
}

impl ResourceBuilder {
    /// Starts a resource of type `resource_type` with the (deterministic) id `id`.
    pub fn new(resource_type: &str, id: &Uuid) -> ResourceBuilder {
        let mut members = Map::new();
        members.insert(
            "resourceType".to_owned(),
            Value::String(resource_type.to_owned()),
        );
        members.insert("id".to_owned(), Value::String(crate::ids::id_text(id)));
        ResourceBuilder { members }
    }

    /// Sets member `name` to `value` once pruned of empty parts; does nothing when nothing is
    /// left. Setting a member again replaces its value and keeps its position.
    pub fn set(&mut self, name: &str, value: Option<Value>) -> &mut ResourceBuilder {
        if let Some(value) = value.and_then(prune_empty) {
            self.members.insert(name.to_owned(), value);
        }
        self
    }

    /// Sets a string member (a code, a date, ...) unless `value` is blank.
    pub fn set_str(&mut self, name: &str, value: &str) -> &mut ResourceBuilder {
        self.set(name, Some(Value::String(value.to_owned())))
    }

    /// Appends `value`, once pruned, to the array member `name`, creating the array. A
    /// non-array member of that name becomes the first item of the array.
    pub fn push(&mut self, name: &str, value: Option<Value>) -> &mut ResourceBuilder {
        let Some(value) = value.and_then(prune_empty) else {
            return self;
        };
        match self.members.get_mut(name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                self.members
                    .insert(name.to_owned(), Value::Array(vec![value]));
            }
        }
        self
    }

    /// The resource.
    pub fn build(self) -> Value {
        Value::Object(self.members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Checks a builder's output against its expected compact JSON text (`None`: omitted).
    fn check(output: Option<Value>, expected: Option<&str>) {
        assert_eq!(output.map(|value| value.to_string()).as_deref(), expected);
    }

    #[test]
    fn extension_value_type_names() {
        let cases = [
            ("String", Ok("valueString")),
            ("string", Ok("valueString")),
            ("codeableConcept", Ok("valueCodeableConcept")),
            ("Base64Binary", Ok("valueBase64Binary")),
            ("", Err(())),
            ("1String", Err(())),
            ("value String", Err(())),
            ("Stri-ng", Err(())),
            ("Strïng", Err(())),
        ];
        for (type_name, expected) in cases {
            let result = ExtensionValue::new(type_name, json!("x"));
            match expected {
                Ok(member_name) => {
                    assert_eq!(
                        result.map(|value| value.member_name().to_owned()),
                        Ok(member_name.to_owned())
                    );
                }
                Err(()) => assert_eq!(
                    result,
                    Err(DatatypeError::BadValueType {
                        type_name: type_name.to_owned()
                    })
                ),
            }
        }
    }

    #[test]
    fn extensions() -> Result<(), DatatypeError> {
        let race = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
        let cases = [
            (Extension::default(), None),
            (Extension::with_value("", "String", json!("x"))?, None),
            (
                Extension::with_value("http://e", "String", json!(""))?,
                None,
            ),
            (
                Extension::with_value("http://e", "string", json!("x"))?,
                Some(r#"{"url":"http://e","valueString":"x"}"#),
            ),
            (
                Extension::with_value("http://e", "Quantity", json!({"value": 1, "unit": ""}))?,
                Some(r#"{"url":"http://e","valueQuantity":{"value":1}}"#),
            ),
            (
                Extension {
                    url: race.to_owned(),
                    extension: vec![
                        Extension::with_value("text", "String", json!("White"))?,
                        Extension::default(),
                    ],
                    value: None,
                },
                Some(concat!(
                    r#"{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","#,
                    r#""extension":[{"url":"text","valueString":"White"}]}"#
                )),
            ),
        ];
        for (extension, expected) in cases {
            check(extension.to_json(), expected);
        }
        Ok(())
    }

    #[test]
    fn metas() {
        let cases = [
            (Meta::default(), None),
            (
                Meta {
                    profile: vec![String::new()],
                    tag: vec![Coding::default()],
                    ..Meta::default()
                },
                None,
            ),
            (
                Meta {
                    tag: vec![Coding::new("urn:fhirgate:tag", "translated")],
                    security: vec![Coding::new(
                        "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                        "R",
                    )],
                    profile: vec!["http://example.org/p".to_owned()],
                    source: Some("urn:fhirgate:HIS".to_owned()),
                },
                Some(concat!(
                    r#"{"source":"urn:fhirgate:HIS","profile":["http://example.org/p"],"#,
                    r#""security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],"#,
                    r#""tag":[{"system":"urn:fhirgate:tag","code":"translated"}]}"#
                )),
            ),
        ];
        for (meta, expected) in cases {
            check(meta.to_json(), expected);
        }
    }

    #[test]
    fn resource_builder() {
        let id = Uuid::from_u128(1);
        let mut builder = ResourceBuilder::new("Observation", &id);
        builder
            .set_str("status", "final")
            .set("code", Some(json!({"text": "x", "coding": []})))
            .set_str("issued", " ")
            .set("valueQuantity", None)
            .push("performer", Some(json!({"reference": "Practitioner/1"})))
            .push("performer", Some(json!({})))
            .push("performer", Some(json!({"reference": "Organization/2"})))
            .set_str("status", "amended")
            .push("note", Some(json!({"text": "a"})));
        assert_eq!(
            builder.build().to_string(),
            concat!(
                r#"{"resourceType":"Observation","id":"00000000-0000-0000-0000-000000000001","#,
                r#""status":"amended","code":{"text":"x"},"#,
                r#""performer":[{"reference":"Practitioner/1"},{"reference":"Organization/2"}],"#,
                r#""note":[{"text":"a"}]}"#
            )
        );
    }

    #[test]
    fn push_onto_a_scalar_member_makes_an_array() {
        let mut builder = ResourceBuilder::new("Patient", &Uuid::nil());
        builder.set_str("x", "a").push("x", Some(json!("b")));
        assert_eq!(builder.build()["x"], json!(["a", "b"]));
    }
}
