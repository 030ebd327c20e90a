//! Deterministic resource ids.
//!
//! Every resource fhirgate writes gets a UUIDv5 id derived from where it came from, so the same
//! message always produces the same ids and a replay overwrites instead of duplicating.
//!
//! The UUIDv5 name is an unambiguous encoding of its parts: a tag saying which kind of id it is,
//! then each part as its length in bytes (decimal), a `:`, and the bytes themselves. So
//! `("a|b", "c")` and `("a", "b|c")` give different names, and a business-identifier id can never
//! equal a content-derived id.
//!
//! Two kinds of id exist:
//! - [`deterministic_id`]: from the source system, the resource type and a business identifier
//!   (an MRN, a visit number, a filler order number). This is the normal case.
//! - [`content_derived_id`]: when the entity has no business identifier, from the source system,
//!   the resource type, the message control id (MSH-10) and the position of the segment that
//!   produced it. Such an id is stable across replays of the same message, but two messages about
//!   the same entity give two ids, so prefer a business identifier whenever one exists.

use uuid::Uuid;

/// The default namespace for fhirgate ids.
///
/// It is itself a UUIDv5: `Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://fhirgate.example.invalid/ids")`
/// (a unit test proves it). A site may configure its own namespace, for example one per
/// organisation, so that two gateways fed the same identifiers do not produce the same ids. The
/// namespace must never change once data has been sent, or every resource gets a new id.
pub const FHIRGATE_NAMESPACE: Uuid = Uuid::from_u128(0x82e8_4ea8_de66_558b_a47b_1f6b_b5b1_8abb);

/// The tag that starts the name of an id derived from a business identifier.
const BUSINESS_TAG: &str = "fhirgate-id-v1";

/// The tag that starts the name of an id derived from a message position.
const CONTENT_TAG: &str = "fhirgate-content-id-v1";

/// `id` as FHIR writes it: lower-case hyphenated, without going through `fmt`.
pub fn id_text(id: &Uuid) -> String {
    let mut buffer = Uuid::encode_buffer();
    id.hyphenated().encode_lower(&mut buffer).to_owned()
}

/// The relative reference `Type/<id>`, with the id as [`id_text`] writes it.
pub fn reference_text(resource_type: &str, id: &Uuid) -> String {
    let mut buffer = Uuid::encode_buffer();
    let id = id.hyphenated().encode_lower(&mut buffer);
    let mut text = String::with_capacity(resource_type.len() + 1 + id.len());
    text.push_str(resource_type);
    text.push('/');
    text.push_str(id);
    text
}

/// The id of a resource identified by a business identifier.
///
/// `source_system` names the system that assigned the identifier (for example the sending
/// application and facility, or the identifier's system URI), `resource_type` is the FHIR type
/// (`Patient`) and `business_identifier` is the identifier value (`12345`). The result is the
/// UUIDv5, in `namespace`, of the length-prefixed encoding described in the module docs.
pub fn deterministic_id(
    namespace: &Uuid,
    source_system: &str,
    resource_type: &str,
    business_identifier: &str,
) -> Uuid {
    deterministic_id_joined(
        namespace,
        source_system,
        resource_type,
        &[business_identifier],
    )
}

/// [`deterministic_id`] of a business identifier given in pieces: the identifier is the pieces
/// joined with nothing between them (`["urn:x", "|", "42"]` is `urn:x|42`), hashed without
/// building the joined string.
pub fn deterministic_id_joined(
    namespace: &Uuid,
    source_system: &str,
    resource_type: &str,
    business_identifier: &[&str],
) -> Uuid {
    let mut name = NameHasher::new(namespace);
    name.part(&[BUSINESS_TAG]);
    name.part(&[source_system]);
    name.part(&[resource_type]);
    name.part(business_identifier);
    name.finish()
}

/// The id of a resource that has no business identifier.
///
/// It is the UUIDv5, in `namespace`, of the length-prefixed encoding of a tag distinct from
/// [`deterministic_id`]'s, the source system, the resource type, the message control id (MSH-10)
/// and `segment_idx`, the zero-based position of the segment that produced the resource. The
/// source system is part of it because control ids are unique per sender only; the resource type
/// is part of it because one segment may produce several resources.
pub fn content_derived_id(
    namespace: &Uuid,
    source_system: &str,
    resource_type: &str,
    message_control_id: &str,
    segment_idx: usize,
) -> Uuid {
    let mut digits = DecimalBuf::default();
    let mut name = NameHasher::new(namespace);
    name.part(&[CONTENT_TAG]);
    name.part(&[source_system]);
    name.part(&[resource_type]);
    name.part(&[message_control_id]);
    name.part(&[digits.format(segment_idx)]);
    name.finish()
}

/// A UUIDv5 computed as its name is written: SHA-1 of the namespace and the name, fed part by
/// part (the `sha1` crate uses the CPU's SHA extensions where there are some).
struct NameHasher(sha1::Sha1);

impl NameHasher {
    fn new(namespace: &Uuid) -> NameHasher {
        use sha1::Digest;
        let mut hasher = sha1::Sha1::new();
        hasher.update(namespace.as_bytes());
        NameHasher(hasher)
    }

    /// Appends one part of the name, `<len>:<bytes>`, the part being `pieces` joined.
    fn part(&mut self, pieces: &[&str]) {
        use sha1::Digest;
        let len: usize = pieces.iter().map(|piece| piece.len()).sum();
        let mut digits = DecimalBuf::default();
        self.0.update(digits.format(len).as_bytes());
        self.0.update(b":");
        for piece in pieces {
            self.0.update(piece.as_bytes());
        }
    }

    fn finish(self) -> Uuid {
        use sha1::Digest;
        let digest = self.0.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_sha1_bytes(bytes).into_uuid()
    }
}

/// Room for a `usize` in decimal, without allocating.
#[derive(Default)]
struct DecimalBuf([u8; 20]);

impl DecimalBuf {
    fn format(&mut self, mut n: usize) -> &str {
        let mut at = self.0.len();
        loop {
            at -= 1;
            // `n % 10` is below 10, so the cast cannot truncate.
            self.0[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        std::str::from_utf8(&self.0[at..]).unwrap_or("0")
    }
}

/// Encodes `parts` as `<len>:<bytes>` each, one after the other, with no separator.
///
/// The encoding can be read back unambiguously, because each part's length comes first.
#[cfg(test)]
fn encode_name(parts: &[&str]) -> String {
    let mut name = String::new();
    for part in parts {
        name.push_str(&part.len().to_string());
        name.push(':');
        name.push_str(part);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_the_documented_v5() {
        let derived = Uuid::new_v5(
            &Uuid::NAMESPACE_URL,
            b"https://fhirgate.example.invalid/ids",
        );
        assert_eq!(FHIRGATE_NAMESPACE, derived);
    }

    #[test]
    fn name_encoding() {
        assert_eq!(encode_name(&["a|b", "c"]), "3:a|b1:c");
        assert_eq!(encode_name(&["", "é"]), "0:2:é");
    }

    /// Pinned ids: if one of these changes, every id already sent to a server changes with it.
    /// They were cross-checked once against Python's `uuid.uuid5` over the same encoding.
    #[test]
    fn business_ids_are_stable() {
        let cases = [
            (
                "HIS^GENERAL",
                "Patient",
                "12345",
                "b6371759-50bf-585d-ac4c-708e7a631fab",
            ),
            (
                "http://hospital.example/mrn",
                "Patient",
                "MRN-0001",
                "06d4fe5a-2e6a-58f8-9cdf-14a3f379ab94",
            ),
            (
                "LAB",
                "Observation",
                "ORD1-1",
                "a241fed5-9deb-5b70-9d85-b7bc8248095f",
            ),
            ("", "", "", "2913628b-360f-5e97-95fb-ed4d13fd27b5"),
        ];
        for (source_system, resource_type, identifier, expected) in cases {
            let id = deterministic_id(
                &FHIRGATE_NAMESPACE,
                source_system,
                resource_type,
                identifier,
            );
            assert_eq!(
                id.to_string(),
                expected,
                "({source_system:?}, {resource_type:?}, {identifier:?})"
            );
            assert_eq!(id.get_version_num(), 5);
        }
    }

    #[test]
    fn content_ids_are_stable() {
        let cases = [
            (
                "HIS",
                "Encounter",
                "MSG00001",
                3,
                "1312a68a-1c5f-51a0-9c66-48a6ed18632f",
            ),
            (
                "HIS",
                "Observation",
                "MSG00001",
                12,
                "882d7ac5-107d-58fc-b7cf-8d180f6c2e62",
            ),
        ];
        for (source_system, resource_type, control_id, segment_idx, expected) in cases {
            let id = content_derived_id(
                &FHIRGATE_NAMESPACE,
                source_system,
                resource_type,
                control_id,
                segment_idx,
            );
            assert_eq!(
                id.to_string(),
                expected,
                "({source_system:?}, {resource_type:?}, {control_id:?}, {segment_idx})"
            );
        }
    }

    /// Pairs of inputs that a naive join would confuse; each pair must give two ids.
    #[test]
    fn ambiguous_inputs_differ() {
        let pairs = [
            (("a|b", "c", "d"), ("a", "b|c", "d")),
            (("a", "bc", "d"), ("ab", "c", "d")),
            (("a", "b", "c:d"), ("a", "b:c", "d")),
            (("1:a", "", "x"), ("", "1:a", "x")),
            (("", "", "abc"), ("abc", "", "")),
        ];
        for ((s1, t1, v1), (s2, t2, v2)) in pairs {
            let first = deterministic_id(&FHIRGATE_NAMESPACE, s1, t1, v1);
            let second = deterministic_id(&FHIRGATE_NAMESPACE, s2, t2, v2);
            assert_ne!(
                first, second,
                "({s1:?},{t1:?},{v1:?}) vs ({s2:?},{t2:?},{v2:?})"
            );
        }
    }

    #[test]
    fn streamed_names_hash_like_the_encoded_name() {
        let plain = deterministic_id(&FHIRGATE_NAMESPACE, "HIS", "Patient", "urn:x|42");
        let joined =
            deterministic_id_joined(&FHIRGATE_NAMESPACE, "HIS", "Patient", &["urn:x", "|", "42"]);
        assert_eq!(plain, joined);
        let name = encode_name(&[BUSINESS_TAG, "HIS", "Patient", "urn:x|42"]);
        assert_eq!(plain, Uuid::new_v5(&FHIRGATE_NAMESPACE, name.as_bytes()));
        let name = encode_name(&[CONTENT_TAG, "HIS", "Encounter", "M1", "1234567"]);
        assert_eq!(
            content_derived_id(&FHIRGATE_NAMESPACE, "HIS", "Encounter", "M1", 1_234_567),
            Uuid::new_v5(&FHIRGATE_NAMESPACE, name.as_bytes())
        );
        assert_eq!(DecimalBuf::default().format(0), "0");
        assert_eq!(
            DecimalBuf::default().format(usize::MAX),
            usize::MAX.to_string()
        );
    }

    #[test]
    fn id_texts_are_the_display_form() {
        let id = deterministic_id(&FHIRGATE_NAMESPACE, "HIS", "Patient", "1");
        assert_eq!(id_text(&id), id.to_string());
        assert_eq!(reference_text("Patient", &id), format!("Patient/{id}"));
    }

    #[test]
    fn kinds_and_namespaces_differ() {
        let business = deterministic_id(&FHIRGATE_NAMESPACE, "HIS", "Encounter", "MSG1");
        let content = content_derived_id(&FHIRGATE_NAMESPACE, "HIS", "Encounter", "MSG1", 0);
        assert_ne!(business, content);
        let other_namespace = deterministic_id(&Uuid::NAMESPACE_OID, "HIS", "Encounter", "MSG1");
        assert_ne!(business, other_namespace);
        let next_segment = content_derived_id(&FHIRGATE_NAMESPACE, "HIS", "Encounter", "MSG1", 1);
        assert_ne!(content, next_segment);
    }
}
