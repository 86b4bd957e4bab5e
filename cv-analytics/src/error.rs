//! Errors of the maintainer command: each says what failed and, where it can, what to do next.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OpsError {
    #[error("{step}: {message}")]
    Aws { step: &'static str, message: String },

    #[error("{0}")]
    Usage(String),
}

/// An AWS SDK error from `step`, with its whole chain of causes.
pub fn aws_failed<E: std::error::Error>(step: &'static str) -> impl Fn(E) -> OpsError {
    move |e| OpsError::Aws {
        step,
        message: aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
    }
}
