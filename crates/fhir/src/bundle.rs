//! Building transaction, batch and collection Bundles.
//!
//! The translator writes each resource with its deterministic id (see [`crate::ids`]) and adds
//! it to a [`BundleBuilder`], in a meaningful order (the Patient first, and so on). The builder
//! keeps that order and, at [`BundleBuilder::build`]:
//! - gives every entry the `fullUrl` `urn:uuid:<id>`;
//! - rewrites references between entries (`"reference": "Patient/<id>"`) to the target's
//!   `fullUrl`, so the server links them to whatever ids it assigns (transaction and collection
//!   Bundles only, see [`BundleKind::Batch`]);
//! - adds a `request` to each entry of a transaction or batch (see [`ConditionalMode`]).
//!
//! Output is deterministic: the same inputs give byte-identical JSON. There is no wall clock
//! here; the Bundle's timestamp comes from the caller (for example the message time).
//!
//! Why these requests: delivery is at least once, so every request must be safe to repeat.
//! - With a business identifier, a conditional update `PUT Type?identifier=<system>|<value>`
//!   updates the server's record for that identifier, or creates it if none exists, whatever id
//!   the server gave it. With [`ConditionalMode::Create`] it is `POST Type` with
//!   `ifNoneExist: identifier=<system>|<value>` instead, for servers or resources where an
//!   existing record must not be overwritten.
//! - Without one, `PUT Type/<id>` (update as create): the id is deterministic, so a replay
//!   overwrites the same resource instead of creating a second one. The server must allow
//!   client-assigned ids.
//!
//! The system and value in those queries are escaped as FHIR search requires (`\|`, `\,`, `\$`
//! and `\\` stand for the characters themselves) and then percent-encoded (RFC 3986): only
//! letters, digits, `-._~` and `:/@` are written as they are, so a system URI stays readable.
//! The `|` between system and value is written as is, as in the FHIR specification's examples.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::datatypes::Meta;

/// The kind of Bundle to build (`Bundle.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BundleKind {
    /// `transaction`: all entries succeed or fail together; `urn:uuid:` references between
    /// entries are resolved by the server. The normal kind for delivery.
    Transaction,
    /// `batch`: entries are processed independently, and a server does not resolve references
    /// between them. So references are not rewritten to `urn:uuid:` in a batch: they stay
    /// `Type/<id>`, which resolves on the server when the target was written with
    /// `PUT Type/<id>` (no business identifier).
    Batch,
    /// `collection`: a set of resources with no request, for files and for the CRM store.
    Collection,
}

impl BundleKind {
    /// The `Bundle.type` code.
    pub fn code(self) -> &'static str {
        match self {
            BundleKind::Transaction => "transaction",
            BundleKind::Batch => "batch",
            BundleKind::Collection => "collection",
        }
    }
}

/// How entries with a business identifier are written in a transaction or batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ConditionalMode {
    /// `PUT Type?identifier=<system>|<value>`: create or update the record for that identifier.
    #[default]
    Update,
    /// `POST Type` with `ifNoneExist: identifier=<system>|<value>`: create it only if no record
    /// has that identifier; never overwrite.
    Create,
}

/// The business identifier an entry is matched on by the server (`Identifier.system` and
/// `Identifier.value`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConditionalKey {
    /// The identifier's system.
    pub system: String,
    /// The identifier's value.
    pub value: String,
}

/// A resource to add to a Bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryInput {
    /// The resource, with `resourceType` and `id` set; the id must be a UUID in its canonical
    /// form (lower-case, hyphenated), as [`crate::ids`] makes them.
    pub resource: Value,
    /// The business identifier for a conditional request, if the resource has one.
    pub conditional_key: Option<ConditionalKey>,
}

impl EntryInput {
    /// An entry without a business identifier.
    pub fn new(resource: Value) -> EntryInput {
        EntryInput {
            resource,
            conditional_key: None,
        }
    }

    /// An entry matched on the business identifier `system|value`.
    pub fn conditional(resource: Value, system: &str, value: &str) -> EntryInput {
        EntryInput {
            resource,
            conditional_key: Some(ConditionalKey {
                system: system.to_owned(),
                value: value.to_owned(),
            }),
        }
    }
}

/// A reference that points at nothing in the Bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedReference {
    /// The `fullUrl` of the entry holding the reference.
    pub full_url: String,
    /// Where the reference is, FHIRPath-like: `Observation.performer[1].reference`.
    pub path: String,
    /// The reference as written.
    pub reference: String,
}

/// An entry that cannot be added to a Bundle. `entry_idx` counts `add` calls from zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The resource is not a JSON object with a string `resourceType`.
    #[error("entry {entry_idx}: not a resource (no resourceType)")]
    NotAResource {
        /// The entry's position.
        entry_idx: usize,
    },
    /// The `resourceType` is not a type name (an upper-case ASCII letter, then letters).
    #[error("entry {entry_idx}: {resource_type:?} is not a resource type")]
    BadResourceType {
        /// The entry's position.
        entry_idx: usize,
        /// The rejected type.
        resource_type: String,
    },
    /// The resource has no string `id`.
    #[error("entry {entry_idx}: {resource_type} has no id")]
    MissingId {
        /// The entry's position.
        entry_idx: usize,
        /// The resource's type.
        resource_type: String,
    },
    /// The `id` is not a UUID in canonical form, so it cannot make a `urn:uuid:` fullUrl.
    #[error("entry {entry_idx}: {resource_type}/{id} does not have a canonical UUID id")]
    IdNotUuid {
        /// The entry's position.
        entry_idx: usize,
        /// The resource's type.
        resource_type: String,
        /// The rejected id.
        id: String,
    },
    /// Another entry already has this fullUrl: the translator must merge the same entity
    /// before adding it.
    #[error(
        "entry {entry_idx}: duplicate entry {full_url} ({resource_type}), first added as entry {first_idx}"
    )]
    DuplicateEntry {
        /// The entry's position.
        entry_idx: usize,
        /// The fullUrl both entries have.
        full_url: String,
        /// The type of the rejected resource.
        resource_type: String,
        /// The position of the entry added first.
        first_idx: usize,
    },
    /// The conditional key has a blank system or value.
    #[error("entry {entry_idx}: {full_url} has a conditional key with a blank system or value")]
    BlankConditionalKey {
        /// The entry's position.
        entry_idx: usize,
        /// The entry's fullUrl.
        full_url: String,
    },
}

/// An entry accepted by [`BundleBuilder::add`].
#[derive(Debug, Clone)]
struct PendingEntry {
    full_url: String,
    resource_type: String,
    id: String,
    resource: Value,
    conditional_key: Option<ConditionalKey>,
}

/// Builds one Bundle; see the module docs.
#[derive(Debug, Clone)]
pub struct BundleBuilder {
    kind: BundleKind,
    bundle_id: Uuid,
    timestamp: Option<String>,
    conditional_mode: ConditionalMode,
    meta: Option<Value>,
    entries: Vec<PendingEntry>,
    /// Entry index by resource id (every fullUrl is `urn:uuid:<id>`).
    entry_idx_by_id: foldhash::HashMap<String, usize>,
}

impl BundleBuilder {
    /// A builder for a Bundle of `kind` with id `bundle_id` and `Bundle.timestamp` `timestamp`
    /// (an `instant`, such as the message time; left out when `None` or blank).
    pub fn new(kind: BundleKind, bundle_id: Uuid, timestamp: Option<String>) -> BundleBuilder {
        BundleBuilder {
            kind,
            bundle_id,
            timestamp,
            conditional_mode: ConditionalMode::default(),
            meta: None,
            entries: Vec::new(),
            entry_idx_by_id: foldhash::HashMap::default(),
        }
    }

    /// Uses `mode` for entries with a business identifier ([`ConditionalMode::Update`] unless
    /// set).
    pub fn with_conditional_mode(mut self, mode: ConditionalMode) -> BundleBuilder {
        self.conditional_mode = mode;
        self
    }

    /// Sets `Bundle.meta`.
    pub fn with_meta(mut self, meta: &Meta) -> BundleBuilder {
        self.meta = meta.to_json();
        self
    }

    /// The number of entries added.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an entry after the ones already added and returns its `fullUrl`.
    pub fn add(&mut self, entry: EntryInput) -> Result<String, BundleError> {
        let entry_idx = self.entries.len();
        let resource_type = entry
            .resource
            .get("resourceType")
            .and_then(Value::as_str)
            .ok_or(BundleError::NotAResource { entry_idx })?
            .to_owned();
        if !is_resource_type(&resource_type) {
            return Err(BundleError::BadResourceType {
                entry_idx,
                resource_type,
            });
        }
        let Some(id) = entry.resource.get("id").and_then(Value::as_str) else {
            return Err(BundleError::MissingId {
                entry_idx,
                resource_type,
            });
        };
        let id = id.to_owned();
        let is_canonical_uuid = Uuid::try_parse(&id)
            .map(|uuid| {
                let mut buffer = Uuid::encode_buffer();
                *uuid.hyphenated().encode_lower(&mut buffer) == *id
            })
            .unwrap_or(false);
        if !is_canonical_uuid {
            return Err(BundleError::IdNotUuid {
                entry_idx,
                resource_type,
                id,
            });
        }
        let full_url = ["urn:uuid:", &id].concat();
        if let Some(&first_idx) = self.entry_idx_by_id.get(&id) {
            return Err(BundleError::DuplicateEntry {
                entry_idx,
                full_url,
                resource_type,
                first_idx,
            });
        }
        if let Some(key) = &entry.conditional_key
            && (key.system.trim().is_empty() || key.value.trim().is_empty())
        {
            return Err(BundleError::BlankConditionalKey {
                entry_idx,
                full_url,
            });
        }
        self.entry_idx_by_id.insert(id.clone(), entry_idx);
        self.entries.push(PendingEntry {
            full_url: full_url.clone(),
            resource_type,
            id,
            resource: entry.resource,
            conditional_key: entry.conditional_key,
        });
        Ok(full_url)
    }

    /// References that point at nothing in the Bundle, in entry order, then document order.
    ///
    /// Reported: relative references (`Type/id`, including versioned ones) that are not
    /// `Type/id` of an entry, and `urn:` references that are not an entry's fullUrl (a `urn:`
    /// can only resolve inside the Bundle, and never in a batch). Not reported: local references to contained
    /// resources (`#id`) and absolute URLs, which point outside on purpose.
    pub fn unresolved_references(&self) -> Vec<UnresolvedReference> {
        let mut unresolved = Vec::new();
        for entry in &self.entries {
            let mut path = entry.resource_type.clone();
            visit_references(&entry.resource, &mut path, &mut |path, reference| {
                let resolved = match reference_kind(reference) {
                    ReferenceKind::Local | ReferenceKind::Absolute => true,
                    ReferenceKind::Urn => {
                        self.kind != BundleKind::Batch
                            && reference
                                .strip_prefix("urn:uuid:")
                                .is_some_and(|id| self.entry_idx_by_id.contains_key(id))
                    }
                    ReferenceKind::Relative => self.entry_for_relative(reference).is_some(),
                };
                if !resolved {
                    unresolved.push(UnresolvedReference {
                        full_url: entry.full_url.clone(),
                        path: path.to_owned(),
                        reference: reference.to_owned(),
                    });
                }
            });
        }
        unresolved
    }

    /// The Bundle: `resourceType`, `id`, `meta`, `type`, `timestamp`, `entry` (each `fullUrl`,
    /// `resource`, `request`), members in R4 order, empty ones left out.
    pub fn build(mut self) -> Value {
        if self.kind != BundleKind::Batch {
            for entry_idx in 0..self.entries.len() {
                let mut resource = std::mem::take(&mut self.entries[entry_idx].resource);
                self.rewrite_references(&mut resource);
                self.entries[entry_idx].resource = resource;
            }
        }
        let mut entries = Vec::with_capacity(self.entries.len());
        for entry in self.entries {
            let request = request(self.kind, self.conditional_mode, &entry);
            let mut members = Map::new();
            members.insert("fullUrl".to_owned(), Value::String(entry.full_url));
            members.insert("resource".to_owned(), entry.resource);
            if let Some(request) = request {
                members.insert("request".to_owned(), request);
            }
            entries.push(Value::Object(members));
        }

        let mut bundle = Map::new();
        bundle.insert("resourceType".to_owned(), Value::from("Bundle"));
        bundle.insert(
            "id".to_owned(),
            Value::String(crate::ids::id_text(&self.bundle_id)),
        );
        if let Some(meta) = self.meta {
            bundle.insert("meta".to_owned(), meta);
        }
        bundle.insert("type".to_owned(), Value::from(self.kind.code()));
        if let Some(timestamp) = self.timestamp.filter(|text| !text.trim().is_empty()) {
            bundle.insert("timestamp".to_owned(), Value::String(timestamp));
        }
        if !entries.is_empty() {
            bundle.insert("entry".to_owned(), Value::Array(entries));
        }
        Value::Object(bundle)
    }

    /// The entry a relative reference (`Type/id`, exactly) names.
    fn entry_for_relative(&self, reference: &str) -> Option<&PendingEntry> {
        let (resource_type, id) = reference.split_once('/')?;
        let entry = self.entries.get(*self.entry_idx_by_id.get(id)?)?;
        (entry.resource_type == resource_type).then_some(entry)
    }

    /// Replaces every string member named `reference` in `value` that is `Type/id` of an entry
    /// with that entry's fullUrl. Local references (`#id`) and others stay.
    fn rewrite_references(&self, value: &mut Value) {
        match value {
            Value::Object(members) => {
                for (name, member) in members.iter_mut() {
                    match member {
                        Value::String(reference) if name == "reference" => {
                            if let Some(entry) = self.entry_for_relative(reference) {
                                reference.clone_from(&entry.full_url);
                            }
                        }
                        _ => self.rewrite_references(member),
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.rewrite_references(item);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }
}

/// An entry's `request` (method, url, ifNoneExist in R4 order), or `None` in a collection.
fn request(kind: BundleKind, mode: ConditionalMode, entry: &PendingEntry) -> Option<Value> {
    if kind == BundleKind::Collection {
        return None;
    }
    let resource_type = &entry.resource_type;
    let mut request = Map::new();
    match (&entry.conditional_key, mode) {
        (Some(key), ConditionalMode::Update) => {
            request.insert("method".to_owned(), Value::from("PUT"));
            let url = format!("{resource_type}?{}", identifier_query(key));
            request.insert("url".to_owned(), Value::String(url));
        }
        (Some(key), ConditionalMode::Create) => {
            request.insert("method".to_owned(), Value::from("POST"));
            request.insert("url".to_owned(), Value::String(resource_type.clone()));
            request.insert(
                "ifNoneExist".to_owned(),
                Value::String(identifier_query(key)),
            );
        }
        (None, _) => {
            request.insert("method".to_owned(), Value::from("PUT"));
            let url = [resource_type, "/", &entry.id].concat();
            request.insert("url".to_owned(), Value::String(url));
        }
    }
    Some(Value::Object(request))
}

/// Whether `text` is a resource type name: an upper-case ASCII letter, then ASCII letters.
fn is_resource_type(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphabetic())
}

/// `identifier=<system>|<value>`, escaped and percent-encoded (see the module docs).
fn identifier_query(key: &ConditionalKey) -> String {
    format!(
        "identifier={}|{}",
        percent_encode(&escape_search_value(&key.system)),
        percent_encode(&escape_search_value(&key.value))
    )
}

/// Escapes the characters FHIR search gives a meaning to: `\`, `|`, `,` and `$`.
fn escape_search_value(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '|' | ',' | '$') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Percent-encodes the UTF-8 bytes of `text`, except letters, digits, `-._~` and `:/@`.
fn percent_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:/@".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    encoded
}

/// What a `reference` string points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReferenceKind {
    /// `#id`: a contained resource.
    Local,
    /// `urn:uuid:...` or `urn:oid:...`: only resolvable inside the Bundle.
    Urn,
    /// Another absolute URI (`http://server/fhir/Patient/1`).
    Absolute,
    /// `Type/id`, possibly versioned.
    Relative,
}

fn reference_kind(reference: &str) -> ReferenceKind {
    if reference.starts_with('#') {
        return ReferenceKind::Local;
    }
    if reference.starts_with("urn:") {
        return ReferenceKind::Urn;
    }
    // A URI scheme: letters, digits, `+-.`, then `:` before any `/`.
    let has_scheme = reference.split_once(':').is_some_and(|(scheme, _)| {
        scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if has_scheme {
        ReferenceKind::Absolute
    } else {
        ReferenceKind::Relative
    }
}

/// Calls `visit(path, reference)` for every string member named `reference` in `value`, at any
/// depth, in document order. `path` holds the path to `value` and is restored on return.
fn visit_references(value: &Value, path: &mut String, visit: &mut dyn FnMut(&str, &str)) {
    let path_len = path.len();
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                path.push('.');
                path.push_str(name);
                match member {
                    Value::String(reference) if name == "reference" => visit(path, reference),
                    _ => visit_references(member, path, visit),
                }
                path.truncate(path_len);
            }
        }
        Value::Array(items) => {
            for (item_idx, item) in items.iter().enumerate() {
                path.push('[');
                path.push_str(&item_idx.to_string());
                path.push(']');
                visit_references(item, path, visit);
                path.truncate(path_len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding() {
        let cases = [
            ("abcXYZ019-._~", "abcXYZ019-._~"),
            ("http://h.example/mrn", "http://h.example/mrn"),
            ("urn:oid:1.2.3", "urn:oid:1.2.3"),
            ("a@b", "a@b"),
            ("a b", "a%20b"),
            ("a|b", "a%7Cb"),
            ("a&b=c", "a%26b%3Dc"),
            ("a+b", "a%2Bb"),
            ("a?b#c", "a%3Fb%23c"),
            ("100%", "100%25"),
            ("\\", "%5C"),
            ("é", "%C3%A9"),
            ("日本", "%E6%97%A5%E6%9C%AC"),
            ("\u{1F600}", "%F0%9F%98%80"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(percent_encode(text), expected, "{text:?}");
        }
    }

    #[test]
    fn search_escaping() {
        let cases = [
            ("plain", "plain"),
            ("a|b", "a\\|b"),
            ("a,b", "a\\,b"),
            ("$x", "\\$x"),
            ("a\\b", "a\\\\b"),
            ("\\|", "\\\\\\|"),
        ];
        for (text, expected) in cases {
            assert_eq!(escape_search_value(text), expected, "{text:?}");
        }
    }

    #[test]
    fn identifier_queries() {
        let cases = [
            (
                "http://h.example/mrn",
                "123",
                "identifier=http://h.example/mrn|123",
            ),
            ("urn:sys|x", "1|2", "identifier=urn:sys%5C%7Cx|1%5C%7C2"),
            ("sys", "a&b c", "identifier=sys|a%26b%20c"),
            ("sys", "Müller,1", "identifier=sys|M%C3%BCller%5C%2C1"),
        ];
        for (system, value, expected) in cases {
            let key = ConditionalKey {
                system: system.to_owned(),
                value: value.to_owned(),
            };
            assert_eq!(identifier_query(&key), expected, "{system:?} {value:?}");
        }
    }

    #[test]
    fn reference_kinds() {
        let cases = [
            ("#med1", ReferenceKind::Local),
            ("#", ReferenceKind::Local),
            ("urn:uuid:0000", ReferenceKind::Urn),
            ("urn:oid:1.2.3", ReferenceKind::Urn),
            ("http://server/fhir/Patient/1", ReferenceKind::Absolute),
            ("https://s/Patient/1/_history/2", ReferenceKind::Absolute),
            ("Patient/1", ReferenceKind::Relative),
            ("Patient/1/_history/2", ReferenceKind::Relative),
            ("Patient/a:b", ReferenceKind::Relative),
            (":x", ReferenceKind::Relative),
        ];
        for (reference, expected) in cases {
            assert_eq!(reference_kind(reference), expected, "{reference:?}");
        }
    }

    #[test]
    fn resource_type_names() {
        let cases = [
            ("Patient", true),
            ("MedicationRequest", true),
            ("patient", false),
            ("", false),
            ("Patient/1", false),
            ("Pat ient", false),
            ("Patient1", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_resource_type(text), expected, "{text:?}");
        }
    }
}
