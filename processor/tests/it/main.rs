//! The processor's integration tests, one binary with a module per subject.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a failed step fails the test; some print their figures

mod aws_emulator;
mod contract;
mod handler;
mod lambda_binary;
mod merge_property;
mod poison_corpus;
mod rebuilt_events;
mod scrub;
mod sdk_errors;
mod startup;
mod support;
