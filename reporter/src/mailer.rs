//! Where the email goes: the [`Mailer`] capability and its in-memory fake.

use std::future::Future;
use std::sync::Mutex;

use crate::error::ReporterError;
use crate::render::RenderedReport;

/// Sends a rendered report to the configured recipients.
pub trait Mailer: Send + Sync {
    /// Sends the report; returns the provider's message id.
    fn send(
        &self,
        report: &RenderedReport,
    ) -> impl Future<Output = Result<String, ReporterError>> + Send;
}

/// Keeps sent reports in memory, for tests; can be told to fail, or to hang (a send that never
/// ends, as when the invocation dies or times out while sending).
#[derive(Debug, Default)]
pub struct InMemoryMailer {
    sent: Mutex<Vec<RenderedReport>>,
    failing: Mutex<bool>,
    hanging: Mutex<bool>,
}

impl InMemoryMailer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sent(&self) -> Vec<RenderedReport> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn set_failing(&self, failing: bool) {
        *self
            .failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = failing;
    }

    pub fn set_hanging(&self, hanging: bool) {
        *self
            .hanging
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = hanging;
    }
}

impl Mailer for InMemoryMailer {
    async fn send(&self, report: &RenderedReport) -> Result<String, ReporterError> {
        let hanging = *self
            .hanging
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if hanging {
            std::future::pending::<()>().await;
        }
        if *self
            .failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            return Err(ReporterError::Aws {
                operation: "SES SendEmail",
                message: "injected failure".into(),
            });
        }
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sent.push(report.clone());
        Ok(format!("message-{}", sent.len()))
    }
}
