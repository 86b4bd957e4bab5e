//! The report itself, stage by stage, with no side effect, each stage using only those before
//! it: [`text`] (a question's key and spelling, and text made safe to show), the week's records
//! [`aggregate`]d in one streaming pass, the [`significance`] of a change between two weeks,
//! its content [`gaps`] grouped by meaning and set against earlier weeks, the [`view`] model
//! the templates show, and the email [`render`]ed.

pub(crate) mod aggregate;
pub mod gaps;
pub(crate) mod render;
pub(crate) mod significance;
pub(crate) mod text;
pub mod view;
