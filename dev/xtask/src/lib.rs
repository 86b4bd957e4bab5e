//! The developers' chores, each a subcommand of `cargo xtask` (the Makefile's targets call them):
//!
//! - `demo`: the whole pipeline on the local emulator, and the fault run;
//! - `bench`: sizes, cold starts, DynamoDB units, cost and the ingest ceiling, written to
//!   `BENCHMARKS.md`;
//! - `local_stack`: a command run against a fresh local stack;
//! - `sqs_trigger`: Lambda's SQS trigger on this machine, for a deployed function's binary;
//! - `fuzz`: the `cargo fuzz` targets;
//! - `screenshot`: pictures of the email on a desktop and a phone;
//! - `settings`: the one place of the chores' settings;
//! - `structure`: the figures that say whether the workspace stays easy to change.
#![allow(clippy::print_stdout, clippy::print_stderr)] // command-line chores: printing is their job

mod bench;
mod demo;
mod fuzz;
mod local_stack;
mod screenshot;
mod settings;
mod sqs_trigger;
mod structure;

pub use bench::bench;
pub use demo::demo;
pub use demo::fault_run::reliability;
pub use demo::pipeline::{DemoOptions, FaultOptions, run};
pub use demo::verdict::verify;
pub use demo::workload::WorkloadSpec;
pub use fuzz::{FuzzArgs, fuzz};
pub use local_stack::local_stack;
pub use settings::{DEFAULTS, Settings};
pub use sqs_trigger::sqs_trigger;
pub use structure::Structure;
