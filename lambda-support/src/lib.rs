//! What both Lambda functions do the same way, and that is not part of the contract between
//! them (that is `shared-types`):
//!
//! - [`start()`]: a function's cold start, the same in both;
//! - [`Settings`]: reading a function's settings from the environment once, failing by name;
//! - [`Metrics`]: writing CloudWatch metrics as Embedded Metric Format lines;
//! - [`ServiceFailure`]: an AWS SDK error, classified by what can be done about it;
//! - [`sdk`]: the SDK configuration, with an HTTPS client that starts cheaply.

mod aws;
mod metrics;
pub mod sdk;
mod settings;
mod start;

pub use aws::{FailureKind, ServiceFailure};
pub use metrics::{Count, Metrics};
pub use settings::{ConfigError, Settings};
pub use start::start;
