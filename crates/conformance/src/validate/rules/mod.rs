//! Element rules other than structure, called by the [walk](super::walk) for each element
//! value, and the Bundle rules.
//!
//! - [`binding`]: the value of a coded element against its bound value set;
//! - [`invariant`]: the element's FHIRPath invariants;
//! - [`reference`]: a Reference against its `targetProfile`s, and resolution in a Bundle;
//! - [`bundle`]: rules across a Bundle's entries.

pub mod binding;
pub mod bundle;
pub mod invariant;
pub mod reference;
