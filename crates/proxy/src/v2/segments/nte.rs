//! NTE → Annotation, per the v2-to-FHIR NTE tables (NTE[Observation], NTE[ServiceRequest]…).
//!
//! Each NTE with a comment becomes one Annotation: `text` is NTE-3 (its repetitions joined by
//! newlines, escapes decoded), `authorReference` the Practitioner of NTE-5, `time` NTE-6.
//! NTE-1 (set id) only numbers the segments and is consumed. NTE-2 (source of comment) and
//! NTE-4 (comment type) have no Annotation member: they stay in the report.

use hl7v2::Segment;
use serde_json::{Map, Value};

use super::super::context::Context;
use super::super::datatypes;

/// The NTE segments (those following an OBX, OBR, ORC, PID…) as Annotations, in order. An NTE
/// without a comment gives none; its other fields are then reported as unmapped.
pub fn annotations<'m>(ctx: &mut Context<'m>, segments: &[Segment<'m>]) -> Vec<Value> {
    let mut annotations = Vec::new();
    for nte in segments {
        ctx.seen(nte);
        // NTE-1 numbers the notes; the order of the Annotations keeps it.
        ctx.consume(nte, &[1]);
        let lines: Vec<String> = ctx
            .items(nte, 3)
            .iter()
            .map(|item| {
                item.whole()
                    .map(|text| text.into_owned())
                    .unwrap_or_default()
            })
            .collect();
        if lines.iter().all(String::is_empty) {
            continue;
        }
        let mut annotation = Map::new();
        if let Some(author) = ctx
            .item(nte, 5)
            .and_then(|item| datatypes::practitioner(ctx, &item))
        {
            annotation.insert("authorReference".into(), datatypes::reference(&author));
        }
        if let Some(time) = ctx.item(nte, 6).and_then(|item| {
            ctx.unused_components(&item, &[1]);
            datatypes::datetime(ctx, &item, 1)
        }) {
            annotation.insert("time".into(), Value::String(time));
        }
        annotation.insert("text".into(), Value::String(lines.join("\n")));
        annotations.push(Value::Object(annotation));
    }
    annotations
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::site_config::SiteConfig;
    use crate::v2::datatypes::testing::{MSH, report_lines};

    fn check(segments: &str, expected: Value, report: &[&str]) {
        let text = format!("{MSH}{segments}");
        let (message, _) = hl7v2::parse(text.as_bytes());
        let header = message.header();
        let config = SiteConfig::default();
        let mut ctx = Context::new(&message, &header, &config);
        let notes: Vec<_> = message.segments_named("NTE").collect();
        let mut result = Value::Array(annotations(&mut ctx, &notes));
        let (resources, full_report) = ctx.finish();
        // Practitioner ids vary with nothing here but their key; show the reference by name.
        for annotation in result.as_array_mut().into_iter().flatten() {
            if let Some(author) = annotation.get_mut("authorReference") {
                let reference = author["reference"].as_str().unwrap_or_default().to_owned();
                let practitioner = resources
                    .iter()
                    .find(|r| format!("{}/{}", r.resource_type, r.id) == reference)
                    .unwrap();
                *author = json!({"reference": practitioner.resource["name"][0]["family"]});
            }
        }
        assert_eq!(result, expected);
        let mut lines = report_lines(&full_report);
        lines.extend(
            full_report
                .unmapped
                .iter()
                .filter(|u| {
                    u.kind == crate::v2::report::UnmappedKind::Field
                        && u.location.segment_id.as_deref() == Some("NTE")
                })
                .map(|u| format!("unmapped field {}", u.location)),
        );
        assert_eq!(lines, report);
    }

    #[test]
    fn notes() {
        check(
            "NTE|1|L|Line one~Line \\T\\ two|RE|123^House^Greg|20240301101500\rNTE|2||\rNTE|3||\"\"\r",
            json!([{
                "authorReference": {"reference": "House"},
                "time": "2024-03-01T10:15:00-05:00",
                "text": "Line one\nLine & two"
            }]),
            &[
                "information at NTE(1)-6[1].1: time zone offset taken from MSH-7",
                "unmapped field NTE(1)-2",
                "unmapped field NTE(1)-4",
            ],
        );
    }
}
