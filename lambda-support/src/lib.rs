//! What both Lambda functions do the same way, and that is not part of the contract between
//! them (that is `shared-types`):
//!
//! - [`settings`]: reading a function's settings from the environment once, failing by name;
//! - [`metrics`]: writing CloudWatch metrics as Embedded Metric Format lines;
//! - [`aws`]: an AWS SDK error, classified by what can be done about it;
//! - [`sdk`]: the SDK configuration, with an HTTPS client that starts cheaply.

pub mod aws;
pub mod metrics;
pub mod sdk;
pub mod settings;

pub use aws::{FailureKind, ServiceFailure};
pub use metrics::{Count, Metrics};
pub use settings::{ConfigError, Settings};
