//! Exactly one email per week: the [`ReportLedger`] capability and its in-memory fake.
//!
//! The reporter *claims* a week with a conditional write before sending, marks it *sent*
//! afterwards, and releases the claim if SES refuses the email. So two invocations, even
//! concurrent ones, send one email: the second finds the claim and stops.
//!
//! A claim whose invocation died (a timeout or crash between the claim and the mark) goes
//! stale after [`CLAIM_LEASE_SECONDS`] and may then be taken again. The one window in which an
//! email can go out twice is a crash after SES accepted the email and before the mark was
//! written, followed by a retry after the lease; that trade (at least once) is chosen over
//! losing the week's report.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use shared_types::WeekId;

use crate::error::ReporterError;

/// How long a claim protects a send in progress: Lambda's longest timeout (15 minutes).
pub const CLAIM_LEASE_SECONDS: i64 = 900;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This invocation may send.
    Granted,
    /// The report was sent already.
    AlreadySent { sent_at: Option<DateTime<Utc>> },
    /// Another invocation claimed the week less than the lease ago.
    InProgress { claimed_at: DateTime<Utc> },
}

/// Records which weeks' reports were sent.
pub trait ReportLedger: Send + Sync {
    /// Claims `week` for sending at `now`; `force` takes it whatever its state.
    fn claim(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        force: bool,
    ) -> impl Future<Output = Result<Claim, ReporterError>> + Send;

    /// Marks the week's report as sent, with SES's message id.
    fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;

    /// Gives up a claim made at `claimed_at` after a failed send, so a retry can send.
    fn release(
        &self,
        week: WeekId,
        claimed_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;
}

/// The state of one week in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerState {
    Sending {
        claimed_at: DateTime<Utc>,
    },
    Sent {
        sent_at: DateTime<Utc>,
        message_id: String,
    },
}

/// An in-memory ledger for tests.
#[derive(Debug, Default)]
pub struct InMemoryLedger {
    markers: Mutex<HashMap<WeekId, MarkerState>>,
}

impl InMemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self, week: WeekId) -> Option<MarkerState> {
        self.lock().get(&week).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WeekId, MarkerState>> {
        self.markers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ReportLedger for InMemoryLedger {
    async fn claim(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, ReporterError> {
        let mut markers = self.lock();
        let refusal = match markers.get(&week) {
            _ if force => None,
            None => None,
            Some(MarkerState::Sent { sent_at, .. }) => Some(Claim::AlreadySent {
                sent_at: Some(*sent_at),
            }),
            Some(MarkerState::Sending { claimed_at })
                if (now - *claimed_at).num_seconds() < CLAIM_LEASE_SECONDS =>
            {
                Some(Claim::InProgress {
                    claimed_at: *claimed_at,
                })
            }
            Some(MarkerState::Sending { .. }) => None,
        };
        if let Some(refusal) = refusal {
            return Ok(refusal);
        }
        markers.insert(week, MarkerState::Sending { claimed_at: now });
        Ok(Claim::Granted)
    }

    async fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), ReporterError> {
        self.lock().insert(
            week,
            MarkerState::Sent {
                sent_at: now,
                message_id: message_id.to_owned(),
            },
        );
        Ok(())
    }

    async fn release(&self, week: WeekId, claimed_at: DateTime<Utc>) -> Result<(), ReporterError> {
        let mut markers = self.lock();
        if markers.get(&week) == Some(&MarkerState::Sending { claimed_at }) {
            markers.remove(&week);
        }
        Ok(())
    }
}
