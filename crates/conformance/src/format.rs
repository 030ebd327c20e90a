//! The compiled file format (`*.fgp`) and the `index.json` of a profiles directory.
//!
//! A file is: the 8-byte magic `FGPROF\r\n`, the format version as a little-endian `u32`
//! ([`FORMAT_VERSION`]), then a zlib stream (with its Adler-32 check) of the postcard encoding
//! of one [`CompiledPackage`]. postcard is compact (varints, no field names) and decodes
//! without a schema walk; zlib (flate2, already in the workspace) keeps the committed files
//! small while decompressing at hundreds of MB/s. The version is checked before decoding, so
//! a file from another version is refused with a clear message instead of mis-decoded.

use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::error::{Error, Result};
use crate::model::{CompiledPackage, FORMAT_VERSION};

/// The file extension of compiled packages.
pub const EXTENSION: &str = "fgp";

const MAGIC: &[u8; 8] = b"FGPROF\r\n";

/// Encodes a compiled package into the file format.
pub fn encode(package: &CompiledPackage) -> Result<Vec<u8>> {
    let raw = postcard::to_stdvec(package).map_err(|e| Error::Package {
        package: format!("{}-{}", package.name, package.version),
        reason: format!("encoding: {e}"),
    })?;
    let mut out = Vec::with_capacity(raw.len() / 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let mut encoder = flate2::write::ZlibEncoder::new(out, flate2::Compression::best());
    let io_error = |e: std::io::Error| Error::Package {
        package: format!("{}-{}", package.name, package.version),
        reason: format!("compressing: {e}"),
    };
    encoder.write_all(&raw).map_err(io_error)?;
    encoder.finish().map_err(io_error)
}

/// Decodes the file format; `path` names the file in errors.
pub fn decode(bytes: &[u8], path: &Path) -> Result<CompiledPackage> {
    let format_error = |reason: String| Error::Format {
        path: path.to_path_buf(),
        reason,
    };
    let (magic, rest) = bytes
        .split_at_checked(MAGIC.len())
        .ok_or_else(|| format_error("too short for a compiled package".to_string()))?;
    if magic != MAGIC {
        return Err(format_error(
            "not a compiled package (bad magic)".to_string(),
        ));
    }
    let (version, body) = rest
        .split_at_checked(4)
        .ok_or_else(|| format_error("truncated header".to_string()))?;
    let version = u32::from_le_bytes(
        version
            .try_into()
            .map_err(|_| format_error("truncated header".to_string()))?,
    );
    if version != FORMAT_VERSION {
        return Err(format_error(format!(
            "format version {version}, this build reads {FORMAT_VERSION}: recompile with `fhirgate profiles compile`"
        )));
    }
    let mut raw = Vec::with_capacity(body.len() * 6);
    flate2::read::ZlibDecoder::new(body)
        .read_to_end(&mut raw)
        .map_err(|e| format_error(format!("decompressing: {e}")))?;
    postcard::from_bytes(&raw).map_err(|e| format_error(format!("decoding: {e}")))
}

/// Reads a compiled file.
pub fn read_file(path: &Path) -> Result<CompiledPackage> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(&bytes, path)
}

/// One package in `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The package name.
    pub name: String,
    /// The package version.
    pub version: String,
    /// The compiled file name, relative to the index.
    pub file: String,
    /// The SHA-256 of the compiled file, hex.
    pub sha256: String,
    /// The compiled file's size in bytes.
    pub bytes: u64,
    /// True when only referenced terminology was kept.
    pub subset: bool,
    /// Number of StructureDefinitions.
    pub structures: usize,
    /// Number of StructureDefinitions whose snapshot was generated here.
    pub generated_snapshots: usize,
    /// Number of ValueSets.
    pub value_sets: usize,
    /// Number of ValueSets with a complete local expansion.
    pub expanded_value_sets: usize,
    /// Number of CodeSystems.
    pub code_systems: usize,
}

/// `index.json`: what a profiles directory holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// The compiled format version of the files.
    pub format_version: u32,
    /// The packages, by file name.
    pub packages: Vec<IndexEntry>,
}

impl Index {
    /// Reads `index.json` from a directory; an absent file is an empty index.
    pub fn read(dir: &Path) -> Result<Index> {
        let path = dir.join("index.json");
        if !path.exists() {
            return Ok(Index {
                format_version: FORMAT_VERSION,
                packages: Vec::new(),
            });
        }
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Format {
            path,
            reason: e.to_string(),
        })
    }

    /// Writes `index.json` into a directory, entries sorted by file name.
    pub fn write(&mut self, dir: &Path) -> Result<()> {
        self.packages.sort_by(|a, b| a.file.cmp(&b.file));
        let path = dir.join("index.json");
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Format {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|source| Error::Io { path, source })
    }
}

/// Writes a compiled package as `NAME-VERSION.fgp` into `dir` and returns its index entry.
pub fn write_package(dir: &Path, package: &CompiledPackage) -> Result<IndexEntry> {
    let bytes = encode(package)?;
    let file = format!("{}-{}.{EXTENSION}", package.name, package.version);
    let path = dir.join(&file);
    std::fs::write(&path, &bytes).map_err(|source| Error::Io { path, source })?;
    let sha256 = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(IndexEntry {
        name: package.name.clone(),
        version: package.version.clone(),
        file,
        sha256,
        bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        subset: package.subset,
        structures: package.structures.len(),
        generated_snapshots: package
            .structures
            .iter()
            .filter(|s| s.snapshot_generated)
            .count(),
        value_sets: package.value_sets.len(),
        expanded_value_sets: package
            .value_sets
            .iter()
            .filter(|v| matches!(v.expansion, crate::model::Expansion::Complete(_)))
            .count(),
        code_systems: package.code_systems.len(),
    })
}
