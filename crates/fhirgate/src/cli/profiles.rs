//! `fhirgate profiles`: compile FHIR packages into `profiles/` and list what is loaded.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use conformance::format::{self, Index};
use conformance::{CompileOptions, Expansion, Package, Registry};

/// Options of `fhirgate profiles`.
#[derive(Debug, clap::Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub command: ProfilesCommand,
}

/// What to do with profiles.
#[derive(Debug, clap::Subcommand)]
pub enum ProfilesCommand {
    /// Compile FHIR packages (.tgz) into compiled files and update index.json.
    Compile {
        /// The package archives, dependencies first (R4 core, terminology, then IGs).
        #[arg(required = true)]
        packages: Vec<PathBuf>,
        /// The profiles directory; compiled packages already there serve as context.
        #[arg(long, default_value = "profiles")]
        out: PathBuf,
        /// Keep only the ValueSets and CodeSystems of this package (by name) that the other
        /// packages' bindings reference, transitively (e.g. hl7.terminology.r4).
        #[arg(long = "terminology-subset", value_name = "PACKAGE_NAME")]
        terminology_subset: Vec<String>,
    },
    /// List the loaded packages with their counts.
    List {
        /// The profiles directory.
        #[arg(long, default_value = "profiles")]
        dir: PathBuf,
        /// Extra package archives added at run time (a site's own IG).
        #[arg(long = "package")]
        packages: Vec<PathBuf>,
    },
}

/// Runs `fhirgate profiles`.
pub fn run(args: &ProfilesArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        ProfilesCommand::Compile {
            packages,
            out,
            terminology_subset,
        } => compile(packages, out, terminology_subset),
        ProfilesCommand::List { dir, packages } => list(dir, packages),
    }
}

fn compile(archives: &[PathBuf], out: &Path, subset: &[String]) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut packages = Vec::with_capacity(archives.len());
    for archive in archives {
        packages.push(Package::read_path(archive)?);
    }
    let names: Vec<(String, String)> = packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    // Compiled packages already in `out`, other than the ones being recompiled, are context.
    let mut context = Registry::new();
    for loaded in Registry::load_dir(out)?.packages() {
        let same = names
            .iter()
            .any(|(n, v)| *n == loaded.package.name && *v == loaded.package.version);
        if !same {
            context.add_compiled(loaded.package.clone(), loaded.origin.clone())?;
        }
    }
    let options = CompileOptions {
        terminology_subset: subset.to_vec(),
    };
    let compiled = conformance::compile(&packages, &context, &options)?;
    let mut index = Index::read(out)?;
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    for package in &compiled {
        let entry = format::write_package(out, package)?;
        writeln!(
            stdout,
            "{}\t{} structures ({} generated snapshots), {} value sets ({} expanded), {} code systems, {} bytes",
            entry.file,
            entry.structures,
            entry.generated_snapshots,
            entry.value_sets,
            entry.expanded_value_sets,
            entry.code_systems,
            entry.bytes
        )?;
        index.packages.retain(|e| e.file != entry.file);
        index.packages.push(entry);
    }
    index.write(out)?;
    Ok(ExitCode::SUCCESS)
}

fn list(dir: &Path, archives: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let mut registry = Registry::load_dir(dir)?;
    for archive in archives {
        registry.add_package(archive)?;
    }
    let elapsed = started.elapsed();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "package\tversion\tstructures\tvalue_sets\texpanded\texternal\tcode_systems\torigin"
    )?;
    for loaded in registry.packages() {
        let p = &loaded.package;
        let expanded = p
            .value_sets
            .iter()
            .filter(|v| matches!(v.expansion, Expansion::Complete(_)))
            .count();
        let external = p
            .value_sets
            .iter()
            .filter(|v| matches!(v.expansion, Expansion::External { .. }))
            .count();
        let origin = match &loaded.origin {
            conformance::PackageOrigin::File(path) | conformance::PackageOrigin::Archive(path) => {
                path.display().to_string()
            }
            conformance::PackageOrigin::Memory => "memory".to_string(),
        };
        writeln!(
            out,
            "{}\t{}{}\t{}\t{}\t{}\t{}\t{}\t{}",
            p.name,
            p.version,
            if p.subset { " (subset)" } else { "" },
            p.structures.len(),
            p.value_sets.len(),
            expanded,
            external,
            p.code_systems.len(),
            origin
        )?;
    }
    writeln!(out, "loaded in {} ms", elapsed.as_millis())?;
    Ok(ExitCode::SUCCESS)
}
