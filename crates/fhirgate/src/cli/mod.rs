//! The command-line tools other than `serve`.

pub mod conformance;
pub mod convert;
pub mod format;
pub mod inspect;
pub mod journal;
pub mod profiles;
pub mod validate;
