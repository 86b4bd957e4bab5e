//! The maintainer command's logic, for a deployed stage found by its stack's outputs.
//!
//! - [`dlq`]: the dead-letter queue: look, show, redrive (send first, then delete).

pub mod dlq;
pub mod error;

pub use error::OpsError;
