//! Local ValueSet expansion and the closure of terminology that bindings need.
//!
//! A ValueSet is expanded at compile time when every part of its compose can be computed from
//! the loaded packages: enumerated concepts, whole code systems that are present with
//! `content = complete`, `is-a` / `descendent-of` / `is-not-a` filters over a local hierarchy,
//! `regex` on `code`, and imported value sets (intersected). A compose that needs SNOMED CT,
//! LOINC, RxNorm, UCUM, VSAC value sets and the like is [`Expansion::External`]: not checkable
//! locally, and reported so. Anything else missing is [`Expansion::Unavailable`] with the reason.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::model::{CodeList, CodeSystem, CodeSystemContent, ConceptSet, Expansion, ValueSet};

/// Code systems and value sets that are not distributed in FHIR packages: their codes are
/// "not checked" locally. Matched as url prefixes.
pub const EXTERNAL_SYSTEMS: [&str; 37] = [
    "http://snomed.info/sct",
    "http://loinc.org",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://unitsofmeasure.org",
    "http://cts.nlm.nih.gov/fhir",
    "urn:ietf:bcp:47",
    "urn:ietf:bcp:13",
    "urn:ietf:rfc:3986",
    "urn:iso:std:iso:3166",
    "urn:iso:std:iso:4217",
    "urn:iso:std:iso:11073-10101",
    "urn:oid:",
    "http://hl7.org/fhir/sid/icd-",
    "http://hl7.org/fhir/sid/ndc",
    "http://hl7.org/fhir/sid/cvx",
    "http://hl7.org/fhir/sid/ex-icd-10-procedures",
    "http://www.ama-assn.org/go/cpt",
    "http://www.cms.gov/Medicare/Coding/ICD10",
    "http://nucc.org/provider-taxonomy",
    "http://www.whocc.no/atc",
    "http://fdasis.nlm.nih.gov",
    "http://dicom.nema.org/resources/ontology/DCM",
    "http://www.ada.org/cdt",
    "http://ncimeta.nci.nih.gov",
    "http://www.nubc.org/patient-discharge",
    "https://www.usps.com/",
    "http://ihe.net/fhir",
    "http://www.ensembl.org",
    "http://www.ncbi.nlm.nih.gov",
    "http://www.genenames.org",
    "http://www.sequenceontology.org",
    "http://varnomen.hgvs.org",
    "http://www.ebi.ac.uk",
    "http://cancer.sanger.ac.uk",
    "https://precision.fda.gov",
    "https://www.iana.org/time-zones",
    "http://hl7.org/fhir/sid/us-npi",
];

/// True for code systems (or value set urls) that only a terminology server can check.
pub fn is_external(url: &str) -> bool {
    EXTERNAL_SYSTEMS
        .iter()
        .any(|prefix| url.starts_with(prefix))
}

/// Looks up terminology resources while expanding.
pub(crate) trait TerminologySource {
    /// A code system by url, preferring `version` when given.
    fn code_system(&self, url: &str, version: Option<&str>) -> Option<&CodeSystem>;
    /// A value set by canonical (`url` or `url|version`).
    fn value_set(&self, canonical: &str) -> Option<&ValueSet>;
}

/// Expands value sets, remembering results.
pub(crate) struct Expander<'a> {
    source: &'a dyn TerminologySource,
    memo: HashMap<String, Expansion>,
    stack: Vec<String>,
}

type Codes = BTreeSet<(String, String)>;

enum Part {
    Codes(Codes),
    External(BTreeSet<String>),
    Unavailable(String),
}

impl<'a> Expander<'a> {
    pub fn new(source: &'a dyn TerminologySource) -> Expander<'a> {
        Expander {
            source,
            memo: HashMap::new(),
            stack: Vec::new(),
        }
    }

    /// The expansion of `value_set`.
    pub fn expand(&mut self, value_set: &ValueSet) -> Expansion {
        if let Some(done) = self.memo.get(&value_set.url) {
            return done.clone();
        }
        if self.stack.contains(&value_set.url) {
            return Expansion::Unavailable {
                reason: format!("value set {} imports itself", value_set.url),
            };
        }
        self.stack.push(value_set.url.clone());
        let expansion = match self.expand_compose(value_set) {
            Part::Codes(codes) => Expansion::Complete(code_list(codes)),
            Part::External(systems) => Expansion::External {
                systems: systems.into_iter().collect(),
            },
            Part::Unavailable(reason) => Expansion::Unavailable { reason },
        };
        self.stack.pop();
        self.memo.insert(value_set.url.clone(), expansion.clone());
        expansion
    }

    fn expand_compose(&mut self, value_set: &ValueSet) -> Part {
        let Some(compose) = &value_set.compose else {
            return Part::Unavailable(format!("value set {} has no compose", value_set.url));
        };
        let mut included = Codes::new();
        let mut external = BTreeSet::new();
        let mut unavailable = None;
        for (set, is_exclude) in compose
            .include
            .iter()
            .map(|s| (s, false))
            .chain(compose.exclude.iter().map(|s| (s, true)))
        {
            match self.concept_set(set) {
                Part::Codes(codes) if is_exclude => included.retain(|c| !codes.contains(c)),
                Part::Codes(codes) => included.extend(codes),
                Part::External(systems) => external.extend(systems),
                Part::Unavailable(reason) => {
                    unavailable.get_or_insert(reason);
                }
            }
        }
        if !external.is_empty() {
            Part::External(external)
        } else if let Some(reason) = unavailable {
            Part::Unavailable(reason)
        } else {
            Part::Codes(included)
        }
    }

    fn concept_set(&mut self, set: &ConceptSet) -> Part {
        let mut result: Option<Codes> = None;
        if let Some(system) = &set.system {
            let part = self.system_part(system, set);
            match part {
                Part::Codes(codes) => result = Some(codes),
                other => return other,
            }
        }
        for imported in &set.value_sets {
            let url = imported.split('|').next().unwrap_or(imported);
            let Some(value_set) = self.source.value_set(imported) else {
                return if is_external(url) {
                    Part::External(BTreeSet::from([url.to_string()]))
                } else {
                    Part::Unavailable(format!("value set {imported} is not loaded"))
                };
            };
            let codes: Codes = match self.expand(value_set) {
                Expansion::Complete(list) => list
                    .codes
                    .iter()
                    .filter_map(|(s, c)| Some((list.systems.get(*s as usize)?.clone(), c.clone())))
                    .collect(),
                Expansion::External { systems } => {
                    return Part::External(systems.into_iter().collect());
                }
                Expansion::Unavailable { reason } => return Part::Unavailable(reason),
            };
            result = Some(match result {
                Some(previous) => previous.intersection(&codes).cloned().collect(),
                None => codes,
            });
        }
        Part::Codes(result.unwrap_or_default())
    }

    fn system_part(&self, system_ref: &str, set: &ConceptSet) -> Part {
        let (url, version) = match system_ref.split_once('|') {
            Some((url, version)) => (url, Some(version)),
            None => (system_ref, set.version.as_deref()),
        };
        let system = url;
        if !set.concepts.is_empty() {
            return Part::Codes(
                set.concepts
                    .iter()
                    .map(|c| (system.to_string(), c.code.clone()))
                    .collect(),
            );
        }
        let code_system = self
            .source
            .code_system(url, version)
            .filter(|cs| cs.content == CodeSystemContent::Complete);
        let Some(code_system) = code_system else {
            if is_external(url) {
                return Part::External(BTreeSet::from([url.to_string()]));
            }
            if let Some(partial) = self.source.code_system(url, version) {
                return Part::Unavailable(format!(
                    "code system {url} is not complete ({:?})",
                    partial.content
                ));
            }
            return Part::Unavailable(format!("code system {url} is not loaded"));
        };
        let mut selected: Vec<bool> = vec![true; code_system.concepts.len()];
        for filter in &set.filters {
            let Some(matches) =
                filter_matches(code_system, &filter.property, &filter.op, &filter.value)
            else {
                return Part::Unavailable(format!(
                    "filter {} {} {} on {system} is not supported locally",
                    filter.property, filter.op, filter.value
                ));
            };
            for (keep, matched) in selected.iter_mut().zip(matches) {
                *keep &= matched;
            }
        }
        Part::Codes(
            code_system
                .concepts
                .iter()
                .zip(selected)
                .filter(|(_, keep)| *keep)
                .map(|(c, _)| (system.to_string(), c.code.clone()))
                .collect(),
        )
    }
}

/// Which concepts a filter selects, or `None` when the filter is not supported.
fn filter_matches(system: &CodeSystem, property: &str, op: &str, value: &str) -> Option<Vec<bool>> {
    let n = system.concepts.len();
    match (property, op) {
        ("concept", "is-a" | "descendent-of" | "is-not-a") => {
            let root = system.concept_index(value);
            let mut below = vec![false; n];
            if let Some(root) = root {
                let descendants = descendants(system, root);
                for idx in descendants {
                    if let Some(flag) = below.get_mut(idx) {
                        *flag = true;
                    }
                }
                if op != "descendent-of"
                    && let Some(flag) = below.get_mut(root)
                {
                    *flag = true;
                }
            }
            if op == "is-not-a" {
                below.iter_mut().for_each(|flag| *flag = !*flag);
            }
            Some(below)
        }
        ("concept" | "code", "=") => {
            Some(system.concepts.iter().map(|c| c.code == value).collect())
        }
        ("code" | "concept", "regex") => {
            let regex = SimpleRegex::parse(value)?;
            Some(
                system
                    .concepts
                    .iter()
                    .map(|c| regex.is_match(&c.code))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// Indexes of every concept below `root` (children, grandchildren…).
fn descendants(system: &CodeSystem, root: usize) -> HashSet<usize> {
    let mut children: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (idx, concept) in system.concepts.iter().enumerate() {
        for parent in &concept.parents {
            children.entry(*parent).or_default().push(idx);
        }
    }
    let mut found = HashSet::new();
    let mut pending = vec![root];
    while let Some(next) = pending.pop() {
        let Ok(key) = u32::try_from(next) else {
            continue;
        };
        for child in children.get(&key).into_iter().flatten() {
            if found.insert(*child) {
                pending.push(*child);
            }
        }
    }
    found
}

/// The few regex shapes value sets use on codes: a literal prefix followed by `.*`, or a
/// literal. Anything else is not supported locally.
struct SimpleRegex {
    prefix: String,
    any_suffix: bool,
}

impl SimpleRegex {
    fn parse(pattern: &str) -> Option<SimpleRegex> {
        let (prefix, any_suffix) = match pattern.strip_suffix(".*") {
            Some(prefix) => (prefix, true),
            None => (pattern, false),
        };
        let literal = prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        literal.then(|| SimpleRegex {
            prefix: prefix.to_string(),
            any_suffix,
        })
    }

    fn is_match(&self, code: &str) -> bool {
        if self.any_suffix {
            code.starts_with(&self.prefix)
        } else {
            code == self.prefix
        }
    }
}

fn code_list(codes: Codes) -> CodeList {
    let systems: Vec<String> = codes
        .iter()
        .map(|(s, _)| s.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let codes = codes
        .into_iter()
        .filter_map(|(system, code)| {
            let idx = systems.binary_search(&system).ok()?;
            Some((u32::try_from(idx).ok()?, code))
        })
        .collect();
    CodeList { systems, codes }
}

/// The canonical urls of the value sets and code systems reachable from `seeds` (value set
/// canonicals): imported value sets and included systems, transitively.
pub(crate) fn closure(
    seeds: impl IntoIterator<Item = String>,
    source: &dyn TerminologySource,
) -> HashSet<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut pending: Vec<String> = seeds
        .into_iter()
        .map(|s| s.split('|').next().unwrap_or(&s).to_string())
        .collect();
    while let Some(url) = pending.pop() {
        if !seen.insert(url.clone()) {
            continue;
        }
        let Some(value_set) = source.value_set(&url) else {
            continue;
        };
        let Some(compose) = &value_set.compose else {
            continue;
        };
        for set in compose.include.iter().chain(&compose.exclude) {
            if let Some(system) = &set.system {
                seen.insert(system.clone());
            }
            for imported in &set.value_sets {
                pending.push(imported.split('|').next().unwrap_or(imported).to_string());
            }
        }
    }
    seen
}
