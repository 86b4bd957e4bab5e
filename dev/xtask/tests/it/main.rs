//! The end-to-end tests, which cross crates (the producer's events through the processor into
//! the reporter's email; the maintainer command against a deployed stack), one binary with a
//! module per subject; and the chores' own settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a failed step fails the test; some print their figures

mod backfill;
mod demo_flow;
mod deployer;
mod fault_injection;
mod operations;
mod settings;
mod structure;
