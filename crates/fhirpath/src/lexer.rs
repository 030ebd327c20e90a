//! The FHIRPath lexer: expression text to tokens with their byte offsets.

use crate::ParseError;

/// One token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier, keyword or delimited (backtick) identifier.
    Ident(String),
    /// A delimited identifier (`` `div` ``): never a keyword.
    Delimited(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// A number literal as written (`1`, `1.50`).
    Number(String),
    /// A date, date-time or time literal without its `@`.
    Temporal(String),
    /// `%name`, `` %`name` `` or `%'name'`.
    Constant(String),
    /// `$this`, `$index`, `$total`.
    Special(String),
    /// Punctuation or operator symbol.
    Sym(&'static str),
    /// End of input.
    End,
}

/// A token with its byte offset.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const SYMBOLS: [&str; 22] = [
    "<=", ">=", "!=", "!~", ".", "[", "]", "(", ")", "{", "}", ",", "+", "-", "*", "/", "|", "&",
    "=", "~", "<", ">",
];

/// Splits `text` into tokens; comments and whitespace are skipped.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let err = |pos: usize, message: &str| ParseError {
        position: pos,
        message: message.to_owned(),
    };
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if text[i..].starts_with("/*") {
            match text[i + 2..].find("*/") {
                Some(n) => i = i + 2 + n + 2,
                None => return Err(err(i, "unterminated comment")),
            }
            continue;
        }
        let start = i;
        let tok = if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Tok::Ident(text[start..i].to_owned())
        } else if c == b'`' {
            let (value, next) = quoted(text, i, b'`')?;
            i = next;
            Tok::Delimited(value)
        } else if c == b'\'' {
            let (value, next) = quoted(text, i, b'\'')?;
            i = next;
            Tok::Str(value)
        } else if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let number = text[start..i].to_owned();
            if i < bytes.len() && bytes[i] == b'L' {
                i += 1;
            }
            Tok::Number(number)
        } else if c == b'@' {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || matches!(bytes[i], b'-' | b':')
                    || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            // A time zone offset: `+hh:mm` or `-hh:mm` right after a time part.
            if i < bytes.len()
                && matches!(bytes[i], b'+' | b'-')
                && text[start..i].contains('T')
                && text.get(i + 1..i + 6).is_some_and(|tz| {
                    tz.as_bytes().iter().enumerate().all(|(n, b)| {
                        if n == 2 {
                            *b == b':'
                        } else {
                            b.is_ascii_digit()
                        }
                    })
                })
            {
                i += 6;
            }
            Tok::Temporal(text[start + 1..i].to_owned())
        } else if c == b'%' {
            i += 1;
            match bytes.get(i) {
                Some(b'`') => {
                    let (value, next) = quoted(text, i, b'`')?;
                    i = next;
                    Tok::Constant(value)
                }
                Some(b'\'') => {
                    let (value, next) = quoted(text, i, b'\'')?;
                    i = next;
                    Tok::Constant(value)
                }
                _ => {
                    let name_start = i;
                    while i < bytes.len()
                        && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-'))
                    {
                        i += 1;
                    }
                    if name_start == i {
                        return Err(err(start, "expected a constant name after %"));
                    }
                    Tok::Constant(text[name_start..i].to_owned())
                }
            }
        } else if c == b'$' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            Tok::Special(text[start..i].to_owned())
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            i += symbol.len();
            Tok::Sym(symbol)
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(err(i, &format!("unexpected character {ch:?}")));
        };
        tokens.push(Token { tok, pos: start });
    }
    tokens.push(Token {
        tok: Tok::End,
        pos: text.len(),
    });
    Ok(tokens)
}

/// Reads a quoted string starting at `start` (the quote), resolving escapes; returns the value
/// and the offset after the closing quote.
fn quoted(text: &str, start: usize, quote: u8) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((n, ch)) = chars.next() {
        if ch as u32 == u32::from(quote) {
            return Ok((out, start + 1 + n + 1));
        }
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let Some((_, escaped)) = chars.next() else {
            break;
        };
        match escaped {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'f' => out.push('\u{c}'),
            'u' => {
                let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                let code = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                match code {
                    Some(c) if hex.len() == 4 => out.push(c),
                    _ => {
                        return Err(ParseError {
                            position: start + 1 + n,
                            message: "bad \\u escape".to_owned(),
                        });
                    }
                }
            }
            other => out.push(other),
        }
    }
    Err(ParseError {
        position: start,
        message: "unterminated quoted text".to_owned(),
    })
}
