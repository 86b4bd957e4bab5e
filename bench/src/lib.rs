//! `make bench`: the figures that show the pipeline is fast and cheap, measured here and written
//! to `BENCHMARKS.md` by the `bench` binary.
//!
//! - [`requests`]: the demo workload through the processor (and the old design replayed);
//! - [`coldstart`]: release binaries under a Lambda Runtime API on loopback;
//! - [`limits`]: the CPU share of a memory size and TLS in front of the emulator, as on Lambda;
//! - [`cost`]: cost per million requests from those figures and published prices;
//! - [`ceiling`]: the ingest ceiling, simulated from the measured figures.

pub mod ceiling;
pub mod coldstart;
pub mod cost;
pub mod limits;
pub mod requests;
