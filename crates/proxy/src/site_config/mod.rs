//! The site configuration: what differs from one site to the next, in TOML, read at start-up.
//!
//! A site changes the translation through configuration, not code: the id namespace, the time
//! zone of local timestamps, the kind of Bundle to write, local code maps and what to do with
//! Z-segments or vendor-specific fields. `deploy/site.example.toml` documents every key.
//!
//! Everything is checked on load, and every problem is reported at once with its line, column
//! and key: an unknown key, a time zone that does not exist, an empty URL, a field path that does
//! not parse, a code mapped twice.
//!
//! Time zones: there is no default. Without `default_time_zone`, a v2 timestamp that carries no
//! offset (in the field, or in MSH-7) is reported as such and written without one, at the
//! precision it has; it is never read in the host's zone, which differs between a laptop and a
//! container. Zones come from jiff's bundled tz database, so a container without
//! `/usr/share/zoneinfo` validates the same way.

mod parse;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The site configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteConfig {
    /// The UUID namespace of deterministic resource ids; `None` means fhirgate's default
    /// namespace (`fhir::ids::FHIRGATE_NAMESPACE`). Never change it once data has been sent.
    pub id_namespace: Option<uuid::Uuid>,
    /// The zone of timestamps that carry no offset; `None` means such timestamps are reported and
    /// kept without an offset, never guessed.
    pub default_time_zone: Option<SiteTimeZone>,
    /// The kind of Bundle the translator writes.
    pub bundle_type: BundleType,
    /// How resources are written to a FHIR server.
    pub conditional_mode: ConditionalMode,
    /// The source system used for ids and Provenance, instead of MSH-3/MSH-4.
    pub source_system: Option<String>,
    /// Local codes mapped to standard ones, checked before the built-in vocabulary.
    pub code_maps: Vec<CodeMap>,
    /// Where the content of Z-segments and vendor-specific fields goes.
    pub segment_overrides: Vec<FieldOverride>,
}

/// A validated IANA time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteTimeZone {
    /// The name as configured, such as `America/New_York`.
    pub name: String,
    /// The zone, from jiff's bundled tz database.
    pub zone: jiff::tz::TimeZone,
}

/// The Bundle type the translator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleType {
    /// All entries succeed or fail together (the default).
    #[default]
    Transaction,
    /// Each entry succeeds or fails on its own.
    Batch,
    /// A plain collection, with no request on the entries (for files and tests).
    Collection,
}

/// How entries are written to a FHIR server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionalMode {
    /// Conditional update, `PUT Type?identifier=…`: the latest message wins (the default).
    #[default]
    Update,
    /// Conditional create with `ifNoneExist`: a resource that exists is left alone.
    Create,
}

/// A local code and the standard code it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeMap {
    /// The local coding system as the sender writes it (CWE-3, or a table such as `HL70001`).
    pub source_system: String,
    /// The local code.
    pub source_code: String,
    /// The standard code system URI.
    pub target_system: String,
    /// The standard code.
    pub target_code: String,
    /// The standard display, if wanted.
    #[serde(default)]
    pub target_display: Option<String>,
}

/// Where a v2 field goes in FHIR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOverride {
    /// The field, such as `ZPI-2` or `PID-40.1`.
    pub field: FieldPath,
    /// Where its value goes.
    pub target: Target,
}

/// The destination of an overridden field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An extension on a resource.
    Extension {
        /// The resource type that carries the extension, such as `Patient`.
        resource: String,
        /// The extension URL.
        url: String,
        /// The type of `Extension.value[x]`.
        value_type: ValueType,
    },
    /// An element of a resource, replacing the default mapping of that field.
    Element {
        /// The resource type, such as `Patient`.
        resource: String,
        /// The element path, starting with the resource type: `Patient.maritalStatus.text`.
        path: String,
    },
}

/// The FHIR type of an extension value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ValueType {
    /// `valueString`.
    #[serde(rename = "string")]
    String,
    /// `valueCode`.
    #[serde(rename = "code")]
    Code,
    /// `valueBoolean` (`Y`/`N` in v2).
    #[serde(rename = "boolean")]
    Boolean,
    /// `valueInteger`.
    #[serde(rename = "integer")]
    Integer,
    /// `valueDecimal`.
    #[serde(rename = "decimal")]
    Decimal,
    /// `valueDate`.
    #[serde(rename = "date")]
    Date,
    /// `valueDateTime`.
    #[serde(rename = "dateTime")]
    DateTime,
    /// `valueUri`.
    #[serde(rename = "uri")]
    Uri,
    /// `valueCoding`.
    #[serde(rename = "Coding")]
    Coding,
    /// `valueCodeableConcept`.
    #[serde(rename = "CodeableConcept")]
    CodeableConcept,
    /// `valueIdentifier`.
    #[serde(rename = "Identifier")]
    Identifier,
    /// `valueReference`.
    #[serde(rename = "Reference")]
    Reference,
}

/// A v2 field position: `SEG-n`, `SEG-n.c` or `SEG-n.c.s`, all 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldPath {
    /// The segment id: an uppercase letter, then two uppercase letters or digits.
    pub segment: [u8; 3],
    /// The field number.
    pub field: u16,
    /// The component number.
    pub component: Option<u16>,
    /// The subcomponent number (only with a component).
    pub subcomponent: Option<u16>,
}

impl FieldPath {
    /// Parses `ZPI-2`, `PID-40.1` or `PID-5.1.1`.
    pub fn parse(text: &str) -> Result<FieldPath, FieldPathError> {
        let bad = |reason| FieldPathError {
            text: text.to_owned(),
            reason,
        };
        let (segment, numbers) = text
            .split_once('-')
            .ok_or_else(|| bad("no `-` after the segment id"))?;
        let segment: [u8; 3] = segment
            .as_bytes()
            .try_into()
            .map_err(|_| bad("the segment id is not 3 characters"))?;
        let [first, rest @ ..] = segment;
        if !first.is_ascii_uppercase()
            || !rest
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(bad(
                "the segment id is not an uppercase letter and two uppercase letters or digits",
            ));
        }
        let mut parts = numbers.split('.');
        let mut number = |what| -> Result<Option<u16>, FieldPathError> {
            let Some(part) = parts.next() else {
                return Ok(None);
            };
            match part.parse::<u16>() {
                Ok(n) if n >= 1 && part.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
                _ => Err(bad(what)),
            }
        };
        let field = number("the field number is not a positive integer")?
            .ok_or_else(|| bad("no field number"))?;
        let component = number("the component number is not a positive integer")?;
        let subcomponent = number("the subcomponent number is not a positive integer")?;
        if parts.next().is_some() {
            return Err(bad("more than field, component and subcomponent"));
        }
        Ok(FieldPath {
            segment,
            field,
            component,
            subcomponent,
        })
    }

    /// The segment id as text.
    pub fn segment_id(&self) -> &str {
        std::str::from_utf8(&self.segment).unwrap_or("???")
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.segment_id(), self.field)?;
        if let Some(component) = self.component {
            write!(f, ".{component}")?;
        }
        if let Some(subcomponent) = self.subcomponent {
            write!(f, ".{subcomponent}")?;
        }
        Ok(())
    }
}

/// Why a field path did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field path {text:?}: {reason}")]
pub struct FieldPathError {
    /// The text that did not parse.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// One problem in a configuration file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column, in characters.
    pub column: usize,
    /// The key, such as `segment_overrides[0].field`; empty when the TOML itself is malformed
    /// and no key is known.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, ", key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SiteConfigError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The configuration is malformed or invalid; every problem found is listed.
    #[error("{}{}", file.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default(), join_problems(problems))]
    Invalid {
        /// The file, when loaded from one.
        file: Option<PathBuf>,
        /// The problems, in file order.
        problems: Vec<ConfigProblem>,
    },
}

fn join_problems(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl SiteConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<SiteConfig, SiteConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| SiteConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        SiteConfig::from_toml_str(&text).map_err(|error| match error {
            SiteConfigError::Invalid { problems, .. } => SiteConfigError::Invalid {
                file: Some(path.to_path_buf()),
                problems,
            },
            other => other,
        })
    }

    /// Parses and validates a configuration from TOML text.
    pub fn from_toml_str(text: &str) -> Result<SiteConfig, SiteConfigError> {
        parse::from_toml_str(text)
    }

    /// The configured mapping of a local code, if any: `source_system` matches exactly,
    /// `source_code` too.
    pub fn code_map(&self, source_system: &str, source_code: &str) -> Option<&CodeMap> {
        self.code_maps
            .iter()
            .find(|m| m.source_system == source_system && m.source_code == source_code)
    }

    /// The overrides that apply to a segment, in configuration order.
    pub fn overrides_for_segment<'a>(
        &'a self,
        segment_id: &'a str,
    ) -> impl Iterator<Item = &'a FieldOverride> + 'a {
        self.segment_overrides
            .iter()
            .filter(move |o| o.field.segment_id() == segment_id)
    }
}

#[cfg(test)]
mod tests;
