//! Where the email goes: the [`Mailer`] capability (its in-memory fake is in `fakes`).

use std::future::Future;

use crate::error::ReporterError;
use crate::report::render::RenderedReport;

/// Sends a rendered report to the configured recipients.
pub trait Mailer: Send + Sync {
    /// Sends the report; returns the provider's message id.
    fn send(
        &self,
        report: &RenderedReport,
    ) -> impl Future<Output = Result<String, ReporterError>> + Send;
}
