//! Segment mappings: each reads one segment (marking what it uses) and adds or amends
//! resources through the [`Context`](super::context::Context).

mod dt_shim;
pub mod msh;
pub mod obx;
pub mod obx_value;
