//! Content checks on `string` and `markdown` values: text that looks like HTML tags, which a
//! presentation layer may render (the Java validator's `security-checks` and
//! `noHtmlInMarkdown` settings, see [`Checks`](crate::validate::Checks)).

use super::Walker;
use crate::validate::{IssueSeverity, IssueType};

/// Checks the text of a primitive value of type `type_code`.
pub(super) fn check(walker: &mut Walker<'_>, text: &str, type_code: &str) {
    if !matches!(type_code, "string" | "markdown") {
        return;
    }
    if walker.checks.security && contains_html_tags(text) {
        walker.error(
            IssueType::Invalid,
            "security-html",
            "The string value contains text that looks like embedded HTML tags, which are not allowed for security reasons in this context".into(),
        );
        return;
    }
    if type_code == "string" {
        if contains_html_tags(text) {
            walker.issue(
                IssueSeverity::Information,
                IssueType::Invalid,
                "security-html",
                "The string value contains text that looks like embedded HTML tags. If this content is rendered to HTML without appropriate post-processing, it may be a security risk".into(),
            );
        }
        return;
    }
    if let Some(start) = html_in_markdown(text) {
        let severity = if walker.checks.no_html_in_markdown {
            IssueSeverity::Error
        } else {
            IssueSeverity::Warning
        };
        walker.issue(
            severity,
            IssueType::Invalid,
            "markdown-html",
            format!(
                "The markdown contains content that appears to be an embedded HTML tag starting at '{start}'. This will (or SHOULD) be escaped by the presentation layer. The content should be checked to confirm that this is the desired behaviour"
            ),
        );
    }
}

/// Whether `text` holds `<tag …>` followed by another `<` (an opening tag with its closing
/// one, `<b>x</b>`): a tag name of a letter then word characters, then optional attributes.
/// A lone `a < b > c` is not a tag.
fn contains_html_tags(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let (Some(close), Some(next)) = (rest.find('>'), rest.find('<')) else {
            return false;
        };
        if close < next && is_tag(&rest[..close]) {
            return true;
        }
    }
    false
}

/// `name` or `name attributes…`: a letter, word characters, then whitespace-led text.
fn is_tag(inside: &str) -> bool {
    let mut chars = inside.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let tail = chars.as_str();
    let name_end = tail
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(tail.len());
    let attributes = &tail[name_end..];
    attributes.is_empty() || attributes.starts_with(char::is_whitespace)
}

/// Where markdown text has `<` followed by a letter or `/` (outside `` `code` ``): the two
/// characters that start what a markdown renderer would pass through as HTML.
fn html_in_markdown(text: &str) -> Option<String> {
    let mut in_code = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => in_code = !in_code,
            '<' if !in_code => {
                if let Some(&next) = chars
                    .peek()
                    .filter(|n| n.is_ascii_alphabetic() || **n == '/')
                {
                    return Some(format!("<{next}"));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{contains_html_tags, html_in_markdown};

    #[test]
    fn html_tags_in_strings() {
        for (text, expect) in [
            ("<b>bold</b>", true),
            ("<a href='x'>link</a>", true),
            ("plain text", false),
            ("a < b and c > d", false),
            ("1 <2> 3", false),
            ("<b>unclosed", false),
        ] {
            assert_eq!(contains_html_tags(text), expect, "{text}");
        }
    }

    #[test]
    fn html_in_markdown_text() {
        for (text, expect) in [
            ("<resource type>\\<id>", Some("<r")),
            ("a < b", None),
            ("`<code>` only", None),
            ("end </p>", Some("</")),
        ] {
            assert_eq!(html_in_markdown(text).as_deref(), expect, "{text}");
        }
    }
}
