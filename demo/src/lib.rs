//! `make demo`: the whole pipeline on the local AWS emulator, the way production runs it.
//!
//! - [`workload`]: a realistic, seeded workload over two ISO weeks, and what must come of it;
//! - [`pipeline`]: the production template deployed into moto, events through SQS, the
//!   processor's handler draining the queue, the reporter's scheduled run, results read back;
//! - [`reliability`]: the verdict of a fault run (injected DynamoDB faults) against the model.

pub mod pipeline;
pub mod reliability;
pub mod workload;
