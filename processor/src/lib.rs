//! The processor Lambda: SQS batch in, one DynamoDB record per request out.
//!
//! Its surface, as `main` and the tests use it: the [`Processor`] (its settings, [`Config`];
//! [`Processor::invoke`] for Lambda, [`Processor::process`] for a batch), the capabilities it
//! needs ([`RecordStore`], [`DeadLetterQueue`]) with their AWS adapters ([`DynamoRecordStore`],
//! [`SqsDeadLetterQueue`]) and, with the `fakes` feature, their in-memory fakes; and its errors.
//!
//! Inside: `config` (settings read once at cold start), `batch` (parsing a batch and folding
//! the events of one request into one write), `handler` (the batch handler, with partial batch
//! responses), `store` and `dead_letter` (the capabilities), `dynamo` and `sqs` (the
//! adapters), `error` (what can go wrong, and how each failure is treated).

mod batch;
mod config;
mod dead_letter;
mod dynamo;
mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
mod handler;
mod sqs;
mod store;

pub use config::{Config, DEFAULT_WRITE_CONCURRENCY};
pub use dead_letter::{DeadLetterQueue, Rejection};
pub use dynamo::DynamoRecordStore;
pub use error::{FailureKind, ProcessorError, ServiceFailure};
pub use handler::{AwsProcessor, BatchOutcome, BatchSummary, Processor};
pub use sqs::SqsDeadLetterQueue;
pub use store::{Merged, RecordStore};
