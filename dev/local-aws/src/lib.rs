//! The local AWS emulators for tests and the demo, and what runs against them: a developer
//! dependency only, never part of a function.
//!
//! - [`servers`]: moto and DynamoDB Local, on free loopback ports, stopped by PID;
//! - [`resources`]: the project's table, queues, SES identity and stack in them;
//! - [`events`]: SQS events as Lambda delivers them, and the failures an answer reports;
//! - [`runtime_api`]: a Lambda Runtime API (and Invoke API) on loopback, to run the real
//!   binaries as Lambda runs them;
//! - [`trigger`]: Lambda's SQS trigger as a local loop;
//! - [`faults`]: an SDK HTTP client that fails a seeded share of calls;
//! - [`wire`]: DynamoDB requests and capacity counted on the wire;
//! - [`emf`]: the Embedded Metric Format lines a function prints, checked;
//! - [`cpu_share`] and [`tls`]: a CPU share and TLS endpoints, as Lambda has them;
//! - [`chromium`]: headless Chromium, to measure and picture the email as a client lays it out.
#![allow(clippy::expect_used)] // set-up code for tests and the demo: a failed step must stop them

pub mod chromium;
pub mod cpu_share;
pub mod emf;
pub mod events;
pub mod faults;
mod resources;
pub mod runtime_api;
pub mod servers;
pub mod tls;
pub mod trigger;
pub mod wire;

pub use events::{failed_ids, sqs_event};
pub use resources::{
    create_email_identity, create_fifo_queue, create_table, deploy_stack, put_records,
    scan_request_records,
};
pub use runtime_api::start_lambda_binary;
pub use servers::{DynamoDbLocal, Moto};
