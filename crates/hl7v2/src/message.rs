//! The parsed message and its borrowed views: segments, fields, repetitions,
//! components and subcomponents.
//!
//! A [`Message`] holds the text and an index of `u32` spans: one per segment
//! and one per field. Repetitions, components and subcomponents are split
//! lazily with `memchr` when asked for. Every view borrows from the message;
//! asking for something absent returns an empty view, never an error.
//!
//! MSH (and FHS/BHS) use HL7 numbering: field 1 is the field separator and
//! field 2 the encoding characters; both are literal (never split or decoded).

use std::borrow::Cow;

use crate::delimiters::Delimiters;
use crate::escape;
use crate::header::MessageHeader;
use crate::path::Path;

/// A byte range `[start, end)` into the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        // Callers index at most u32::MAX bytes (parse truncates longer input).
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn of(self, text: &str) -> &str {
        text.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// One segment line in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentSpan {
    /// The whole line, without its terminator.
    pub(crate) line: Span,
    /// Index of the segment's name in `Message::fields`; its fields follow.
    pub(crate) first_field: u32,
    /// Number of spans: the name plus the fields.
    pub(crate) n_spans: u32,
    /// MSH, FHS or BHS: fields 1 and 2 are literal delimiters.
    pub(crate) header_like: bool,
}

/// A parsed HL7v2 message: the text plus an index of its segments and fields.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) delimiters: Delimiters,
    pub(crate) segments: Vec<SegmentSpan>,
    pub(crate) fields: Vec<Span>,
}

impl<'a> Message<'a> {
    /// The message text: borrowed from the input when it was UTF-8, else decoded.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The delimiters read from MSH-1 and MSH-2.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// The number of segments.
    pub fn n_segments(&self) -> usize {
        self.segments.len()
    }

    /// The segment at a 0-based index.
    pub fn segment(&self, segment_idx: usize) -> Option<Segment<'_>> {
        let span = self.segments.get(segment_idx)?;
        let start = span.first_field as usize;
        let spans = self
            .fields
            .get(start..start + span.n_spans as usize)
            .unwrap_or_default();
        Some(Segment {
            text: &self.text,
            line: span.line,
            spans,
            delimiters: self.delimiters,
            index: segment_idx,
            header_like: span.header_like,
        })
    }

    /// All segments in order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'_>> + '_ {
        (0..self.segments.len()).filter_map(|idx| self.segment(idx))
    }

    /// The segments with this id, in order.
    pub fn segments_named<'m>(&'m self, name: &'m str) -> impl Iterator<Item = Segment<'m>> + 'm {
        self.segments()
            .filter(move |segment| segment.name() == name)
    }

    /// The first segment with this id.
    pub fn first(&self, name: &str) -> Option<Segment<'_>> {
        self.segments().find(|segment| segment.name() == name)
    }

    /// The decoded value at a path such as `PID-3[2].1` or `OBX[2]-5.1`.
    ///
    /// Returns `None` when the path is invalid or the value is absent or empty
    /// (only separators, such as `^^`, count as empty).
    /// A path without a component returns the whole repetition, decoded, with
    /// its component separators in place.
    pub fn get(&self, path: &str) -> Option<Cow<'_, str>> {
        self.get_path(&Path::parse(path).ok()?)
    }

    /// The decoded value at a parsed [`Path`]; see [`Message::get`].
    pub fn get_path(&self, path: &Path) -> Option<Cow<'_, str>> {
        let segment = self
            .segments()
            .filter(|segment| segment.name() == path.segment)
            .nth(path.segment_occurrence.checked_sub(1)?)?;
        let repetition = segment.field(path.field).repetition(path.repetition);
        let (empty, value) = match (path.component, path.subcomponent) {
            (None, _) => (repetition.is_empty(), repetition.decoded()),
            (Some(component), None) => {
                let component = repetition.component(component);
                (component.is_empty(), component.decoded())
            }
            (Some(component), Some(sub)) => {
                let sub = repetition.component(component).subcomponent(sub);
                (sub.is_empty(), sub.decoded())
            }
        };
        (!empty).then_some(value)
    }

    /// The message identity read from MSH (empty when there is no MSH).
    pub fn header(&self) -> MessageHeader {
        MessageHeader::from_message(self)
    }
}

/// One segment of a message.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'m> {
    text: &'m str,
    line: Span,
    spans: &'m [Span],
    delimiters: Delimiters,
    index: usize,
    header_like: bool,
}

impl<'m> Segment<'m> {
    /// The segment id, such as `PID`.
    pub fn name(&self) -> &'m str {
        self.spans
            .first()
            .map(|span| span.of(self.text))
            .unwrap_or_default()
    }

    /// The whole segment line, without its terminator.
    pub fn raw(&self) -> &'m str {
        self.line.of(self.text)
    }

    /// The 0-based index of this segment in the message.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of fields present (the highest field number written).
    pub fn n_fields(&self) -> usize {
        self.spans.len().saturating_sub(1)
    }

    /// Field `n` (1-based, HL7 numbering); an empty field when absent or `n == 0`.
    pub fn field(&self, n: usize) -> Field<'m> {
        let raw = match n {
            0 => "",
            _ => self
                .spans
                .get(n)
                .map(|span| span.of(self.text))
                .unwrap_or_default(),
        };
        Field {
            raw,
            delimiters: self.delimiters,
            literal: self.header_like && (n == 1 || n == 2),
        }
    }

    /// Fields 1 to [`Segment::n_fields`], in order.
    pub fn fields(&self) -> impl Iterator<Item = Field<'m>> + 'm {
        let segment = *self;
        (1..=self.n_fields()).map(move |n| segment.field(n))
    }
}

/// The `n`th (1-based) piece of `raw` split at `separator`; empty when absent.
fn nth_piece(raw: &str, separator: u8, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    // A plain scan: pieces are short, where memchr's set-up costs more than it saves.
    let mut start = 0;
    let mut seen = 1;
    for (hit, _) in raw
        .bytes()
        .enumerate()
        .filter(|&(_, byte)| byte == separator)
    {
        if seen == n {
            return raw.get(start..hit).unwrap_or_default();
        }
        seen += 1;
        start = hit + 1;
    }
    if seen == n {
        raw.get(start..).unwrap_or_default()
    } else {
        ""
    }
}

/// All pieces of `raw` split at `separator`; none when `raw` is empty.
fn pieces(raw: &str, separator: u8) -> impl Iterator<Item = &str> {
    let mut rest = (!raw.is_empty()).then_some(raw);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr(separator, current.as_bytes()) {
            Some(hit) => {
                rest = current.get(hit + 1..);
                current.get(..hit)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

macro_rules! common_methods {
    () => {
        /// The text as written, escapes and separators included.
        pub fn raw(&self) -> &'m str {
            self.raw
        }

        /// True when nothing is valued: the text is empty or holds only
        /// repetition, component and subcomponent separators (such as `^^^`).
        /// HL7's explicit null `""` is a value, so it is not empty.
        pub fn is_empty(&self) -> bool {
            if self.literal {
                return self.raw.is_empty();
            }
            let d = &self.delimiters;
            self.raw
                .bytes()
                .all(|b| b == d.repetition || b == d.component || Some(b) == d.subcomponent)
        }

        /// The text with escape sequences decoded; borrowed when there are none.
        pub fn decoded(&self) -> Cow<'m, str> {
            if self.literal {
                Cow::Borrowed(self.raw)
            } else {
                escape::decode(self.raw, &self.delimiters)
            }
        }
    };
}

/// One field of a segment, possibly repeated.
#[derive(Debug, Clone, Copy)]
pub struct Field<'m> {
    raw: &'m str,
    delimiters: Delimiters,
    literal: bool,
}

impl<'m> Field<'m> {
    common_methods!();

    /// The repetitions, in order; none for an empty field.
    pub fn repetitions(&self) -> impl Iterator<Item = Repetition<'m>> + 'm {
        let (delimiters, literal) = (self.delimiters, self.literal);
        let separator = if literal {
            b'\n'
        } else {
            delimiters.repetition
        };
        pieces(self.raw, separator).map(move |raw| Repetition {
            raw,
            delimiters,
            literal,
        })
    }

    /// Repetition `n` (1-based); empty when absent.
    pub fn repetition(&self, n: usize) -> Repetition<'m> {
        let raw = if self.literal {
            if n == 1 { self.raw } else { "" }
        } else {
            nth_piece(self.raw, self.delimiters.repetition, n)
        };
        Repetition {
            raw,
            delimiters: self.delimiters,
            literal: self.literal,
        }
    }

    /// Component `n` (1-based) of the first repetition.
    pub fn component(&self, n: usize) -> Component<'m> {
        self.repetition(1).component(n)
    }
}

/// One repetition of a field.
#[derive(Debug, Clone, Copy)]
pub struct Repetition<'m> {
    raw: &'m str,
    delimiters: Delimiters,
    literal: bool,
}

impl<'m> Repetition<'m> {
    common_methods!();

    /// Component `n` (1-based); empty when absent.
    pub fn component(&self, n: usize) -> Component<'m> {
        let raw = if self.literal {
            if n == 1 { self.raw } else { "" }
        } else {
            nth_piece(self.raw, self.delimiters.component, n)
        };
        Component {
            raw,
            delimiters: self.delimiters,
            literal: self.literal,
        }
    }

    /// The components, in order; none for an empty repetition.
    pub fn components(&self) -> impl Iterator<Item = Component<'m>> + 'm {
        let (delimiters, literal) = (self.delimiters, self.literal);
        let separator = if literal { b'\n' } else { delimiters.component };
        pieces(self.raw, separator).map(move |raw| Component {
            raw,
            delimiters,
            literal,
        })
    }
}

/// One component of a repetition.
#[derive(Debug, Clone, Copy)]
pub struct Component<'m> {
    raw: &'m str,
    delimiters: Delimiters,
    literal: bool,
}

impl<'m> Component<'m> {
    common_methods!();

    /// Subcomponent `n` (1-based); empty when absent. Without a subcomponent
    /// separator the whole component is subcomponent 1.
    pub fn subcomponent(&self, n: usize) -> Subcomponent<'m> {
        let raw = match self.delimiters.subcomponent {
            Some(separator) if !self.literal => nth_piece(self.raw, separator, n),
            _ if n == 1 => self.raw,
            _ => "",
        };
        Subcomponent {
            raw,
            delimiters: self.delimiters,
            literal: self.literal,
        }
    }

    /// The subcomponents, in order; none for an empty component.
    pub fn subcomponents(&self) -> impl Iterator<Item = Subcomponent<'m>> + 'm {
        let (delimiters, literal) = (self.delimiters, self.literal);
        let separator = match delimiters.subcomponent {
            Some(separator) if !literal => separator,
            _ => b'\n',
        };
        pieces(self.raw, separator).map(move |raw| Subcomponent {
            raw,
            delimiters,
            literal,
        })
    }
}

/// One subcomponent of a component.
#[derive(Debug, Clone, Copy)]
pub struct Subcomponent<'m> {
    raw: &'m str,
    delimiters: Delimiters,
    literal: bool,
}

impl<'m> Subcomponent<'m> {
    common_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_piece_table() {
        let cases = [
            ("a^b^c", 1, "a"),
            ("a^b^c", 2, "b"),
            ("a^b^c", 3, "c"),
            ("a^b^c", 4, ""),
            ("a^b^c", 0, ""),
            ("", 1, ""),
            ("^", 2, ""),
            ("é^ü", 2, "ü"),
        ];
        for (raw, n, expected) in cases {
            assert_eq!(nth_piece(raw, b'^', n), expected, "{raw} {n}");
        }
    }

    #[test]
    fn emptiness() {
        let delimiters = Delimiters::default();
        let cases = [
            ("", true),
            ("^^^", true),
            ("~^&~", true),
            ("\"\"", false),
            ("^a", false),
            (" ", false),
        ];
        for (raw, expected) in cases {
            let field = Field {
                raw,
                delimiters,
                literal: false,
            };
            assert_eq!(field.is_empty(), expected, "{raw:?}");
            assert_eq!(
                field.repetition(1).component(1).is_empty(),
                field.repetition(1).component(1).raw().is_empty() || expected,
                "{raw:?}"
            );
        }
        let literal = Field {
            raw: "^~\\&",
            delimiters,
            literal: true,
        };
        assert!(!literal.is_empty());
    }

    #[test]
    fn pieces_table() {
        let cases: [(&str, &[&str]); 4] = [
            ("", &[]),
            ("a", &["a"]),
            ("a~~b", &["a", "", "b"]),
            ("~", &["", ""]),
        ];
        for (raw, expected) in cases {
            assert_eq!(pieces(raw, b'~').collect::<Vec<_>>(), expected, "{raw}");
        }
    }
}
