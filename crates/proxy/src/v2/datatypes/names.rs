//! XPN → HumanName (and the name part of XCN, which has the same components shifted).
//!
//! family from the FN (its subcomponents: surname, own prefix, own surname, partner prefix,
//! partner surname; the parts become the R4 `humanname-*` extensions on `family`), given from
//! the given name and the second and further given names, prefix, suffix (suffix, degree and
//! professional suffix, in that order), use from the name type (table 0200 through the
//! `NameType` map), period from the validity range or the effective and expiration dates.

use serde_json::{Map, Value, json};

use super::super::context::{Context, Item};
use super::super::report::IssueSeverity;
use super::report_unused;

/// Where the parts of a name are in a composite.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameLayout {
    pub family: usize,
    pub given: usize,
    pub further_given: usize,
    pub suffix: usize,
    pub prefix: usize,
    /// The degree is a suffix in XPN; XCN maps it to a qualification instead.
    pub degree: Option<usize>,
    pub name_type: usize,
    pub validity: usize,
    pub effective: usize,
    pub expiration: usize,
    pub professional_suffix: usize,
}

/// XPN's layout.
pub(crate) const XPN: NameLayout = NameLayout {
    family: 1,
    given: 2,
    further_given: 3,
    suffix: 4,
    prefix: 5,
    degree: Some(6),
    name_type: 7,
    validity: 10,
    effective: 12,
    expiration: 13,
    professional_suffix: 14,
};

/// XCN's layout (the id number comes first).
pub(crate) const XCN: NameLayout = NameLayout {
    family: 2,
    given: 3,
    further_given: 4,
    suffix: 5,
    prefix: 6,
    degree: None,
    name_type: 10,
    validity: 17,
    effective: 19,
    expiration: 20,
    professional_suffix: 21,
};

/// The `humanname-*` extensions for the FN subcomponents 2..5.
const FAMILY_PARTS: &[(usize, &str)] = &[
    (
        2,
        "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix",
    ),
    (
        3,
        "http://hl7.org/fhir/StructureDefinition/humanname-own-name",
    ),
    (
        4,
        "http://hl7.org/fhir/StructureDefinition/humanname-partner-prefix",
    ),
    (
        5,
        "http://hl7.org/fhir/StructureDefinition/humanname-partner-name",
    ),
];

/// XPN → HumanName; `None` when the name has no part. Components not mapped (name
/// representation code, name context, assembly order, called-by) are reported.
pub fn human_name<'m>(ctx: &mut Context<'m>, xpn: &Item<'m>) -> Option<Value> {
    let (name, handled) = name_with(ctx, xpn, &XPN);
    report_unused(ctx, xpn, &handled);
    name
}

/// Builds the HumanName of `item` with `layout`; returns it and the components it read, for
/// the caller's [`Context::unused_components`].
pub(crate) fn name_with<'m>(
    ctx: &mut Context<'m>,
    item: &Item<'m>,
    layout: &NameLayout,
) -> (Option<Value>, Vec<usize>) {
    let mut handled = vec![
        layout.family,
        layout.given,
        layout.further_given,
        layout.suffix,
        layout.prefix,
        layout.name_type,
        layout.validity,
        layout.effective,
        layout.expiration,
        layout.professional_suffix,
    ];
    handled.extend(layout.degree);
    let mut name = Map::new();
    if let Some(code) = item.text(layout.name_type) {
        match ctx.vocabulary().map("NameType", &code) {
            Some(mapped) => {
                name.insert("use".into(), Value::String(mapped.code.to_owned()));
            }
            None => ctx.issue(
                IssueSeverity::Information,
                item.component_location(layout.name_type),
                format!("name type {code:?} has no HumanName.use; left out"),
            ),
        }
    }
    let surname = item.sub_text(layout.family, 1);
    let parts: Vec<(&str, String)> = FAMILY_PARTS
        .iter()
        .filter_map(|(sub, url)| Some((*url, item.sub_text(layout.family, *sub)?.into_owned())))
        .collect();
    let family = surname.map(|s| s.into_owned()).or_else(|| {
        // No surname written as a whole: compose it from its parts, in order.
        let composed: Vec<&str> = parts.iter().map(|(_, part)| part.as_str()).collect();
        (!composed.is_empty()).then(|| composed.join(" "))
    });
    let has_family = family.is_some();
    if let Some(family) = family {
        name.insert("family".into(), Value::String(family));
    }
    if has_family && !parts.is_empty() {
        let extensions: Vec<Value> = parts
            .iter()
            .map(|(url, part)| json!({"url": url, "valueString": part}))
            .collect();
        name.insert("_family".into(), json!({ "extension": extensions }));
    }
    let given: Vec<Value> = [layout.given, layout.further_given]
        .iter()
        .filter_map(|&n| item.text(n))
        .map(|text| Value::String(text.into_owned()))
        .collect();
    if !given.is_empty() {
        name.insert("given".into(), Value::Array(given));
    }
    if let Some(prefix) = item.text(layout.prefix) {
        name.insert("prefix".into(), Value::from(vec![prefix]));
    }
    let suffix: Vec<Value> = [
        Some(layout.suffix),
        layout.degree,
        Some(layout.professional_suffix),
    ]
    .iter()
    .flatten()
    .filter_map(|&n| item.text(n))
    .map(|text| Value::String(text.into_owned()))
    .collect();
    if !suffix.is_empty() {
        name.insert("suffix".into(), Value::Array(suffix));
    }
    let start = item
        .sub_text(layout.validity, 1)
        .map(|t| (t, layout.validity))
        .or_else(|| item.text(layout.effective).map(|t| (t, layout.effective)));
    let end = item
        .sub_text(layout.validity, 2)
        .map(|t| (t, layout.validity))
        .or_else(|| item.text(layout.expiration).map(|t| (t, layout.expiration)));
    let mut period = Map::new();
    for (member, found) in [("start", start), ("end", end)] {
        if let Some((text, n)) = found
            && let Some(value) = ctx.datetime(&text, item.component_location(n))
        {
            period.insert(member.into(), Value::String(value));
        }
    }
    if !period.is_empty() {
        name.insert("period".into(), Value::Object(period));
    }
    let only_use = name.len() == 1 && name.contains_key("use");
    if name.is_empty() || only_use {
        // A name type alone names nobody: report it rather than write an empty name.
        if only_use {
            handled.retain(|&n| n != layout.name_type);
        }
        return (None, handled);
    }
    (Some(Value::Object(name)), handled)
}

#[cfg(test)]
mod tests {
    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    fn check(pid5: &str, expected: &[Value], report: &[&str]) {
        let outcome = with_field(
            &SiteConfig::default(),
            &format!("PID|1||1||{pid5}\r"),
            "PID",
            5,
            |ctx, items| {
                items
                    .iter()
                    .filter_map(|item| human_name(ctx, item))
                    .collect::<Vec<_>>()
            },
        );
        assert_eq!(outcome.result, expected, "PID-5 {pid5:?}");
        assert_eq!(outcome.report, report, "PID-5 {pid5:?}");
    }

    #[test]
    fn names() {
        check(
            "DOE^JANE^Q^JR^DR^PHD^L",
            &[json!({
                "use": "official", "family": "DOE", "given": ["JANE", "Q"],
                "prefix": ["DR"], "suffix": ["JR", "PHD"]
            })],
            &[],
        );
        check(
            "van Beethoven&van&Beethoven^Ludwig~^Lu^^^^^N",
            &[
                json!({
                    "family": "van Beethoven",
                    "_family": {"extension": [
                        {"url": "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix", "valueString": "van"},
                        {"url": "http://hl7.org/fhir/StructureDefinition/humanname-own-name", "valueString": "Beethoven"}
                    ]},
                    "given": ["Ludwig"]
                }),
                json!({"use": "nickname", "given": ["Lu"]}),
            ],
            &[],
        );
        check(
            "O\\S\\Brien^Pat^^^^^M^^^20200101&20211231",
            &[json!({
                "use": "maiden", "family": "O^Brien", "given": ["Pat"],
                "period": {"start": "2020-01-01", "end": "2021-12-31"}
            })],
            &[],
        );
        check(
            "SMITH^^^^^^XX^A^B^^^^^^Bob",
            &[json!({"family": "SMITH"})],
            &[
                "unmapped component PID(1)-5[1].8",
                "unmapped component PID(1)-5[1].9",
                "unmapped component PID(1)-5[1].15",
                "information at PID(1)-5[1].7: name type \"XX\" has no HumanName.use; left out",
            ],
        );
        check("\"\"~^^^^^^L", &[], &["unmapped component PID(1)-5[2].7"]);
    }
}
