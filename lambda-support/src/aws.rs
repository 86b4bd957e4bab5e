//! A failed call to AWS, classified by what can be done about it: retried later (throttling,
//! 5xx, timeouts), never (the request itself is wrong), or nothing at all in this invocation (a
//! missing resource, denied access). One classification for both functions.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use thiserror::Error;

/// How a failed call to AWS is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Throttling, 5xx, timeouts: worth another try later.
    Transient,
    /// The request itself is wrong (for example an item over 400 KB): retrying cannot help.
    Permanent,
    /// The resource is missing or access is denied: nothing can succeed.
    Fatal,
}

/// A failed call to AWS, classified, with what it was and what AWS said; the SDK's own error,
/// when there is one, is kept as the source.
#[derive(Debug, Clone, Error)]
#[error("{message}")]
pub struct ServiceFailure {
    pub kind: FailureKind,
    pub message: String,
    #[source]
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

/// Two failures are the same when they say the same: their kind and message.
impl PartialEq for ServiceFailure {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl ServiceFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Classifies an SDK error of `operation` (`"DynamoDB UpdateItem"`) by its error code and
    /// HTTP status; the message names the operation, the code, the status and AWS's message.
    ///
    /// The SDK has already retried throttling and 5xx with backoff (standard retry mode, three
    /// attempts) before the error reaches here.
    pub fn from_sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let failure = Self::classify(operation, &err);
        Self {
            source: Some(std::sync::Arc::new(err)),
            ..failure
        }
    }

    fn classify<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::ServiceError(context) => {
                let status = context.raw().status().as_u16();
                let code = context.err().code().unwrap_or("unknown error");
                let message = context.err().message().unwrap_or("no message");
                Self::new(
                    classify_code(code, status),
                    format!("{operation}: {code} (HTTP {status}): {message}"),
                )
            }
            // A request the SDK could not even build will not build on a retry either.
            SdkError::ConstructionFailure(_) => Self::new(
                FailureKind::Permanent,
                format!("{operation}: {}", DisplayErrorContext(err)),
            ),
            // Timeouts, connection failures and unreadable responses are worth a retry.
            _ => Self::new(
                FailureKind::Transient,
                format!("{operation}: {}", DisplayErrorContext(err)),
            ),
        }
    }
}

fn classify_code(code: &str, status: u16) -> FailureKind {
    const FATAL: [&str; 8] = [
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    ];
    const TRANSIENT: [&str; 7] = [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestThrottled",
        "KMSThrottlingException",
    ];
    if FATAL.contains(&code) {
        FailureKind::Fatal
    } else if TRANSIENT.contains(&code) || status >= 500 || status == 429 {
        FailureKind::Transient
    } else {
        FailureKind::Permanent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_server_errors_are_transient() {
        assert_eq!(
            classify_code("ThrottlingException", 400),
            FailureKind::Transient
        );
        assert_eq!(
            classify_code("ProvisionedThroughputExceededException", 400),
            FailureKind::Transient
        );
        assert_eq!(classify_code("SomethingNew", 503), FailureKind::Transient);
    }

    #[test]
    fn missing_resources_and_denied_access_are_fatal() {
        assert_eq!(
            classify_code("ResourceNotFoundException", 400),
            FailureKind::Fatal
        );
        assert_eq!(
            classify_code("AccessDeniedException", 400),
            FailureKind::Fatal
        );
    }

    #[test]
    fn validation_errors_are_permanent() {
        assert_eq!(
            classify_code("ValidationException", 400),
            FailureKind::Permanent
        );
    }
}
