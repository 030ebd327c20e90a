//! Segment mappings: each reads one segment (marking what it uses) and adds or amends
//! resources through the [`Context`](super::context::Context).

#[cfg(test)]
mod adt_test;
pub mod evn;
pub mod msh;
pub mod nte;
pub mod obr;
pub mod obx;
pub mod obx_value;
pub mod orc;
pub mod pid;
pub mod pv1;
pub mod resources;
pub mod rol;
pub mod rxa;
pub mod sch;
pub mod spm;
pub mod txa;
