//! DTM/TS components → FHIR `dateTime` and `date`, through the Context's rules: the precision
//! is kept, the offset comes from the value, else MSH-7, else the site's time zone, never the
//! host's.

use super::super::context::{Context, Item};

/// Component `component` of `item` (a DTM, or the time of a TS) as a FHIR `dateTime`; `None`
/// when empty or invalid (an invalid value is an error issue).
pub fn datetime<'m>(ctx: &mut Context<'m>, item: &Item<'m>, component: usize) -> Option<String> {
    let text = item.sub_text(component, 1)?;
    ctx.datetime(&text, item.component_location(component))
}

/// Component `component` of `item` as a FHIR `date` (a time of day is dropped with an
/// information issue); `None` when empty or invalid.
pub fn date<'m>(ctx: &mut Context<'m>, item: &Item<'m>, component: usize) -> Option<String> {
    let text = item.sub_text(component, 1)?;
    ctx.date(&text, item.component_location(component))
}

#[cfg(test)]
mod tests {
    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    #[test]
    fn datetimes_and_dates() {
        let outcome = with_field(
            &SiteConfig::default(),
            "PID|1||1||X||19800102~198001021030~20240101120000.5+0100~2024x~\"\"\r",
            "PID",
            7,
            |ctx, items| {
                items
                    .iter()
                    .map(|item| (datetime(ctx, item, 1), date(ctx, item, 1)))
                    .collect::<Vec<_>>()
            },
        );
        let some = |t: &str| Some(t.to_owned());
        assert_eq!(
            outcome.result,
            [
                (some("1980-01-02"), some("1980-01-02")),
                (some("1980-01-02T10:30:00-05:00"), some("1980-01-02")),
                (some("2024-01-01T12:00:00.5+01:00"), some("2024-01-01")),
                (None, None),
                (None, None),
            ]
        );
        assert!(
            outcome
                .report
                .iter()
                .any(|l| l.starts_with("error at PID(1)-7[4].1"))
        );
    }
}
