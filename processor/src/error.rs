//! Errors of the processor, and the classification that decides what happens to a message.

use thiserror::Error;

pub use lambda_support::{FailureKind, ServiceFailure};

/// The invocation as a whole failed: nothing in the batch could be processed.
#[derive(Debug, Error)]
pub enum ProcessorError {
    #[error("an SQS record has no messageId, so its outcome cannot be reported")]
    RecordWithoutId,

    #[error("cannot work at all, the whole batch will be retried: {0}")]
    Unavailable(ServiceFailure),
}

impl ProcessorError {
    /// The name CloudWatch shows as the invocation's `errorType`: stable, and by meaning.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::RecordWithoutId => "ProcessorError::RecordWithoutId",
            Self::Unavailable(_) => "ProcessorError::Unavailable",
        }
    }
}

/// What the Lambda runtime reports for a failed invocation: `errorType` is the variant's name,
/// not the boxed type's (`&alloc::boxed::Box<dyn core::error::Error ...>`).
impl From<ProcessorError> for lambda_runtime::Diagnostic {
    fn from(error: ProcessorError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_reports_the_variant_as_the_error_type() {
        let failure = ServiceFailure::new(FailureKind::Fatal, "DynamoDB UpdateItem: no table");
        let diagnostic = lambda_runtime::Diagnostic::from(ProcessorError::Unavailable(failure));
        assert_eq!(diagnostic.error_type, "ProcessorError::Unavailable");
        assert_eq!(
            diagnostic.error_message,
            "cannot work at all, the whole batch will be retried: DynamoDB UpdateItem: no table"
        );
    }
}
