//! Errors of the reporter.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use lambda_support::{FailureKind, ServiceFailure};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReporterError {
    #[error(
        "the invocation is not a scheduled event nor a request like {{\"week\": \"2025-W45\", \"dryRun\": true, \"force\": false}}: {0}"
    )]
    Invocation(String),

    #[error(transparent)]
    Week(#[from] shared_types::WeekIdError),

    #[error(transparent)]
    Aws(ServiceFailure),

    /// SES may have accepted the email and its answer was lost (a 5xx, a connection lost once
    /// the request went out, a timeout): sending again could send it twice.
    #[error("SES's answer was lost, so the email may have gone out: {0}")]
    EmailUnconfirmed(ServiceFailure),

    #[error("stored record {key} cannot be read: {message}")]
    Record { key: String, message: String },

    #[error("rendering the report failed: {0}")]
    Render(#[from] askama::Error),

    #[error(
        "{week} cannot be reported: its first records expired on {expired} (RECORD_TTL_DAYS is {ttl_days}), so its figures would be short"
    )]
    WeekExpired {
        week: shared_types::WeekId,
        expired: chrono::DateTime<chrono::Utc>,
        ttl_days: u32,
    },

    #[error(
        "the report of {week} is being sent by another invocation (claimed at {claimed_at}, until {lease_until}); a retry after that takes over if it died"
    )]
    ClaimedElsewhere {
        week: shared_types::WeekId,
        claimed_at: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
    },
}

impl ReporterError {
    /// An SDK error, with the service's error code and message when it has them.
    pub fn aws<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Self::Aws(ServiceFailure::from_sdk(operation, err))
    }

    /// A request that could not be built or an answer that could not be used: retrying the same
    /// run would meet the same.
    pub fn request(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Aws(ServiceFailure::new(
            FailureKind::Permanent,
            format!("{operation}: {message}"),
        ))
    }
}

impl ReporterError {
    /// The name CloudWatch shows as the invocation's `errorType`: stable, and by meaning.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Invocation(_) => "ReporterError::Invocation",
            Self::Week(_) => "ReporterError::Week",
            Self::Aws(_) => "ReporterError::Aws",
            Self::EmailUnconfirmed(_) => "ReporterError::EmailUnconfirmed",
            Self::Record { .. } => "ReporterError::Record",
            Self::Render(_) => "ReporterError::Render",
            Self::WeekExpired { .. } => "ReporterError::WeekExpired",
            Self::ClaimedElsewhere { .. } => "ReporterError::ClaimedElsewhere",
        }
    }
}

/// What the Lambda runtime reports for a failed invocation: `errorType` is the variant's name,
/// not the boxed type's.
impl From<ReporterError> for lambda_runtime::Diagnostic {
    fn from(error: ReporterError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}
