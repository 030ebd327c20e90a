//! Tests over the official packages in `../shared/fhir-packages`: compile, write, load, look
//! up, and check generated snapshots against the shipped ones. Each test skips (with the
//! reason) when the shared folder is absent.

// Test code: a failed expectation is a panic with the context in the message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::OnceLock;

use conformance::model::{Element, Expansion, Max};
use conformance::registry::PackageOrigin;
use conformance::{CompileOptions, CompiledPackage, Package, Registry, compile};

const CORE: &str = "hl7.fhir.r4.core-4.0.1.tgz";
const THO: &str = "hl7.terminology.r4-7.0.1.tgz";
const US_CORE: [&str; 3] = [
    "hl7.fhir.us.core-3.1.1.tgz",
    "hl7.fhir.us.core-6.1.0.tgz",
    "hl7.fhir.us.core-7.0.0.tgz",
];

fn packages_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fhir-packages"
    ));
    if dir.join(CORE).exists() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

struct Shared {
    dir: PathBuf,
    us_core: Vec<Package>,
    compiled: Vec<CompiledPackage>,
}

/// Compiles core, the THO subset and the three US Core versions once per test binary.
fn shared() -> Option<&'static Shared> {
    static SHARED: OnceLock<Option<Shared>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let dir = packages_dir()?;
            let read = |name: &str| Package::read_path(&dir.join(name)).unwrap();
            let us_core: Vec<Package> = US_CORE.iter().map(|n| read(n)).collect();
            let mut all = vec![read(CORE), read(THO)];
            all.extend(us_core.iter().cloned());
            let options = CompileOptions {
                terminology_subset: vec!["hl7.terminology.r4".to_string()],
            };
            let compiled = compile(&all, &Registry::new(), &options).unwrap();
            Some(Shared {
                dir,
                us_core,
                compiled,
            })
        })
        .as_ref()
}

fn registry_of(packages: &[&CompiledPackage]) -> Registry {
    let mut registry = Registry::new();
    for package in packages {
        registry
            .add_compiled((*package).clone(), PackageOrigin::Memory)
            .unwrap();
    }
    registry
}

fn summary(element: &Element) -> String {
    let types: Vec<&str> = element.types.iter().map(|t| t.code.as_str()).collect();
    format!(
        "{} {}..{} {}",
        element.path,
        element.min,
        element.max,
        types.join("|")
    )
}

/// Profiles whose shipped snapshot differs from ours for a known reason, as
/// (package version, profile id, reason). The test checks that they still differ, so that the
/// list shrinks when the generator changes.
const KNOWN_DIFFERENCES: [(&str, &str, &str); 8] = [
    (
        "3.1.1",
        "us-core-goal",
        "the 2020 IG Publisher restricted a choice renamed by type (dueDate) even when optional; the current one restricts it only when the type slice is mandatory",
    ),
    (
        "3.1.1",
        "pediatric-weight-for-height",
        "as us-core-goal (valueQuantity)",
    ),
    (
        "3.1.1",
        "pediatric-bmi-for-age",
        "as us-core-goal (valueQuantity)",
    ),
    (
        "3.1.1",
        "head-occipital-frontal-circumference-percentile",
        "as us-core-goal (valueQuantity)",
    ),
    (
        "3.1.1",
        "us-core-race",
        "the 2020 IG Publisher also expanded the children of each nested extension's `extension` element",
    ),
    ("3.1.1", "us-core-ethnicity", "as us-core-race"),
    (
        "6.1.0",
        "us-core-questionnaireresponse",
        "the base profile is in hl7.fhir.uv.sdc, which is not loaded",
    ),
    ("7.0.0", "us-core-questionnaireresponse", "as 6.1.0"),
];

#[test]
fn shared_generated_snapshots_match_shipped_us_core() {
    let Some(shared) = shared() else { return };
    let core = &shared.compiled[0];
    let tho = &shared.compiled[1];
    let mut compared = 0;
    let mut failures = Vec::new();
    for (package, compiled) in shared.us_core.iter().zip(&shared.compiled[2..]) {
        let registry = registry_of(&[core, tho, compiled]);
        for resource in &package.resources {
            if resource.json["resourceType"] != "StructureDefinition"
                || resource.json.get("differential").is_none()
            {
                continue;
            }
            let url = resource.json["url"].as_str().unwrap();
            let profile_id = resource.json["id"].as_str().unwrap();
            let known = KNOWN_DIFFERENCES
                .iter()
                .any(|(v, id, _)| *v == package.version && *id == profile_id);
            let shipped = registry
                .structure(&format!("{url}|{}", package.version))
                .unwrap();
            let generated =
                match conformance::compile::snapshot_from_differential(&resource.json, &registry) {
                    Ok(elements) => elements,
                    Err(error) => {
                        if !known {
                            failures.push(format!("{}: {error}", package.label()));
                        }
                        continue;
                    }
                };
            compared += 1;
            let expected: Vec<String> = shipped.elements.iter().map(summary).collect();
            let actual: Vec<String> = generated.iter().map(summary).collect();
            if known {
                if expected == actual {
                    failures.push(format!(
                        "{} {url} now matches: remove it from KNOWN_DIFFERENCES",
                        package.label()
                    ));
                }
                continue;
            }
            if expected != actual {
                let first = expected
                    .iter()
                    .zip(&actual)
                    .position(|(e, a)| e != a)
                    .unwrap_or(expected.len().min(actual.len()));
                failures.push(format!(
                    "{} {url}: {} shipped vs {} generated elements; first difference at {first}: {:?} vs {:?}",
                    package.label(),
                    expected.len(),
                    actual.len(),
                    expected.get(first),
                    actual.get(first)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compared >= 150, "compared only {compared} profiles");
}

/// The committed `profiles/` must be what the compiler makes of the shared packages today: a
/// compiler change that alters the output without a recompile (`profiles/README.md`) fails here.
#[test]
fn shared_committed_profiles_are_current() {
    let Some(shared) = shared() else { return };
    let committed = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles"));
    let index = conformance::format::Index::read(&committed).unwrap();
    let out = tempfile::tempdir().unwrap();
    for package in &shared.compiled {
        let fresh = conformance::format::write_package(out.path(), package).unwrap();
        let shipped = index
            .packages
            .iter()
            .find(|entry| entry.name == fresh.name && entry.version == fresh.version)
            .unwrap_or_else(|| panic!("{}-{} is not in profiles/", fresh.name, fresh.version));
        assert_eq!(
            shipped.sha256, fresh.sha256,
            "profiles/{} is stale: recompile it (profiles/README.md)",
            shipped.file
        );
    }
    assert_eq!(index.packages.len(), shared.compiled.len());
}

#[test]
fn shared_compile_write_load_round_trip() {
    let Some(shared) = shared() else { return };
    let out = tempfile::tempdir().unwrap();
    let mut index = conformance::format::Index::read(out.path()).unwrap();
    for package in &shared.compiled {
        index
            .packages
            .push(conformance::format::write_package(out.path(), package).unwrap());
    }
    index.write(out.path()).unwrap();
    let registry = Registry::load_dir(out.path()).unwrap();
    assert_eq!(registry.packages().len(), shared.compiled.len());
    for loaded in registry.packages() {
        let original = shared
            .compiled
            .iter()
            .find(|p| p.name == loaded.package.name && p.version == loaded.package.version)
            .unwrap();
        assert_eq!(&loaded.package, original, "{}", original.name);
    }
    // Dependencies load first: core, then terminology, then the IGs that depend on it.
    let order: Vec<String> = registry
        .packages()
        .iter()
        .map(|p| format!("{}-{}", p.package.name, p.package.version))
        .collect();
    assert_eq!(order[0], "hl7.fhir.r4.core-4.0.1");
    let tho = order
        .iter()
        .position(|p| p.starts_with("hl7.terminology"))
        .unwrap();
    let us6 = order
        .iter()
        .position(|p| p == "hl7.fhir.us.core-6.1.0")
        .unwrap();
    assert!(tho < us6, "{order:?}");
    let reread = conformance::format::Index::read(out.path()).unwrap();
    assert_eq!(reread.packages.len(), shared.compiled.len());
    let _ = &shared.dir;
}

#[test]
fn shared_lookups() {
    let Some(shared) = shared() else { return };
    let registry = registry_of(&shared.compiled.iter().collect::<Vec<_>>());
    let patient = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
    let cases = [
        (format!("{patient}|3.1.1"), Some("3.1.1")),
        (format!("{patient}|6.1.0"), Some("6.1.0")),
        (patient.to_string(), Some("7.0.0")),
        (format!("{patient}|9.9.9"), None),
    ];
    for (canonical, version) in cases {
        let found = registry.structure(&canonical);
        assert_eq!(
            found.and_then(|s| s.version.as_deref()),
            version,
            "{canonical}"
        );
    }
    let base = registry.base_type("Patient").unwrap();
    assert_eq!(base.elements[0].path, "Patient");
    assert!(registry.base_type("HumanName").is_some());
    assert!(registry.base_type("NoSuchType").is_none());

    let us_patient = registry.structure(&format!("{patient}|6.1.0")).unwrap();
    let identifier_system = us_patient
        .element_by_id("Patient.identifier.system")
        .unwrap();
    assert_eq!(
        (identifier_system.min, identifier_system.max),
        (1, Max::Count(1))
    );
    assert!(identifier_system.must_support);
    let race = us_patient.element_by_id("Patient.extension:race").unwrap();
    assert_eq!(
        race.types[0].profiles,
        ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"]
    );
    let name = us_patient.element_by_id("Patient.name").unwrap();
    assert!(
        name.constraints
            .iter()
            .any(|c| c.key == "us-core-6" && c.expression.is_some() && !c.human.is_empty())
    );

    // Required bindings of core expand locally; v3/v2 code systems come from THO.
    let gender = registry
        .value_set("http://hl7.org/fhir/ValueSet/administrative-gender")
        .unwrap();
    let Expansion::Complete(codes) = &gender.expansion else {
        panic!("{:?}", gender.expansion)
    };
    assert!(codes.contains("http://hl7.org/fhir/administrative-gender", "female"));
    assert!(!codes.contains("http://hl7.org/fhir/administrative-gender", "f"));
    assert_eq!(codes.len(), 4);
    // A SNOMED CT value set is external: not checkable locally.
    let condition_code = registry
        .value_set("http://hl7.org/fhir/us/core/ValueSet/us-core-condition-code")
        .unwrap();
    assert!(
        matches!(&condition_code.expansion, Expansion::External { systems } if systems.iter().any(|s| s == "http://snomed.info/sct")),
        "{:?}",
        condition_code.expansion
    );
    // Hierarchy: v3 ActCode is-a filters.
    let act_code = registry
        .code_system("http://terminology.hl7.org/CodeSystem/v3-ActCode")
        .unwrap();
    let amb = act_code.concept("AMB").unwrap();
    assert!(amb.display.is_some());
    let encounter_class = registry
        .value_set("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode")
        .map(|v| &v.expansion);
    if let Some(Expansion::Complete(codes)) = encounter_class {
        assert!(codes.contains("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"));
    }
}

/// Each package's value sets expand against its own code systems first, and an unversioned
/// value set referenced from a package resolves in that package first: US Core 6.1.0's
/// `us-core-category` code system lacks `treatment-intervention-preference`, 7.0.0's has it.
#[test]
fn shared_unversioned_canonicals_resolve_in_the_referencing_package() {
    let Some(shared) = shared() else { return };
    let registry = registry_of(&shared.compiled.iter().collect::<Vec<_>>());
    let value_set = "http://hl7.org/fhir/us/core/ValueSet/us-core-simple-observation-category";
    let profile = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-simple-observation";
    for (version, has_code) in [("6.1.0", false), ("7.0.0", true)] {
        let structure = registry.structure(&format!("{profile}|{version}")).unwrap();
        let from = registry.package_of(structure);
        let found = registry.value_set_from(value_set, from).unwrap();
        assert_eq!(found.version.as_deref(), Some(version));
        let Expansion::Complete(codes) = &found.expansion else {
            panic!("{version}: {:?}", found.expansion)
        };
        assert_eq!(
            codes.contains(
                "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",
                "treatment-intervention-preference"
            ),
            has_code,
            "{version}"
        );
    }
    // Without a referencing package, the package loaded last answers.
    assert_eq!(
        registry
            .value_set(value_set)
            .and_then(|v| v.version.as_deref()),
        Some("7.0.0")
    );
}
