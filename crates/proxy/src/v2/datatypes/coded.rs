//! CWE/CE/CNE → CodeableConcept, and ID/IS (or a CWE's code) → a FHIR code through the
//! v2-to-FHIR concept maps.
//!
//! Each triplet (CWE-1..3, the alternate CWE-4..6, and the second alternate CWE-10..12 of
//! v2.7+) becomes a coding. Its system: the CWE-3 name through [`vocab::coding_system_uri`]
//! (`LN` → `http://loinc.org`, `HL70005` → the v2 table), a CWE-3 that already is a URI or an
//! OID as such, or, when CWE-3 is empty, the v2 table the field is bound to — only for a code
//! that table has (`vocab::v2_table_has_code`; another code keeps no system, with a warning,
//! since the table is our inference and not the sender's claim). A local system name
//! (`L`, `99zzz`) is not a URI: the coding keeps code and display without a system, with an
//! information issue. A site `code_maps` entry for (system name as written, code) adds the
//! standard coding right after the original one; for a table-bound field without CWE-3 the
//! system name is `HL7nnnn`. `text` is the original text (CWE-9), else the text of a triplet
//! that has no code.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::super::context::{Context, Item};
use super::super::report::IssueSeverity;
use super::cx::{is_oid, is_uri};
use super::report_unused;
use crate::vocab;

/// The components of a triplet: code, text, system name, version.
struct Triplet {
    code: usize,
    text: usize,
    system: usize,
    version: usize,
}

const TRIPLETS: [Triplet; 3] = [
    Triplet {
        code: 1,
        text: 2,
        system: 3,
        version: 7,
    },
    Triplet {
        code: 4,
        text: 5,
        system: 6,
        version: 8,
    },
    Triplet {
        code: 10,
        text: 11,
        system: 12,
        version: 13,
    },
];

/// CWE/CE/CNE → CodeableConcept (see the module docs). `table` (such as `Some("0203")`) is the
/// v2 table whose system applies when CWE-3 is empty. `None` when there is neither a code nor a
/// text. CWE-14..22 (value set and OID components) are reported as unmapped.
pub fn codeable_concept<'m>(
    ctx: &mut Context<'m>,
    cwe: &Item<'m>,
    table: Option<&str>,
) -> Option<Value> {
    let mut codings = Vec::new();
    let mut loose_text = None;
    let mut handled = vec![9];
    for (idx, triplet) in TRIPLETS.iter().enumerate() {
        let text = cwe.text(triplet.text);
        let Some(code) = cwe.text(triplet.code) else {
            if text.is_some() {
                handled.push(triplet.text);
                loose_text = loose_text.or(text);
            }
            continue;
        };
        handled.extend([triplet.code, triplet.text, triplet.system, triplet.version]);
        let system_name = cwe.text(triplet.system);
        // The field's table applies to the first triplet only: alternates are other systems.
        let table = table.filter(|_| idx == 0 && system_name.is_none());
        let system = match (&system_name, table) {
            (Some(name), _) => coding_system(ctx, name, cwe, triplet.system),
            // The table is our inference, not the sender's claim: only a code the table has
            // gets its system.
            (None, Some(table)) => match vocab::v2_table_has_code(table, &code) {
                Some(false) => {
                    ctx.issue(
                        IssueSeverity::Warning,
                        cwe.component_location(triplet.code),
                        format!(
                            "{code:?} is not a code of HL7 table {table} and CWE-3 names no coding system: kept without a system"
                        ),
                    );
                    None
                }
                _ => vocab::v2_table_system(table),
            },
            (None, None) => None,
        };
        let mut coding = Map::new();
        if let Some(system) = system {
            coding.insert("system".into(), Value::String(system));
        }
        if let Some(version) = cwe.text(triplet.version) {
            coding.insert("version".into(), Value::String(version.into_owned()));
        }
        coding.insert("code".into(), Value::String(code.clone().into_owned()));
        if let Some(text) = &text {
            coding.insert("display".into(), Value::String(text.clone().into_owned()));
        }
        codings.push(Value::Object(coding));
        // Site code maps are keyed by the v2 system name; most sites have none.
        let has_code_maps = !ctx.config().code_maps.is_empty();
        let map_key: Option<Cow<'_, str>> = match (&system_name, table.filter(|_| has_code_maps)) {
            (Some(name), _) => Some(Cow::Borrowed(name.as_ref())),
            (None, Some(table)) => vocab::v2_table_system(table).and_then(|uri| {
                uri.rsplit('-')
                    .next()
                    .map(|n| Cow::Owned(format!("HL7{n}")))
            }),
            (None, None) => None,
        };
        if let Some(mapped) = map_key.and_then(|key| ctx.config().code_map(&key, &code)) {
            let mut standard = Map::new();
            standard.insert("system".into(), Value::String(mapped.target_system.clone()));
            standard.insert("code".into(), Value::String(mapped.target_code.clone()));
            if let Some(display) = &mapped.target_display {
                standard.insert("display".into(), Value::String(display.clone()));
            }
            codings.push(Value::Object(standard));
        }
    }
    let text = cwe.text(9).or(loose_text);
    if codings.is_empty() && text.is_none() {
        report_unused(ctx, cwe, &[]);
        return None;
    }
    report_unused(ctx, cwe, &handled);
    let mut concept = Map::new();
    if !codings.is_empty() {
        concept.insert("coding".into(), Value::Array(codings));
    }
    if let Some(text) = text {
        concept.insert("text".into(), Value::String(text.into_owned()));
    }
    Some(Value::Object(concept))
}

/// The URI of a coding system name from CWE-3/6/12, or `None` (with an information issue) for
/// a local name.
fn coding_system<'m>(
    ctx: &mut Context<'m>,
    name: &str,
    cwe: &Item<'m>,
    component: usize,
) -> Option<String> {
    if let Some(uri) = vocab::coding_system_uri(name) {
        return Some(uri.into_owned());
    }
    if is_uri(name) {
        return Some(name.to_owned());
    }
    if is_oid(name) {
        return Some(format!("urn:oid:{name}"));
    }
    ctx.issue(
        IssueSeverity::Information,
        cwe.component_location(component),
        format!("coding system {name:?} has no known URI; the coding is kept without a system"),
    );
    None
}

/// Component 1 of an ID/IS (or a CWE's code) mapped through a v2-to-FHIR concept map (a map
/// name such as `AdministrativeSex`, or a table such as `HL70001`): `code(ctx, &item,
/// "AdministrativeSex")` is `Some("female")` for `F`. A code the map does not know is a warning
/// issue and `None`. The code's text and coding system (components 2 and 3 of a CWE) describe
/// the code that was mapped and are read with it.
pub fn code<'m>(ctx: &mut Context<'m>, item: &Item<'m>, map: &str) -> Option<String> {
    let Some(source) = item.text(1) else {
        report_unused(ctx, item, &[]);
        return None;
    };
    report_unused(ctx, item, &[1, 2, 3]);
    match ctx.vocabulary().map(map, &source) {
        Some(mapped) => Some(mapped.code.to_owned()),
        None => {
            ctx.issue(
                IssueSeverity::Warning,
                item.component_location(1),
                format!("code {source:?} is not in the v2-to-FHIR map {map}; left out"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    fn check_with(
        config: &SiteConfig,
        obx3: &str,
        table: Option<&str>,
        expected: Option<Value>,
        report: &[&str],
    ) {
        let outcome = with_field(
            config,
            &format!("OBX|1|ST|{obx3}\r"),
            "OBX",
            3,
            |ctx, items| {
                items
                    .first()
                    .and_then(|item| codeable_concept(ctx, item, table))
            },
        );
        assert_eq!(outcome.result, expected, "{obx3:?}");
        assert_eq!(outcome.report, report, "{obx3:?}");
    }

    fn check(obx3: &str, table: Option<&str>, expected: Option<Value>, report: &[&str]) {
        check_with(&SiteConfig::default(), obx3, table, expected, report);
    }

    #[test]
    fn codeable_concepts() {
        check(
            "2345-7^Glucose^LN^GLU^Glucose SerPl^99LAB^2.74^^Glucose, serum",
            None,
            Some(json!({
                "coding": [
                    {"system": "http://loinc.org", "version": "2.74", "code": "2345-7", "display": "Glucose"},
                    {"code": "GLU", "display": "Glucose SerPl"}
                ],
                "text": "Glucose, serum"
            })),
            &[
                "information at OBX(1)-3[1].6: coding system \"99LAB\" has no known URI; the coding is kept without a system",
            ],
        );
        check(
            "MR^Medical record^HL70203",
            None,
            Some(
                json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR", "display": "Medical record"}]}),
            ),
            &[],
        );
        check(
            "F",
            Some("0001"),
            Some(
                json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0001", "code": "F"}]}),
            ),
            &[],
        );
        // A code the inferred table lacks keeps no system; the sender's explicit system stays.
        check(
            "Vegan^Vegan diet",
            Some("0159"),
            Some(json!({"coding": [{"code": "Vegan", "display": "Vegan diet"}]})),
            &[
                "warning at OBX(1)-3[1].1: \"Vegan\" is not a code of HL7 table 0159 and CWE-3 names no coding system: kept without a system",
            ],
        );
        check(
            "Vegan^Vegan diet^HL70159",
            Some("0159"),
            Some(
                json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0159", "code": "Vegan", "display": "Vegan diet"}]}),
            ),
            &[],
        );
        check(
            "1^One^urn:oid:1.2.3~2^Two^1.2.3",
            None,
            Some(json!({"coding": [{"system": "urn:oid:1.2.3", "code": "1", "display": "One"}]})),
            &[],
        );
        check(
            "^Free text only",
            None,
            Some(json!({"text": "Free text only"})),
            &[],
        );
        check("\"\"", None, None, &[]);
        check(
            "^^LN^^^^^^^^^^^OID",
            None,
            None,
            &[
                "unmapped component OBX(1)-3[1].3",
                "unmapped component OBX(1)-3[1].14",
            ],
        );
        check(
            "A\\T\\B^x\\S\\y^L",
            None,
            Some(json!({"coding": [{"code": "A&B", "display": "x^y"}]})),
            &[
                "information at OBX(1)-3[1].3: coding system \"L\" has no known URI; the coding is kept without a system",
            ],
        );
    }

    #[test]
    fn site_code_maps_add_the_standard_coding() {
        let config = SiteConfig::from_toml_str(
            "[[code_maps]]\nsource_system = \"LOCAL\"\nsource_code = \"GLU\"\ntarget_system = \"http://loinc.org\"\ntarget_code = \"2345-7\"\ntarget_display = \"Glucose\"\n\
             [[code_maps]]\nsource_system = \"HL70001\"\nsource_code = \"X\"\ntarget_system = \"http://hl7.org/fhir/administrative-gender\"\ntarget_code = \"other\"\n",
        )
        .unwrap();
        check_with(
            &config,
            "GLU^Glucose^LOCAL",
            None,
            Some(json!({"coding": [
                {"code": "GLU", "display": "Glucose"},
                {"system": "http://loinc.org", "code": "2345-7", "display": "Glucose"}
            ]})),
            &[
                "information at OBX(1)-3[1].3: coding system \"LOCAL\" has no known URI; the coding is kept without a system",
            ],
        );
        check_with(
            &config,
            "X",
            Some("0001"),
            Some(json!({"coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v2-0001", "code": "X"},
                {"system": "http://hl7.org/fhir/administrative-gender", "code": "other"}
            ]})),
            &[],
        );
    }

    #[test]
    fn codes_through_concept_maps() {
        let run = |pid8: &str| {
            with_field(
                &SiteConfig::default(),
                &format!("PID|1||1||X|||{pid8}\r"),
                "PID",
                8,
                |ctx, items| {
                    items
                        .first()
                        .and_then(|item| code(ctx, item, "AdministrativeSex"))
                },
            )
        };
        assert_eq!(run("F").result.as_deref(), Some("female"));
        assert_eq!(run("M^Male^HL70001").result.as_deref(), Some("male"));
        let unknown = run("Q");
        assert_eq!(unknown.result, None);
        assert_eq!(
            unknown.report,
            [
                "warning at PID(1)-8[1].1: code \"Q\" is not in the v2-to-FHIR map AdministrativeSex; left out"
            ]
        );
        assert_eq!(run("").result, None);
    }
}
