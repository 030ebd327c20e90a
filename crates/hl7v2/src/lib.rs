//! Placeholder: being written.
pub mod mllp;
