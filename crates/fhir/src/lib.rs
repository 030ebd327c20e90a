/*!
FHIR R4 (4.0.1) resources as a JSON tree.

fhirgate keeps resources as [`serde_json::Value`] trees built with the `preserve_order` and
`arbitrary_precision` features: member order is kept and numbers stay as their source text, so a
lab value of `1.00` is never rewritten as `1.0`. Profiles are data, and a validator must walk any
resource against any profile, so there are no generated structs here.

What this crate provides:
- [`xml`]: FHIR JSON ⇄ FHIR XML conversion following the R4 XML rules, driven by a compact type
  table compiled from the R4 core definitions ([`r4_types`]).
- [`bundle`]: a Bundle builder (transaction, batch or collection) with `urn:uuid:` full URLs,
  reference rewriting and conditional requests.
- [`ids`]: deterministic resource ids (UUIDv5 of the source system, resource type and business
  identifier).
- [`datatypes`]: small typed builders for the datatypes the translator writes.

What it is not for: validation (the `conformance` crate), translation (`proxy`) or any I/O.
*/

pub mod bundle;
pub mod datatypes;
pub mod ids;
pub mod r4_types;
pub mod xml;
