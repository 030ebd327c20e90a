//! Segment mappings: each reads one segment (marking what it uses) and adds or amends
//! resources through the [`Context`](super::context::Context).

pub mod msh;
pub mod obr;
pub mod obx;
pub mod obx_value;
pub mod orc;
pub mod resources;
pub mod rxa;
pub mod sch;
pub mod sched_shim;
pub mod spm;
