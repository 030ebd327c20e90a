//! Lenient, zero-copy HL7v2 parsing, message identity, timestamps and ACK building.
//!
//! `hl7v2` turns the bytes of an HL7v2 message into a [`Message`]: the text
//! (borrowed when it is UTF-8, decoded from the MSH-18 character set
//! otherwise) plus an index of `u32` spans, one per segment and one per field.
//! Repetitions, components and subcomponents are split lazily when accessed,
//! and values are decoded (escape sequences) only when asked for, borrowing
//! whenever nothing needs decoding.
//!
//! Parsing never fails: [`parse()`] returns the message and a list of
//! [`Diagnostic`]s, each naming its place (segment, field, repetition,
//! component, subcomponent) and a [`DiagnosticKind`].
//!
//! Main types and functions:
//! - [`parse()`], [`Message`], [`Segment`], [`Field`], [`Repetition`],
//!   [`Component`], [`Subcomponent`], [`Delimiters`];
//! - [`Message::get`] with paths such as `PID-3[2].1` ([`Path`]);
//! - [`MessageHeader`] (MSH-3..18, with the structure from table 0354);
//! - [`Timestamp`] (HL7 DTM/TS, rendered as FHIR `dateTime` without guessing zones);
//! - [`split_batch`] for FHS/BHS batches and concatenated messages;
//! - [`build_ack`] for original (AA/AE/AR) and enhanced (CA/CE/CR) acknowledgments;
//! - [`escape()`] and [`decode`], the two directions of HL7 escaping;
//! - [`mllp`], the MLLP framing codec.
//!
//! ```
//! let input = b"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240305103015+0100||ORU^R01|MSG1|P|2.5.1\r\
//! PID|1||123^^^HOSP^MR~456^^^STATE^SS||Doe^Jane\\S\\Q\r";
//! let (message, diagnostics) = hl7v2::parse(input);
//! assert!(diagnostics.is_empty());
//! assert_eq!(message.get("PID-3[2].1").as_deref(), Some("456"));
//! assert_eq!(message.get("PID-5.2").as_deref(), Some("Jane^Q"));
//! let header = message.header();
//! assert_eq!(header.structure.as_deref(), Some("ORU_R01"));
//! let stamp = header.timestamp.ok_or("no MSH-7")?;
//! assert_eq!(stamp.to_fhir(None)?.value, "2024-03-05T10:30:15+01:00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Not for: FHIR (the `proxy` crate maps messages to FHIR), sockets (the
//! binary serves MLLP with [`mllp`]'s codec), storage, or validating a message
//! against its message structure's segment grammar.

pub mod ack;
pub mod batch;
pub mod datetime;
pub mod delimiters;
pub mod diagnostic;
pub mod encoding;
pub mod escape;
pub mod header;
pub mod message;
pub mod mllp;
pub mod parse;
pub mod path;
pub mod structure;

pub use ack::{AckCode, AckError, AckOutcome, ErrorCode, ErrorLocation, ErrorSeverity, build_ack};
pub use batch::{Batch, split_batch};
pub use datetime::{FhirDateTime, Precision, Timestamp, TimestampError};
pub use delimiters::Delimiters;
pub use diagnostic::{Diagnostic, DiagnosticKind, Location, Severity};
pub use escape::{decode, escape};
pub use header::{HierarchicDesignator, MessageHeader};
pub use message::{Component, Field, Message, Repetition, Segment, Subcomponent};
pub use parse::parse;
pub use path::{Path, PathError};
pub use structure::structure_for;
