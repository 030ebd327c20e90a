//! Codes with a required binding in R4, as enums.
//!
//! Each enum has `code()` (the FHIR code), `from_code()` (the inverse, exact and case-sensitive
//! as FHIR codes are) and `ALL` (every value, in the order the value set lists them).

/// `Identifier.use` (<http://hl7.org/fhir/identifier-use>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierUse {
    /// `usual`
    Usual,
    /// `official`
    Official,
    /// `temp`
    Temp,
    /// `secondary`
    Secondary,
    /// `old`
    Old,
}

impl IdentifierUse {
    /// Every value, in value-set order.
    pub const ALL: [IdentifierUse; 5] = [
        IdentifierUse::Usual,
        IdentifierUse::Official,
        IdentifierUse::Temp,
        IdentifierUse::Secondary,
        IdentifierUse::Old,
    ];

    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            IdentifierUse::Usual => "usual",
            IdentifierUse::Official => "official",
            IdentifierUse::Temp => "temp",
            IdentifierUse::Secondary => "secondary",
            IdentifierUse::Old => "old",
        }
    }

    /// The value whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<IdentifierUse> {
        IdentifierUse::ALL
            .into_iter()
            .find(|value| value.code() == code)
    }
}

/// `HumanName.use` (<http://hl7.org/fhir/name-use>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameUse {
    /// `usual`
    Usual,
    /// `official`
    Official,
    /// `temp`
    Temp,
    /// `nickname`
    Nickname,
    /// `anonymous`
    Anonymous,
    /// `old`
    Old,
    /// `maiden`
    Maiden,
}

impl NameUse {
    /// Every value, in value-set order.
    pub const ALL: [NameUse; 7] = [
        NameUse::Usual,
        NameUse::Official,
        NameUse::Temp,
        NameUse::Nickname,
        NameUse::Anonymous,
        NameUse::Old,
        NameUse::Maiden,
    ];

    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            NameUse::Usual => "usual",
            NameUse::Official => "official",
            NameUse::Temp => "temp",
            NameUse::Nickname => "nickname",
            NameUse::Anonymous => "anonymous",
            NameUse::Old => "old",
            NameUse::Maiden => "maiden",
        }
    }

    /// The value whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<NameUse> {
        NameUse::ALL.into_iter().find(|value| value.code() == code)
    }
}

/// `Address.use` (<http://hl7.org/fhir/address-use>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressUse {
    /// `home`
    Home,
    /// `work`
    Work,
    /// `temp`
    Temp,
    /// `old`
    Old,
    /// `billing`
    Billing,
}

impl AddressUse {
    /// Every value, in value-set order.
    pub const ALL: [AddressUse; 5] = [
        AddressUse::Home,
        AddressUse::Work,
        AddressUse::Temp,
        AddressUse::Old,
        AddressUse::Billing,
    ];

    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            AddressUse::Home => "home",
            AddressUse::Work => "work",
            AddressUse::Temp => "temp",
            AddressUse::Old => "old",
            AddressUse::Billing => "billing",
        }
    }

    /// The value whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<AddressUse> {
        AddressUse::ALL
            .into_iter()
            .find(|value| value.code() == code)
    }
}

/// `Address.type` (<http://hl7.org/fhir/address-type>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressType {
    /// `postal`
    Postal,
    /// `physical`
    Physical,
    /// `both`
    Both,
}

impl AddressType {
    /// Every value, in value-set order.
    pub const ALL: [AddressType; 3] = [
        AddressType::Postal,
        AddressType::Physical,
        AddressType::Both,
    ];

    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            AddressType::Postal => "postal",
            AddressType::Physical => "physical",
            AddressType::Both => "both",
        }
    }

    /// The value whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<AddressType> {
        AddressType::ALL
            .into_iter()
            .find(|value| value.code() == code)
    }
}

/// `ContactPoint.system` (<http://hl7.org/fhir/contact-point-system>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactPointSystem {
    /// `phone`
    Phone,
    /// `fax`
    Fax,
    /// `email`
    Email,
    /// `pager`
    Pager,
    /// `url`
    Url,
    /// `sms`
    Sms,
    /// `other`
    Other,
}

impl ContactPointSystem {
    /// Every value, in value-set order.
    pub const ALL: [ContactPointSystem; 7] = [
        ContactPointSystem::Phone,
        ContactPointSystem::Fax,
        ContactPointSystem::Email,
        ContactPointSystem::Pager,
        ContactPointSystem::Url,
        ContactPointSystem::Sms,
        ContactPointSystem::Other,
    ];

    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            ContactPointSystem::Phone => "phone",
            ContactPointSystem::Fax => "fax",
            ContactPointSystem::Email => "email",
            ContactPointSystem::Pager => "pager",
            ContactPointSystem::Url => "url",
            ContactPointSystem::Sms => "sms",
            ContactPointSystem::Other => "other",
        }
    }

    /// The value whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<ContactPointSystem> {
        ContactPointSystem::ALL
            .into_iter()
            .find(|value| value.code() == code)
    }
}

/// `ContactPoint.use` (<http://hl7.org/fhir/contact-point-use>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactPointUse {
    /// `home`
    Home,
    /// `work`
    Work,
    /// `temp`
    Temp,
    /// `old`
    Old,
    /// `mobile`
    Mobile,
}

impl ContactPointUse {
    /// Every value, in value-set order.
    pub const ALL: [ContactPointUse; 5] = [
        ContactPointUse::Home,
        ContactPointUse::Work,
        ContactPointUse::Temp,
        ContactPointUse::Old,
        ContactPointUse::Mobile,
    ];

    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            ContactPointUse::Home => "home",
            ContactPointUse::Work => "work",
            ContactPointUse::Temp => "temp",
            ContactPointUse::Old => "old",
            ContactPointUse::Mobile => "mobile",
        }
    }

    /// The value whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<ContactPointUse> {
        ContactPointUse::ALL
            .into_iter()
            .find(|value| value.code() == code)
    }
}

/// `Quantity.comparator` (<http://hl7.org/fhir/quantity-comparator>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantityComparator {
    /// `<`
    LessThan,
    /// `<=`
    LessOrEqual,
    /// `>=`
    GreaterOrEqual,
    /// `>`
    GreaterThan,
}

impl QuantityComparator {
    /// Every value, in value-set order.
    pub const ALL: [QuantityComparator; 4] = [
        QuantityComparator::LessThan,
        QuantityComparator::LessOrEqual,
        QuantityComparator::GreaterOrEqual,
        QuantityComparator::GreaterThan,
    ];

    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            QuantityComparator::LessThan => "<",
            QuantityComparator::LessOrEqual => "<=",
            QuantityComparator::GreaterOrEqual => ">=",
            QuantityComparator::GreaterThan => ">",
        }
    }

    /// The value whose code is `code`, if any.
    pub fn from_code(code: &str) -> Option<QuantityComparator> {
        QuantityComparator::ALL
            .into_iter()
            .find(|value| value.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a code and writes it back.
    type RoundTrip = fn(&str) -> Option<&'static str>;

    /// Checks that every code in `codes` reads back, and that near misses do not read.
    fn check(codes: &[&str], round_trip: RoundTrip) {
        for code in codes {
            assert_eq!(round_trip(code), Some(*code), "{code}");
            let upper = code.to_uppercase();
            if upper != *code {
                assert_eq!(round_trip(&upper), None, "{code} upper-cased");
            }
        }
        assert_eq!(round_trip(""), None);
        assert_eq!(round_trip("unknown"), None);
    }

    #[test]
    fn codes_round_trip() {
        let code_lists: [(&[&str], RoundTrip); 7] = [
            (&["usual", "official", "temp", "secondary", "old"], |code| {
                IdentifierUse::from_code(code).map(IdentifierUse::code)
            }),
            (
                &[
                    "usual",
                    "official",
                    "temp",
                    "nickname",
                    "anonymous",
                    "old",
                    "maiden",
                ],
                |code| NameUse::from_code(code).map(NameUse::code),
            ),
            (&["home", "work", "temp", "old", "billing"], |code| {
                AddressUse::from_code(code).map(AddressUse::code)
            }),
            (&["postal", "physical", "both"], |code| {
                AddressType::from_code(code).map(AddressType::code)
            }),
            (
                &["phone", "fax", "email", "pager", "url", "sms", "other"],
                |code| ContactPointSystem::from_code(code).map(ContactPointSystem::code),
            ),
            (&["home", "work", "temp", "old", "mobile"], |code| {
                ContactPointUse::from_code(code).map(ContactPointUse::code)
            }),
            (&["<", "<=", ">=", ">"], |code| {
                QuantityComparator::from_code(code).map(QuantityComparator::code)
            }),
        ];
        for (codes, round_trip) in code_lists {
            check(codes, round_trip);
        }
    }

    #[test]
    fn all_lists_every_code_once_in_order() {
        let identifier: Vec<&str> = IdentifierUse::ALL.iter().map(|v| v.code()).collect();
        assert_eq!(
            identifier,
            ["usual", "official", "temp", "secondary", "old"]
        );
        let name: Vec<&str> = NameUse::ALL.iter().map(|v| v.code()).collect();
        assert_eq!(
            name,
            [
                "usual",
                "official",
                "temp",
                "nickname",
                "anonymous",
                "old",
                "maiden"
            ]
        );
        let system: Vec<&str> = ContactPointSystem::ALL.iter().map(|v| v.code()).collect();
        assert_eq!(
            system,
            ["phone", "fax", "email", "pager", "url", "sms", "other"]
        );
    }
}
