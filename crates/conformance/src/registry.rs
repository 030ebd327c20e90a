//! The registry: every loaded package, with lookups by canonical url and by type.
//!
//! Resolution rule for a canonical without `|version`: the definition from the package loaded
//! last wins; a canonical referenced from a loaded definition ([`Registry::value_set_from`],
//! [`Registry::structure_from`], [`Registry::code_system_from`]) resolves in the referencing
//! package first, then in its dependencies, and only then to the package loaded last. [`Registry::load_dir`] loads packages in dependency order (a package after the
//! packages it depends on, then by name and version), so hl7.terminology overrides the copies
//! of THO code systems inside R4 core, and US Core 7.0.0 answers an unversioned US Core url.
//! `url|version` picks the definition whose own version (or package version) matches.

use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::format;
use crate::model::{CodeSystem, CompiledPackage, StructureDef, ValueSet};
use crate::snapshot::{StructureSource, type_url};
use crate::terminology::TerminologySource;

/// Where a loaded package came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageOrigin {
    /// A compiled file in a profiles directory.
    File(PathBuf),
    /// A package archive added at run time.
    Archive(PathBuf),
    /// Compiled in memory (tests, `compile`).
    Memory,
}

/// A loaded package.
#[derive(Debug, Clone)]
pub struct LoadedPackage {
    /// The compiled content.
    pub package: CompiledPackage,
    /// Where it came from.
    pub origin: PackageOrigin,
}

#[derive(Debug, Clone, Copy)]
struct ItemRef {
    package: u32,
    index: u32,
}

/// Every loaded package, indexed by canonical url.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    packages: Vec<LoadedPackage>,
    structures: HashMap<String, Vec<ItemRef>>,
    /// The structures whose url is a core one (`…/StructureDefinition/Patient`), by the url's
    /// last segment, so that [`Registry::base_type`] hashes a short name.
    base_types: HashMap<String, Vec<ItemRef>>,
    value_sets: HashMap<String, Vec<ItemRef>>,
    code_systems: HashMap<String, Vec<ItemRef>>,
}

/// The url prefix of the core definitions.
const BASE_URL: &str = "http://hl7.org/fhir/StructureDefinition/";

fn split_canonical(canonical: &str) -> (&str, Option<&str>) {
    match canonical.split_once('|') {
        Some((url, version)) => (url, Some(version)),
        None => (canonical, None),
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Loads every `*.fgp` file of a profiles directory, in dependency order.
    pub fn load_dir(dir: &Path) -> Result<Registry> {
        let mut registry = Registry::new();
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == format::EXTENSION) {
                files.push(path);
            }
        }
        files.sort();
        let mut loaded = Vec::with_capacity(files.len());
        for path in files {
            let package = format::read_file(&path)?;
            loaded.push(LoadedPackage {
                package,
                origin: PackageOrigin::File(path),
            });
        }
        for package in dependency_order(loaded) {
            registry.push(package)?;
        }
        Ok(registry)
    }

    /// Reads a package archive (a site's own IG), compiles it against the loaded packages
    /// (snapshots for differential-only profiles, local expansions) and adds it.
    pub fn add_package(&mut self, tgz: &Path) -> Result<&CompiledPackage> {
        let package = crate::package::Package::read_path(tgz)?;
        let mut compiled = crate::compile::compile(&[package], self, &Default::default())?;
        let package = compiled.pop().ok_or_else(|| Error::Package {
            package: tgz.display().to_string(),
            reason: "nothing compiled".to_string(),
        })?;
        self.add_compiled(package, PackageOrigin::Archive(tgz.to_path_buf()))
    }

    /// Adds a compiled package after the loaded ones. A package with the same name and version
    /// as a loaded one is refused.
    pub fn add_compiled(
        &mut self,
        package: CompiledPackage,
        origin: PackageOrigin,
    ) -> Result<&CompiledPackage> {
        self.push(LoadedPackage { package, origin })?;
        self.packages
            .last()
            .map(|loaded| &loaded.package)
            .ok_or_else(|| Error::Package {
                package: "registry".to_string(),
                reason: "package vanished".to_string(),
            })
    }

    fn push(&mut self, loaded: LoadedPackage) -> Result<()> {
        let duplicate = self.packages.iter().any(|p| {
            p.package.name == loaded.package.name && p.package.version == loaded.package.version
        });
        if duplicate {
            return Err(Error::Package {
                package: format!("{}-{}", loaded.package.name, loaded.package.version),
                reason: "already loaded".to_string(),
            });
        }
        let package = u32::try_from(self.packages.len()).map_err(|_| Error::Package {
            package: loaded.package.name.clone(),
            reason: "too many packages".to_string(),
        })?;
        let index_all = |map: &mut HashMap<String, Vec<ItemRef>>, urls: Vec<&String>| {
            for (index, url) in urls.into_iter().enumerate() {
                let Ok(index) = u32::try_from(index) else {
                    continue;
                };
                map.entry(url.clone())
                    .or_default()
                    .push(ItemRef { package, index });
            }
        };
        let p = &loaded.package;
        index_all(
            &mut self.structures,
            p.structures.iter().map(|s| &s.url).collect(),
        );
        for (index, structure) in p.structures.iter().enumerate() {
            if let (Some(name), Ok(index)) =
                (structure.url.strip_prefix(BASE_URL), u32::try_from(index))
            {
                self.base_types
                    .entry(name.to_owned())
                    .or_default()
                    .push(ItemRef { package, index });
            }
        }
        index_all(
            &mut self.value_sets,
            p.value_sets.iter().map(|s| &s.url).collect(),
        );
        index_all(
            &mut self.code_systems,
            p.code_systems.iter().map(|s| &s.url).collect(),
        );
        self.packages.push(loaded);
        Ok(())
    }

    /// Adds one StructureDefinition to a loaded package (snapshot generation in `compile`).
    pub(crate) fn push_structure(&mut self, package: usize, structure: StructureDef) {
        let Some(loaded) = self.packages.get_mut(package) else {
            return;
        };
        let (Ok(package), Ok(index)) = (
            u32::try_from(package),
            u32::try_from(loaded.package.structures.len()),
        ) else {
            return;
        };
        self.structures
            .entry(structure.url.clone())
            .or_default()
            .push(ItemRef { package, index });
        if let Some(name) = structure.url.strip_prefix(BASE_URL) {
            self.base_types
                .entry(name.to_owned())
                .or_default()
                .push(ItemRef { package, index });
        }
        loaded.package.structures.push(structure);
    }

    /// Takes the packages out, in load order.
    pub(crate) fn into_packages(self) -> Vec<LoadedPackage> {
        self.packages
    }

    /// The loaded packages, in load order.
    pub fn packages(&self) -> &[LoadedPackage] {
        &self.packages
    }

    fn pick<'a, T>(
        &'a self,
        refs: Option<&Vec<ItemRef>>,
        version: Option<&str>,
        items: impl Fn(&'a CompiledPackage) -> &'a [T],
        item_version: impl Fn(&T) -> Option<&str>,
    ) -> Option<&'a T> {
        let found = refs?.iter().rev().filter_map(|r| {
            let package = &self.packages.get(r.package as usize)?.package;
            Some((package, items(package).get(r.index as usize)?))
        });
        let mut found = found.filter(|(package, item)| {
            version.is_none_or(|v| item_version(item) == Some(v) || package.version == v)
        });
        found.next().map(|(_, item)| item)
    }

    /// Like [`Registry::pick`] for an unversioned canonical referenced from package `from`:
    /// the item in `from` itself, else in the nearest of its dependencies (breadth first),
    /// else the item of the package loaded last.
    fn pick_from<'a, T>(
        &'a self,
        refs: Option<&Vec<ItemRef>>,
        version: Option<&str>,
        from: Option<usize>,
        items: impl Fn(&'a CompiledPackage) -> &'a [T],
        item_version: impl Fn(&T) -> Option<&str>,
    ) -> Option<&'a T> {
        let in_package = |package: usize| {
            refs?
                .iter()
                .rev()
                .find(|r| r.package as usize == package)
                .and_then(|r| items(&self.packages.get(package)?.package).get(r.index as usize))
        };
        if let (None, Some(from), Some(candidates)) = (version, from, refs)
            && candidates.len() > 1
        {
            let mut queue = std::collections::VecDeque::from([from]);
            let mut seen = vec![from];
            while let Some(package) = queue.pop_front() {
                if let Some(found) = in_package(package) {
                    return Some(found);
                }
                let Some(loaded) = self.packages.get(package) else {
                    continue;
                };
                for (name, version) in &loaded.package.dependencies {
                    let exact = self
                        .packages
                        .iter()
                        .rposition(|p| &p.package.name == name && &p.package.version == version);
                    let any = || self.packages.iter().rposition(|p| &p.package.name == name);
                    if let Some(dependency) = exact.or_else(any)
                        && !seen.contains(&dependency)
                    {
                        seen.push(dependency);
                        queue.push_back(dependency);
                    }
                }
            }
        }
        self.pick(refs, version, items, item_version)
    }

    /// The package (index in load order, as in [`Registry::packages`]) that holds
    /// `structure`, a definition of this registry.
    pub fn package_of(&self, structure: &StructureDef) -> Option<usize> {
        self.structures.get(&structure.url)?.iter().find_map(|r| {
            let loaded = self.packages.get(r.package as usize)?;
            let candidate = loaded.package.structures.get(r.index as usize)?;
            std::ptr::eq(candidate, structure).then_some(r.package as usize)
        })
    }

    /// A ValueSet by canonical as referenced from a definition of package `from` (see the
    /// module doc); `from: None` is [`Registry::value_set`].
    pub fn value_set_from(&self, canonical: &str, from: Option<usize>) -> Option<&ValueSet> {
        let (url, version) = split_canonical(canonical);
        self.pick_from(
            self.value_sets.get(url),
            version,
            from,
            |p| &p.value_sets,
            |s| s.version.as_deref(),
        )
    }

    /// A StructureDefinition by canonical as referenced from a definition of package `from`.
    pub fn structure_from(&self, canonical: &str, from: Option<usize>) -> Option<&StructureDef> {
        let (url, version) = split_canonical(canonical);
        self.pick_from(
            self.structures.get(url),
            version,
            from,
            |p| &p.structures,
            |s| s.version.as_deref(),
        )
    }

    /// A CodeSystem by canonical as referenced from a definition of package `from`.
    pub fn code_system_from(&self, canonical: &str, from: Option<usize>) -> Option<&CodeSystem> {
        let (url, version) = split_canonical(canonical);
        self.pick_from(
            self.code_systems.get(url),
            version,
            from,
            |p| &p.code_systems,
            |s| s.version.as_deref(),
        )
    }

    /// A StructureDefinition by canonical (`url` or `url|version`).
    pub fn structure(&self, canonical: &str) -> Option<&StructureDef> {
        let (url, version) = split_canonical(canonical);
        self.pick(
            self.structures.get(url),
            version,
            |p| &p.structures,
            |s| s.version.as_deref(),
        )
    }

    /// The base definition of a type (`Patient`, `HumanName`, `string`).
    pub fn base_type(&self, type_name: &str) -> Option<&StructureDef> {
        if type_name.contains([':', '|']) {
            return self.structure(&type_url(type_name));
        }
        // By the short name: this runs for every nested resource and reference.
        self.pick(
            self.base_types.get(type_name),
            None,
            |p| &p.structures,
            |s| s.version.as_deref(),
        )
    }

    /// A ValueSet by canonical (`url` or `url|version`).
    pub fn value_set(&self, canonical: &str) -> Option<&ValueSet> {
        let (url, version) = split_canonical(canonical);
        self.pick(
            self.value_sets.get(url),
            version,
            |p| &p.value_sets,
            |s| s.version.as_deref(),
        )
    }

    /// A CodeSystem by canonical (`url` or `url|version`).
    pub fn code_system(&self, canonical: &str) -> Option<&CodeSystem> {
        let (url, version) = split_canonical(canonical);
        self.pick(
            self.code_systems.get(url),
            version,
            |p| &p.code_systems,
            |s| s.version.as_deref(),
        )
    }

    /// Every StructureDefinition, in load order (later packages last).
    pub fn structures(&self) -> impl Iterator<Item = &StructureDef> {
        self.packages.iter().flat_map(|p| &p.package.structures)
    }

    /// Every loaded ValueSet, in load order.
    pub fn value_sets(&self) -> impl Iterator<Item = &ValueSet> {
        self.packages.iter().flat_map(|p| &p.package.value_sets)
    }

    /// The ValueSet at `position` in [`Registry::value_sets`] order.
    pub fn value_set_at(&self, position: usize) -> Option<&ValueSet> {
        self.nth(position, |p| &p.value_sets)
    }

    /// The item at `position` across the packages' `items`, in load order.
    fn nth<'a, T>(
        &'a self,
        position: usize,
        items: impl Fn(&'a CompiledPackage) -> &'a [T],
    ) -> Option<&'a T> {
        let mut rest = position;
        for loaded in &self.packages {
            let items = items(&loaded.package);
            if rest < items.len() {
                return items.get(rest);
            }
            rest -= items.len();
        }
        None
    }

    /// The structure at `position` in [`Registry::structures`] order (for caches that keep
    /// a structure as a number).
    pub fn structure_at(&self, position: usize) -> Option<&StructureDef> {
        self.nth(position, |p| &p.structures)
    }
}

impl StructureSource for Registry {
    fn structure(&self, canonical: &str) -> Option<&StructureDef> {
        Registry::structure(self, canonical)
    }
}

impl TerminologySource for Registry {
    fn code_system(&self, url: &str, version: Option<&str>) -> Option<&CodeSystem> {
        version
            .and_then(|v| Registry::code_system(self, &format!("{url}|{v}")))
            .or_else(|| Registry::code_system(self, url))
    }

    fn value_set(&self, canonical: &str) -> Option<&ValueSet> {
        Registry::value_set(self, canonical).or_else(|| {
            let (url, _) = split_canonical(canonical);
            Registry::value_set(self, url)
        })
    }
}

/// `memberOf()` in invariants: membership in a loaded value set's local expansion. A value set
/// that is not loaded or needs a terminology server cannot tell.
impl fhirpath::Terminology for Registry {
    fn member_of(&self, system: Option<&str>, code: &str, value_set: &str) -> Option<bool> {
        let value_set = TerminologySource::value_set(self, value_set)?;
        match &value_set.expansion {
            crate::model::Expansion::Complete(list) => Some(match system {
                Some(system) => list.contains(system, code),
                None => list.contains_code(code),
            }),
            crate::model::Expansion::External { .. }
            | crate::model::Expansion::Unavailable { .. } => None,
        }
    }
}

/// Orders packages so that each comes after the loaded packages it depends on (by name);
/// otherwise by name, then version.
fn dependency_order(mut packages: Vec<LoadedPackage>) -> Vec<LoadedPackage> {
    packages.sort_by(|a, b| {
        (&a.package.name, version_key(&a.package.version))
            .cmp(&(&b.package.name, version_key(&b.package.version)))
    });
    let mut ordered: Vec<LoadedPackage> = Vec::with_capacity(packages.len());
    while !packages.is_empty() {
        let ready = packages
            .iter()
            .position(|candidate| {
                candidate.package.dependencies.iter().all(|(name, _)| {
                    name == &candidate.package.name
                        || !packages.iter().any(|other| &other.package.name == name)
                })
            })
            .unwrap_or(0);
        ordered.push(packages.remove(ready));
    }
    ordered
}

/// A version as numbers where it can be (`6.1.0` < `10.0.0`).
fn version_key(version: &str) -> Vec<(u64, String)> {
    version
        .split(['.', '-'])
        .map(|part| (part.parse().unwrap_or(u64::MAX), part.to_string()))
        .collect()
}
