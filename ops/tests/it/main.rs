//! The maintainer command's own tests: its command line, without AWS. What it does against a
//! deployed stage crosses crates (the processor fills the stage it reads) and is tested end to
//! end in `dev/xtask/tests`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed step fails the test

mod cli;
