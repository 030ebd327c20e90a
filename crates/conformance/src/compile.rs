//! Compiling packages: resources to the compiled model, snapshots for differential-only
//! profiles, the terminology subset, and local expansions.

use std::collections::HashSet;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{
    BindingStrength, CodeSystem, CompiledPackage, Element, Expansion, StructureDef, ValueSet,
};
use crate::package::Package;
use crate::parse::{self, ElementPatch};
use crate::registry::{PackageOrigin, Registry};
use crate::snapshot::{self, StructureSource};
use crate::terminology::{self, Expander, TerminologySource};

/// Options of [`compile`].
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Names of packages (such as `hl7.terminology.r4`) of which only the ValueSets and
    /// CodeSystems are kept that the bindings of the other packages (loaded or compiled)
    /// reference, transitively (imports and included systems). Example bindings do not count.
    pub terminology_subset: Vec<String>,
}

/// Lookups in the packages being compiled first, then in the loaded ones.
struct Layered<'a> {
    batch: &'a Registry,
    context: &'a Registry,
    /// The batch package whose value sets are being expanded: its unversioned references
    /// resolve in it first, then in its dependencies ([`Registry::value_set_from`]).
    from: Option<usize>,
}

impl StructureSource for Layered<'_> {
    fn structure(&self, canonical: &str) -> Option<&StructureDef> {
        self.batch
            .structure(canonical)
            .or_else(|| self.context.structure(canonical))
    }
}

impl TerminologySource for Layered<'_> {
    fn code_system(&self, url: &str, version: Option<&str>) -> Option<&CodeSystem> {
        version
            .and_then(|v| {
                self.batch
                    .code_system_from(&format!("{url}|{v}"), self.from)
            })
            .or_else(|| self.batch.code_system_from(url, self.from))
            .or_else(|| TerminologySource::code_system(self.context, url, version))
    }

    fn value_set(&self, canonical: &str) -> Option<&ValueSet> {
        let url = canonical.split('|').next().unwrap_or(canonical);
        self.batch
            .value_set_from(canonical, self.from)
            .or_else(|| self.batch.value_set_from(url, self.from))
            .or_else(|| TerminologySource::value_set(self.context, canonical))
    }
}

struct Pending {
    package: usize,
    file: String,
    header: StructureDef,
    differential: Vec<ElementPatch>,
}

/// Compiles packages against the already loaded ones in `context` (for base definitions,
/// types and code systems), returning one compiled package per input, in input order.
pub fn compile(
    packages: &[Package],
    context: &Registry,
    options: &CompileOptions,
) -> Result<Vec<CompiledPackage>> {
    let mut batch = Registry::new();
    let mut pending = Vec::new();
    for (package_idx, package) in packages.iter().enumerate() {
        let compiled = read_package(package, package_idx, options, &mut pending)?;
        batch.add_compiled(compiled, PackageOrigin::Memory)?;
    }
    generate_pending(&mut batch, context, pending)?;
    let mut packages: Vec<CompiledPackage> = batch
        .into_packages()
        .into_iter()
        .map(|loaded| loaded.package)
        .collect();
    if !options.terminology_subset.is_empty() {
        let mut seeds = Vec::new();
        let bound_by = |structures: &mut dyn Iterator<Item = &StructureDef>,
                        seeds: &mut Vec<String>| {
            for structure in structures {
                for element in &structure.elements {
                    if let Some(binding) = &element.binding
                        && binding.strength != BindingStrength::Example
                        && let Some(value_set) = &binding.value_set
                    {
                        seeds.push(value_set.clone());
                    }
                }
            }
        };
        let is_subset = |name: &str| options.terminology_subset.iter().any(|n| n == name);
        for package in packages.iter().filter(|p| !is_subset(&p.name)) {
            bound_by(&mut package.structures.iter(), &mut seeds);
        }
        for loaded in context
            .packages()
            .iter()
            .filter(|p| !is_subset(&p.package.name))
        {
            bound_by(&mut loaded.package.structures.iter(), &mut seeds);
        }
        let all = rebuild(&packages)?;
        let keep = terminology::closure(
            seeds,
            &Layered {
                batch: &all,
                context,
                from: None,
            },
        );
        for package in packages.iter_mut().filter(|p| is_subset(&p.name)) {
            package.subset = true;
            package.value_sets.retain(|v| keep.contains(&v.url));
            package.code_systems.retain(|c| keep.contains(&c.url));
        }
    }
    let all = rebuild(&packages)?;
    // Each package's value sets expand against its own code systems and value sets first
    // (US Core 6.1.0's against 6.1.0's, not 7.0.0's), so one expander (and memo) per package.
    let expansions: Vec<Vec<Expansion>> = packages
        .iter()
        .enumerate()
        .map(|(package_idx, p)| {
            let layered = Layered {
                batch: &all,
                context,
                from: Some(package_idx),
            };
            let mut expander = Expander::new(&layered);
            p.value_sets.iter().map(|v| expander.expand(v)).collect()
        })
        .collect();
    for (package, expansions) in packages.iter_mut().zip(expansions) {
        for (value_set, expansion) in package.value_sets.iter_mut().zip(expansions) {
            value_set.expansion = expansion;
        }
    }
    Ok(packages)
}

fn rebuild(packages: &[CompiledPackage]) -> Result<Registry> {
    let mut registry = Registry::new();
    for package in packages {
        registry.add_compiled(package.clone(), PackageOrigin::Memory)?;
    }
    Ok(registry)
}

fn read_package(
    package: &Package,
    package_idx: usize,
    options: &CompileOptions,
    pending: &mut Vec<Pending>,
) -> Result<CompiledPackage> {
    let label = package.label();
    let resource_error = |file: &str, reason: String| Error::Resource {
        package: label.clone(),
        file: file.to_string(),
        reason,
    };
    let mut compiled = CompiledPackage {
        name: package.name.clone(),
        version: package.version.clone(),
        dependencies: package.dependencies.clone(),
        subset: options.terminology_subset.contains(&package.name),
        structures: Vec::new(),
        value_sets: Vec::new(),
        code_systems: Vec::new(),
    };
    for resource in &package.resources {
        let json = &resource.json;
        let file = resource.file.as_str();
        match json.get("resourceType").and_then(Value::as_str) {
            Some("StructureDefinition") => {
                let mut header =
                    parse::structure_header(json).map_err(|e| resource_error(file, e))?;
                match parse::element_list(json, "snapshot") {
                    Some(elements) => {
                        header.elements = elements
                            .map_err(|e| resource_error(file, e))?
                            .into_iter()
                            .map(ElementPatch::into_element)
                            .collect();
                        compiled.structures.push(header);
                    }
                    None => {
                        let differential = parse::element_list(json, "differential")
                            .ok_or_else(|| {
                                resource_error(file, "neither snapshot nor differential".into())
                            })?
                            .map_err(|e| resource_error(file, e))?;
                        pending.push(Pending {
                            package: package_idx,
                            file: file.to_string(),
                            header,
                            differential,
                        });
                    }
                }
            }
            Some("ValueSet") => {
                compiled
                    .value_sets
                    .push(parse::value_set(json).map_err(|e| resource_error(file, e))?);
            }
            Some("CodeSystem") => {
                compiled
                    .code_systems
                    .push(parse::code_system(json).map_err(|e| resource_error(file, e))?);
            }
            _ => {}
        }
    }
    Ok(compiled)
}

/// Generates snapshots in rounds: a profile whose base is itself waiting goes in a later round.
fn generate_pending(
    batch: &mut Registry,
    context: &Registry,
    mut pending: Vec<Pending>,
) -> Result<()> {
    while !pending.is_empty() {
        let mut done: Vec<(usize, StructureDef)> = Vec::new();
        let mut waiting = Vec::new();
        {
            let layered = Layered {
                batch,
                context,
                from: None,
            };
            for item in pending {
                let base_url = item.header.base_definition.clone().unwrap_or_default();
                let base_is_waiting = layered.structure(&base_url).is_none();
                if base_is_waiting {
                    waiting.push(item);
                    continue;
                }
                let elements = generate_with(&item.header, &item.differential, &layered)?;
                let mut structure = item.header;
                structure.elements = elements;
                structure.snapshot_generated = true;
                done.push((item.package, structure));
            }
        }
        if done.is_empty()
            && let Some(item) = waiting.first()
        {
            return Err(Error::Snapshot {
                url: item.header.url.clone(),
                reason: format!(
                    "{}: base definition {} not found",
                    item.file,
                    item.header.base_definition.as_deref().unwrap_or("(none)")
                ),
            });
        }
        for (package, structure) in done {
            batch.push_structure(package, structure);
        }
        pending = waiting;
    }
    Ok(())
}

fn generate_with(
    header: &StructureDef,
    differential: &[ElementPatch],
    source: &dyn StructureSource,
) -> Result<Vec<Element>> {
    let snapshot_error = |reason: String| Error::Snapshot {
        url: header.url.clone(),
        reason,
    };
    let base_url = header
        .base_definition
        .as_deref()
        .ok_or_else(|| snapshot_error("no baseDefinition".to_string()))?;
    let base = source
        .structure(base_url)
        .ok_or_else(|| snapshot_error(format!("base definition {base_url} not found")))?;
    if header.derivation == Some(crate::model::Derivation::Specialization) {
        return Err(snapshot_error(
            "a specialization (new type) must ship its snapshot".to_string(),
        ));
    }
    snapshot::generate(differential, base, source).map_err(snapshot_error)
}

/// Generates the snapshot of a StructureDefinition (JSON) from its differential, against the
/// loaded packages, ignoring any shipped snapshot. Used to check the generator against
/// shipped snapshots, and by tools.
pub fn snapshot_from_differential(structure: &Value, source: &Registry) -> Result<Vec<Element>> {
    let url = structure
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("(no url)")
        .to_string();
    let header = parse::structure_header(structure).map_err(|reason| Error::Snapshot {
        url: url.clone(),
        reason,
    })?;
    let differential = parse::element_list(structure, "differential")
        .ok_or_else(|| Error::Snapshot {
            url: url.clone(),
            reason: "no differential".to_string(),
        })?
        .map_err(|reason| Error::Snapshot { url, reason })?;
    generate_with(&header, &differential, source)
}

/// The value set urls bound by a set of structures (non-example bindings), for reports.
pub fn bound_value_sets<'a>(structures: impl Iterator<Item = &'a StructureDef>) -> HashSet<String> {
    structures
        .flat_map(|s| &s.elements)
        .filter_map(|e| e.binding.as_ref())
        .filter(|b| b.strength != BindingStrength::Example)
        .filter_map(|b| b.value_set.clone())
        .collect()
}
