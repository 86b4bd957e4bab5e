//! Errors of the reporter.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use thiserror::Error;

pub use shared_types::settings::ConfigError;

#[derive(Debug, Error)]
pub enum ReporterError {
    #[error(
        "the invocation is not a scheduled event nor a request like {{\"week\": \"2025-W45\", \"dryRun\": true, \"force\": false}}: {0}"
    )]
    Invocation(String),

    #[error(transparent)]
    Week(#[from] shared_types::WeekIdError),

    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        message: String,
    },

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
    pub fn aws<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let message = match err {
            SdkError::ServiceError(context) => format!(
                "{} (HTTP {}): {}",
                context.err().code().unwrap_or("unknown error"),
                context.raw().status().as_u16(),
                context.err().message().unwrap_or("no message")
            ),
            other => DisplayErrorContext(other).to_string(),
        };
        Self::Aws { operation, message }
    }
}
