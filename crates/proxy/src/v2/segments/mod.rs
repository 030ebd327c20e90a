//! Segment mappings: each reads one segment (marking what it uses) and adds or amends
//! resources through the [`Context`](super::context::Context).

pub mod msh;
