//! General-purpose datatypes: Coding, CodeableConcept, Identifier, Period, Reference, Quantity.

use serde_json::Value;
use uuid::Uuid;

use super::{Decimal, IdentifierUse, ObjectWriter, QuantityComparator};

/// `Coding`: system, version, code, display.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coding {
    /// `system`: the code system URI.
    pub system: Option<String>,
    /// `version`: the code system version.
    pub version: Option<String>,
    /// `code`: the code.
    pub code: Option<String>,
    /// `display`: the display text.
    pub display: Option<String>,
}

impl Coding {
    /// A coding with a system and a code.
    pub fn new(system: &str, code: &str) -> Coding {
        Coding {
            system: Some(system.to_owned()),
            code: Some(code.to_owned()),
            ..Coding::default()
        }
    }

    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("system", self.system.as_deref());
        writer.string("version", self.version.as_deref());
        writer.string("code", self.code.as_deref());
        writer.string("display", self.display.as_deref());
        writer.finish()
    }
}

/// `CodeableConcept`: coding[], text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeableConcept {
    /// `coding`: codes for the concept, empty ones left out.
    pub coding: Vec<Coding>,
    /// `text`: the concept as the user saw it.
    pub text: Option<String>,
}

impl CodeableConcept {
    /// A concept with one coding and no text.
    pub fn from_coding(coding: Coding) -> CodeableConcept {
        CodeableConcept {
            coding: vec![coding],
            text: None,
        }
    }

    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.array(
            "coding",
            self.coding.iter().filter_map(Coding::to_json).collect(),
        );
        writer.string("text", self.text.as_deref());
        writer.finish()
    }
}

/// `Identifier`: use, type, system, value, period, assigner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identifier {
    /// `use`.
    pub use_: Option<IdentifierUse>,
    /// `type`: the kind of identifier (for example v2 table 0203 `MR`).
    pub type_: Option<CodeableConcept>,
    /// `system`: the namespace of the value.
    pub system: Option<String>,
    /// `value`: the identifier itself.
    pub value: Option<String>,
    /// `period`: when the identifier was valid.
    pub period: Option<Period>,
    /// `assigner`: the organization that issued it.
    pub assigner: Option<Reference>,
}

impl Identifier {
    /// An identifier with a system and a value.
    pub fn new(system: &str, value: &str) -> Identifier {
        Identifier {
            system: Some(system.to_owned()),
            value: Some(value.to_owned()),
            ..Identifier::default()
        }
    }

    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("use", self.use_.map(IdentifierUse::code));
        writer.value(
            "type",
            self.type_.as_ref().and_then(CodeableConcept::to_json),
        );
        writer.string("system", self.system.as_deref());
        writer.string("value", self.value.as_deref());
        writer.value("period", self.period.as_ref().and_then(Period::to_json));
        writer.value(
            "assigner",
            self.assigner.as_ref().and_then(Reference::to_json),
        );
        writer.finish()
    }
}

/// `Period`: start, end, as `dateTime` text kept as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Period {
    /// `start`.
    pub start: Option<String>,
    /// `end`.
    pub end: Option<String>,
}

impl Period {
    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("start", self.start.as_deref());
        writer.string("end", self.end.as_deref());
        writer.finish()
    }
}

/// `Reference`: reference, type, identifier, display.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reference {
    /// `reference`: a literal reference such as `Patient/<id>`. Within a Bundle the
    /// [`BundleBuilder`](crate::bundle::BundleBuilder) rewrites it to the target's `urn:uuid:`.
    pub reference: Option<String>,
    /// `type`: the target's type, as a URI (`Patient` is short for the R4 definition).
    pub type_: Option<String>,
    /// `identifier`: a logical reference, when the target has no literal address.
    pub identifier: Option<Box<Identifier>>,
    /// `display`: text for the target.
    pub display: Option<String>,
}

impl Reference {
    /// A literal reference `<resource_type>/<id>` to a resource with a deterministic id.
    pub fn to_resource(resource_type: &str, id: &Uuid) -> Reference {
        Reference {
            reference: Some(format!("{resource_type}/{id}")),
            ..Reference::default()
        }
    }

    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("reference", self.reference.as_deref());
        writer.string("type", self.type_.as_deref());
        writer.value(
            "identifier",
            self.identifier.as_deref().and_then(Identifier::to_json),
        );
        writer.string("display", self.display.as_deref());
        writer.finish()
    }
}

/// `Quantity`: value, comparator, unit, system, code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quantity {
    /// `value`, kept as written.
    pub value: Option<Decimal>,
    /// `comparator`.
    pub comparator: Option<QuantityComparator>,
    /// `unit`: the unit as displayed.
    pub unit: Option<String>,
    /// `system`: the unit system (`http://unitsofmeasure.org` for UCUM).
    pub system: Option<String>,
    /// `code`: the coded unit.
    pub code: Option<String>,
}

impl Quantity {
    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.value("value", self.value.as_ref().map(Decimal::to_json));
        writer.string("comparator", self.comparator.map(QuantityComparator::code));
        writer.string("unit", self.unit.as_deref());
        writer.string("system", self.system.as_deref());
        writer.string("code", self.code.as_deref());
        writer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks a builder's output against its expected compact JSON text (`None`: omitted).
    fn check(output: Option<Value>, expected: Option<&str>) {
        assert_eq!(output.map(|value| value.to_string()).as_deref(), expected);
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn codings() {
        let cases = [
            (Coding::default(), None),
            (
                Coding {
                    system: some(""),
                    code: some("  "),
                    ..Coding::default()
                },
                None,
            ),
            (
                Coding {
                    display: some("Glucose"),
                    code: some("2345-7"),
                    version: some("2.74"),
                    system: some("http://loinc.org"),
                },
                Some(
                    r#"{"system":"http://loinc.org","version":"2.74","code":"2345-7","display":"Glucose"}"#,
                ),
            ),
            (
                Coding::new("http://loinc.org", "2345-7"),
                Some(r#"{"system":"http://loinc.org","code":"2345-7"}"#),
            ),
        ];
        for (coding, expected) in cases {
            check(coding.to_json(), expected);
        }
    }

    #[test]
    fn codeable_concepts() {
        let cases = [
            (CodeableConcept::default(), None),
            (
                CodeableConcept {
                    coding: vec![Coding::default(), Coding::default()],
                    text: some(""),
                },
                None,
            ),
            (
                CodeableConcept {
                    coding: vec![Coding::default(), Coding::new("s", "c")],
                    text: some("t"),
                },
                Some(r#"{"coding":[{"system":"s","code":"c"}],"text":"t"}"#),
            ),
            (
                CodeableConcept {
                    coding: Vec::new(),
                    text: some("free text"),
                },
                Some(r#"{"text":"free text"}"#),
            ),
        ];
        for (concept, expected) in cases {
            check(concept.to_json(), expected);
        }
    }

    #[test]
    fn identifiers() {
        let full = Identifier {
            assigner: Some(Reference {
                display: some("General Hospital"),
                ..Reference::default()
            }),
            period: Some(Period {
                start: some("2020-01-01"),
                end: None,
            }),
            value: some("12345"),
            system: some("urn:oid:1.2.3"),
            type_: Some(CodeableConcept::from_coding(Coding::new(
                "http://terminology.hl7.org/CodeSystem/v2-0203",
                "MR",
            ))),
            use_: Some(IdentifierUse::Official),
        };
        let cases = [
            (Identifier::default(), None),
            (
                Identifier {
                    period: Some(Period::default()),
                    assigner: Some(Reference::default()),
                    type_: Some(CodeableConcept::default()),
                    ..Identifier::default()
                },
                None,
            ),
            (
                full,
                Some(concat!(
                    r#"{"use":"official","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"#,
                    r#""system":"urn:oid:1.2.3","value":"12345","period":{"start":"2020-01-01"},"#,
                    r#""assigner":{"display":"General Hospital"}}"#
                )),
            ),
        ];
        for (identifier, expected) in cases {
            check(identifier.to_json(), expected);
        }
    }

    #[test]
    fn references() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let cases = [
            (Reference::default(), None),
            (
                Reference::to_resource("Patient", &id),
                Some(r#"{"reference":"Patient/01234567-89ab-cdef-0123-456789abcdef"}"#),
            ),
            (
                Reference {
                    display: some("Dr. A"),
                    identifier: Some(Box::new(Identifier::new("urn:npi", "123"))),
                    type_: some("Practitioner"),
                    reference: None,
                },
                Some(
                    r#"{"type":"Practitioner","identifier":{"system":"urn:npi","value":"123"},"display":"Dr. A"}"#,
                ),
            ),
        ];
        for (reference, expected) in cases {
            check(reference.to_json(), expected);
        }
    }

    #[test]
    fn periods() {
        let cases = [
            (Period::default(), None),
            (
                Period {
                    start: some("2024-05-01T10:00:00.920+00:00"),
                    end: some("2024-05-02"),
                },
                Some(r#"{"start":"2024-05-01T10:00:00.920+00:00","end":"2024-05-02"}"#),
            ),
            (
                Period {
                    start: None,
                    end: some("2024"),
                },
                Some(r#"{"end":"2024"}"#),
            ),
        ];
        for (period, expected) in cases {
            check(period.to_json(), expected);
        }
    }

    #[test]
    fn quantities() -> Result<(), crate::datatypes::DatatypeError> {
        let cases = [
            (Quantity::default(), None),
            (
                Quantity {
                    code: some("mg/dL"),
                    system: some("http://unitsofmeasure.org"),
                    unit: some("mg/dL"),
                    comparator: Some(QuantityComparator::LessThan),
                    value: Some(Decimal::parse("1.00")?),
                },
                Some(
                    r#"{"value":1.00,"comparator":"<","unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}"#,
                ),
            ),
            (
                Quantity {
                    value: Some(Decimal::parse("-0.0050")?),
                    ..Quantity::default()
                },
                Some(r#"{"value":-0.0050}"#),
            ),
        ];
        for (quantity, expected) in cases {
            check(quantity.to_json(), expected);
        }
        Ok(())
    }
}
