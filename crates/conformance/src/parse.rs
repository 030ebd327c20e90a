//! JSON resources to the compiled model: StructureDefinitions (snapshot elements and
//! differential patches), ValueSets (compose) and CodeSystems (concept hierarchy).

use serde_json::{Map, Value};

use crate::model::{
    Binding, BindingStrength, CodeSystem, CodeSystemContent, Compose, Concept, ConceptRef,
    ConceptSet, Constraint, Derivation, Discriminator, DiscriminatorKind, Element, Expansion,
    ExtensionContext, Filter, Max, Severity, Slicing, SlicingRules, StructureDef, StructureKind,
    TypeRef, TypedValue, ValueSet,
};

const REGEX_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/regex";

fn text(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_string)
}

fn texts(json: &Value, key: &str) -> Vec<String> {
    json.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn array<'a>(json: &'a Value, key: &str) -> &'a [Value] {
    json.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn as_u32(json: &Value, key: &str) -> Option<u32> {
    json.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

/// The header of a StructureDefinition, without elements.
pub(crate) fn structure_header(json: &Value) -> Result<StructureDef, String> {
    let url = text(json, "url").ok_or("no url")?;
    let kind = match json.get("kind").and_then(Value::as_str) {
        Some("primitive-type") => StructureKind::PrimitiveType,
        Some("complex-type") => StructureKind::ComplexType,
        Some("resource") => StructureKind::Resource,
        Some("logical") => StructureKind::Logical,
        other => return Err(format!("invalid kind {other:?}")),
    };
    let derivation = match json.get("derivation").and_then(Value::as_str) {
        Some("specialization") => Some(Derivation::Specialization),
        Some("constraint") => Some(Derivation::Constraint),
        None => None,
        Some(other) => return Err(format!("invalid derivation {other:?}")),
    };
    let contexts = array(json, "context")
        .iter()
        .filter_map(|context| {
            Some(ExtensionContext {
                kind: text(context, "type")?,
                expression: text(context, "expression")?,
            })
        })
        .collect();
    Ok(StructureDef {
        name: text(json, "name").unwrap_or_default(),
        type_name: text(json, "type").ok_or("no type")?,
        version: text(json, "version"),
        kind,
        is_abstract: json
            .get("abstract")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        base_definition: text(json, "baseDefinition"),
        derivation,
        contexts,
        context_invariants: texts(json, "contextInvariant"),
        snapshot_generated: false,
        elements: Vec::new(),
        url,
    })
}

/// An element definition as written, every member optional: a differential entry, or (with
/// defaults) a snapshot element.
#[derive(Debug, Clone, Default)]
pub(crate) struct ElementPatch {
    pub id: Option<String>,
    pub path: String,
    pub slice_name: Option<String>,
    pub min: Option<u32>,
    pub max: Option<Max>,
    pub types: Option<Vec<TypeRef>>,
    pub content_reference: Option<String>,
    pub fixed: Option<TypedValue>,
    pub pattern: Option<TypedValue>,
    pub binding: Option<Binding>,
    pub constraints: Vec<Constraint>,
    pub slicing: Option<Slicing>,
    pub max_length: Option<u32>,
    pub min_value: Option<TypedValue>,
    pub max_value: Option<TypedValue>,
    pub regex: Option<String>,
    pub must_support: Option<bool>,
    pub is_modifier: Option<bool>,
}

fn typed_value(object: &Map<String, Value>, prefix: &str) -> Option<TypedValue> {
    object.iter().find_map(|(key, value)| {
        let suffix = key.strip_prefix(prefix)?;
        let first = suffix.chars().next()?;
        first.is_ascii_uppercase().then(|| TypedValue {
            type_suffix: suffix.to_string(),
            json: value.to_string(),
        })
    })
}

impl ElementPatch {
    /// Reads an ElementDefinition; `Err` names the problem.
    pub fn from_json(json: &Value) -> Result<ElementPatch, String> {
        let object = json.as_object().ok_or("element is not an object")?;
        let path = text(json, "path").ok_or("element without path")?;
        let mut regex = None;
        let types = json.get("type").and_then(Value::as_array).map(|types| {
            types
                .iter()
                .map(|t| {
                    for extension in array(t, "extension") {
                        if extension.get("url").and_then(Value::as_str) == Some(REGEX_EXTENSION) {
                            regex = text(extension, "valueString");
                        }
                    }
                    TypeRef {
                        code: text(t, "code").unwrap_or_default(),
                        profiles: texts(t, "profile"),
                        target_profiles: texts(t, "targetProfile"),
                    }
                })
                .collect()
        });
        let max = match json.get("max").and_then(Value::as_str) {
            Some(max) => Some(Max::parse(max).ok_or_else(|| format!("{path}: invalid max {max}"))?),
            None => None,
        };
        let binding = match json.get("binding") {
            Some(binding) => {
                let strength = binding
                    .get("strength")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Some(Binding {
                    strength: BindingStrength::parse(strength)
                        .ok_or_else(|| format!("{path}: invalid binding strength {strength:?}"))?,
                    value_set: text(binding, "valueSet"),
                })
            }
            None => None,
        };
        let constraints = array(json, "constraint")
            .iter()
            .filter_map(|c| {
                Some(Constraint {
                    key: text(c, "key")?,
                    severity: match c.get("severity").and_then(Value::as_str) {
                        Some("warning") => Severity::Warning,
                        _ => Severity::Error,
                    },
                    expression: text(c, "expression"),
                    human: text(c, "human").unwrap_or_default(),
                })
            })
            .collect();
        let slicing = match json.get("slicing") {
            Some(slicing) => Some(parse_slicing(slicing).map_err(|e| format!("{path}: {e}"))?),
            None => None,
        };
        Ok(ElementPatch {
            id: text(json, "id"),
            slice_name: text(json, "sliceName"),
            min: as_u32(json, "min"),
            max,
            types,
            content_reference: text(json, "contentReference"),
            fixed: typed_value(object, "fixed"),
            pattern: typed_value(object, "pattern"),
            binding,
            constraints,
            slicing,
            max_length: as_u32(json, "maxLength"),
            min_value: typed_value(object, "minValue"),
            max_value: typed_value(object, "maxValue"),
            regex,
            must_support: json.get("mustSupport").and_then(Value::as_bool),
            is_modifier: json.get("isModifier").and_then(Value::as_bool),
            path,
        })
    }

    /// A snapshot element: absent members take their defaults (min 0, max `*`).
    pub fn into_element(self) -> Element {
        Element {
            id: self.id.unwrap_or_else(|| self.path.clone()),
            path: self.path,
            slice_name: self.slice_name,
            min: self.min.unwrap_or(0),
            max: self.max.unwrap_or(Max::Unbounded),
            types: self.types.unwrap_or_default(),
            content_reference: self.content_reference,
            fixed: self.fixed,
            pattern: self.pattern,
            binding: self.binding,
            constraints: self.constraints,
            slicing: self.slicing,
            max_length: self.max_length,
            min_value: self.min_value,
            max_value: self.max_value,
            regex: self.regex,
            must_support: self.must_support.unwrap_or(false),
            is_modifier: self.is_modifier.unwrap_or(false),
        }
    }

    /// Applies this differential entry to a snapshot element: present members replace the
    /// base's, invariants are added (a key already present is replaced).
    pub fn apply(&self, element: &mut Element) {
        if let Some(slice_name) = &self.slice_name {
            element.slice_name = Some(slice_name.clone());
        }
        if let Some(min) = self.min {
            element.min = min;
        }
        if let Some(max) = self.max {
            element.max = max;
        }
        if let Some(types) = &self.types {
            element.types.clone_from(types);
        }
        if let Some(content_reference) = &self.content_reference {
            element.content_reference = Some(content_reference.clone());
        }
        if let Some(fixed) = &self.fixed {
            element.fixed = Some(fixed.clone());
        }
        if let Some(pattern) = &self.pattern {
            element.pattern = Some(pattern.clone());
        }
        if let Some(binding) = &self.binding {
            let value_set = binding
                .value_set
                .clone()
                .or_else(|| element.binding.as_ref().and_then(|b| b.value_set.clone()));
            element.binding = Some(Binding {
                strength: binding.strength,
                value_set,
            });
        }
        for constraint in &self.constraints {
            match element
                .constraints
                .iter_mut()
                .find(|c| c.key == constraint.key)
            {
                Some(existing) => *existing = constraint.clone(),
                None => element.constraints.push(constraint.clone()),
            }
        }
        if let Some(slicing) = &self.slicing {
            element.slicing = Some(slicing.clone());
        }
        if let Some(max_length) = self.max_length {
            element.max_length = Some(max_length);
        }
        if let Some(min_value) = &self.min_value {
            element.min_value = Some(min_value.clone());
        }
        if let Some(max_value) = &self.max_value {
            element.max_value = Some(max_value.clone());
        }
        if let Some(must_support) = self.must_support {
            element.must_support = must_support;
        }
        if let Some(is_modifier) = self.is_modifier {
            element.is_modifier = is_modifier;
        }
    }
}

fn parse_slicing(json: &Value) -> Result<Slicing, String> {
    let discriminators = array(json, "discriminator")
        .iter()
        .map(|d| {
            let kind = match d.get("type").and_then(Value::as_str) {
                Some("value") => DiscriminatorKind::Value,
                Some("exists") => DiscriminatorKind::Exists,
                Some("pattern") => DiscriminatorKind::Pattern,
                Some("type") => DiscriminatorKind::Type,
                Some("profile") => DiscriminatorKind::Profile,
                other => return Err(format!("invalid discriminator type {other:?}")),
            };
            Ok(Discriminator {
                kind,
                path: text(d, "path").unwrap_or_else(|| "$this".to_string()),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let rules = match json.get("rules").and_then(Value::as_str) {
        Some("closed") => SlicingRules::Closed,
        Some("openAtEnd") => SlicingRules::OpenAtEnd,
        _ => SlicingRules::Open,
    };
    Ok(Slicing {
        discriminators,
        rules,
        ordered: json
            .get("ordered")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Reads a StructureDefinition's element list (`snapshot` or `differential`).
pub(crate) fn element_list(json: &Value, which: &str) -> Option<Result<Vec<ElementPatch>, String>> {
    let elements = json.get(which)?.get("element")?.as_array()?;
    Some(elements.iter().map(ElementPatch::from_json).collect())
}

/// Reads a ValueSet's header and compose; the expansion is computed later.
pub(crate) fn value_set(json: &Value) -> Result<ValueSet, String> {
    let url = text(json, "url").ok_or("no url")?;
    let compose = json.get("compose").map(|compose| Compose {
        include: array(compose, "include").iter().map(concept_set).collect(),
        exclude: array(compose, "exclude").iter().map(concept_set).collect(),
    });
    Ok(ValueSet {
        url,
        version: text(json, "version"),
        name: text(json, "name"),
        compose,
        expansion: Expansion::Unavailable {
            reason: "not expanded".to_string(),
        },
    })
}

fn concept_set(json: &Value) -> ConceptSet {
    ConceptSet {
        system: text(json, "system"),
        version: text(json, "version"),
        concepts: array(json, "concept")
            .iter()
            .filter_map(|c| {
                Some(ConceptRef {
                    code: text(c, "code")?,
                    display: text(c, "display"),
                })
            })
            .collect(),
        filters: array(json, "filter")
            .iter()
            .filter_map(|f| {
                Some(Filter {
                    property: text(f, "property")?,
                    op: text(f, "op")?,
                    value: f
                        .get("value")
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .unwrap_or_default(),
                })
            })
            .collect(),
        value_sets: texts(json, "valueSet"),
    }
}

/// Reads a CodeSystem: nested concepts are flattened depth first with parent links; a
/// `parent`/`subsumedBy` property adds parents too.
pub(crate) fn code_system(json: &Value) -> Result<CodeSystem, String> {
    let url = text(json, "url").ok_or("no url")?;
    let content = match json.get("content").and_then(Value::as_str) {
        Some("not-present") => CodeSystemContent::NotPresent,
        Some("example") => CodeSystemContent::Example,
        Some("fragment") => CodeSystemContent::Fragment,
        Some("supplement") => CodeSystemContent::Supplement,
        _ => CodeSystemContent::Complete,
    };
    let mut concepts = Vec::new();
    let mut extra_parents: Vec<(usize, String)> = Vec::new();
    flatten(
        array(json, "concept"),
        None,
        &mut concepts,
        &mut extra_parents,
    );
    let mut by_code: Vec<u32> = (0..concepts.len())
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    by_code.sort_by(|a, b| {
        let code = |i: &u32| {
            concepts
                .get(*i as usize)
                .map_or("", |c: &Concept| c.code.as_str())
        };
        code(a).cmp(code(b))
    });
    by_code.dedup_by(|a, b| {
        concepts.get(*a as usize).map(|c| &c.code) == concepts.get(*b as usize).map(|c| &c.code)
    });
    let mut system = CodeSystem {
        url,
        version: text(json, "version"),
        name: text(json, "name"),
        content,
        case_sensitive: json
            .get("caseSensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        concepts,
        by_code,
    };
    for (child, parent_code) in extra_parents {
        let Some(parent) = system
            .concept_index(&parent_code)
            .and_then(|p| u32::try_from(p).ok())
        else {
            continue;
        };
        if let Some(concept) = system.concepts.get_mut(child)
            && !concept.parents.contains(&parent)
        {
            concept.parents.push(parent);
        }
    }
    Ok(system)
}

fn flatten(
    items: &[Value],
    parent: Option<u32>,
    concepts: &mut Vec<Concept>,
    extra_parents: &mut Vec<(usize, String)>,
) {
    for item in items {
        let Some(code) = text(item, "code") else {
            continue;
        };
        let index = concepts.len();
        let mut concept = Concept {
            code,
            display: text(item, "display"),
            parents: parent.into_iter().collect(),
            not_selectable: false,
            inactive: false,
        };
        for property in array(item, "property") {
            let name = property.get("code").and_then(Value::as_str).unwrap_or("");
            let boolean = property.get("valueBoolean").and_then(Value::as_bool);
            let code_value = property.get("valueCode").and_then(Value::as_str);
            match name {
                "notSelectable" | "abstract" => {
                    concept.not_selectable |= boolean.unwrap_or(false);
                }
                "inactive" | "deprecated" => concept.inactive |= boolean.unwrap_or(false),
                "status" => {
                    concept.inactive |= matches!(code_value, Some("retired" | "deprecated"));
                }
                "parent" | "subsumedBy" => {
                    if let Some(parent_code) = code_value {
                        extra_parents.push((index, parent_code.to_string()));
                    }
                }
                _ => {}
            }
        }
        concepts.push(concept);
        let children = array(item, "concept");
        if !children.is_empty() {
            flatten(children, u32::try_from(index).ok(), concepts, extra_parents);
        }
    }
}
