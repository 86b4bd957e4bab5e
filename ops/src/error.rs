//! Errors of the maintainer command: each says what failed and, where it can, what to do next.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OpsError {
    #[error("the stack {stack} was not found in {region}: run make deploy STAGE={stage}")]
    StackNotFound {
        stack: String,
        stage: String,
        region: String,
    },

    #[error("the stack {stack} has no output {output}: run make deploy STAGE={stage} to update it")]
    MissingOutput {
        stack: String,
        stage: String,
        output: &'static str,
    },

    #[error("{step}: {message}")]
    Aws {
        step: &'static str,
        message: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// AWS answered, and the answer says what did not happen (entries refused, an alias that
    /// points nowhere, an answer that does not read).
    #[error("{step}: {message}")]
    Refused { step: &'static str, message: String },

    #[error("the reporter ({function}) failed on {week}: {message}")]
    ReporterFailed {
        week: String,
        function: String,
        message: String,
    },

    #[error(
        "the post-deploy check of {stage} failed (canary request {request_id}): {message}. \
         The processor's logs are in /aws/lambda/cv-analytics-{stage}-processor; {remedy}"
    )]
    Verify {
        stage: String,
        request_id: String,
        message: String,
        /// What to do: a rollback when there is a version to go back to.
        remedy: String,
    },

    #[error("{0}")]
    Usage(String),
}

/// An AWS SDK error from `step`, with its whole chain of causes.
pub(crate) fn aws_failed<E: std::error::Error + Send + Sync + 'static>(
    step: &'static str,
) -> impl Fn(E) -> OpsError {
    move |e| OpsError::Aws {
        step,
        message: aws_sdk_sqs::error::DisplayErrorContext(&e).to_string(),
        source: Box::new(e),
    }
}
