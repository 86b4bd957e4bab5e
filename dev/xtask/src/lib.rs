//! The developers' chores, each a subcommand of `cargo xtask` (the Makefile's targets call them):
//!
//! - [`demo`]: the whole pipeline on the local emulator, and the fault run;
//! - [`bench`]: sizes, cold starts, DynamoDB units, cost and the ingest ceiling, written to
//!   `BENCHMARKS.md`;
//! - [`local_stack`]: a command run against a fresh local stack;
//! - [`sqs_trigger`]: Lambda's SQS trigger on this machine, for a deployed function's binary;
//! - [`fuzz`]: the `cargo fuzz` targets;
//! - [`screenshot`]: pictures of the email on a desktop and a phone;
//! - [`settings`]: the one place of the chores' settings;
//! - [`structure`]: the figures that say whether the workspace stays easy to change.
#![allow(clippy::print_stdout, clippy::print_stderr)] // command-line chores: printing is their job

pub mod bench;
pub mod demo;
pub mod fuzz;
pub mod local_stack;
pub mod screenshot;
pub mod settings;
pub mod sqs_trigger;
pub mod structure;
