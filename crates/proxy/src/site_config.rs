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

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

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
        let raw: RawConfig = toml::from_str(text).map_err(|error| SiteConfigError::Invalid {
            file: None,
            problems: vec![problem_from_toml(text, error)],
        })?;
        let mut checker = Checker {
            text,
            problems: Vec::new(),
        };
        let config = checker.convert(raw);
        if checker.problems.is_empty() {
            Ok(config)
        } else {
            checker.problems.sort_by_key(|p| (p.line, p.column));
            Err(SiteConfigError::Invalid {
                file: None,
                problems: checker.problems,
            })
        }
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

/// The configuration as written, with spans for the values that are checked after parsing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    id_namespace: Option<Spanned<String>>,
    #[serde(default)]
    default_time_zone: Option<Spanned<String>>,
    #[serde(default)]
    bundle_type: BundleType,
    #[serde(default)]
    conditional_mode: ConditionalMode,
    #[serde(default)]
    source_system: Option<Spanned<String>>,
    #[serde(default)]
    code_maps: Vec<Spanned<CodeMap>>,
    #[serde(default)]
    segment_overrides: Vec<Spanned<RawOverride>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    field: Spanned<String>,
    #[serde(default)]
    extension: Option<Spanned<RawExtension>>,
    #[serde(default)]
    element: Option<Spanned<RawElement>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtension {
    resource: Spanned<String>,
    url: Spanned<String>,
    value_type: ValueType,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    resource: Spanned<String>,
    path: Spanned<String>,
}

/// Collects problems while turning a [`RawConfig`] into a [`SiteConfig`].
struct Checker<'a> {
    text: &'a str,
    problems: Vec<ConfigProblem>,
}

impl Checker<'_> {
    fn report(&mut self, span: Range<usize>, key: String, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.problems.push(ConfigProblem {
            line,
            column,
            key,
            message,
        });
    }

    fn convert(&mut self, raw: RawConfig) -> SiteConfig {
        let id_namespace = raw.id_namespace.and_then(|value| {
            match uuid::Uuid::parse_str(value.get_ref().trim()) {
                Ok(uuid) => Some(uuid),
                Err(error) => {
                    self.report(
                        value.span(),
                        "id_namespace".into(),
                        format!("{:?} is not a UUID: {error}", value.get_ref()),
                    );
                    None
                }
            }
        });
        let default_time_zone = raw.default_time_zone.and_then(|value| {
            let name = value.get_ref().trim();
            match jiff::tz::TimeZone::get(name) {
                Ok(zone) => Some(SiteTimeZone {
                    name: name.to_owned(),
                    zone,
                }),
                Err(_) => {
                    self.report(
                        value.span(),
                        "default_time_zone".into(),
                        format!(
                            "{:?} is not an IANA time zone name (such as \"America/New_York\")",
                            value.get_ref()
                        ),
                    );
                    None
                }
            }
        });
        let source_system = raw.source_system.and_then(|value| {
            self.non_empty(&value, "source_system".into())
                .then(|| value.into_inner())
        });
        let mut code_maps: Vec<CodeMap> = Vec::new();
        for (idx, spanned) in raw.code_maps.into_iter().enumerate() {
            let span = spanned.span();
            let map = spanned.into_inner();
            let key = |field: &str| format!("code_maps[{idx}].{field}");
            let fields = [
                ("source_system", &map.source_system),
                ("source_code", &map.source_code),
                ("target_system", &map.target_system),
                ("target_code", &map.target_code),
            ];
            let mut ok = true;
            for (field, value) in fields {
                if value.trim().is_empty() {
                    self.report(span.clone(), key(field), "must not be empty".into());
                    ok = false;
                }
            }
            if ok
                && code_maps.iter().any(|m| {
                    m.source_system == map.source_system && m.source_code == map.source_code
                })
            {
                self.report(
                    span,
                    key("source_code"),
                    format!(
                        "code {:?} of system {:?} is already mapped by an earlier entry",
                        map.source_code, map.source_system
                    ),
                );
                ok = false;
            }
            if ok {
                code_maps.push(map);
            }
        }
        let mut segment_overrides = Vec::new();
        for (idx, spanned) in raw.segment_overrides.into_iter().enumerate() {
            if let Some(field_override) = self.convert_override(idx, spanned) {
                segment_overrides.push(field_override);
            }
        }
        SiteConfig {
            id_namespace,
            default_time_zone,
            bundle_type: raw.bundle_type,
            conditional_mode: raw.conditional_mode,
            source_system,
            code_maps,
            segment_overrides,
        }
    }

    fn convert_override(
        &mut self,
        idx: usize,
        spanned: Spanned<RawOverride>,
    ) -> Option<FieldOverride> {
        let span = spanned.span();
        let raw = spanned.into_inner();
        let key = |field: &str| format!("segment_overrides[{idx}].{field}");
        let field = match FieldPath::parse(raw.field.get_ref().trim()) {
            Ok(field) => Some(field),
            Err(error) => {
                self.report(raw.field.span(), key("field"), error.to_string());
                None
            }
        };
        let target = match (raw.extension, raw.element) {
            (Some(extension), None) => {
                let extension = extension.into_inner();
                let resource_ok =
                    self.resource_name(&extension.resource, key("extension.resource"));
                let url_ok = self.non_empty(&extension.url, key("extension.url"));
                (resource_ok && url_ok).then(|| Target::Extension {
                    resource: extension.resource.get_ref().trim().to_owned(),
                    url: extension.url.get_ref().trim().to_owned(),
                    value_type: extension.value_type,
                })
            }
            (None, Some(element)) => {
                let element = element.into_inner();
                let resource_ok = self.resource_name(&element.resource, key("element.resource"));
                let path_ok = resource_ok
                    && self.element_path(
                        &element.path,
                        element.resource.get_ref().trim(),
                        key("element.path"),
                    );
                path_ok.then(|| Target::Element {
                    resource: element.resource.get_ref().trim().to_owned(),
                    path: element.path.get_ref().trim().to_owned(),
                })
            }
            (Some(_), Some(element)) => {
                self.report(
                    element.span(),
                    key("element"),
                    "give either `extension` or `element`, not both".into(),
                );
                None
            }
            (None, None) => {
                self.report(
                    span,
                    format!("segment_overrides[{idx}]"),
                    "needs an `extension` or an `element` target".into(),
                );
                None
            }
        };
        Some(FieldOverride {
            field: field?,
            target: target?,
        })
    }

    fn non_empty(&mut self, value: &Spanned<String>, key: String) -> bool {
        if value.get_ref().trim().is_empty() {
            self.report(value.span(), key, "must not be empty".into());
            return false;
        }
        true
    }

    /// A FHIR resource type name: an uppercase letter, then letters.
    fn resource_name(&mut self, value: &Spanned<String>, key: String) -> bool {
        let name = value.get_ref().trim();
        let mut chars = name.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_alphabetic());
        if !ok {
            self.report(
                value.span(),
                key,
                format!("{name:?} is not a FHIR resource type name (such as \"Patient\")"),
            );
        }
        ok
    }

    /// `Resource.element(.element)*`, each element a FHIR name.
    fn element_path(&mut self, value: &Spanned<String>, resource: &str, key: String) -> bool {
        let path = value.get_ref().trim();
        let mut parts = path.split('.');
        let starts_with_resource = parts.next() == Some(resource);
        let mut n_elements = 0;
        let elements_ok = parts.all(|part| {
            n_elements += 1;
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_ascii_lowercase())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        let ok = starts_with_resource && elements_ok && n_elements > 0;
        if !ok {
            self.report(
                value.span(),
                key,
                format!("{path:?} is not an element path of {resource} (such as \"{resource}.extension\")"),
            );
        }
        ok
    }
}

/// Turns a toml parse or deserialize error into a problem with line, column and key.
///
/// toml's error keeps the key path private and prints it only when it has no input to quote, so
/// the input is dropped and the "in `key`" line of the message read back.
fn problem_from_toml(text: &str, mut error: toml::de::Error) -> ConfigProblem {
    let (line, column) = error
        .span()
        .map_or((1, 1), |span| line_column(text, span.start));
    let message = error.message().trim().to_owned();
    error.set_input(None);
    let rendered = error.to_string();
    let parent = rendered
        .lines()
        .find_map(|l| l.strip_prefix("in `").and_then(|k| k.strip_suffix('`')))
        .unwrap_or("");
    // Serde names an unknown or missing key in the message only: "unknown field `x`, ...".
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    let key = match (parent, named) {
        ("", Some(name)) => name.to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (parent, None) => parent.to_owned(),
    };
    ConfigProblem {
        line,
        column,
        key,
        message,
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |idx| idx + 1);
    let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("ZPI-2", Ok("ZPI-2")),
            ("PID-40.1", Ok("PID-40.1")),
            ("PID-5.1.1", Ok("PID-5.1.1")),
            ("PV1-3", Ok("PV1-3")),
            ("Z01-1", Ok("Z01-1")),
            ("PID", Err("no `-` after the segment id")),
            ("PI-1", Err("the segment id is not 3 characters")),
            ("PIDX-1", Err("the segment id is not 3 characters")),
            (
                "pid-1",
                Err(
                    "the segment id is not an uppercase letter and two uppercase letters or digits",
                ),
            ),
            (
                "1AB-1",
                Err(
                    "the segment id is not an uppercase letter and two uppercase letters or digits",
                ),
            ),
            ("PID-", Err("the field number is not a positive integer")),
            ("PID-0", Err("the field number is not a positive integer")),
            ("PID-+3", Err("the field number is not a positive integer")),
            (
                "PID-3.",
                Err("the component number is not a positive integer"),
            ),
            (
                "PID-3.1.x",
                Err("the subcomponent number is not a positive integer"),
            ),
            (
                "PID-3.1.1.1",
                Err("more than field, component and subcomponent"),
            ),
            (
                "PID-99999",
                Err("the field number is not a positive integer"),
            ),
        ];
        for &(input, expected) in cases {
            let got = FieldPath::parse(input);
            let got = got.as_ref().map(ToString::to_string).map_err(|e| e.reason);
            assert_eq!(got.as_deref().map_err(|e| *e), expected, "parse({input:?})");
        }
    }

    /// Loads `text` and renders the result: the debug form of a few fields, or the problems.
    fn check(text: &str, expected: &str) {
        let got = match SiteConfig::from_toml_str(text) {
            Ok(config) => format!(
                "ok ns={:?} tz={:?} bundle={:?} mode={:?} source={:?} maps={} overrides={}",
                config.id_namespace.map(|u| u.to_string()),
                config.default_time_zone.map(|z| z.name),
                config.bundle_type,
                config.conditional_mode,
                config.source_system,
                config.code_maps.len(),
                config
                    .segment_overrides
                    .iter()
                    .map(|o| format!("{}=>{:?}", o.field, o.target))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Err(SiteConfigError::Invalid { problems, .. }) => problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            Err(other) => format!("other error: {other}"),
        };
        assert_eq!(got, expected, "config:\n{text}");
    }

    #[test]
    fn loads_valid_configs() {
        let cases: &[(&str, &str)] = &[
            (
                "",
                "ok ns=None tz=None bundle=Transaction mode=Update source=None maps=0 overrides=",
            ),
            (
                "id_namespace = \"6ba7b811-9dad-11d1-80b4-00c04fd430c8\"\n\
                 default_time_zone = \"America/New_York\"\n\
                 bundle_type = \"batch\"\n\
                 conditional_mode = \"create\"\n\
                 source_system = \"urn:oid:1.2.3\"\n",
                "ok ns=Some(\"6ba7b811-9dad-11d1-80b4-00c04fd430c8\") tz=Some(\"America/New_York\") \
                 bundle=Batch mode=Create source=Some(\"urn:oid:1.2.3\") maps=0 overrides=",
            ),
            (
                "default_time_zone = \"UTC\"\n\
                 [[code_maps]]\n\
                 source_system = \"LOCAL\"\nsource_code = \"GLU\"\n\
                 target_system = \"http://loinc.org\"\ntarget_code = \"2345-7\"\n\
                 [[segment_overrides]]\nfield = \"ZPI-2\"\n\
                 extension = { resource = \"Patient\", url = \"http://example.org/pet\", value_type = \"string\" }\n\
                 [[segment_overrides]]\nfield = \"PID-16.2\"\n\
                 element = { resource = \"Patient\", path = \"Patient.maritalStatus.text\" }\n",
                "ok ns=None tz=Some(\"UTC\") bundle=Transaction mode=Update source=None maps=1 \
                 overrides=ZPI-2=>Extension { resource: \"Patient\", url: \"http://example.org/pet\", value_type: String },\
                 PID-16.2=>Element { resource: \"Patient\", path: \"Patient.maritalStatus.text\" }",
            ),
        ];
        for &(text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn reports_problems_with_place_and_key() {
        let cases: &[(&str, &str)] = &[
            (
                "default_time_zone = \"Mars/Olympus\"\n",
                "line 1, column 21, key `default_time_zone`: \"Mars/Olympus\" is not an IANA time zone name (such as \"America/New_York\")",
            ),
            (
                "bundle_type = \"transaction\"\nid_namespace = \"not-a-uuid\"\n",
                "line 2, column 16, key `id_namespace`: \"not-a-uuid\" is not a UUID: invalid character: found `n` at 0",
            ),
            (
                "bundle_type = \"message\"\n",
                "line 1, column 15, key `bundle_type`: unknown variant `message`, expected one of `transaction`, `batch`, `collection`",
            ),
            (
                "\n\ntime_zone = \"UTC\"\n",
                "line 3, column 1, key `time_zone`: unknown field `time_zone`, expected one of `id_namespace`, `default_time_zone`, `bundle_type`, `conditional_mode`, `source_system`, `code_maps`, `segment_overrides`",
            ),
            (
                "bundle_type = \n",
                "line 1, column 15: string values must be quoted, expected literal string",
            ),
            (
                "[[segment_overrides]]\nfield = \"ZP-2\"\nextension = { resource = \"Patient\", url = \" \", value_type = \"string\" }\n",
                "line 2, column 9, key `segment_overrides[0].field`: field path \"ZP-2\": the segment id is not 3 characters\n\
                 line 3, column 43, key `segment_overrides[0].extension.url`: must not be empty",
            ),
            (
                "[[segment_overrides]]\nfield = \"ZPI-2\"\nextension = { resource = \"Patient\", url = \"u\", value_type = \"text\" }\n",
                "line 3, column 61, key `segment_overrides.extension.value_type`: unknown variant `text`, expected one of `string`, `code`, `boolean`, `integer`, `decimal`, `date`, `dateTime`, `uri`, `Coding`, `CodeableConcept`, `Identifier`, `Reference`",
            ),
            (
                "[[segment_overrides]]\nfield = \"ZPI-2\"\n",
                "line 1, column 1, key `segment_overrides[0]`: needs an `extension` or an `element` target",
            ),
            (
                "[[segment_overrides]]\nfield = \"ZPI-2\"\nelement = { resource = \"patient\", path = \"Patient.name\" }\n\
                 [[segment_overrides]]\nfield = \"ZPI-3\"\nelement = { resource = \"Patient\", path = \"Observation.code\" }\n",
                "line 3, column 24, key `segment_overrides[0].element.resource`: \"patient\" is not a FHIR resource type name (such as \"Patient\")\n\
                 line 6, column 42, key `segment_overrides[1].element.path`: \"Observation.code\" is not an element path of Patient (such as \"Patient.extension\")",
            ),
            (
                "[[code_maps]]\nsource_system = \"L\"\nsource_code = \"A\"\ntarget_system = \"http://x\"\ntarget_code = \"1\"\n\
                 [[code_maps]]\nsource_system = \"L\"\nsource_code = \"A\"\ntarget_system = \"http://y\"\ntarget_code = \"2\"\n\
                 [[code_maps]]\nsource_system = \"L\"\nsource_code = \"B\"\ntarget_system = \"\"\ntarget_code = \"2\"\n",
                "line 6, column 1, key `code_maps[1].source_code`: code \"A\" of system \"L\" is already mapped by an earlier entry\n\
                 line 11, column 1, key `code_maps[2].target_system`: must not be empty",
            ),
        ];
        for &(text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn example_config_loads() {
        let text = include_str!("../../../deploy/site.example.toml");
        check(
            text,
            "ok ns=Some(\"3f1c2d9e-5b7a-4c1e-9a0b-2d4e6f8a1c3e\") tz=Some(\"America/New_York\") \
             bundle=Transaction mode=Update source=Some(\"urn:oid:2.16.840.1.113883.3.9999\") maps=2 \
             overrides=ZPI-2=>Extension { resource: \"Patient\", url: \"http://example.org/fhir/StructureDefinition/preferred-pharmacy\", value_type: String },\
             ZPI-3=>Extension { resource: \"Patient\", url: \"http://example.org/fhir/StructureDefinition/patient-program\", value_type: CodeableConcept },\
             PID-16.2=>Element { resource: \"Patient\", path: \"Patient.maritalStatus.text\" }",
        );
    }

    #[test]
    fn load_names_the_file() {
        let dir = std::env::temp_dir().join(format!("proxy-site-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.toml");
        std::fs::write(&path, "default_time_zone = \"Nowhere/Atlantis\"\n").unwrap();
        let got = SiteConfig::load(&path).unwrap_err().to_string();
        let missing = SiteConfig::load(&dir.join("missing.toml"))
            .unwrap_err()
            .to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            got,
            format!(
                "{}: line 1, column 21, key `default_time_zone`: \"Nowhere/Atlantis\" is not an IANA time zone name (such as \"America/New_York\")",
                path.display()
            )
        );
        assert!(
            missing.starts_with(&format!("{}: ", dir.join("missing.toml").display())),
            "{missing}"
        );
        assert_eq!(
            SiteConfig::load(Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../deploy/site.example.toml"
            )))
            .unwrap()
            .code_maps
            .len(),
            2
        );
    }

    #[test]
    fn lookups() {
        let config = SiteConfig::from_toml_str(
            "[[code_maps]]\nsource_system = \"L\"\nsource_code = \"A\"\ntarget_system = \"http://x\"\ntarget_code = \"1\"\n\
             [[segment_overrides]]\nfield = \"ZPI-2\"\nelement = { resource = \"Patient\", path = \"Patient.extension\" }\n",
        )
        .unwrap();
        let cases = [
            (("L", "A"), Some("1")),
            (("L", "B"), None),
            (("l", "A"), None),
        ];
        for ((system, code), expected) in cases {
            assert_eq!(
                config
                    .code_map(system, code)
                    .map(|m| m.target_code.as_str()),
                expected
            );
        }
        let fields: Vec<String> = config
            .overrides_for_segment("ZPI")
            .map(|o| o.field.to_string())
            .collect();
        assert_eq!(fields, vec!["ZPI-2"]);
        assert_eq!(config.overrides_for_segment("PID").count(), 0);
    }

    #[test]
    fn line_columns() {
        let text = "ab\ncdé\nf";
        let cases = [
            (0, (1, 1)),
            (2, (1, 3)),
            (3, (2, 1)),
            (7, (2, 4)),
            (8, (3, 1)),
            (6, (2, 3)),
            (99, (3, 2)),
        ];
        for (offset, expected) in cases {
            assert_eq!(line_column(text, offset), expected, "offset {offset}");
        }
    }
}
