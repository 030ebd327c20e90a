//! The crate's error type: every error names the package, file or resource it concerns.

use std::path::PathBuf;

/// An error reading, compiling, writing or loading packages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A package archive is malformed (not gzip/tar, no `package/package.json`…).
    #[error("package {package}: {reason}")]
    Package {
        /// The package file or name.
        package: String,
        /// What is wrong.
        reason: String,
    },
    /// A resource file inside a package is not valid JSON or lacks a required member.
    #[error("package {package}, file {file}: {reason}")]
    Resource {
        /// The package name and version (or archive path).
        package: String,
        /// The file inside the package (`package/StructureDefinition-x.json`).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A snapshot could not be generated from a differential.
    #[error("StructureDefinition {url}: snapshot generation: {reason}")]
    Snapshot {
        /// The profile's canonical url.
        url: String,
        /// What is wrong, naming the element id.
        reason: String,
    },
    /// A compiled file is malformed or of another format version.
    #[error("{path}: {reason}")]
    Format {
        /// The compiled file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
