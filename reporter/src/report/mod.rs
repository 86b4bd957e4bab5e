//! The report itself, stage by stage, with no side effect: the week's records
//! [`aggregate`]d in one streaming pass, its content [`gaps`] grouped by meaning, the changes
//! against earlier weeks tested for [`significance`], the [`view`] model the templates show,
//! and the email [`render`]ed; [`text`] makes visitors' text safe to show.

pub mod aggregate;
pub mod gaps;
pub mod render;
pub mod significance;
pub mod text;
pub mod view;
