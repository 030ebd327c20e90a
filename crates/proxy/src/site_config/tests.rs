use super::parse::line_column;
use super::*;

#[test]
fn field_paths() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("ZPI-2", Ok("ZPI-2")),
        ("PID-40.1", Ok("PID-40.1")),
        ("PID-5.1.1", Ok("PID-5.1.1")),
        ("PV1-3", Ok("PV1-3")),
        ("Z01-1", Ok("Z01-1")),
        ("PID", Err("no `-` after the segment id")),
        ("PI-1", Err("the segment id is not 3 characters")),
        ("PIDX-1", Err("the segment id is not 3 characters")),
        (
            "pid-1",
            Err("the segment id is not an uppercase letter and two uppercase letters or digits"),
        ),
        (
            "1AB-1",
            Err("the segment id is not an uppercase letter and two uppercase letters or digits"),
        ),
        ("PID-", Err("the field number is not a positive integer")),
        ("PID-0", Err("the field number is not a positive integer")),
        ("PID-+3", Err("the field number is not a positive integer")),
        (
            "PID-3.",
            Err("the component number is not a positive integer"),
        ),
        (
            "PID-3.1.x",
            Err("the subcomponent number is not a positive integer"),
        ),
        (
            "PID-3.1.1.1",
            Err("more than field, component and subcomponent"),
        ),
        (
            "PID-99999",
            Err("the field number is not a positive integer"),
        ),
    ];
    for &(input, expected) in cases {
        let got = FieldPath::parse(input);
        let got = got.as_ref().map(ToString::to_string).map_err(|e| e.reason);
        assert_eq!(got.as_deref().map_err(|e| *e), expected, "parse({input:?})");
    }
}

/// Loads `text` and renders the result: the debug form of a few fields, or the problems.
fn check(text: &str, expected: &str) {
    let got = match SiteConfig::from_toml_str(text) {
        Ok(config) => format!(
            "ok ns={:?} tz={:?} bundle={:?} mode={:?} source={:?} maps={} overrides={}",
            config.id_namespace.map(|u| u.to_string()),
            config.default_time_zone.map(|z| z.name),
            config.bundle_type,
            config.conditional_mode,
            config.source_system,
            config.code_maps.len(),
            config
                .segment_overrides
                .iter()
                .map(|o| format!("{}=>{:?}", o.field, o.target))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Err(SiteConfigError::Invalid { problems, .. }) => problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        Err(other) => format!("other error: {other}"),
    };
    assert_eq!(got, expected, "config:\n{text}");
}

#[test]
fn loads_valid_configs() {
    let cases: &[(&str, &str)] = &[
        (
            "",
            "ok ns=None tz=None bundle=Transaction mode=Update source=None maps=0 overrides=",
        ),
        (
            "id_namespace = \"6ba7b811-9dad-11d1-80b4-00c04fd430c8\"\n\
             default_time_zone = \"America/New_York\"\n\
             bundle_type = \"batch\"\n\
             conditional_mode = \"create\"\n\
             source_system = \"urn:oid:1.2.3\"\n",
            "ok ns=Some(\"6ba7b811-9dad-11d1-80b4-00c04fd430c8\") tz=Some(\"America/New_York\") \
             bundle=Batch mode=Create source=Some(\"urn:oid:1.2.3\") maps=0 overrides=",
        ),
        (
            "default_time_zone = \"UTC\"\n\
             [[code_maps]]\n\
             source_system = \"LOCAL\"\nsource_code = \"GLU\"\n\
             target_system = \"http://loinc.org\"\ntarget_code = \"2345-7\"\n\
             [[segment_overrides]]\nfield = \"ZPI-2\"\n\
             extension = { resource = \"Patient\", url = \"http://example.org/pet\", value_type = \"string\" }\n\
             [[segment_overrides]]\nfield = \"PID-16.2\"\n\
             element = { resource = \"Patient\", path = \"Patient.maritalStatus.text\" }\n",
            "ok ns=None tz=Some(\"UTC\") bundle=Transaction mode=Update source=None maps=1 \
             overrides=ZPI-2=>Extension { resource: \"Patient\", url: \"http://example.org/pet\", value_type: String },\
             PID-16.2=>Element { resource: \"Patient\", path: \"Patient.maritalStatus.text\" }",
        ),
    ];
    for &(text, expected) in cases {
        check(text, expected);
    }
}

#[test]
fn reports_problems_with_place_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "default_time_zone = \"Mars/Olympus\"\n",
            "line 1, column 21, key `default_time_zone`: \"Mars/Olympus\" is not an IANA time zone name (such as \"America/New_York\")",
        ),
        (
            "bundle_type = \"transaction\"\nid_namespace = \"not-a-uuid\"\n",
            "line 2, column 16, key `id_namespace`: \"not-a-uuid\" is not a UUID: invalid character: found `n` at 0",
        ),
        (
            "bundle_type = \"message\"\n",
            "line 1, column 15, key `bundle_type`: unknown variant `message`, expected one of `transaction`, `batch`, `collection`",
        ),
        (
            "\n\ntime_zone = \"UTC\"\n",
            "line 3, column 1, key `time_zone`: unknown field `time_zone`, expected one of `id_namespace`, `default_time_zone`, `bundle_type`, `conditional_mode`, `source_system`, `code_maps`, `segment_overrides`",
        ),
        (
            "bundle_type = \n",
            "line 1, column 15: string values must be quoted, expected literal string",
        ),
        (
            "[[segment_overrides]]\nfield = \"ZP-2\"\nextension = { resource = \"Patient\", url = \" \", value_type = \"string\" }\n",
            "line 2, column 9, key `segment_overrides[0].field`: field path \"ZP-2\": the segment id is not 3 characters\n\
             line 3, column 43, key `segment_overrides[0].extension.url`: must not be empty",
        ),
        (
            "[[segment_overrides]]\nfield = \"ZPI-2\"\nextension = { resource = \"Patient\", url = \"u\", value_type = \"text\" }\n",
            "line 3, column 61, key `segment_overrides.extension.value_type`: unknown variant `text`, expected one of `string`, `code`, `boolean`, `integer`, `decimal`, `date`, `dateTime`, `uri`, `Coding`, `CodeableConcept`, `Identifier`, `Reference`",
        ),
        (
            "[[segment_overrides]]\nfield = \"ZPI-2\"\n",
            "line 1, column 1, key `segment_overrides[0]`: needs an `extension` or an `element` target",
        ),
        (
            "[[segment_overrides]]\nfield = \"ZPI-2\"\nelement = { resource = \"patient\", path = \"Patient.name\" }\n\
             [[segment_overrides]]\nfield = \"ZPI-3\"\nelement = { resource = \"Patient\", path = \"Observation.code\" }\n",
            "line 3, column 24, key `segment_overrides[0].element.resource`: \"patient\" is not a FHIR resource type name (such as \"Patient\")\n\
             line 6, column 42, key `segment_overrides[1].element.path`: \"Observation.code\" is not an element path of Patient (such as \"Patient.extension\")",
        ),
        (
            "[[code_maps]]\nsource_system = \"L\"\nsource_code = \"A\"\ntarget_system = \"http://x\"\ntarget_code = \"1\"\n\
             [[code_maps]]\nsource_system = \"L\"\nsource_code = \"A\"\ntarget_system = \"http://y\"\ntarget_code = \"2\"\n\
             [[code_maps]]\nsource_system = \"L\"\nsource_code = \"B\"\ntarget_system = \"\"\ntarget_code = \"2\"\n",
            "line 6, column 1, key `code_maps[1].source_code`: code \"A\" of system \"L\" is already mapped by an earlier entry\n\
             line 11, column 1, key `code_maps[2].target_system`: must not be empty",
        ),
    ];
    for &(text, expected) in cases {
        check(text, expected);
    }
}

#[test]
fn example_config_loads() {
    let text = include_str!("../../../../deploy/site.example.toml");
    check(
        text,
        "ok ns=Some(\"3f1c2d9e-5b7a-4c1e-9a0b-2d4e6f8a1c3e\") tz=Some(\"America/New_York\") \
         bundle=Transaction mode=Update source=Some(\"urn:oid:2.16.840.1.113883.3.9999\") maps=2 \
         overrides=ZPI-2=>Extension { resource: \"Patient\", url: \"http://example.org/fhir/StructureDefinition/preferred-pharmacy\", value_type: String },\
         ZPI-3=>Extension { resource: \"Patient\", url: \"http://example.org/fhir/StructureDefinition/patient-program\", value_type: CodeableConcept },\
         PID-16.2=>Element { resource: \"Patient\", path: \"Patient.maritalStatus.text\" }",
    );
}

#[test]
fn load_names_the_file() {
    let dir = std::env::temp_dir().join(format!("proxy-site-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "default_time_zone = \"Nowhere/Atlantis\"\n").unwrap();
    let got = SiteConfig::load(&path).unwrap_err().to_string();
    let missing = SiteConfig::load(&dir.join("missing.toml"))
        .unwrap_err()
        .to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        got,
        format!(
            "{}: line 1, column 21, key `default_time_zone`: \"Nowhere/Atlantis\" is not an IANA time zone name (such as \"America/New_York\")",
            path.display()
        )
    );
    assert!(
        missing.starts_with(&format!("{}: ", dir.join("missing.toml").display())),
        "{missing}"
    );
    assert_eq!(
        SiteConfig::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/site.example.toml"
        )))
        .unwrap()
        .code_maps
        .len(),
        2
    );
}

#[test]
fn lookups() {
    let config = SiteConfig::from_toml_str(
        "[[code_maps]]\nsource_system = \"L\"\nsource_code = \"A\"\ntarget_system = \"http://x\"\ntarget_code = \"1\"\n\
         [[segment_overrides]]\nfield = \"ZPI-2\"\nelement = { resource = \"Patient\", path = \"Patient.extension\" }\n",
    )
    .unwrap();
    let cases = [
        (("L", "A"), Some("1")),
        (("L", "B"), None),
        (("l", "A"), None),
    ];
    for ((system, code), expected) in cases {
        assert_eq!(
            config
                .code_map(system, code)
                .map(|m| m.target_code.as_str()),
            expected
        );
    }
    let fields: Vec<String> = config
        .overrides_for_segment("ZPI")
        .map(|o| o.field.to_string())
        .collect();
    assert_eq!(fields, vec!["ZPI-2"]);
    assert_eq!(config.overrides_for_segment("PID").count(), 0);
}

#[test]
fn line_columns() {
    let text = "ab\ncdé\nf";
    let cases = [
        (0, (1, 1)),
        (2, (1, 3)),
        (3, (2, 1)),
        (7, (2, 4)),
        (8, (3, 1)),
        (6, (2, 3)),
        (99, (3, 2)),
    ];
    for (offset, expected) in cases {
        assert_eq!(line_column(text, offset), expected, "offset {offset}");
    }
}
