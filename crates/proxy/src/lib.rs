/*!
Translation of legacy healthcare feeds into FHIR R4 (4.0.1) Bundles.

This crate translates HL7v2 messages (later also C-CDA documents and CSV files) into FHIR R4
Bundles, following the HL7 v2-to-FHIR mapping tables, and applies the site's configuration while
doing so.

What this crate provides so far:
- [`vocab`]: the v2-to-FHIR vocabulary. [`vocab::Vocabulary::builtin`] answers "which FHIR code
  does v2 table 0001 code `F` map to?" from a table compiled out of the v2-to-FHIR concept maps
  and embedded in the binary; [`vocab::v2_table_system`], [`vocab::coding_system_uri`] and
  [`vocab::ucum_unit`] canonicalize code system names and units.
- [`site_config`]: [`site_config::SiteConfig`], the per-site TOML configuration (id namespace,
  time zone, Bundle type, local code maps, Z-segment and field overrides), validated on load.

- [`v2`]: HL7v2 → FHIR R4: [`v2::Converter`] reads MSH-9, groups segments per the message
  structure, maps segments and datatypes, and reports what it did not map.

What it is not for: validating resources against profiles (the `conformance` crate) or deciding
where they go (the `routing` crate). It does no I/O except reading a configuration file on request.
*/

pub mod site_config;
pub mod v2;
pub mod vocab;
