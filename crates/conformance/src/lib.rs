//! FHIR R4 conformance: the package and profile layer, and the validator.
//!
//! This crate reads FHIR npm packages (`.tgz`), compiles their StructureDefinitions,
//! ValueSets and CodeSystems into a compact form of computable facts, writes and loads that
//! form (`profiles/*.fgp`), and answers lookups by canonical url. The validator builds on it.
//!
//! Main types:
//! - [`Package`]: a package archive read into its manifest and kept resources;
//! - [`compile()`] with [`CompileOptions`]: packages to [`CompiledPackage`]s, generating
//!   snapshots for differential-only profiles ([`snapshot`]) and local ValueSet expansions
//!   ([`terminology`]);
//! - the compiled model ([`model`]): [`StructureDef`] with its snapshot [`Element`]s,
//!   [`ValueSet`] with its [`Expansion`], [`CodeSystem`] with its concept hierarchy;
//! - [`format`]: the `*.fgp` file format (versioned header, zlib'd postcard) and `index.json`;
//! - [`Registry`]: every loaded package, by canonical url (`url|version`) and by type;
//!   [`Registry::load_dir`] at start-up, [`Registry::add_package`] for a site's own IG;
//! - [`validate::Validator`]: validates a resource against its base definition, its declared
//!   `meta.profile`s and the profiles asked for, returning an [`validate::Outcome`] that
//!   becomes an OperationOutcome.
//!
//! ```no_run
//! # fn main() -> Result<(), conformance::Error> {
//! let registry = conformance::Registry::load_dir(std::path::Path::new("profiles"))?;
//! let patient = registry.structure("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|6.1.0");
//! let base = registry.base_type("Patient");
//! # let _ = (patient, base);
//! # Ok(())
//! # }
//! ```
//!
//! Why our own code: no Rust crate reads FHIR packages into a validator-oriented form or
//! generates R4 snapshots (the reference implementation is the Java `ProfileUtilities`); the
//! rules needed here (differential by element id, slices, type expansion) fit in a few hundred
//! lines over the compiled model, which also lets a site's IG be compiled at run time against
//! the already compiled core without the original archives.
//!
//! Not for: translating messages (the `proxy` crate), fetching packages from a registry, or
//! talking to a terminology server: codes from SNOMED CT, LOINC, VSAC… are marked "not
//! checkable locally" ([`Expansion::External`]).

pub mod compile;
mod error;
pub mod format;
pub mod log;
pub mod model;
pub mod package;
mod parse;
pub mod registry;
pub mod snapshot;
pub mod source_map;
pub mod terminology;
pub mod validate;

pub use compile::{CompileOptions, compile};
pub use error::{Error, Result};
pub use model::{CodeSystem, CompiledPackage, Element, Expansion, StructureDef, ValueSet};
pub use package::Package;
pub use registry::{LoadedPackage, PackageOrigin, Registry};
