//! Code system names to canonical FHIR URIs: v2 tables and the coding system names of table 0396.
//!
//! Every URI below is the preferred one in HL7 Terminology (THO 7.0.1) NamingSystems or in the
//! FHIR R4 list of external code systems; the names are the table 0396 mnemonics that senders
//! put in CWE-3/CE-3 (and CWE-6/CE-6), plus a few aliases seen in real feeds. A name that is not
//! listed gives `None`, and the translator keeps it as written rather than guess.

use std::borrow::Cow;

/// The base of every v2 table code system URI.
const V2_TABLE_BASE: &str = "http://terminology.hl7.org/CodeSystem/v2-";

/// Table 0396 names (and aliases) with their canonical URIs, matched ignoring ASCII case.
///
/// Notes on the entries that need one:
/// - `SNM3` is "SNOMED International", the predecessor of SNOMED CT; senders use it for SNOMED CT
///   concept ids, and SNOMED CT kept SNOMED International's codes, so it maps to SNOMED CT.
///   `SNM` (the original SNOMED) is left out.
/// - `I9` is "ICD9"; in practice it carries ICD-9-CM codes, as `I9C`, `I9CDX` and `I9CP` do, and
///   FHIR has one URI for ICD-9-CM diagnoses and procedures.
/// - `HCPCS` maps to HCPCS Level II; Level I is CPT, which senders name `C4` or `CPT`.
/// - `ISO639` language codes are valid BCP 47 tags, the system FHIR uses for languages.
/// - `HCPT` (Health Care Provider Taxonomy) and `NUCC` are the same code system.
const CODING_SYSTEMS: &[(&str, &str)] = &[
    ("LN", "http://loinc.org"),
    ("LOINC", "http://loinc.org"),
    ("SCT", "http://snomed.info/sct"),
    ("SNM3", "http://snomed.info/sct"),
    ("SNOMED", "http://snomed.info/sct"),
    ("SNOMED-CT", "http://snomed.info/sct"),
    ("SNOMEDCT", "http://snomed.info/sct"),
    ("I10", "http://hl7.org/fhir/sid/icd-10"),
    ("ICD10", "http://hl7.org/fhir/sid/icd-10"),
    ("I10C", "http://hl7.org/fhir/sid/icd-10-cm"),
    ("ICD10CM", "http://hl7.org/fhir/sid/icd-10-cm"),
    ("ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm"),
    ("I10P", "http://www.cms.gov/Medicare/Coding/ICD10"),
    ("ICD10PCS", "http://www.cms.gov/Medicare/Coding/ICD10"),
    ("ICD10CA", "http://hl7.org/fhir/sid/icd-10-ca"),
    ("I9", "http://hl7.org/fhir/sid/icd-9-cm"),
    ("I9C", "http://hl7.org/fhir/sid/icd-9-cm"),
    ("I9CDX", "http://hl7.org/fhir/sid/icd-9-cm"),
    ("I9CP", "http://hl7.org/fhir/sid/icd-9-cm"),
    ("ICD9CM", "http://hl7.org/fhir/sid/icd-9-cm"),
    ("RXNORM", "http://www.nlm.nih.gov/research/umls/rxnorm"),
    ("RXN", "http://www.nlm.nih.gov/research/umls/rxnorm"),
    ("CVX", "http://hl7.org/fhir/sid/cvx"),
    ("MVX", "http://hl7.org/fhir/sid/mvx"),
    ("NDC", "http://hl7.org/fhir/sid/ndc"),
    ("UCUM", "http://unitsofmeasure.org"),
    ("CPT", "http://www.ama-assn.org/go/cpt"),
    ("C4", "http://www.ama-assn.org/go/cpt"),
    (
        "HCPCS",
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    ),
    ("NUCC", "http://nucc.org/provider-taxonomy"),
    ("HCPT", "http://nucc.org/provider-taxonomy"),
    ("NPI", "http://hl7.org/fhir/sid/us-npi"),
    ("SSN", "http://hl7.org/fhir/sid/us-ssn"),
    ("USSSA", "http://hl7.org/fhir/sid/us-ssn"),
    ("ISO3166_1", "urn:iso:std:iso:3166"),
    ("ISO3166", "urn:iso:std:iso:3166"),
    ("ISO3166_2", "urn:iso:std:iso:3166:-2"),
    ("ISO639", "urn:ietf:bcp:47"),
    ("CDCREC", "urn:oid:2.16.840.1.113883.6.238"),
    ("CDCM", "http://terminology.hl7.org/CodeSystem/CDCM"),
    ("NCIT", "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"),
    ("MEDR", "https://www.meddra.org"),
    ("NDFRT", "http://hl7.org/fhir/ndfrt"),
    ("DCM", "http://dicom.nema.org/resources/ontology/DCM"),
];

/// The number of a v2 table written as `HL70001`, `0001` or `1` (also `HL7001`), if it is one.
pub(crate) fn table_number(table: &str) -> Option<u16> {
    let table = table.trim();
    let digits = table
        .get(..3)
        .filter(|prefix| prefix.eq_ignore_ascii_case("HL7"))
        .and_then(|_| table.get(3..))
        .unwrap_or(table);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The FHIR code system URI of a v2 table: `HL70001`, `0001` and `1` all give
/// `http://terminology.hl7.org/CodeSystem/v2-0001`.
///
/// `None` when the text is not a table number (1 to 4 digits, optionally after `HL7`).
pub fn v2_table_system(table: &str) -> Option<String> {
    table_number(table).map(|number| format!("{V2_TABLE_BASE}{number:04}"))
}

/// The canonical FHIR URI for a coding system name as written in CWE-3/CE-3 (table 0396), such
/// as `LN` → `http://loinc.org` or `HL70005` → `http://terminology.hl7.org/CodeSystem/v2-0005`.
///
/// Names match ignoring ASCII case and surrounding spaces. `UCUM?`-style trailing question marks
/// are not part of any name, but some senders append one; it is ignored. A local name (`99zzz`,
/// `L`) or any name not documented in this module gives `None`.
pub fn coding_system_uri(cwe3: &str) -> Option<Cow<'static, str>> {
    let name = cwe3.trim();
    let name = name.strip_suffix('?').unwrap_or(name).trim_end();
    if let Some(&(_, uri)) = CODING_SYSTEMS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        return Some(Cow::Borrowed(uri));
    }
    let digits = name
        .get(..3)
        .filter(|prefix| prefix.eq_ignore_ascii_case("HL7"))
        .and_then(|_| name.get(3..))?;
    if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return v2_table_system(digits).map(Cow::Owned);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: PartialEq + std::fmt::Debug>(f: impl Fn(&str) -> T, cases: &[(&str, T)]) {
        for (input, expected) in cases {
            assert_eq!(&f(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn v2_table_systems() {
        let v2_0001 = Some("http://terminology.hl7.org/CodeSystem/v2-0001".to_owned());
        check(
            v2_table_system,
            &[
                ("HL70001", v2_0001.clone()),
                ("0001", v2_0001.clone()),
                ("1", v2_0001.clone()),
                ("hl70001", v2_0001.clone()),
                (" HL70001 ", v2_0001),
                (
                    "203",
                    Some("http://terminology.hl7.org/CodeSystem/v2-0203".to_owned()),
                ),
                (
                    "HL70396",
                    Some("http://terminology.hl7.org/CodeSystem/v2-0396".to_owned()),
                ),
                ("HL7", None),
                ("", None),
                ("00001", None),
                ("HL7000A", None),
                ("99zzz", None),
                ("-1", None),
            ],
        );
    }

    #[test]
    fn coding_system_uris() {
        let cases: &[(&str, Option<&str>)] = &[
            ("LN", Some("http://loinc.org")),
            ("ln", Some("http://loinc.org")),
            (" LN ", Some("http://loinc.org")),
            ("SCT", Some("http://snomed.info/sct")),
            ("SNM3", Some("http://snomed.info/sct")),
            ("SNOMED-CT", Some("http://snomed.info/sct")),
            ("SNM", None),
            ("I10", Some("http://hl7.org/fhir/sid/icd-10")),
            ("I10C", Some("http://hl7.org/fhir/sid/icd-10-cm")),
            ("ICD10CM", Some("http://hl7.org/fhir/sid/icd-10-cm")),
            ("I9C", Some("http://hl7.org/fhir/sid/icd-9-cm")),
            (
                "RXNORM",
                Some("http://www.nlm.nih.gov/research/umls/rxnorm"),
            ),
            ("CVX", Some("http://hl7.org/fhir/sid/cvx")),
            ("NDC", Some("http://hl7.org/fhir/sid/ndc")),
            ("UCUM", Some("http://unitsofmeasure.org")),
            ("UCUM?", Some("http://unitsofmeasure.org")),
            ("C4", Some("http://www.ama-assn.org/go/cpt")),
            ("NPI", Some("http://hl7.org/fhir/sid/us-npi")),
            ("USSSA", Some("http://hl7.org/fhir/sid/us-ssn")),
            ("MVX", Some("http://hl7.org/fhir/sid/mvx")),
            ("ISO3166_1", Some("urn:iso:std:iso:3166")),
            ("ISO639", Some("urn:ietf:bcp:47")),
            ("CDCREC", Some("urn:oid:2.16.840.1.113883.6.238")),
            (
                "HL70005",
                Some("http://terminology.hl7.org/CodeSystem/v2-0005"),
            ),
            ("HL7005", None),
            ("HL7", None),
            ("99zzz", None),
            ("L", None),
            ("", None),
            ("?", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(
                coding_system_uri(input).as_deref(),
                expected,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn coding_system_names_are_unique() {
        for (idx, (name, _)) in CODING_SYSTEMS.iter().enumerate() {
            let later = CODING_SYSTEMS.iter().skip(idx + 1);
            assert!(
                later
                    .clone()
                    .all(|(other, _)| !other.eq_ignore_ascii_case(name)),
                "{name} listed twice"
            );
        }
    }
}
