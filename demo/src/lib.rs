//! `make demo`: the whole pipeline on the local AWS emulator, the way production runs it.
//!
//! - [`workload`]: a realistic, seeded workload over two ISO weeks, and what must come of it;
//! - [`pipeline`]: the production template deployed into moto, events through SQS, the
//!   processor's handler draining the queue, the reporter's scheduled run, results read back;
//! - [`reliability`]: the verdict of a fault run (injected DynamoDB faults) against the model.

pub mod pipeline;
pub mod reliability;
pub mod workload;

/// A setting of the demo's commands from the environment, or `default` when unset or blank.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a valid value")),
        _ => Ok(default),
    }
}
