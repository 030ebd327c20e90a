//! Datatype mappings: v2 datatypes (CX, XPN, XAD, XTN, CWE, XCN, XON, HD, EI, PL, CQ, SN, MO,
//! DTM) to FHIR R4 datatypes, per the v2-to-FHIR datatype tables
//! (`../shared/reference/v2-to-fhir/mappings/datatypes`).
//!
//! Every function takes one field repetition ([`Item`]) read through the
//! [`Context`], reports the components it does not map with [`Context::unused_components`],
//! and records every repair (a rewritten unit, a phone number standardized to E.164, an unknown
//! code) as an issue. Empty components and the v2 null `""` are absent. Nothing here panics on
//! malformed input: a value that cannot be converted is left out with an issue.
//!
//! Layout: [`cx`] (CX, and the assigning-authority rules shared by every identifier), [`ei`],
//! [`names`] (XPN), [`address`] (XAD), [`telecom`] (XTN), [`coded`] (CWE/CE/CNE, ID/IS through
//! the vocabulary, site code maps), [`people`] (XCN → Practitioner, XON/HD → Organization),
//! [`place`] (PL → Location), [`numeric`] (NM with units, CQ, SN, MO), [`time`] (DTM).

pub mod address;
pub mod coded;
pub mod cx;
pub mod ei;
pub mod names;
pub mod numeric;
pub mod people;
pub mod place;
pub mod telecom;
pub mod time;

pub use address::address;
pub use coded::{code, codeable_concept};
pub use cx::{identifier, identifier_key};
pub use ei::entity_identifier;
pub use names::human_name;
pub use numeric::{composite_quantity, money, quantity, structured_numeric};
pub use people::{organization, organization_hd, practitioner};
pub use place::location;
pub use telecom::contact_point;
pub use time::{date, datetime};

use serde_json::{Value, json};

use super::context::{Context, Item};

/// A FHIR Reference to a resource of this message: `{"reference": "Type/id"}`.
pub fn reference(reference: &str) -> Value {
    json!({ "reference": reference })
}

/// Reports the components of `item` with data that are not in `handled`, like
/// [`Context::unused_components`], except the v2 null `""`: it asks the receiver to delete a
/// value, which a translation to a new resource has no value to delete from.
pub(crate) fn report_unused<'m>(ctx: &mut Context<'m>, item: &Item<'m>, handled: &[usize]) {
    ctx.unused_components_except(item, handled, |component| component.raw().trim() == "\"\"");
}

/// Collapses runs of whitespace and upper-cases, for natural keys that must not depend on
/// spelling details such as case or double spaces.
pub(crate) fn normalized(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Focused fixtures: a message of a header and a few segments, a context over it, and the
    //! report as lines.

    use super::super::context::{Context, Item, PendingResource};
    use super::super::report::Report;
    use crate::site_config::SiteConfig;

    /// The header every fixture starts with (offset -05:00 in MSH-7).
    pub const MSH: &str =
        "MSH|^~\\&|APP|FAC|EHR|FAC|20240305103000-0500||ADT^A01^ADT_A01|C1|P|2.5\r";

    /// What a call produced: its result, the resources added, the report lines.
    pub struct Outcome<R> {
        /// The function's result.
        pub result: R,
        /// The resources added, in order.
        pub resources: Vec<PendingResource>,
        /// `unmapped …` and `<severity> at …: …` lines.
        pub report: Vec<String>,
    }

    /// Parses `MSH + segments`, finds the first segment `segment_id`, and calls `f` with the
    /// context and that segment's field `field` (all non-empty repetitions). Only that field is
    /// marked used, and unmapped segments and fields are not listed: the report holds what the
    /// datatype function reported.
    pub fn with_field<R>(
        config: &SiteConfig,
        segments: &str,
        segment_id: &str,
        field: usize,
        f: impl for<'m> FnOnce(&mut Context<'m>, &[Item<'m>]) -> R,
    ) -> Outcome<R> {
        let text = format!("{MSH}{segments}");
        let (message, _) = hl7v2::parse(text.as_bytes());
        let header = message.header();
        let mut ctx = Context::new(&message, &header, config);
        let segment = message.first(segment_id);
        let items = match segment {
            Some(segment) => ctx.items(&segment, field),
            None => Vec::new(),
        };
        let result = f(&mut ctx, &items);
        let (resources, report) = ctx.finish();
        Outcome {
            result,
            resources,
            report: report_lines(&report),
        }
    }

    /// The report as lines, without whole unread segments and fields (fixtures read one field).
    pub fn report_lines(report: &Report) -> Vec<String> {
        report
            .to_string()
            .lines()
            .filter(|line| {
                !line.starts_with("unmapped segment") && !line.starts_with("unmapped field")
            })
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    /// Malformed fields never panic any mapping: every function runs on every sample.
    #[test]
    fn garbage_never_panics() {
        let samples = [
            "",
            "\"\"",
            "^",
            "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
            "&&&&^&&&^~~~",
            "\\",
            "\\X\\",
            "\\E\\\\F\\",
            "1.2.3.^..^ISO^\"\"",
            "+^-^/^:",
            "<>^^-^",
            "99999999999999999999999999999.9999",
            "é^ü^ß&ø",
            "20241399^x^^^^^^^2024",
            "^^^^^^^^^^^^^^^^^99",
            "\t ^ \t",
        ];
        for sample in samples {
            let segment = format!("ZZZ|{sample}\r");
            with_field(&SiteConfig::default(), &segment, "ZZZ", 1, |ctx, items| {
                for item in items {
                    identifier(ctx, item);
                    entity_identifier(ctx, item);
                    human_name(ctx, item);
                    address(ctx, item);
                    contact_point(ctx, item);
                    codeable_concept(ctx, item, Some("0203"));
                    code(ctx, item, "AdministrativeSex");
                    practitioner(ctx, item);
                    organization(ctx, item);
                    organization_hd(ctx, item);
                    location(ctx, item);
                    let text = item.whole().unwrap_or_default();
                    quantity(ctx, &text, Some(item), item.location());
                    composite_quantity(ctx, item);
                    structured_numeric(ctx, item);
                    money(ctx, item);
                    datetime(ctx, item, 1);
                    date(ctx, item, 2);
                }
            });
        }
    }

    #[test]
    fn references_and_normalized_names() {
        assert_eq!(reference("Patient/1"), json!({"reference": "Patient/1"}));
        assert_eq!(normalized("  van  der\tBerg "), "VAN DER BERG");
    }
}
