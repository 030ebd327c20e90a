//! The codes of the HL7 v2 tables (`data/v2-table-codes.tsv`, compiled from the FHIR terminology
//! package by `examples/compile_v2_tables.rs`), so that a table's system is written only for a
//! code the table has.

use foldhash::{HashMap, HashSet};
use std::sync::OnceLock;

use super::systems::table_number;

const TABLE_CODES: &str = include_str!("../../data/v2-table-codes.tsv");

fn tables() -> &'static HashMap<u16, HashSet<&'static str>> {
    static TABLES: OnceLock<HashMap<u16, HashSet<&'static str>>> = OnceLock::new();
    TABLES.get_or_init(|| {
        TABLE_CODES
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let number = fields.next()?.parse().ok()?;
                Some((number, fields.collect()))
            })
            .collect()
    })
}

/// Whether v2 table `table` (`0023`, `HL70023`, `23`) has `code`: `None` when the table's codes
/// are not known (a table missing from the terminology packages).
pub fn v2_table_has_code(table: &str, code: &str) -> Option<bool> {
    let number = table_number(table)?;
    tables().get(&number).map(|codes| codes.contains(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_membership() {
        for (table, code, expected) in [
            ("0002", "M", Some(true)),
            ("HL70002", "2", Some(false)),
            ("0159", "Vegan", Some(false)),
            ("0159", "D", Some(true)),
            ("0023", "7", Some(true)),
            ("9999", "X", None),
            ("not a table", "X", None),
        ] {
            assert_eq!(v2_table_has_code(table, code), expected, "{table} {code}");
        }
    }
}
