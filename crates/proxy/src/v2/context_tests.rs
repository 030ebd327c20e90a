//! Tests of the conversion context.

use super::*;

const MESSAGE: &str = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240305103000-0500||ADT^A01^ADT_A01|C1|P|2.5\r\
PID|1||123^^^HOSP^MR~456^^^SSA^SS||DOE^JANE^Q||19800102|F|||1 MAIN ST^^TOWN\r\
ZPI|custom|data\r";

fn with_context(config: &SiteConfig, check: impl FnOnce(&mut Context<'_>)) -> Report {
    let (message, _) = hl7v2::parse(MESSAGE.as_bytes());
    let header = message.header();
    let mut context = Context::new(&message, &header, config);
    check(&mut context);
    context.finish().1
}

#[test]
fn unread_fields_components_and_segments_are_reported() {
    let report = with_context(&SiteConfig::default(), |ctx| {
        let msh = ctx.message().first("MSH").unwrap();
        ctx.consume(&msh, &[3, 4, 5, 6, 7, 9, 10, 11, 12]);
        let pid = ctx.message().first("PID").unwrap();
        ctx.consume(&pid, &[1]);
        let names = ctx.items(&pid, 5);
        assert_eq!(names.len(), 1);
        ctx.unused_components(&names[0], &[1, 2]);
        assert_eq!(ctx.items(&pid, 3).len(), 2);
    });
    let listed: Vec<String> = report
        .unmapped
        .iter()
        .map(|u| format!("{} {}", u.kind, u.location))
        .collect();
    assert_eq!(
        listed,
        [
            "component PID(1)-5[1].3",
            "field PID(1)-7",
            "field PID(1)-8",
            "field PID(1)-11",
            "segment ZPI(2)",
        ]
    );
}

#[test]
fn the_same_entity_twice_is_one_resource_with_merged_members() {
    let config = SiteConfig::default();
    with_context(&config, |ctx| {
        let key = ResourceKey::Natural("dr-who".into());
        let first = ctx.add(
            "Practitioner",
            key.clone(),
            |id| serde_json::json!({"resourceType": "Practitioner", "id": id.to_string()}),
        );
        let second = ctx.add("Practitioner", key.clone(), |id| {
            serde_json::json!({"resourceType": "Practitioner", "id": id.to_string(), "gender": "male"})
        });
        assert_eq!(first, second);
        assert_eq!(ctx.resources().len(), 1);
        assert_eq!(ctx.resources()[0].resource["gender"], "male");
        assert_eq!(ctx.reference("Practitioner", &key), Some(first));
        // A second mention never adds a second type of a choice element.
        let observation = ResourceKey::Natural("obs".into());
        ctx.add("Observation", observation.clone(), |id| {
            serde_json::json!({"resourceType": "Observation", "id": id.to_string(), "valueQuantity": {"value": 1}})
        });
        ctx.add("Observation", observation, |id| {
            serde_json::json!({"resourceType": "Observation", "id": id.to_string(), "valueString": "x", "status": "final"})
        });
        let merged = &ctx.resources()[1].resource;
        assert!(merged.get("valueString").is_none(), "{merged}");
        assert_eq!(merged["status"], "final");
        // Nor a value beside repeated values as components (obs-7), nor the reverse.
        let repeated = ResourceKey::Natural("repeated".into());
        ctx.add("Observation", repeated.clone(), |id| {
            serde_json::json!({"resourceType": "Observation", "id": id.to_string(), "component": [{"valueString": "a"}]})
        });
        ctx.add("Observation", repeated, |id| {
            serde_json::json!({"resourceType": "Observation", "id": id.to_string(), "valueString": "b"})
        });
        let merged = &ctx.resources()[2].resource;
        assert!(merged.get("valueString").is_none(), "{merged}");
        let single = ResourceKey::Natural("single".into());
        ctx.add("Observation", single.clone(), |id| {
            serde_json::json!({"resourceType": "Observation", "id": id.to_string(), "valueString": "a"})
        });
        ctx.add("Observation", single, |id| {
            serde_json::json!({"resourceType": "Observation", "id": id.to_string(), "component": [{"valueString": "b"}]})
        });
        let merged = &ctx.resources()[3].resource;
        assert!(merged.get("component").is_none(), "{merged}");
    });
}

#[test]
fn datetimes_keep_precision_and_take_offsets_in_order() {
    let config = SiteConfig::default();
    with_context(&config, |ctx| {
        let at = Location::field(1, "PID", 7);
        assert_eq!(
            ctx.datetime("19800102", at.clone()).as_deref(),
            Some("1980-01-02")
        );
        assert_eq!(
            ctx.datetime("198001021030+0100", at.clone()).as_deref(),
            Some("1980-01-02T10:30:00+01:00")
        );
        // No own offset: MSH-7's -05:00.
        assert_eq!(
            ctx.datetime("19800102103005.920", at.clone()).as_deref(),
            Some("1980-01-02T10:30:05.920-05:00")
        );
        assert_eq!(ctx.datetime("1980130", at.clone()), None);
        assert_eq!(ctx.date("198001021030", at).as_deref(), Some("1980-01-02"));
    });
}

#[test]
fn without_msh7_offset_the_site_zone_applies_at_that_instant() {
    let config = SiteConfig::from_toml_str("default_time_zone = \"America/New_York\"\n").unwrap();
    let text = MESSAGE.replace("20240305103000-0500", "20240305103000");
    let (message, _) = hl7v2::parse(text.as_bytes());
    let header = message.header();
    let mut ctx = Context::new(&message, &header, &config);
    let at = Location::field(1, "PID", 7);
    // Winter: EST; summer: EDT.
    assert_eq!(
        ctx.datetime("202401151200", at.clone()).as_deref(),
        Some("2024-01-15T12:00:00-05:00")
    );
    assert_eq!(
        ctx.datetime("202407151200", at).as_deref(),
        Some("2024-07-15T12:00:00-04:00")
    );
    let unzoned = SiteConfig::default();
    let mut ctx = Context::new(&message, &header, &unzoned);
    assert_eq!(
        ctx.datetime("202407151200", Location::field(1, "PID", 7))
            .as_deref(),
        Some("2024-07-15")
    );
    let (_, report) = ctx.finish();
    assert!(
        report
            .issues
            .iter()
            .any(|i| i.message.contains("time dropped"))
    );
}
