//! The state of one message's conversion, shared by every segment and datatype mapping.
//!
//! [`Context`] does four jobs, so that the mappings stay small and cannot forget them:
//! - **Usage tracking.** Mappings read fields through [`Context::items`], [`Context::item`] or
//!   [`Context::text`], which mark the field as used. At the end, every segment, field and
//!   component that held data and was not used is listed in the [`Report`]: nothing is lost
//!   silently.
//! - **Resources and identity.** [`Context::add`] gives each resource a deterministic id (UUIDv5
//!   of the source system, the type and the business key) and merges the same entity met twice
//!   (the same practitioner in PV1-7 and OBR-16) into one resource.
//! - **Time.** [`Context::datetime`] keeps the precision of HL7 timestamps and takes the offset
//!   from the value, else from MSH-7, else from the site's configured zone at that instant; never
//!   from the host.
//! - **Issues.** Repairs and problems are recorded with their place.

use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;

use fhir::bundle::ConditionalKey;
use hl7v2::{Component, Location, Message, MessageHeader, Repetition, Segment, Timestamp};
use serde_json::Value;
use uuid::Uuid;

use super::report::{Issue, IssueSeverity, Report, Unmapped, UnmappedKind};
use crate::site_config::SiteConfig;
use crate::vocab::Vocabulary;

/// How a resource is identified, which decides its id and whether two mentions are one entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceKey {
    /// A business identifier (`system|value`): the id is derived from it, and a transaction
    /// writes the resource with a conditional request on it.
    Identifier {
        /// The identifier's system (a URI).
        system: String,
        /// The identifier's value.
        value: String,
    },
    /// A natural key without an identifier system, such as a location's path or a person's
    /// name with their assigning authority. The id is derived from it; no conditional request.
    Natural(String),
    /// One per message, named by its role (for example `encounter` when PV1 has no visit
    /// number): the id is derived from the message control id and the role.
    Message(&'static str),
    /// One per segment occurrence: the id is derived from the message control id and the
    /// segment's index.
    Segment(usize),
}

/// A resource produced by the conversion, waiting for the Bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingResource {
    /// Its type, such as `Patient`.
    pub resource_type: String,
    /// Its deterministic id.
    pub id: Uuid,
    /// The resource.
    pub resource: Value,
    /// The business identifier for a conditional request, when there is one.
    pub conditional: Option<ConditionalKey>,
}

/// One repetition of a field, with its place in the message.
#[derive(Debug, Clone, Copy)]
pub struct Item<'m> {
    repetition: Repetition<'m>,
    segment_idx: usize,
    segment_id: &'m str,
    field: usize,
    repetition_number: usize,
}

impl<'m> Item<'m> {
    /// The repetition itself.
    pub fn repetition(&self) -> Repetition<'m> {
        self.repetition
    }

    /// Component `n` (1-based).
    pub fn component(&self, n: usize) -> Component<'m> {
        self.repetition.component(n)
    }

    /// Component `n`, decoded and trimmed; `None` when empty.
    pub fn text(&self, n: usize) -> Option<Cow<'m, str>> {
        non_empty(self.repetition.component(n).decoded())
    }

    /// Subcomponent `s` of component `n`, decoded and trimmed; `None` when empty.
    pub fn sub_text(&self, n: usize, s: usize) -> Option<Cow<'m, str>> {
        non_empty(self.repetition.component(n).subcomponent(s).decoded())
    }

    /// The whole repetition decoded (components joined by their separator); `None` when empty.
    pub fn whole(&self) -> Option<Cow<'m, str>> {
        non_empty(self.repetition.decoded())
    }

    /// How many components are written (the highest with data).
    pub fn n_components(&self) -> usize {
        self.repetition
            .components()
            .enumerate()
            .filter(|(_, component)| !component.is_empty())
            .map(|(idx, _)| idx + 1)
            .last()
            .unwrap_or(0)
    }

    /// The place of this repetition.
    pub fn location(&self) -> Location {
        Location {
            segment_idx: Some(self.segment_idx),
            segment_id: Some(self.segment_id.to_owned()),
            field: Some(self.field),
            repetition: Some(self.repetition_number),
            component: None,
            subcomponent: None,
        }
    }

    /// The place of component `n` of this repetition.
    pub fn component_location(&self, n: usize) -> Location {
        Location {
            component: Some(n),
            ..self.location()
        }
    }

    /// The segment index of this item in the message.
    pub fn segment_idx(&self) -> usize {
        self.segment_idx
    }
}

fn non_empty(text: Cow<'_, str>) -> Option<Cow<'_, str>> {
    match text {
        Cow::Borrowed(text) => {
            let trimmed = text.trim();
            (!trimmed.is_empty() && trimmed != "\"\"").then_some(Cow::Borrowed(trimmed))
        }
        Cow::Owned(text) => {
            let trimmed = text.trim();
            (!trimmed.is_empty() && trimmed != "\"\"").then(|| Cow::Owned(trimmed.to_owned()))
        }
    }
}

/// Fields 1..=127 of a segment, as a bit set.
type FieldSet = u128;
const MAX_TRACKED_FIELD: usize = 127;

/// The state of one message's conversion.
pub struct Context<'m> {
    message: &'m Message<'m>,
    header: &'m MessageHeader,
    config: &'m SiteConfig,
    vocabulary: &'static Vocabulary<'static>,
    namespace: Uuid,
    source_system: String,
    control_id: String,
    resources: Vec<PendingResource>,
    by_key: HashMap<(String, ResourceKey), usize>,
    fields_used: Vec<FieldSet>,
    segments_seen: Vec<bool>,
    report: Report,
}

impl<'m> Context<'m> {
    /// A context for `message`, whose header is `header`.
    pub fn new(
        message: &'m Message<'m>,
        header: &'m MessageHeader,
        config: &'m SiteConfig,
    ) -> Self {
        let n_segments = message.n_segments();
        let source_system = config.source_system.clone().unwrap_or_else(|| {
            let part = |hd: &Option<hl7v2::HierarchicDesignator>| {
                hd.as_ref().map(|hd| hd.raw.clone()).unwrap_or_default()
            };
            format!(
                "{}/{}",
                part(&header.sending_application),
                part(&header.sending_facility)
            )
        });
        let mut context = Context {
            message,
            header,
            config,
            vocabulary: Vocabulary::builtin(),
            namespace: config.id_namespace.unwrap_or(fhir::ids::FHIRGATE_NAMESPACE),
            source_system,
            control_id: header.control_id.clone().unwrap_or_default(),
            resources: Vec::new(),
            by_key: HashMap::new(),
            fields_used: vec![0; n_segments],
            segments_seen: vec![false; n_segments],
            report: Report::default(),
        };
        // MSH-1 and MSH-2 are the delimiters: read by the parser, never data.
        for segment in message.segments_named("MSH") {
            context.mark(&segment, 1);
            context.mark(&segment, 2);
        }
        context
    }

    /// The message being converted.
    pub fn message(&self) -> &'m Message<'m> {
        self.message
    }

    /// Its header (MSH).
    pub fn header(&self) -> &'m MessageHeader {
        self.header
    }

    /// The site configuration.
    pub fn config(&self) -> &'m SiteConfig {
        self.config
    }

    /// The v2-to-FHIR vocabulary.
    pub fn vocabulary(&self) -> &'static Vocabulary<'static> {
        self.vocabulary
    }

    /// The source system that ids are derived under (configured, else `MSH-3/MSH-4`).
    pub fn source_system(&self) -> &str {
        &self.source_system
    }

    fn mark(&mut self, segment: &Segment<'m>, field: usize) {
        let idx = segment.index();
        if let Some(seen) = self.segments_seen.get_mut(idx) {
            *seen = true;
        }
        if let Some(used) = self
            .fields_used
            .get_mut(idx)
            .filter(|_| (1..=MAX_TRACKED_FIELD).contains(&field))
        {
            *used |= 1 << field;
        }
    }

    /// Marks a segment as handled by a mapping even when none of its fields is read.
    pub fn seen(&mut self, segment: &Segment<'m>) {
        if let Some(seen) = self.segments_seen.get_mut(segment.index()) {
            *seen = true;
        }
    }

    /// Marks fields as deliberately consumed without mapping (for example set ids, which only
    /// number segments).
    pub fn consume(&mut self, segment: &Segment<'m>, fields: &[usize]) {
        for &field in fields {
            self.mark(segment, field);
        }
    }

    /// Every non-empty repetition of field `field`, which is marked as used.
    pub fn items(&mut self, segment: &Segment<'m>, field: usize) -> Vec<Item<'m>> {
        self.mark(segment, field);
        segment
            .field(field)
            .repetitions()
            .enumerate()
            .filter(|(_, repetition)| !repetition.is_empty())
            .map(|(idx, repetition)| Item {
                repetition,
                segment_idx: segment.index(),
                segment_id: segment.name(),
                field,
                repetition_number: idx + 1,
            })
            .collect()
    }

    /// The first non-empty repetition of a field that is not repeatable by its definition.
    /// Further repetitions with data are reported as unmapped.
    pub fn item(&mut self, segment: &Segment<'m>, field: usize) -> Option<Item<'m>> {
        let mut items = self.items(segment, field).into_iter();
        let first = items.next();
        for extra in items {
            self.report.unmapped.push(Unmapped {
                kind: UnmappedKind::Field,
                location: extra.location(),
            });
        }
        first
    }

    /// The text of a simple (single-component) field, decoded; further components with data
    /// are reported as unmapped.
    pub fn text(&mut self, segment: &Segment<'m>, field: usize) -> Option<Cow<'m, str>> {
        let item = self.item(segment, field)?;
        self.unused_components(&item, &[1]);
        item.text(1)
    }

    /// Reports the components of `item` that hold data and are not in `handled`.
    pub fn unused_components(&mut self, item: &Item<'m>, handled: &[usize]) {
        self.unused_components_except(item, handled, |_| false);
    }

    /// [`Context::unused_components`], leaving out the components `read_anyway` accepts.
    pub fn unused_components_except(
        &mut self,
        item: &Item<'m>,
        handled: &[usize],
        read_anyway: impl Fn(&Component<'m>) -> bool,
    ) {
        for (idx, component) in item.repetition.components().enumerate() {
            let n = idx + 1;
            if !component.is_empty() && !handled.contains(&n) && !read_anyway(&component) {
                self.report.unmapped.push(Unmapped {
                    kind: UnmappedKind::Component,
                    location: item.component_location(n),
                });
            }
        }
    }

    /// Records an issue.
    pub fn issue(
        &mut self,
        severity: IssueSeverity,
        location: Location,
        message: impl Into<String>,
    ) {
        self.report.issues.push(Issue {
            severity,
            location,
            message: message.into(),
        });
    }

    /// Converts an HL7 DTM/TS into a FHIR `dateTime` (or `date` for day precision or coarser),
    /// keeping its precision. A time without its own offset takes MSH-7's, else the site zone's
    /// at that instant; with neither, the time is dropped, the date kept, and a warning recorded.
    /// An invalid value is left out with an error issue.
    pub fn datetime(&mut self, text: &str, location: Location) -> Option<String> {
        let timestamp = match Timestamp::parse(text) {
            Ok(timestamp) => timestamp,
            Err(error) => {
                self.issue(
                    IssueSeverity::Error,
                    location,
                    format!("invalid date/time left out: {error}"),
                );
                return None;
            }
        };
        let (fallback, source) = match self.header.timestamp.and_then(|t| t.offset_minutes()) {
            Some(offset) => (Some(offset), "MSH-7"),
            None => (self.site_offset(&timestamp), "the site time zone"),
        };
        match timestamp.to_fhir(fallback) {
            Ok(converted) => {
                if converted.offset_from_fallback {
                    self.issue(
                        IssueSeverity::Information,
                        location.clone(),
                        format!("time zone offset taken from {source}"),
                    );
                }
                if converted.padded {
                    self.issue(
                        IssueSeverity::Information,
                        location,
                        "time written to the minute or hour; seconds padded with zeros",
                    );
                }
                Some(converted.value)
            }
            Err(_) => {
                let (year, month, day) = timestamp.date();
                self.issue(
                    IssueSeverity::Warning,
                    location,
                    "time dropped: no offset in the value or MSH-7, and no site time zone configured",
                );
                Some(format!("{year:04}-{month:02}-{day:02}"))
            }
        }
    }

    /// Converts an HL7 DTM/TS into a FHIR `date`, dropping any time of day (recorded as an
    /// information issue when there was one).
    pub fn date(&mut self, text: &str, location: Location) -> Option<String> {
        let timestamp = match Timestamp::parse(text) {
            Ok(timestamp) => timestamp,
            Err(error) => {
                self.issue(
                    IssueSeverity::Error,
                    location,
                    format!("invalid date left out: {error}"),
                );
                return None;
            }
        };
        let (year, month, day) = timestamp.date();
        Some(match timestamp.precision() {
            hl7v2::Precision::Year => format!("{year:04}"),
            hl7v2::Precision::Month => format!("{year:04}-{month:02}"),
            hl7v2::Precision::Day => format!("{year:04}-{month:02}-{day:02}"),
            _ => {
                self.issue(
                    IssueSeverity::Information,
                    location,
                    "time of day dropped: the FHIR element is a date",
                );
                format!("{year:04}-{month:02}-{day:02}")
            }
        })
    }

    /// The site zone's offset, in minutes, at the civil time of `timestamp`.
    fn site_offset(&self, timestamp: &Timestamp) -> Option<i32> {
        let zone = &self.config.default_time_zone.as_ref()?.zone;
        let (year, month, day) = timestamp.date();
        let (hour, minute, second) = timestamp.time();
        let civil = jiff::civil::DateTime::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
            i8::try_from(hour).ok()?,
            i8::try_from(minute).ok()?,
            i8::try_from(second.min(59)).ok()?,
            0,
        )
        .ok()?;
        let instant = zone.to_ambiguous_timestamp(civil).compatible().ok()?;
        Some(zone.to_offset(instant).seconds() / 60)
    }

    /// The deterministic id of a resource of `resource_type` with `key`.
    pub fn id_for(&self, resource_type: &str, key: &ResourceKey) -> Uuid {
        let id = |pieces: &[&str]| {
            fhir::ids::deterministic_id_joined(
                &self.namespace,
                &self.source_system,
                resource_type,
                pieces,
            )
        };
        match key {
            ResourceKey::Identifier { system, value } => id(&[system, "|", value]),
            ResourceKey::Natural(natural) => id(&["natural:", natural]),
            ResourceKey::Message(role) => id(&["message:", &self.control_id, ":", role]),
            ResourceKey::Segment(segment_idx) => fhir::ids::content_derived_id(
                &self.namespace,
                &self.source_system,
                resource_type,
                &self.control_id,
                *segment_idx,
            ),
        }
    }

    /// Adds a resource, or merges it into the one already added with the same type and key, and
    /// returns its relative reference (`Type/id`), which the Bundle builder rewrites.
    ///
    /// `build` receives the id and returns the resource (with `resourceType` and `id` set, for
    /// example through `fhir::datatypes::ResourceBuilder`). On a merge, members the existing
    /// resource lacks are copied from the new one; members it has are kept.
    pub fn add(
        &mut self,
        resource_type: &str,
        key: ResourceKey,
        build: impl FnOnce(Uuid) -> Value,
    ) -> String {
        let map_key = (resource_type.to_owned(), key);
        let known = self.by_key.get(&map_key).copied();
        // A second mention has the first one's id: no need to derive it again.
        let id = match known.and_then(|idx| self.resources.get(idx)) {
            Some(pending) => pending.id,
            None => self.id_for(resource_type, &map_key.1),
        };
        let reference = fhir::ids::reference_text(resource_type, &id);
        let resource = build(id);
        if let Some(existing) = known {
            let mut conflicts = Vec::new();
            if let (Some(Value::Object(old)), Value::Object(new)) = (
                self.resources.get_mut(existing).map(|r| &mut r.resource),
                resource,
            ) {
                let types = fhir::r4_types::TypeTable::r4();
                for (name, value) in new {
                    match old.get(&name) {
                        Some(kept) if *kept == value => {}
                        Some(_) if name == "id" => {}
                        Some(_) => conflicts.push(name),
                        None => {
                            // A choice element (`value[x]`) holds one type: a second mention
                            // that brings another type does not add it next to the first.
                            let choice = types
                                .element(resource_type, &name)
                                .filter(|found| found.element.is_choice)
                                .map(|found| found.element.name.clone());
                            let taken = choice.is_some_and(|element| {
                                old.keys().any(|existing| {
                                    types
                                        .element(resource_type, existing)
                                        .is_some_and(|found| found.element.name == element)
                                })
                            });
                            if taken || observation_value_clash(resource_type, &name, old) {
                                conflicts.push(name);
                            } else {
                                old.insert(name, value);
                            }
                        }
                    }
                }
            }
            if !conflicts.is_empty() {
                // People, organizations and places are mentioned many times with more or less
                // detail; a second mention of a record (an Observation) is a real collision.
                let severity = match resource_type {
                    "Practitioner" | "Organization" | "Location" | "PractitionerRole" => {
                        IssueSeverity::Information
                    }
                    _ => IssueSeverity::Warning,
                };
                self.issue(
                    severity,
                    Location::default(),
                    format!(
                        "{reference} is mentioned twice with the same key; the first mention's {} kept, the second's left out",
                        conflicts.join(", ")
                    ),
                );
            }
            return reference;
        }
        let conditional = match &map_key.1 {
            ResourceKey::Identifier { system, value } => Some(ConditionalKey {
                system: system.clone(),
                value: value.clone(),
            }),
            _ => None,
        };
        self.by_key.insert(map_key, self.resources.len());
        self.resources.push(PendingResource {
            resource_type: resource_type.to_owned(),
            id,
            resource,
            conditional,
        });
        reference
    }

    /// The reference of a resource already added with this type and key.
    pub fn reference(&self, resource_type: &str, key: &ResourceKey) -> Option<String> {
        let idx = self.by_key.get(&(resource_type.to_owned(), key.clone()))?;
        let pending = self.resources.get(*idx)?;
        Some(fhir::ids::reference_text(
            &pending.resource_type,
            &pending.id,
        ))
    }

    /// The resource behind a reference returned by [`Context::add`], to amend it.
    pub fn resource_mut(&mut self, reference: &str) -> Option<&mut serde_json::Map<String, Value>> {
        let (resource_type, id) = reference.split_once('/')?;
        let id = Uuid::parse_str(id).ok()?;
        self.resources
            .iter_mut()
            .find(|pending| pending.id == id && pending.resource_type == resource_type)
            .and_then(|pending| pending.resource.as_object_mut())
    }

    /// The resources added so far, in order.
    pub fn resources(&self) -> &[PendingResource] {
        &self.resources
    }

    /// Ends the conversion: the resources in order, and the report with every unmapped
    /// segment, field and component.
    pub fn finish(mut self) -> (Vec<PendingResource>, Report) {
        for segment in self.message.segments() {
            let idx = segment.index();
            let used = self.fields_used.get(idx).copied().unwrap_or(0);
            let seen = self.segments_seen.get(idx).copied().unwrap_or(false);
            let has_data = (1..=segment.n_fields()).any(|n| !segment.field(n).is_empty());
            if !seen {
                if has_data || segment.n_fields() == 0 {
                    self.report.unmapped.push(Unmapped {
                        kind: UnmappedKind::Segment,
                        location: Location::segment(idx, segment.name()),
                    });
                }
                continue;
            }
            for n in 1..=segment.n_fields() {
                let marked = n <= MAX_TRACKED_FIELD && used & (1 << n) != 0;
                if !marked && !segment.field(n).is_empty() {
                    self.report.unmapped.push(Unmapped {
                        kind: UnmappedKind::Field,
                        location: Location::field(idx, segment.name(), n),
                    });
                }
            }
        }
        self.report.unmapped.sort_by(|a, b| {
            let key = |u: &Unmapped| {
                (
                    u.location.segment_idx,
                    u.location.field,
                    u.location.repetition,
                    u.location.component,
                )
            };
            key(a).cmp(&key(b))
        });
        (self.resources, self.report)
    }
}

/// An Observation whose repeated values are components (with its own code) has no `value[x]`,
/// and one with `value[x]` takes no such components (R4 obs-7): a second mention of the same
/// Observation does not add the one beside the other.
fn observation_value_clash(
    resource_type: &str,
    name: &str,
    old: &serde_json::Map<String, Value>,
) -> bool {
    resource_type == "Observation"
        && ((name.starts_with("value") && old.contains_key("component"))
            || (name == "component" && old.keys().any(|key| key.starts_with("value"))))
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
