//! The v2-to-FHIR vocabulary: v2 table codes to FHIR codings, code system names to URIs, units to UCUM.
//!
//! [`Vocabulary::builtin`] holds the concept maps of the HL7 v2-to-FHIR IG
//! (`../shared/reference/v2-to-fhir/mappings/codesystems`), compiled by
//! `cargo run -p proxy --example compile_vocab` into `data/v2-vocab.tsv` and embedded in the
//! binary, so nothing is read at run time. Only unconditional rows are kept: a row whose mapping
//! depends on a condition (for example "local assessment") is left out, and the translator keeps
//! the v2 code as it was.
//!
//! The table format is one mapping per line, tab-separated:
//! `map  table  v2_code  fhir_code  fhir_system  fhir_display`, with `#` comment lines.
//!
//! The other helpers are plain functions: [`v2_table_system`] (`HL70001` →
//! `http://terminology.hl7.org/CodeSystem/v2-0001`), [`coding_system_uri`] (a CWE-3 name such as
//! `LN` → `http://loinc.org`) and [`ucum_unit`] (`mmHg` → `mm[Hg]`).

mod systems;
mod tables;
mod ucum;

pub use systems::{coding_system_uri, v2_table_system};
pub use tables::v2_table_has_code;
pub use ucum::ucum_unit;

use foldhash::{HashMap, HashMapExt};
use std::sync::OnceLock;

/// The compiled table, embedded at build time.
const BUILTIN_TABLE: &str = include_str!("../../data/v2-vocab.tsv");

/// The FHIR concept a v2 code maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappedCoding<'a> {
    /// The FHIR code, such as `female`.
    pub code: &'a str,
    /// The FHIR code system URI, such as `http://hl7.org/fhir/administrative-gender`.
    pub system: &'a str,
    /// The display text, when the map gives one.
    pub display: Option<&'a str>,
}

/// A line of the table that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VocabError {
    /// The line does not have the six tab-separated fields.
    #[error("vocabulary line {line}: expected 6 tab-separated fields, found {found}")]
    FieldCount {
        /// The 1-based line number.
        line: usize,
        /// How many fields the line has.
        found: usize,
    },
    /// A required field is empty.
    #[error("vocabulary line {line}: field {field} is empty")]
    EmptyField {
        /// The 1-based line number.
        line: usize,
        /// The field name, such as `fhir_code`.
        field: &'static str,
    },
    /// The same map lists the same v2 code twice; the first one is kept.
    #[error(
        "vocabulary line {line}: map {map} already maps code {code:?}; the first mapping is kept"
    )]
    Duplicate {
        /// The 1-based line number.
        line: usize,
        /// The map name.
        map: String,
        /// The v2 code.
        code: String,
    },
}

/// One concept map: its name, its v2 table, and its codes.
#[derive(Debug, Clone)]
struct ConceptMap<'a> {
    name: &'a str,
    table: &'a str,
    codes: HashMap<&'a str, MappedCoding<'a>>,
}

/// The v2-to-FHIR concept maps, indexed by map name and by v2 table.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary<'a> {
    /// Maps in table order.
    maps: Vec<ConceptMap<'a>>,
    /// Map indexes by exact map name.
    by_name: HashMap<&'a str, usize>,
    /// For each table number (1 for `HL70001`), the indexes of its maps in lookup order.
    by_table: HashMap<u16, Vec<usize>>,
}

impl Vocabulary<'static> {
    /// The vocabulary compiled into this binary, parsed once.
    ///
    /// The embedded table is checked by this crate's tests, so lines it could not read (none
    /// are expected) are dropped silently here.
    pub fn builtin() -> &'static Vocabulary<'static> {
        static BUILTIN: OnceLock<Vocabulary<'static>> = OnceLock::new();
        BUILTIN.get_or_init(|| Vocabulary::parse(BUILTIN_TABLE).0)
    }
}

impl<'a> Vocabulary<'a> {
    /// Parses a table in the `data/v2-vocab.tsv` format, leniently: unreadable lines are
    /// skipped and reported.
    pub fn parse(text: &'a str) -> (Vocabulary<'a>, Vec<VocabError>) {
        let mut vocabulary = Vocabulary::default();
        let mut errors = Vec::new();
        let mut map_idx_by_name: HashMap<&'a str, usize> = HashMap::new();
        for (line_idx, line) in text.lines().enumerate() {
            let line_no = line_idx + 1;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [map, table, v2_code, fhir_code, fhir_system, fhir_display] = fields[..] else {
                errors.push(VocabError::FieldCount {
                    line: line_no,
                    found: fields.len(),
                });
                continue;
            };
            let required = [
                ("map", map),
                ("table", table),
                ("v2_code", v2_code),
                ("fhir_code", fhir_code),
                ("fhir_system", fhir_system),
            ];
            if let Some((field, _)) = required.iter().find(|(_, value)| value.is_empty()) {
                errors.push(VocabError::EmptyField {
                    line: line_no,
                    field,
                });
                continue;
            }
            let map_idx = *map_idx_by_name.entry(map).or_insert_with(|| {
                vocabulary.maps.push(ConceptMap {
                    name: map,
                    table,
                    codes: HashMap::new(),
                });
                vocabulary.maps.len() - 1
            });
            let Some(concept_map) = vocabulary.maps.get_mut(map_idx) else {
                continue;
            };
            let coding = MappedCoding {
                code: fhir_code,
                system: fhir_system,
                display: (!fhir_display.is_empty()).then_some(fhir_display),
            };
            if concept_map.codes.contains_key(v2_code) {
                errors.push(VocabError::Duplicate {
                    line: line_no,
                    map: map.to_owned(),
                    code: v2_code.to_owned(),
                });
                continue;
            }
            concept_map.codes.insert(v2_code, coding);
        }
        for (idx, map) in vocabulary.maps.iter().enumerate() {
            vocabulary.by_name.insert(map.name, idx);
            if let Some(number) = systems::table_number(map.table) {
                vocabulary.by_table.entry(number).or_default().push(idx);
            }
        }
        // A plain map (`EventType`) comes before qualified ones (`Event[EncounterStatus]`); among
        // equals, table order (map names sorted) decides.
        for indexes in vocabulary.by_table.values_mut() {
            indexes.sort_by_key(|&idx| {
                let qualified = vocabulary
                    .maps
                    .get(idx)
                    .is_some_and(|map| map.name.contains('['));
                (qualified, idx)
            });
        }
        (vocabulary, errors)
    }

    /// Maps a v2 code through a concept map named by map name or by v2 table.
    ///
    /// `map_or_table` is either a map name as in the v2-to-FHIR inventory (`AdministrativeSex`,
    /// `PatientClass[EncounterClass]`; matched ignoring case, spaces, `/` and `_`) or a v2 table
    /// (`HL70001`, `0001` or `1`). A table with several maps tries them in order: unqualified
    /// names first, then the others by name, and the first map that knows the code answers. Pass
    /// the map name to choose one. The code is matched exactly (v2 codes are case-sensitive).
    pub fn map(&self, map_or_table: &str, code: &str) -> Option<&MappedCoding<'a>> {
        // Map names start with a letter and never read as a table number, so the forms never clash.
        if let Some(table) = systems::table_number(map_or_table) {
            return self
                .by_table
                .get(&table)?
                .iter()
                .filter_map(|&idx| self.maps.get(idx))
                .find_map(|map| map.codes.get(code));
        }
        let idx = match self.by_name.get(map_or_table) {
            Some(&idx) => idx,
            None => self
                .maps
                .iter()
                .position(|m| same_map_name(m.name, map_or_table))?,
        };
        self.maps.get(idx)?.codes.get(code)
    }

    /// The names of the maps for a v2 table (`HL70004` or `0004`), in lookup order.
    pub fn maps_for_table(&self, table: &str) -> Vec<&'a str> {
        systems::table_number(table)
            .and_then(|number| self.by_table.get(&number))
            .into_iter()
            .flatten()
            .filter_map(|&idx| self.maps.get(idx).map(|map| map.name))
            .collect()
    }

    /// How many maps the vocabulary holds.
    pub fn n_maps(&self) -> usize {
        self.maps.len()
    }

    /// How many code mappings the vocabulary holds, over all maps.
    pub fn n_mappings(&self) -> usize {
        self.maps.iter().map(|map| map.codes.len()).sum()
    }
}

/// Compares map names ignoring ASCII case and the separators `' '`, `/` and `_`.
fn same_map_name(name: &str, query: &str) -> bool {
    let significant = |c: &char| !matches!(c, ' ' | '/' | '_');
    let mut name = name.chars().filter(significant);
    let mut query = query.chars().filter(significant);
    loop {
        match (name.next(), query.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (map or table, v2 code, expected (code, system, display)).
    type Case = (
        &'static str,
        &'static str,
        Option<(&'static str, &'static str, Option<&'static str>)>,
    );

    fn check_builtin(cases: &[Case]) {
        let vocabulary = Vocabulary::builtin();
        for &(map, code, expected) in cases {
            let got = vocabulary
                .map(map, code)
                .map(|c| (c.code, c.system, c.display));
            assert_eq!(got, expected, "map({map:?}, {code:?})");
        }
    }

    #[test]
    fn builtin_lookups() {
        const GENDER: &str = "http://hl7.org/fhir/administrative-gender";
        check_builtin(&[
            (
                "AdministrativeSex",
                "F",
                Some(("female", GENDER, Some("Female"))),
            ),
            ("HL70001", "F", Some(("female", GENDER, Some("Female")))),
            ("0001", "M", Some(("male", GENDER, Some("Male")))),
            ("1", "A", Some(("other", GENDER, Some("Other")))),
            (
                "administrativesex",
                "U",
                Some(("unknown", GENDER, Some("Unknown"))),
            ),
            // v2 codes are case-sensitive: no guessing.
            ("HL70001", "f", None),
            ("HL70001", "Z", None),
            ("NoSuchMap", "F", None),
            ("HL79999", "F", None),
            (
                "AddressType[Use]",
                "H",
                Some(("home", "http://hl7.org/fhir/address-use", Some("Home"))),
            ),
            // Listed in the sheet but without a FHIR code: not mapped.
            ("AddressType[Use]", "M", None),
            // Table 0004 has two maps; the class map comes first.
            (
                "HL70004",
                "I",
                Some((
                    "IMP",
                    "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    None,
                )),
            ),
            // The inventory spells it "Yes/NoIndicator".
            (
                "Yes/NoIndicator",
                "Y",
                Some((
                    "true",
                    "http://terminology.hl7.org/CodeSystem/special-values",
                    None,
                )),
            ),
            (
                "YesNoIndicator[AvailabilityStatus]",
                "N",
                Some((
                    "unavailable",
                    "http://hl7.org/fhir/specimen-status",
                    Some("Unavailable"),
                )),
            ),
            // The no-break space after "<" in the sheet is trimmed.
            (
                "HL70078",
                "<",
                Some((
                    "<",
                    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    Some("Off scale low"),
                )),
            ),
            // Conditional rows ("local assessment") are left out.
            ("SegmentActionCode", "U", None),
        ]);
    }

    #[test]
    fn builtin_table_parses_cleanly() {
        let (vocabulary, errors) = Vocabulary::parse(BUILTIN_TABLE);
        assert_eq!(errors, Vec::new());
        // 99 sheets, of which 76 map at least one code; see `tests/vocab_table.rs`.
        assert_eq!((vocabulary.n_maps(), vocabulary.n_mappings()), (76, 2322));
    }

    #[test]
    fn parse_reports_bad_lines() {
        let text = "# comment\n\
                    A\tHL70001\tF\tfemale\thttp://x\tFemale\n\
                    A\tHL70001\tF\tmale\thttp://x\t\n\
                    A\tHL70001\tM\n\
                    A\tHL70001\t\tx\thttp://x\t\n\
                    B[Q]\tHL70001\tM\tm\thttp://y\t\n\
                    \n";
        let (vocabulary, errors) = Vocabulary::parse(text);
        assert_eq!(
            errors,
            vec![
                VocabError::Duplicate {
                    line: 3,
                    map: "A".into(),
                    code: "F".into()
                },
                VocabError::FieldCount { line: 4, found: 3 },
                VocabError::EmptyField {
                    line: 5,
                    field: "v2_code"
                },
            ]
        );
        assert_eq!(
            vocabulary.map("A", "F"),
            Some(&MappedCoding {
                code: "female",
                system: "http://x",
                display: Some("Female")
            })
        );
        // The unqualified map is tried first; the qualified one answers for codes it alone has.
        assert_eq!(vocabulary.maps_for_table("0001"), vec!["A", "B[Q]"]);
        assert_eq!(vocabulary.map("HL70001", "M").map(|c| c.code), Some("m"));
    }

    #[test]
    fn map_names_compare_loosely() {
        let cases = [
            ("Yes/NoIndicator", "YesNoIndicator", true),
            (
                "Test/ServiceDefaultDurationUnits",
                "test service default duration units",
                true,
            ),
            (
                "PatientClass[EncounterClass]",
                "PatientClass[EncounterStatus]",
                false,
            ),
            ("AdministrativeSex", "AdministrativeSe", false),
            ("A", "", false),
        ];
        for (name, query, expected) in cases {
            assert_eq!(
                same_map_name(name, query),
                expected,
                "{name:?} vs {query:?}"
            );
        }
    }
}
