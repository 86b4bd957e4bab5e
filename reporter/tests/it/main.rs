//! The reporter's integration tests, one binary with a module per subject.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a failed step fails the test; some print their figures

mod aggregate;
mod aws_emulator;
mod email_clients;
mod gaps;
mod handler;
mod insights;
mod lambda_binary;
mod layout;
mod report;
mod startup;
mod support;
mod time_zone;
