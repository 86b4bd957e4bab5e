//! The contract's integration tests, one binary with a module per subject.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a failed step fails the test; the corpus prints its counts

mod privacy;
mod queue_attributes;
mod schema;
