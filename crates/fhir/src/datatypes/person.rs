//! Datatypes about people and places: HumanName, Address, ContactPoint.

use std::num::NonZeroU32;

use serde_json::Value;

use super::{
    AddressType, AddressUse, ContactPointSystem, ContactPointUse, NameUse, ObjectWriter, Period,
};

/// `HumanName`: use, text, family, given[], prefix[], suffix[], period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HumanName {
    /// `use`.
    pub use_: Option<NameUse>,
    /// `text`: the full name as displayed.
    pub text: Option<String>,
    /// `family`: the family name (surname).
    pub family: Option<String>,
    /// `given`: given names, in order (first, then middle names); blank ones left out.
    pub given: Vec<String>,
    /// `prefix`: parts before the name (`Dr.`).
    pub prefix: Vec<String>,
    /// `suffix`: parts after the name (`Jr.`, `MD`).
    pub suffix: Vec<String>,
    /// `period`: when the name was in use.
    pub period: Option<Period>,
}

impl HumanName {
    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("use", self.use_.map(NameUse::code));
        writer.string("text", self.text.as_deref());
        writer.string("family", self.family.as_deref());
        writer.strings("given", &self.given);
        writer.strings("prefix", &self.prefix);
        writer.strings("suffix", &self.suffix);
        writer.value("period", self.period.as_ref().and_then(Period::to_json));
        writer.finish()
    }
}

/// `Address`: use, type, text, line[], city, district, state, postalCode, country, period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    /// `use`.
    pub use_: Option<AddressUse>,
    /// `type`.
    pub type_: Option<AddressType>,
    /// `text`: the full address as displayed.
    pub text: Option<String>,
    /// `line`: street lines; blank ones left out.
    pub line: Vec<String>,
    /// `city`.
    pub city: Option<String>,
    /// `district`: county or district.
    pub district: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `postalCode`.
    pub postal_code: Option<String>,
    /// `country`.
    pub country: Option<String>,
    /// `period`: when the address was in use.
    pub period: Option<Period>,
}

impl Address {
    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("use", self.use_.map(AddressUse::code));
        writer.string("type", self.type_.map(AddressType::code));
        writer.string("text", self.text.as_deref());
        writer.strings("line", &self.line);
        writer.string("city", self.city.as_deref());
        writer.string("district", self.district.as_deref());
        writer.string("state", self.state.as_deref());
        writer.string("postalCode", self.postal_code.as_deref());
        writer.string("country", self.country.as_deref());
        writer.value("period", self.period.as_ref().and_then(Period::to_json));
        writer.finish()
    }
}

/// `ContactPoint`: system, value, use, rank, period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactPoint {
    /// `system`: phone, email, ...
    pub system: Option<ContactPointSystem>,
    /// `value`: the number or address.
    pub value: Option<String>,
    /// `use`.
    pub use_: Option<ContactPointUse>,
    /// `rank`: preference order, 1 first (a `positiveInt`, hence non-zero).
    pub rank: Option<NonZeroU32>,
    /// `period`: when the contact point was in use.
    pub period: Option<Period>,
}

impl ContactPoint {
    /// The JSON object, or `None` when nothing is set.
    pub fn to_json(&self) -> Option<Value> {
        let mut writer = ObjectWriter::new();
        writer.string("system", self.system.map(ContactPointSystem::code));
        writer.string("value", self.value.as_deref());
        writer.string("use", self.use_.map(ContactPointUse::code));
        writer.value("rank", self.rank.map(|rank| Value::from(rank.get())));
        writer.value("period", self.period.as_ref().and_then(Period::to_json));
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

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| (*text).to_owned()).collect()
    }

    #[test]
    fn human_names() {
        let cases = [
            (HumanName::default(), None),
            (
                HumanName {
                    given: strings(&["", " "]),
                    prefix: strings(&[""]),
                    family: some(""),
                    period: Some(Period::default()),
                    ..HumanName::default()
                },
                None,
            ),
            (
                HumanName {
                    period: Some(Period {
                        start: some("1990"),
                        end: None,
                    }),
                    suffix: strings(&["Jr.", ""]),
                    prefix: strings(&["Dr."]),
                    given: strings(&["John", "", "Q"]),
                    family: some("Doe"),
                    text: some("Dr. John Q Doe Jr."),
                    use_: Some(NameUse::Official),
                },
                Some(concat!(
                    r#"{"use":"official","text":"Dr. John Q Doe Jr.","family":"Doe","#,
                    r#""given":["John","Q"],"prefix":["Dr."],"suffix":["Jr."],"period":{"start":"1990"}}"#
                )),
            ),
        ];
        for (name, expected) in cases {
            check(name.to_json(), expected);
        }
    }

    #[test]
    fn addresses() {
        let cases = [
            (Address::default(), None),
            (
                Address {
                    line: strings(&["", ""]),
                    ..Address::default()
                },
                None,
            ),
            (
                Address {
                    period: Some(Period {
                        start: None,
                        end: some("2020"),
                    }),
                    country: some("USA"),
                    postal_code: some("02134"),
                    state: some("MA"),
                    district: some("Suffolk"),
                    city: some("Boston"),
                    line: strings(&["1 Main St", "Apt 2"]),
                    text: some("1 Main St, Apt 2, Boston"),
                    type_: Some(AddressType::Both),
                    use_: Some(AddressUse::Home),
                },
                Some(concat!(
                    r#"{"use":"home","type":"both","text":"1 Main St, Apt 2, Boston","#,
                    r#""line":["1 Main St","Apt 2"],"city":"Boston","district":"Suffolk","state":"MA","#,
                    r#""postalCode":"02134","country":"USA","period":{"end":"2020"}}"#
                )),
            ),
        ];
        for (address, expected) in cases {
            check(address.to_json(), expected);
        }
    }

    #[test]
    fn contact_points() {
        let cases = [
            (ContactPoint::default(), None),
            (
                ContactPoint {
                    period: Some(Period {
                        start: some("2021"),
                        end: None,
                    }),
                    rank: NonZeroU32::new(2),
                    use_: Some(ContactPointUse::Mobile),
                    value: some("+1 555 0100"),
                    system: Some(ContactPointSystem::Phone),
                },
                Some(
                    r#"{"system":"phone","value":"+1 555 0100","use":"mobile","rank":2,"period":{"start":"2021"}}"#,
                ),
            ),
            (
                ContactPoint {
                    value: some("a@example.org"),
                    system: Some(ContactPointSystem::Email),
                    ..ContactPoint::default()
                },
                Some(r#"{"system":"email","value":"a@example.org"}"#),
            ),
        ];
        for (contact_point, expected) in cases {
            check(contact_point.to_json(), expected);
        }
    }
}
