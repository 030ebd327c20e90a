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

pub mod adt;
pub mod documents;
pub mod financial;
pub mod orders;
pub mod pharmacy;
pub mod problems;
pub mod referral;
mod sched_common;
pub mod scheduling;
pub mod vaccination;

/// Converts one message of a supported structure, adding its resources to the context.
pub type ConvertFn = fn(&mut Context<'_>) -> Result<(), ConvertError>;

/// The supported structures and their conversions, in the order listed in errors.
const SUPPORTED: &[(&str, ConvertFn)] = &[
    ("ORU_R01", orders::convert_oru_r01),
    ("ORM_O01", orders::convert_order),
    ("OML_O21", orders::convert_order),
    ("OMG_O19", orders::convert_order),
    ("OUL_R22", orders::convert_oul_specimen),
    ("OUL_R23", orders::convert_oul_specimen),
    ("OUL_R24", orders::convert_oul_r24),
    ("VXU_V04", vaccination::convert_vxu_v04),
    ("RDE_O11", pharmacy::convert_rde),
    ("RDE_O25", pharmacy::convert_rde),
    ("RDS_O13", pharmacy::convert_rds_o13),
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
    // ADT: every structure is walked by PATIENT group (see messages::adt).
    ("ADT_A01", adt::convert),
    ("ADT_A02", adt::convert),
    ("ADT_A03", adt::convert),
    ("ADT_A04", adt::convert),
    ("ADT_A05", adt::convert),
    ("ADT_A06", adt::convert),
    ("ADT_A07", adt::convert),
    ("ADT_A08", adt::convert),
    ("ADT_A09", adt::convert),
    ("ADT_A10", adt::convert),
    ("ADT_A11", adt::convert),
    ("ADT_A12", adt::convert),
    ("ADT_A13", adt::convert),
    ("ADT_A14", adt::convert),
    ("ADT_A15", adt::convert),
    ("ADT_A16", adt::convert),
    ("ADT_A17", adt::convert),
    ("ADT_A21", adt::convert),
    ("ADT_A22", adt::convert),
    ("ADT_A23", adt::convert),
    ("ADT_A25", adt::convert),
    ("ADT_A26", adt::convert),
    ("ADT_A27", adt::convert),
    ("ADT_A28", adt::convert),
    ("ADT_A29", adt::convert),
    ("ADT_A30", adt::convert),
    ("ADT_A31", adt::convert),
    ("ADT_A32", adt::convert),
    ("ADT_A33", adt::convert),
    ("ADT_A38", adt::convert),
    ("ADT_A39", adt::convert),
    ("ADT_A40", adt::convert),
    ("ADT_A41", adt::convert),
    ("ADT_A42", adt::convert),
    ("ADT_A45", adt::convert),
    ("ADT_A47", adt::convert),
    ("ADT_A60", adt::convert),
    ("ADT_A18", adt::convert),
    ("ADT_A43", adt::convert),
    ("ADT_A44", adt::convert),
    ("ADT_A50", adt::convert),
    ("ADT_A52", adt::convert),
    ("ADT_A54", adt::convert),
    ("ADT_A61", adt::convert),
    // MDM_T01 and MDM_T02, with the structure names written for their other triggers.
    ("MDM_T01", documents::convert_mdm_t01),
    ("MDM_T03", documents::convert_mdm_t01),
    ("MDM_T05", documents::convert_mdm_t01),
    ("MDM_T07", documents::convert_mdm_t01),
    ("MDM_T09", documents::convert_mdm_t01),
    ("MDM_T11", documents::convert_mdm_t01),
    ("MDM_T02", documents::convert_mdm_t02),
    ("MDM_T04", documents::convert_mdm_t02),
    ("MDM_T06", documents::convert_mdm_t02),
    ("MDM_T08", documents::convert_mdm_t02),
    ("MDM_T10", documents::convert_mdm_t02),
    // Financial transactions and billing account records.
    ("DFT_P03", financial::convert_dft),
    ("DFT_P11", financial::convert_dft),
    ("BAR_P01", financial::convert_bar),
    ("BAR_P02", financial::convert_bar),
    ("BAR_P12", financial::convert_bar),
    // Patient problems: PPR_PC1, and the names written for PC2 and PC3.
    ("PPR_PC1", problems::convert_ppr_pc1),
    ("PPR_PC2", problems::convert_ppr_pc1),
    ("PPR_PC3", problems::convert_ppr_pc1),
    // Referrals: REF_I12, and the names written for I13–I15.
    ("REF_I12", referral::convert_ref_i12),
    ("REF_I13", referral::convert_ref_i12),
    ("REF_I14", referral::convert_ref_i12),
    ("REF_I15", referral::convert_ref_i12),
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
            supported: supported_message_codes().join(", "),
        })
}

/// The names of the supported structures.
pub fn supported_structures() -> Vec<&'static str> {
    SUPPORTED.iter().map(|(name, _)| *name).collect()
}

/// The message codes (MSH-9.1) with at least one supported structure, for error messages; the
/// full list is [`supported_structures`].
pub fn supported_message_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = SUPPORTED
        .iter()
        .filter_map(|(name, _)| name.split('_').next())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Runs the structure's conversion, then adds the message's Provenance.
pub fn convert(family: ConvertFn, context: &mut Context<'_>) -> Result<(), ConvertError> {
    family(context)?;
    super::overrides::apply(context);
    segments::msh::provenance(context);
    Ok(())
}
