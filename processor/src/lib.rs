//! The processor Lambda: SQS batch in, one DynamoDB record per request out.
//!
//! - [`config`]: settings read once at cold start;
//! - [`batch`]: parsing a batch and folding the events of one request into one write;
//! - [`handler`]: the batch handler, with partial batch responses;
//! - [`store`] and [`dead_letter`]: the capabilities the handler needs, with in-memory fakes;
//! - [`dynamo`] and [`sqs`]: the AWS adapters behind them;
//! - [`error`]: what can go wrong, and how each failure is treated.

mod batch;
pub mod config;
pub mod dead_letter;
pub mod dynamo;
mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod handler;
pub mod sqs;
pub mod store;

pub use config::Config;
pub use error::{ConfigError, FailureKind, ProcessorError, ServiceFailure};
pub use handler::Processor;
