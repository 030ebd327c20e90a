//! Compiles the v2-to-FHIR vocabulary concept maps into `crates/proxy/data/v2-vocab.tsv`.
//!
//! Usage: `cargo run -p proxy --example compile_vocab [MAPPINGS_DIR [OUT_FILE]]`. The defaults are
//! `../shared/reference/v2-to-fhir/mappings` (seen from the workspace) and the committed table.
//!
//! Input: `MAPPINGS_DIR/codesystems/HL7 Concept Map_ NAME - Sheet1.csv`, one file per concept map,
//! with two header lines. Columns are found by their names on the second header line, because
//! a few files differ in layout: the first `Code`, `Text` and `Code System` describe the v2
//! concept, the columns between that `Code System` and the second `Code` hold the condition
//! (ANTLR, FHIRPath, narrative), and the second `Code`, `Display` and `Code System` describe the
//! FHIR concept. `MAPPINGS_DIR/v2-to-FHIR Map Inventory - Code System.csv` gives a map's v2 table
//! when its rows leave the v2 code system empty.
//!
//! Output: computable facts only, one mapping per line, tab-separated:
//! `map  table  v2_code  fhir_code  fhir_system  fhir_display`. Rows are skipped (and counted)
//! when they carry a condition (nothing here can evaluate one), have no v2 code (the sheets list
//! unmapped FHIR concepts that way), have no FHIR code (unmapped v2 concepts), or whose FHIR code
//! system is not a URI. Text is trimmed (including no-break spaces), inner tabs and newlines become
//! spaces, and a trailing `/` on a code system URI is dropped (`http://unitsofmeasure.org/` is
//! written as the canonical `http://unitsofmeasure.org`).
//!
//! The test `vocab_table_matches_shared_reference` runs [`compile`] and compares its output with
//! the committed table, so the table never drifts from its source silently.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file name prefix of every concept map sheet.
const MAP_FILE_PREFIX: &str = "HL7 Concept Map_ ";
/// The file name suffix of every concept map sheet.
const MAP_FILE_SUFFIX: &str = " - Sheet1.csv";
/// The inventory of concept maps, relative to the mappings folder.
const INVENTORY_FILE: &str = "v2-to-FHIR Map Inventory - Code System.csv";

/// Why compiling failed, with the file (and line) where it did.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A CSV file is malformed.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The underlying error, which names the line.
        source: csv::Error,
    },
    /// The second header line lacks a column this compiler needs.
    #[error("{path}:2: header has no {column} column")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column, such as "second `Code`".
        column: &'static str,
    },
    /// A map's v2 table is neither on its rows nor in the inventory.
    #[error("{path}: no v2 table for map {map} (not on its rows, not in the inventory)")]
    NoTable {
        /// The file.
        path: PathBuf,
        /// The map name.
        map: String,
    },
}

/// How many rows went where, for one map or for all of them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Data rows read (blank rows are not counted).
    pub rows: usize,
    /// Rows written to the table.
    pub kept: usize,
    /// Rows skipped because they carry a condition.
    pub conditional: usize,
    /// Rows skipped because they have no v2 code.
    pub no_v2_code: usize,
    /// Rows skipped because they have no FHIR code.
    pub no_fhir_code: usize,
    /// Rows skipped because their FHIR code system is not a URI.
    pub bad_system: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.rows += other.rows;
        self.kept += other.kept;
        self.conditional += other.conditional;
        self.no_v2_code += other.no_v2_code;
        self.no_fhir_code += other.no_fhir_code;
        self.bad_system += other.bad_system;
    }
}

/// A conditional row that was skipped, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedCondition {
    /// The map name.
    pub map: String,
    /// The line in the CSV file.
    pub line: u64,
    /// The v2 code.
    pub v2_code: String,
    /// The condition text, columns joined with ` | `.
    pub condition: String,
}

/// The compiled table and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// The table text, ready to write.
    pub tsv: String,
    /// Counts over all maps.
    pub totals: Counts,
    /// Counts per map, by map name.
    pub per_map: BTreeMap<String, Counts>,
    /// Every conditional row, in file order.
    pub conditions: Vec<SkippedCondition>,
}

/// Column positions in one concept map sheet.
struct Columns {
    v2_code: usize,
    v2_system: usize,
    conditions: std::ops::Range<usize>,
    fhir_code: usize,
    fhir_display: Option<usize>,
    fhir_system: usize,
}

impl Columns {
    fn from_header(path: &Path, header: &csv::StringRecord) -> Result<Self, CompileError> {
        let positions = |name: &str| -> Vec<usize> {
            header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim() == name)
                .map(|(i, _)| i)
                .collect()
        };
        let missing = |column| CompileError::MissingColumn {
            path: path.to_path_buf(),
            column,
        };
        let codes = positions("Code");
        let systems = positions("Code System");
        let v2_code = *codes.first().ok_or_else(|| missing("first `Code`"))?;
        let fhir_code = *codes.get(1).ok_or_else(|| missing("second `Code`"))?;
        let v2_system = *systems
            .first()
            .ok_or_else(|| missing("first `Code System`"))?;
        let fhir_system = *systems
            .iter()
            .find(|&&i| i > fhir_code)
            .ok_or_else(|| missing("`Code System` after the second `Code`"))?;
        let fhir_display = positions("Display")
            .into_iter()
            .find(|&i| i > fhir_code && i < fhir_system);
        Ok(Columns {
            v2_code,
            v2_system,
            conditions: v2_system + 1..fhir_code,
            fhir_code,
            fhir_display,
            fhir_system,
        })
    }
}

/// Trims a cell (no-break spaces included) and turns inner tabs and line breaks into spaces.
fn clean(cell: &str) -> String {
    cell.trim()
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\r' | '\n') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `HL70001`, `HL0207` (a typo in one sheet) and `0001` become `HL70001`; anything else is `None`.
fn normalize_table(text: &str) -> Option<String> {
    let text = text.trim();
    let digits = [
        text.strip_prefix("HL7"),
        text.strip_prefix("HL"),
        Some(text),
    ]
    .into_iter()
    .flatten()
    .find(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))?;
    Some(format!("HL7{digits}"))
}

/// A map name reduced for matching inventory names against file names:
/// `Yes/NoIndicator` and `YesNoIndicator`, `InterpretationCode` and `InterpretationCodes`.
fn inventory_key(name: &str) -> String {
    let key: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    key.strip_suffix('s').map(str::to_owned).unwrap_or(key)
}

fn read_inventory(mappings: &Path) -> Result<BTreeMap<String, String>, CompileError> {
    let path = mappings.join(INVENTORY_FILE);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(&path)
        .map_err(|source| CompileError::Csv {
            path: path.clone(),
            source,
        })?;
    let mut tables = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|source| CompileError::Csv {
            path: path.clone(),
            source,
        })?;
        let (Some(name), Some(table)) = (record.get(0), record.get(1)) else {
            continue;
        };
        if let Some(table) = normalize_table(table) {
            tables.entry(inventory_key(name)).or_insert(table);
        }
    }
    Ok(tables)
}

/// Compiles every concept map under `mappings/codesystems` into the table text.
pub fn compile(mappings: &Path) -> Result<Compiled, CompileError> {
    let inventory = read_inventory(mappings)?;
    let folder = mappings.join("codesystems");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CompileError::Io { path, source }
    };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&folder).map_err(io(&folder))? {
        let path = entry.map_err(io(&folder))?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(map) = file_name
            .strip_prefix(MAP_FILE_PREFIX)
            .and_then(|n| n.strip_suffix(MAP_FILE_SUFFIX))
        {
            files.push((map.to_owned(), path.clone()));
        }
    }
    files.sort();

    let mut tsv = String::new();
    tsv.push_str(
        "# v2-to-FHIR vocabulary, compiled by `cargo run -p proxy --example compile_vocab`\n\
         # from ../shared/reference/v2-to-fhir/mappings/codesystems. Do not edit by hand.\n\
         # map\ttable\tv2_code\tfhir_code\tfhir_system\tfhir_display\n",
    );
    let mut totals = Counts::default();
    let mut per_map = BTreeMap::new();
    let mut conditions = Vec::new();
    for (map, path) in &files {
        let counts = compile_map(map, path, &inventory, &mut tsv, &mut conditions)?;
        totals.add(counts);
        per_map.insert(map.clone(), counts);
    }
    Ok(Compiled {
        tsv,
        totals,
        per_map,
        conditions,
    })
}

fn compile_map(
    map: &str,
    path: &Path,
    inventory: &BTreeMap<String, String>,
    tsv: &mut String,
    conditions: &mut Vec<SkippedCondition>,
) -> Result<Counts, CompileError> {
    let csv_error = |source| CompileError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(csv_error)?;
    let mut records = reader.records();
    // The first header line groups columns ("HL7 v2", "Condition", "HL7 FHIR"); the second names them.
    let _groups = records.next().transpose().map_err(csv_error)?;
    let header = records
        .next()
        .transpose()
        .map_err(csv_error)?
        .ok_or_else(|| CompileError::MissingColumn {
            path: path.to_path_buf(),
            column: "second header line",
        })?;
    let columns = Columns::from_header(path, &header)?;
    let fallback_table = inventory.get(&inventory_key(map)).cloned();
    let mut counts = Counts::default();
    for record in records {
        let record = record.map_err(csv_error)?;
        let cell = |i: usize| clean(record.get(i).unwrap_or(""));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        counts.rows += 1;
        let v2_code = cell(columns.v2_code);
        let condition: Vec<String> = columns
            .conditions
            .clone()
            .map(cell)
            .filter(|c| !c.is_empty())
            .collect();
        if !condition.is_empty() {
            counts.conditional += 1;
            conditions.push(SkippedCondition {
                map: map.to_owned(),
                line: record.position().map_or(0, csv::Position::line),
                v2_code,
                condition: condition.join(" | "),
            });
            continue;
        }
        if v2_code.is_empty() {
            counts.no_v2_code += 1;
            continue;
        }
        let fhir_code = cell(columns.fhir_code);
        if fhir_code.is_empty() {
            counts.no_fhir_code += 1;
            continue;
        }
        let system = cell(columns.fhir_system);
        let system = system.strip_suffix('/').unwrap_or(&system);
        if !(system.starts_with("http://")
            || system.starts_with("https://")
            || system.starts_with("urn:"))
            || system.contains(' ')
        {
            counts.bad_system += 1;
            continue;
        }
        let table = normalize_table(&cell(columns.v2_system))
            .or_else(|| fallback_table.clone())
            .ok_or_else(|| CompileError::NoTable {
                path: path.to_path_buf(),
                map: map.to_owned(),
            })?;
        let display = columns.fhir_display.map(cell).unwrap_or_default();
        // Writing to a String cannot fail.
        let _ = writeln!(
            tsv,
            "{map}\t{table}\t{v2_code}\t{fhir_code}\t{system}\t{display}"
        );
        counts.kept += 1;
    }
    Ok(counts)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args_os().skip(1);
    let mappings = args.next().map_or_else(
        || manifest.join("../../../shared/reference/v2-to-fhir/mappings"),
        PathBuf::from,
    );
    let out = args
        .next()
        .map_or_else(|| manifest.join("data/v2-vocab.tsv"), PathBuf::from);
    let compiled = compile(&mappings)?;
    std::fs::write(&out, &compiled.tsv).map_err(|source| CompileError::Io {
        path: out.clone(),
        source,
    })?;
    for skipped in &compiled.conditions {
        println!(
            "skipped conditional row: {} line {} code {:?}: {}",
            skipped.map, skipped.line, skipped.v2_code, skipped.condition
        );
    }
    let t = compiled.totals;
    println!(
        "{} maps, {} rows: {} kept; skipped {} conditional, {} without a v2 code, \
         {} without a FHIR code, {} with a non-URI FHIR system",
        compiled.per_map.len(),
        t.rows,
        t.kept,
        t.conditional,
        t.no_v2_code,
        t.no_fhir_code,
        t.bad_system
    );
    println!("wrote {}", out.display());
    Ok(())
}
