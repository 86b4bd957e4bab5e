//! `make bench`: the figures that show the pipeline is fast and cheap, measured here and written
//! to `BENCHMARKS.md` by the `bench` binary.
//!
//! - [`requests`]: the demo workload through the processor (and the old design replayed);
//! - [`coldstart`]: release binaries under a Lambda Runtime API on loopback;
//! - [`cost`]: cost per million requests from those figures and published prices;
//! - [`ceiling`]: the ingest ceiling, simulated from the measured figures.

pub mod ceiling;
pub mod coldstart;
pub mod cost;
pub mod requests;
