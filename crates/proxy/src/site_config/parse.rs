//! Reading the TOML: the configuration as written (with spans), and the checks that turn it
//! into a [`SiteConfig`], collecting every problem with its line and column.

use serde::Deserialize;
use toml::Spanned;

use super::*;

/// Parses and validates a configuration from TOML text (see [`SiteConfig::from_toml_str`]).
pub(super) fn from_toml_str(text: &str) -> Result<SiteConfig, SiteConfigError> {
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
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
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
