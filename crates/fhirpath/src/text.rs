//! `encode`, `decode`, `escape` and `unescape`: hex, base64, urlbase64, html and json.

use crate::ast::Func;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Applies `func` with `format` to `text`; `None` for an unknown format or undecodable text.
pub(crate) fn transform(func: Func, text: &str, format: &str) -> Option<String> {
    match (func, format) {
        (Func::Encode, "hex") => Some(text.bytes().map(|b| format!("{b:02x}")).collect()),
        (Func::Encode, "base64") => Some(base64_encode(text.as_bytes(), false)),
        (Func::Encode, "urlbase64") => Some(base64_encode(text.as_bytes(), true)),
        (Func::Decode, "hex") => {
            let bytes: Option<Vec<u8>> = (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
                .collect();
            String::from_utf8(bytes?).ok()
        }
        (Func::Decode, "base64") => String::from_utf8(base64_decode(text, false)?).ok(),
        (Func::Decode, "urlbase64") => String::from_utf8(base64_decode(text, true)?).ok(),
        (Func::Escape, "html") => Some(
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;"),
        ),
        (Func::Unescape, "html") => Some(
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        ),
        (Func::Escape, "json") => {
            let quoted = serde_json::to_string(text).ok()?;
            quoted.get(1..quoted.len() - 1).map(str::to_owned)
        }
        (Func::Unescape, "json") => json_unescape(text),
        _ => None,
    }
}

/// Reads the backslash escapes of a JSON string body; other characters, quotes included, stay.
fn json_unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let mut code = hex4(&mut chars)?;
                if (0xD800..0xDC00).contains(&code) {
                    // A surrogate pair: `\uD83D\uDE00`.
                    if chars.next()? != '\\' || chars.next()? != 'u' {
                        return None;
                    }
                    let low = hex4(&mut chars)?;
                    code = 0x10000 + ((code - 0xD800) << 10) + low.checked_sub(0xDC00)?;
                }
                char::from_u32(code)?
            }
            other => other,
        };
        out.push(escaped);
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut code = 0;
    for _ in 0..4 {
        code = code * 16 + chars.next()?.to_digit(16)?;
    }
    Some(code)
}

fn base64_encode(bytes: &[u8], url: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let idx = usize::try_from((n >> shift) & 63).unwrap_or(0);
                let c = char::from(BASE64.get(idx).copied().unwrap_or(b'A'));
                out.push(match c {
                    '+' if url => '-',
                    '/' if url => '_',
                    c => c,
                });
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str, url: bool) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut n_bits = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').chars() {
        let c = match c {
            '-' if url => '+',
            '_' if url => '/',
            c => c,
        };
        let value = BASE64.iter().position(|b| char::from(*b) == c)?;
        bits = (bits << 6) | u32::try_from(value).ok()?;
        n_bits += 6;
        if n_bits >= 8 {
            n_bits -= 8;
            out.push(u8::try_from((bits >> n_bits) & 0xff).ok()?);
        }
    }
    Some(out)
}
