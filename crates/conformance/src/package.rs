//! Reading FHIR npm packages (`.tgz`): the manifest and the conformance resources.
//!
//! A package is a gzip'd tar whose `package/package.json` holds the name, version and
//! dependencies and whose `package/*.json` files are resources. Only StructureDefinitions,
//! ValueSets and CodeSystems are kept; examples (`package/example/`), other sub-folders
//! (`other/`, `openapi/`, `xml/`), `.index.json` and every other resource type are skipped.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// The resource types a package contributes.
pub const KEPT_RESOURCE_TYPES: [&str; 3] = ["StructureDefinition", "ValueSet", "CodeSystem"];

/// A package read from its archive.
#[derive(Debug, Clone)]
pub struct Package {
    /// The npm name, such as `hl7.fhir.r4.core`.
    pub name: String,
    /// The version, such as `4.0.1`.
    pub version: String,
    /// Declared dependencies as (name, version).
    pub dependencies: Vec<(String, String)>,
    /// The kept resources, in archive order.
    pub resources: Vec<PackageResource>,
}

/// One resource file of a package.
#[derive(Debug, Clone)]
pub struct PackageResource {
    /// The file name inside the archive (`package/ValueSet-x.json`).
    pub file: String,
    /// The parsed resource.
    pub json: Value,
}

impl Package {
    /// `name-version`, the label used in messages and file names.
    pub fn label(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }

    /// Reads a package archive from a file.
    pub fn read_path(path: &Path) -> Result<Package> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Package::read(&bytes, &path.display().to_string())
    }

    /// Reads a package archive from memory; `origin` names it in errors.
    pub fn read(tgz: &[u8], origin: &str) -> Result<Package> {
        let package_error = |reason: String| Error::Package {
            package: origin.to_string(),
            reason,
        };
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
        let entries = archive
            .entries()
            .map_err(|e| package_error(format!("not a gzip'd tar: {e}")))?;
        let mut manifest: Option<Value> = None;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in entries {
            let mut entry = entry.map_err(|e| package_error(format!("bad tar entry: {e}")))?;
            let file = entry
                .path()
                .map_err(|e| package_error(format!("bad entry path: {e}")))?
                .to_string_lossy()
                .into_owned();
            let Some(name) = file.strip_prefix("package/") else {
                continue;
            };
            if name.contains('/') || !name.ends_with(".json") || name.starts_with('.') {
                continue;
            }
            let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| package_error(format!("{file}: {e}")))?;
            if name == "package.json" {
                let json = serde_json::from_slice(&bytes)
                    .map_err(|e| package_error(format!("{file}: {e}")))?;
                manifest = Some(json);
            } else if mentions_kept_type(&bytes) {
                files.push((file, bytes));
            }
        }
        let manifest =
            manifest.ok_or_else(|| package_error("no package/package.json".to_string()))?;
        let text = |key: &str| {
            manifest
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| package_error(format!("package.json has no \"{key}\"")))
        };
        let name = text("name")?;
        let version = text("version")?;
        let dependencies = manifest
            .get("dependencies")
            .and_then(Value::as_object)
            .map(|deps| {
                deps.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let label = format!("{name}-{version}");
        let mut resources = Vec::new();
        for (file, bytes) in files {
            let json: Value = serde_json::from_slice(&bytes).map_err(|e| Error::Resource {
                package: label.clone(),
                file: file.clone(),
                reason: format!("invalid JSON: {e}"),
            })?;
            let kept = json
                .get("resourceType")
                .and_then(Value::as_str)
                .is_some_and(|t| KEPT_RESOURCE_TYPES.contains(&t));
            if kept {
                resources.push(PackageResource { file, json });
            }
        }
        Ok(Package {
            name,
            version,
            dependencies,
            resources,
        })
    }
}

/// A cheap pre-filter: skip parsing files that cannot be a kept resource.
fn mentions_kept_type(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(512)).unwrap_or(bytes);
    let head = String::from_utf8_lossy(head);
    // resourceType is normally the first member; fall back to a full parse when it is not seen.
    if !head.contains("\"resourceType\"") {
        return true;
    }
    KEPT_RESOURCE_TYPES
        .iter()
        .any(|t| head.contains(&format!("\"{t}\"")))
}
