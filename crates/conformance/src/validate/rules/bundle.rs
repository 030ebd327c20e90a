//! Rules across a Bundle's entries, each reported on the entry it concerns.
//!
//! - `fullUrl`: an absolute url, `urn:uuid:` (a valid lowercase UUID) or `urn:oid:`; required
//!   on every entry with a resource except in transactions and batches; unique, unless the
//!   entries differ by `meta.versionId` or the Bundle is a `history`; a RESTful `fullUrl`
//!   (`…/Type/id`) must end with the resource's type and id.
//! - `request` on every entry of a `transaction`/`batch` (`history` may have them), and on no
//!   entry of other Bundles; `response` on every entry of a `transaction-response`/
//!   `batch-response` (and `history`), on no entry of others; `search` only in a
//!   `searchset`; `total` only in a `searchset` or `history`.
//! - a `document` starts with a Composition, a `message` with a MessageHeader.
//! - each `link.relation` occurs once (the Java validator's rule: a link relation names one
//!   target).
//!
//! Several of these are also R4 invariants on Bundle (bdl-1…bdl-4, bdl-7, bdl-11, bdl-12),
//! which [`invariant`](super::invariant) evaluates and reports on `Bundle` as the Java
//! validator does; here the same rule is reported on the entry at fault, so that a person can
//! find it. Reference resolution is in [`reference`](super::reference).

use rustc_hash::FxHashMap;

use serde_json::Value;

use super::super::{Cx, Issue, IssueSeverity, IssueType};
use crate::model::StructureKind;
use crate::validate::member::Member as _;

/// Checks the rules across the entries of `bundle`.
pub fn check(cx: Cx<'_>, bundle: &Value, issues: &mut Vec<Issue>) {
    let bundle_type = bundle.member("type").and_then(Value::as_str).unwrap_or("");
    if bundle.member("total").is_some() && !matches!(bundle_type, "searchset" | "history") {
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::BusinessRule,
            "bundle-total-not-allowed",
            "Bundle.total",
            format!("total is only allowed in a searchset or history Bundle, not in a {bundle_type} (bdl-1)"),
        ));
    }
    check_links(bundle, issues);
    let entries: &[Value] = bundle
        .member("entry")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    check_first_entry(bundle_type, entries, issues);
    let transaction = matches!(bundle_type, "transaction" | "batch");
    let response = matches!(bundle_type, "transaction-response" | "batch-response");
    let history = bundle_type == "history";
    // fullUrl (and versionId) → the first entry that has it.
    let mut seen: FxHashMap<(&str, Option<&str>), usize> = FxHashMap::default();
    for (idx, entry) in entries.iter().enumerate() {
        // The location is built only for an issue.
        let at = || format!("Bundle.entry[{idx}]");
        let resource = entry.member("resource");
        match entry.member("fullUrl").and_then(Value::as_str) {
            Some(full_url) => {
                check_full_url(cx, full_url, resource, &at, issues);
                let version = resource
                    .and_then(|r| r.member("meta").and_then(|v| v.member("versionId")))
                    .and_then(Value::as_str);
                if let Some(first) = seen.insert((full_url, version), idx)
                    && !history
                {
                    seen.insert((full_url, version), first);
                    issues.push(Issue::new(
                        IssueSeverity::Error,
                        IssueType::BusinessRule,
                        "bundle-fullurl-duplicate",
                        at(),
                        format!(
                            "The fullUrl '{full_url}' is also used by Bundle.entry[{first}]; entries with the same fullUrl must have different meta.versionId (bdl-7)"
                        ),
                    ));
                }
            }
            None if resource.is_some() && !transaction => issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Invalid,
                "bundle-fullurl-missing",
                at(),
                "Except for transactions and batches, each entry in a Bundle must have a fullUrl which is the identity of the resource in the entry",
            )),
            None => {}
        }
        let has_request = entry.member("request").is_some();
        if transaction && !has_request {
            issues.push(entry_issue(
                &at(),
                "bundle-request-missing",
                format!("Each entry of a {bundle_type} Bundle must have a request (method and url) (bdl-3)"),
            ));
        } else if has_request && !transaction && !history {
            issues.push(entry_issue(
                &at(),
                "bundle-request-not-allowed",
                format!("An entry of a {bundle_type} Bundle must not have a request (bdl-3)"),
            ));
        }
        let has_response = entry.member("response").is_some();
        if response && !has_response {
            issues.push(entry_issue(
                &at(),
                "bundle-response-missing",
                format!("Each entry of a {bundle_type} Bundle must have a response (bdl-4)"),
            ));
        } else if has_response && !response && !history {
            issues.push(entry_issue(
                &at(),
                "bundle-response-not-allowed",
                format!("An entry of a {bundle_type} Bundle must not have a response (bdl-4)"),
            ));
        }
        if entry.member("search").is_some() && bundle_type != "searchset" {
            issues.push(entry_issue(
                &at(),
                "bundle-search-not-allowed",
                format!("entry.search is only allowed in a searchset Bundle, not in a {bundle_type} (bdl-2)"),
            ));
        }
    }
}

fn entry_issue(at: &str, message_id: &'static str, message: String) -> Issue {
    Issue::new(
        IssueSeverity::Error,
        IssueType::BusinessRule,
        message_id,
        at,
        message,
    )
}

fn check_first_entry(bundle_type: &str, entries: &[Value], issues: &mut Vec<Issue>) {
    let (wanted, key) = match bundle_type {
        "document" => ("Composition", "bdl-11"),
        "message" => ("MessageHeader", "bdl-12"),
        _ => return,
    };
    let first_type = entries
        .first()
        .and_then(|entry| {
            entry
                .member("resource")
                .and_then(|v| v.member("resourceType"))
        })
        .and_then(Value::as_str);
    if first_type != Some(wanted) {
        let at = if entries.is_empty() {
            "Bundle"
        } else {
            "Bundle.entry[0]"
        };
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::BusinessRule,
            "bundle-first-entry",
            at,
            format!(
                "The first entry of a {bundle_type} Bundle must be a {wanted}, not {} ({key})",
                first_type.unwrap_or("missing")
            ),
        ));
    }
}

fn check_full_url(
    cx: Cx<'_>,
    full_url: &str,
    resource: Option<&Value>,
    at: &dyn Fn() -> String,
    issues: &mut Vec<Issue>,
) {
    if let Some(uuid) = full_url.strip_prefix("urn:uuid:") {
        if !is_lowercase_uuid(uuid) {
            issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Invalid,
                "bundle-fullurl-uuid",
                format!("{}.fullUrl", at()),
                format!("UUIDs must be valid and lowercase ({uuid})"),
            ));
        }
        return;
    }
    if full_url.starts_with("urn:oid:") {
        return;
    }
    if !has_scheme(full_url) {
        issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Invalid,
            "bundle-fullurl-relative",
            at(),
            format!("The fullUrl must be an absolute URL (not '{full_url}')"),
        ));
        return;
    }
    let Some(resource) = resource else {
        return;
    };
    let Some((url_type, url_id)) = restful_type_and_id(cx, full_url) else {
        return;
    };
    let resource_type = resource.member("resourceType").and_then(Value::as_str);
    match resource.member("id").and_then(Value::as_str) {
        None => issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Invalid,
            "bundle-fullurl-no-id",
            at(),
            format!("The fullUrl '{full_url}' looks like a RESTful server URL, but the resource has no id"),
        )),
        Some(id) if id != url_id || resource_type != Some(url_type) => issues.push(Issue::new(
            IssueSeverity::Error,
            IssueType::Invalid,
            "bundle-fullurl-mismatch",
            at(),
            format!(
                "The fullUrl '{full_url}' looks like a RESTful server URL, so it must end with the correct type and id (/{}/{id})",
                resource_type.unwrap_or("?")
            ),
        )),
        Some(_) => {}
    }
}

/// `Type/id` at the end of an http(s) url's path (before an optional `/_history/v`).
fn restful_type_and_id<'a>(cx: Cx<'_>, url: &'a str) -> Option<(&'a str, &'a str)> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return None;
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = path.split_once("/_history/").map_or(path, |(path, _)| path);
    let mut segments = path.rsplit('/');
    let id = segments.next()?;
    let resource_type = segments.next()?;
    let known = cx
        .registry
        .base_type(resource_type)
        .is_some_and(|def| def.kind == StructureKind::Resource);
    (known && !id.is_empty()).then_some((resource_type, id))
}

/// `scheme:` per RFC 3986: a letter, then letters, digits, `+`, `-` or `.`.
fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn is_lowercase_uuid(text: &str) -> bool {
    let mut groups = text.split('-');
    let lengths_and_digits = [8, 4, 4, 4, 12].iter().all(|&len| {
        groups.next().is_some_and(|group| {
            group.len() == len
                && group
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
    });
    lengths_and_digits && groups.next().is_none()
}

/// Reports a `Bundle.link` whose relation an earlier link already has.
fn check_links(bundle: &Value, issues: &mut Vec<Issue>) {
    let links = bundle.member("link").and_then(Value::as_array);
    let mut seen: Vec<&str> = Vec::new();
    for (idx, link) in links.into_iter().flatten().enumerate() {
        let Some(relation) = link.member("relation").and_then(Value::as_str) else {
            continue;
        };
        if seen.contains(&relation) {
            issues.push(Issue::new(
                IssueSeverity::Error,
                IssueType::Invalid,
                "bundle-link-duplicate",
                format!("Bundle.link[{idx}]"),
                format!("The link relationship type '{relation}' can only occur once"),
            ));
        } else {
            seen.push(relation);
        }
    }
}
