//! Segment mappings: each reads one segment (marking what it uses) and adds or amends
//! resources through the [`Context`](super::context::Context).

#[cfg(test)]
mod adt_test;
pub mod al1;
pub mod dg1;
pub mod evn;
pub mod ft1;
pub mod iam;
pub mod in1;
pub mod mrg;
pub mod msh;
pub mod nk1;
pub mod nte;
pub mod obr;
pub mod obx;
pub mod obx_value;
pub mod orc;
pub mod pd1;
pub mod pid;
pub mod pid_related;
pub mod pr1;
pub mod prb;
pub mod pv1;
pub mod resources;
pub mod rf1;
pub mod rol;
pub mod rxa;
pub mod rxd;
pub mod rxe;
pub mod rxo;
pub mod rxr;
pub mod sch;
pub mod spm;
pub mod tq1;
pub mod txa;
