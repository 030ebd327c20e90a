//! Compile, snapshot, expansion, file format and registry tests on small packages built in
//! memory (no shared folder needed).

// Test code: a failed expectation is a panic with the context in the message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use conformance::model::{Expansion, Max};
use conformance::{CompileOptions, Error, Package, PackageOrigin, Registry, compile, format};
use serde_json::{Value, json};

fn tgz(manifest: &Value, resources: &[Value]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut add = |name: &str, value: &Value| {
        let bytes = serde_json::to_vec(value).unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    };
    add("package/package.json", manifest);
    add("package/.index.json", &json!({"files": []}));
    add(
        "package/example/Patient-x.json",
        &json!({"resourceType": "Patient"}),
    );
    for (i, resource) in resources.iter().enumerate() {
        add(&format!("package/R-{i}.json"), resource);
    }
    add(
        "package/SearchParameter-x.json",
        &json!({"resourceType": "SearchParameter"}),
    );
    builder.into_inner().unwrap().finish().unwrap()
}

fn el(id: &str, min: u32, max: &str, ty: &str) -> Value {
    let path: String = id
        .split('.')
        .map(|s| s.split(':').next().unwrap())
        .collect::<Vec<_>>()
        .join(".");
    let mut e = json!({"id": id, "path": path, "min": min, "max": max, "definition": "prose"});
    if !ty.is_empty() {
        e["type"] = json!([{"code": ty}]);
    }
    e
}

fn sd(name: &str, kind: &str, elements: Vec<Value>) -> Value {
    json!({"resourceType": "StructureDefinition", "url": format!("http://hl7.org/fhir/StructureDefinition/{name}"),
           "name": name, "type": name, "kind": kind, "abstract": false, "derivation": "specialization",
           "snapshot": {"element": elements}})
}

fn base_package() -> Vec<u8> {
    let mut gender = el("Patient.gender", 0, "1", "code");
    gender["binding"] = json!({"strength": "required", "valueSet": "http://x.org/vs/gender"});
    gender["constraint"] = json!([{"key": "g-1", "severity": "error", "human": "Gender is short", "expression": "length() < 10"}]);
    let resources = [
        sd(
            "Identifier",
            "complex-type",
            vec![
                el("Identifier", 0, "*", ""),
                el("Identifier.system", 0, "1", "uri"),
                el("Identifier.value", 0, "1", "string"),
            ],
        ),
        sd(
            "Patient",
            "resource",
            vec![
                el("Patient", 0, "*", ""),
                el("Patient.identifier", 0, "*", "Identifier"),
                gender,
            ],
        ),
        json!({"resourceType": "CodeSystem", "url": "http://x.org/cs/gender", "content": "complete",
               "concept": [{"code": "a", "display": "A", "concept": [{"code": "b", "concept": [{"code": "c"}]}]},
                           {"code": "d", "property": [{"code": "status", "valueCode": "retired"}]}]}),
        json!({"resourceType": "ValueSet", "url": "http://x.org/vs/gender", "compose": {"include": [{"system": "http://x.org/cs/gender"}], "exclude": [{"system": "http://x.org/cs/gender", "concept": [{"code": "d"}]}]}}),
        json!({"resourceType": "ValueSet", "url": "http://x.org/vs/below-a", "compose": {"include": [{"system": "http://x.org/cs/gender", "filter": [{"property": "concept", "op": "descendent-of", "value": "a"}]}]}}),
        json!({"resourceType": "ValueSet", "url": "http://x.org/vs/snomed", "compose": {"include": [{"system": "http://snomed.info/sct", "filter": [{"property": "concept", "op": "is-a", "value": "404684003"}]}]}}),
        json!({"resourceType": "ValueSet", "url": "http://x.org/vs/missing", "compose": {"include": [{"system": "http://x.org/cs/nowhere"}]}}),
        json!({"resourceType": "ValueSet", "url": "http://x.org/vs/import", "compose": {"include": [{"valueSet": ["http://x.org/vs/gender", "http://x.org/vs/below-a"]}]}}),
    ];
    tgz(
        &json!({"name": "test.base", "version": "1.0.0"}),
        &resources,
    )
}

fn profile_package(version: &str) -> Vec<u8> {
    let profile = json!({"resourceType": "StructureDefinition", "url": "http://x.org/sd/my-patient", "version": version,
    "name": "MyPatient", "type": "Patient", "kind": "resource", "abstract": false, "derivation": "constraint",
    "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
    "differential": {"element": [
        {"id": "Patient", "path": "Patient"},
        {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1, "mustSupport": true,
         "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
        {"id": "Patient.identifier.value", "path": "Patient.identifier.value", "min": 1},
        {"id": "Patient.identifier:mrn", "path": "Patient.identifier", "sliceName": "mrn", "max": "1"},
        {"id": "Patient.identifier:mrn.system", "path": "Patient.identifier.system", "min": 1, "fixedUri": "http://x.org/mrn"},
        {"id": "Patient.gender", "path": "Patient.gender", "min": 1, "constraint": [{"key": "p-1", "severity": "warning", "human": "h", "expression": "true"}]}
    ]}});
    tgz(
        &json!({"name": "test.profile", "version": version, "dependencies": {"test.base": "1.0.0"}}),
        &[profile],
    )
}

fn compiled_registry() -> Registry {
    let base = Package::read(&base_package(), "base.tgz").unwrap();
    let profile = Package::read(&profile_package("2.0.0"), "profile.tgz").unwrap();
    let mut registry = Registry::new();
    for package in compile(
        &[base, profile],
        &Registry::new(),
        &CompileOptions::default(),
    )
    .unwrap()
    {
        registry
            .add_compiled(package, PackageOrigin::Memory)
            .unwrap();
    }
    registry
}

#[test]
fn package_keeps_only_conformance_resources() {
    let package = Package::read(&base_package(), "base.tgz").unwrap();
    assert_eq!(
        (package.name.as_str(), package.version.as_str()),
        ("test.base", "1.0.0")
    );
    assert_eq!(package.resources.len(), 8);
    assert!(
        package
            .resources
            .iter()
            .all(|r| r.file.starts_with("package/R-"))
    );
}

#[test]
fn package_errors_name_the_place() {
    let cases: [(Vec<u8>, &str); 3] = [
        (b"not a tgz".to_vec(), "package bad.tgz: "),
        (
            tgz(&json!({"name": "n"}), &[]),
            "package.json has no \"version\"",
        ),
        (
            tgz(
                &json!({"name": "n", "version": "1"}),
                &[json!({"resourceType": "ValueSet"})],
            ),
            "package n-1, file package/R-0.json: no url",
        ),
    ];
    for (bytes, expected) in cases {
        let message = match Package::read(&bytes, "bad.tgz") {
            Ok(package) => compile(&[package], &Registry::new(), &CompileOptions::default())
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string()),
            Err(error) => error.to_string(),
        };
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
}

#[test]
fn snapshot_from_differential_slices_and_expands_types() {
    let registry = compiled_registry();
    let profile = registry.structure("http://x.org/sd/my-patient").unwrap();
    assert!(profile.snapshot_generated);
    let summary: Vec<String> = profile
        .elements
        .iter()
        .map(|e| {
            format!(
                "{} {}..{}{}",
                e.id,
                e.min,
                e.max,
                if e.fixed.is_some() { " fixed" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "Patient 0..*",
            "Patient.identifier 1..*",
            "Patient.identifier.system 0..1",
            "Patient.identifier.value 1..1",
            "Patient.identifier:mrn 0..1",
            "Patient.identifier:mrn.system 1..1 fixed",
            "Patient.identifier:mrn.value 0..1",
            "Patient.gender 1..1",
        ]
    );
    let gender = profile.element_by_id("Patient.gender").unwrap();
    let keys: Vec<&str> = gender.constraints.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["g-1", "p-1"]);
    let mrn = profile
        .element_by_id("Patient.identifier:mrn.system")
        .unwrap();
    assert_eq!(
        mrn.fixed.as_ref().unwrap().value().unwrap(),
        json!("http://x.org/mrn")
    );
    assert_eq!(mrn.path, "Patient.identifier.system");
    assert!(
        profile
            .element_by_id("Patient.identifier")
            .unwrap()
            .must_support
    );
}

#[test]
fn expansions() {
    let registry = compiled_registry();
    let system = "http://x.org/cs/gender";
    let cases: [(&str, &[&str]); 3] = [
        ("http://x.org/vs/gender", &["a", "b", "c"]),
        ("http://x.org/vs/below-a", &["b", "c"]),
        ("http://x.org/vs/import", &["b", "c"]),
    ];
    for (url, codes) in cases {
        let Expansion::Complete(list) = &registry.value_set(url).unwrap().expansion else {
            panic!("{url} not expanded");
        };
        let found: Vec<&str> = list.codes.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(found, codes, "{url}");
        assert!(codes.iter().all(|c| list.contains(system, c)));
        assert!(!list.contains(system, "zz") && !list.contains("http://other", codes[0]));
    }
    assert!(matches!(
        &registry.value_set("http://x.org/vs/snomed").unwrap().expansion,
        Expansion::External { systems } if systems == &["http://snomed.info/sct"]
    ));
    assert!(matches!(
        &registry.value_set("http://x.org/vs/missing").unwrap().expansion,
        Expansion::Unavailable { reason } if reason.contains("http://x.org/cs/nowhere")
    ));
    let cs = registry.code_system(system).unwrap();
    let c = cs.concept("c").unwrap();
    assert_eq!(cs.concepts[c.parents[0] as usize].code, "b");
    assert!(cs.concept("d").unwrap().inactive);
    assert_eq!(cs.concept("a").unwrap().display.as_deref(), Some("A"));
}

#[test]
fn file_round_trip_and_load_dir_with_runtime_package() {
    let registry = compiled_registry();
    let dir = tempfile::tempdir().unwrap();
    let base = &registry.packages()[0].package;
    let entry = format::write_package(dir.path(), base).unwrap();
    assert_eq!(entry.file, "test.base-1.0.0.fgp");
    assert_eq!(entry.sha256.len(), 64);
    let mut loaded = Registry::load_dir(dir.path()).unwrap();
    assert_eq!(&loaded.packages()[0].package, base);
    // A site's IG added at run time, compiled against the loaded base.
    let archive = dir.path().join("site.tgz");
    std::fs::write(&archive, profile_package("3.0.0")).unwrap();
    let added = loaded.add_package(&archive).unwrap();
    assert_eq!(added.structures[0].elements.len(), 8);
    let err = loaded.add_package(&archive).unwrap_err();
    assert!(err.to_string().contains("already loaded"), "{err}");
    // Versioned and unversioned lookups.
    std::fs::write(&archive, profile_package("4.0.0")).unwrap();
    loaded.add_package(&archive).unwrap();
    let url = "http://x.org/sd/my-patient";
    for (canonical, version) in [
        (url.to_string(), "4.0.0"),
        (format!("{url}|3.0.0"), "3.0.0"),
    ] {
        assert_eq!(
            loaded.structure(&canonical).unwrap().version.as_deref(),
            Some(version)
        );
    }
    assert_eq!(
        loaded.base_type("Patient").unwrap().elements[2].max,
        Max::Count(1)
    );
}

#[test]
fn format_refuses_other_versions_and_garbage() {
    let registry = compiled_registry();
    let mut bytes = format::encode(&registry.packages()[0].package).unwrap();
    let path = std::path::Path::new("x.fgp");
    assert!(format::decode(&bytes, path).is_ok());
    bytes[8] = bytes[8].wrapping_add(1);
    let cases: [(&[u8], &str); 3] = [
        (&bytes, "format version"),
        (b"FGPROF", "too short"),
        (b"PK\x03\x04 zip file here", "bad magic"),
    ];
    for (input, expected) in cases {
        let error = format::decode(input, path).unwrap_err();
        assert!(matches!(error, Error::Format { .. }));
        assert!(error.to_string().contains(expected), "{error}");
    }
}
