//! XTN → ContactPoint.
//!
//! - `system` from the equipment type (XTN-3, table 0202 through `TelecommunicationEquipmentType`;
//!   `CP`, a cell phone, is `phone` with use `mobile`); without one, `email` for an address in
//!   XTN-4 and `phone` otherwise (a value needs a system: invariant cpt-2).
//! - `value`: an email address from XTN-4. A phone number as written in XTN-1; when XTN-5 (the
//!   country code) is known, it is standardized to E.164 from XTN-5..7 (`+<country><area><local>`,
//!   with `;ext=<extension>` from XTN-8), and when XTN-1 is empty the number is composed from
//!   XTN-6..8 as written; failing all of those, the unformatted number XTN-12. Every rewrite is
//!   an information issue.
//! - `use` from XTN-2 (table 0201 through `TelecommunicationUseCode`), `rank` from XTN-18,
//!   `period` from XTN-13/14.

use serde_json::{Map, Value};

use super::super::context::{Context, Item};
use super::super::report::IssueSeverity;
use super::report_unused;

/// XTN → ContactPoint; `None` when there is no value. XTN-9 (any text), XTN-10/11 and
/// XTN-15..17 are reported as unmapped.
pub fn contact_point<'m>(ctx: &mut Context<'m>, xtn: &Item<'m>) -> Option<Value> {
    let mut handled = vec![2, 3, 13, 14, 18];
    let equipment = xtn.text(3);
    let mut system = None;
    let mut use_ = None;
    if let Some(code) = &equipment {
        if code.as_ref() == "CP" {
            system = Some("phone");
            use_ = Some("mobile");
        } else if let Some(mapped) = ctx.vocabulary().map("TelecommunicationEquipmentType", code) {
            system = Some(mapped.code);
        } else {
            ctx.issue(
                IssueSeverity::Information,
                xtn.component_location(3),
                format!("equipment type {code:?} is not in HL7 table 0202"),
            );
            handled.retain(|&n| n != 3);
        }
    }
    let email = xtn.text(4);
    let wants_email = system == Some("email") || (system.is_none() && email.is_some());
    let value = if wants_email {
        handled.push(4);
        email.map(|e| e.into_owned())
    } else {
        phone_number(ctx, xtn, &mut handled)
    };
    let Some(value) = value else {
        report_unused(ctx, xtn, &[]);
        return None;
    };
    let system = system.unwrap_or(if wants_email { "email" } else { "phone" });
    if let Some(code) = xtn.text(2) {
        match ctx.vocabulary().map("TelecommunicationUseCode", &code) {
            Some(mapped) => use_ = use_.or(Some(mapped.code)),
            None if code.as_ref() == "NET" => {
                // "Network (email) address": the system says so already.
            }
            None => {
                ctx.issue(
                    IssueSeverity::Information,
                    xtn.component_location(2),
                    format!("telecommunication use {code:?} has no ContactPoint.use"),
                );
                handled.retain(|&n| n != 2);
            }
        }
    }
    let mut contact = Map::new();
    contact.insert("system".into(), Value::String(system.to_owned()));
    contact.insert("value".into(), Value::String(value));
    if let Some(use_) = use_ {
        contact.insert("use".into(), Value::String(use_.to_owned()));
    }
    if let Some(rank) = xtn.text(18) {
        match rank.parse::<u32>() {
            Ok(rank) if rank > 0 => {
                contact.insert("rank".into(), Value::from(rank));
            }
            _ => {
                ctx.issue(
                    IssueSeverity::Warning,
                    xtn.component_location(18),
                    format!("preference order {rank:?} is not a positive integer; left out"),
                );
                handled.retain(|&n| n != 18);
            }
        }
    }
    let mut period = Map::new();
    for (member, n) in [("start", 13), ("end", 14)] {
        if let Some(text) = xtn.text(n)
            && let Some(value) = ctx.datetime(&text, xtn.component_location(n))
        {
            period.insert(member.into(), Value::String(value));
        }
    }
    if !period.is_empty() {
        contact.insert("period".into(), Value::Object(period));
    }
    report_unused(ctx, xtn, &handled);
    Some(Value::Object(contact))
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The phone number of an XTN, per the module docs; adds the components it read to `handled`.
fn phone_number<'m>(
    ctx: &mut Context<'m>,
    xtn: &Item<'m>,
    handled: &mut Vec<usize>,
) -> Option<String> {
    let as_written = xtn.text(1);
    let country = xtn.text(5).map(|c| digits(&c)).filter(|c| !c.is_empty());
    let area = xtn.text(6);
    let local = xtn.text(7);
    let extension = xtn.text(8);
    if let (Some(country), Some(local_number)) = (&country, &local) {
        let mut e164 = format!(
            "+{country}{}{}",
            area.as_deref().map(digits).unwrap_or_default(),
            digits(local_number)
        );
        if let Some(extension) = &extension {
            e164.push_str(";ext=");
            e164.push_str(&digits(extension));
        }
        handled.extend([1, 5, 6, 7, 8]);
        ctx.issue(
            IssueSeverity::Information,
            xtn.location(),
            format!("phone number standardized to E.164 from XTN-5..8: {e164}"),
        );
        return Some(e164);
    }
    if let Some(number) = as_written {
        handled.push(1);
        // The same number split into parts (area code and local number, extension) is read
        // when its digits are all in XTN-1; a different number is reported.
        let written = digits(&number);
        for n in [6, 7, 8] {
            if xtn
                .text(n)
                .is_some_and(|part| written.contains(&digits(&part)))
            {
                handled.push(n);
            }
        }
        return Some(number.into_owned());
    }
    if local.is_some() {
        let mut composed = [area.as_deref(), local.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(extension) = &extension {
            composed.push_str(" x");
            composed.push_str(extension);
        }
        handled.extend([6, 7, 8]);
        ctx.issue(
            IssueSeverity::Information,
            xtn.location(),
            format!("phone number composed from XTN-6..8 as written (no country code for E.164): {composed}"),
        );
        return Some(composed);
    }
    let unformatted = xtn.text(12)?;
    handled.push(12);
    Some(unformatted.into_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::with_field;
    use super::*;
    use crate::site_config::SiteConfig;

    fn check(pid13: &str, expected: &[Value], report: &[&str]) {
        let outcome = with_field(
            &SiteConfig::default(),
            &format!("PID|1||1||X||||||||{pid13}\r"),
            "PID",
            13,
            |ctx, items| {
                items
                    .iter()
                    .filter_map(|item| contact_point(ctx, item))
                    .collect::<Vec<_>>()
            },
        );
        assert_eq!(outcome.result, expected, "PID-13 {pid13:?}");
        assert_eq!(outcome.report, report, "PID-13 {pid13:?}");
    }

    #[test]
    fn contact_points() {
        check(
            "(555)555-1234^PRN^PH^^^555^5551234~^NET^Internet^jane@example.org",
            &[
                json!({"system": "phone", "value": "(555)555-1234", "use": "home"}),
                json!({"system": "email", "value": "jane@example.org"}),
            ],
            &[],
        );
        check(
            "^WPN^CP^^1^555^555-1234^89^^^^^^^^^^2",
            &[
                json!({"system": "phone", "value": "+15555551234;ext=89", "use": "mobile", "rank": 2}),
            ],
            &[
                "information at PID(1)-13[1]: phone number standardized to E.164 from XTN-5..8: +15555551234;ext=89",
            ],
        );
        check(
            "^PRN^FX^^^555^5551234",
            &[json!({"system": "fax", "value": "555 5551234", "use": "home"})],
            &[
                "information at PID(1)-13[1]: phone number composed from XTN-6..8 as written (no country code for E.164): 555 5551234",
            ],
        );
        check(
            "555-0000^EMR^PH^^^^^^call after 5",
            &[json!({"system": "phone", "value": "555-0000"})],
            &[
                "unmapped component PID(1)-13[1].2",
                "unmapped component PID(1)-13[1].9",
                "information at PID(1)-13[1].2: telecommunication use \"EMR\" has no ContactPoint.use",
            ],
        );
        check(
            "^PRN^PH",
            &[],
            &[
                "unmapped component PID(1)-13[1].2",
                "unmapped component PID(1)-13[1].3",
            ],
        );
        check(
            "^^^a\\T\\b@x.org",
            &[json!({"system": "email", "value": "a&b@x.org"})],
            &[],
        );
    }
}
