//! Message structures: which structures are supported, and the grouping of each.
//!
//! The structure comes from MSH-9.3, or from the trigger event through HL7 table 0354 when
//! MSH-9.3 is empty. Each supported structure names the function that walks its segment groups
//! (per the HL7 abstract message syntax) and calls the segment mappings. Anything else is an
//! [`ConvertError::UnsupportedMessageType`], never a guess.

use hl7v2::MessageHeader;

use super::ConvertError;
use super::context::Context;
use super::segments;

mod sched_common;
pub mod scheduling;

/// Converts one message of a supported structure, adding its resources to the context.
pub type ConvertFn = fn(&mut Context<'_>) -> Result<(), ConvertError>;

/// The supported structures and their conversions, in the order listed in errors.
const SUPPORTED: &[(&str, ConvertFn)] = &[
    // SIU_S12, and the structure names senders write for the triggers table 0354 maps to it.
    ("SIU_S12", scheduling::convert_siu_s12),
    ("SIU_S13", scheduling::convert_siu_s12),
    ("SIU_S14", scheduling::convert_siu_s12),
    ("SIU_S15", scheduling::convert_siu_s12),
    ("SIU_S16", scheduling::convert_siu_s12),
    ("SIU_S17", scheduling::convert_siu_s12),
    ("SIU_S18", scheduling::convert_siu_s12),
    ("SIU_S19", scheduling::convert_siu_s12),
    ("SIU_S20", scheduling::convert_siu_s12),
    ("SIU_S21", scheduling::convert_siu_s12),
    ("SIU_S22", scheduling::convert_siu_s12),
    ("SIU_S23", scheduling::convert_siu_s12),
    ("SIU_S24", scheduling::convert_siu_s12),
    ("SIU_S26", scheduling::convert_siu_s12),
    ("SIU_S27", scheduling::convert_siu_s12),
];

/// The conversion for this message's structure.
pub fn family_for(header: &MessageHeader) -> Result<ConvertFn, ConvertError> {
    let structure = header.structure.as_deref().unwrap_or_default();
    SUPPORTED
        .iter()
        .find(|(name, _)| *name == structure)
        .map(|(_, convert)| *convert)
        .ok_or_else(|| ConvertError::UnsupportedMessageType {
            code: header.message_code.clone().unwrap_or_default(),
            trigger: header.trigger_event.clone().unwrap_or_default(),
            structure: structure.to_owned(),
            supported: supported_structures().join(", "),
        })
}

/// The names of the supported structures.
pub fn supported_structures() -> Vec<&'static str> {
    SUPPORTED.iter().map(|(name, _)| *name).collect()
}

/// Runs the structure's conversion, then adds the message's Provenance.
pub fn convert(family: ConvertFn, context: &mut Context<'_>) -> Result<(), ConvertError> {
    family(context)?;
    segments::msh::provenance(context);
    Ok(())
}
