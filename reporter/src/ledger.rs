//! Exactly one email per week, and the figures each report sent: the [`ReportLedger`]
//! capability and its in-memory fake.
//!
//! The reporter *claims* a week with a conditional write before sending, marks it *sent*
//! afterwards with the week's [`WeekSummary`], and releases the claim if SES refuses the email.
//! So two invocations, even concurrent ones, send one email: the second finds the claim.
//!
//! A claim protects a send in progress until its *lease* ends: the claiming invocation's
//! deadline, which Lambda sets (an invocation cannot outlive it). An invocation that finds a live
//! claim fails, so that Lambda's asynchronous retries (one minute, then two minutes later) come
//! back: if the claimer died after claiming, a retry after the lease takes the claim over and
//! sends. The one window in which an email can go out twice is a crash after SES accepted the
//! email and before the mark was written, followed by a retry after the lease; that trade (at
//! least once) is chosen over losing the week's report.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use shared_types::WeekId;
use shared_types::record::report_marker::WeekSummary;

use crate::error::ReporterError;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This invocation may send.
    Granted,
    /// The report was sent already.
    AlreadySent { sent_at: Option<DateTime<Utc>> },
    /// Another invocation holds the claim until `lease_until`.
    InProgress {
        claimed_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    },
}

/// Records which weeks' reports were sent, and the figures they sent.
pub trait ReportLedger: Send + Sync {
    /// Claims `week` at `now` until `lease_until`; `force` takes it whatever its state.
    fn claim(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        force: bool,
    ) -> impl Future<Output = Result<Claim, ReporterError>> + Send;

    /// Marks the week's report as sent, with SES's message id and the week's figures.
    fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
        summary: &WeekSummary,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;

    /// Gives up a claim made at `claimed_at` after a failed send, so a retry can send.
    fn release(
        &self,
        week: WeekId,
        claimed_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;

    /// The figures of those `weeks` whose report was sent with them, in one read.
    fn summaries(
        &self,
        weeks: &[WeekId],
    ) -> impl Future<Output = Result<HashMap<WeekId, WeekSummary>, ReporterError>> + Send;

    /// Replaces the stored figures of a week whose report was sent (late arrivals).
    fn correct(
        &self,
        week: WeekId,
        summary: &WeekSummary,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;
}

/// The state of one week in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerState {
    Sending {
        claimed_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    },
    Sent {
        sent_at: DateTime<Utc>,
        message_id: String,
        summary: WeekSummary,
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
        lease_until: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, ReporterError> {
        let mut markers = self.lock();
        let refusal = match markers.get(&week) {
            _ if force => None,
            None => None,
            Some(MarkerState::Sent { sent_at, .. }) => Some(Claim::AlreadySent {
                sent_at: Some(*sent_at),
            }),
            Some(&MarkerState::Sending {
                claimed_at,
                lease_until,
            }) if lease_until >= now => Some(Claim::InProgress {
                claimed_at,
                lease_until,
            }),
            Some(MarkerState::Sending { .. }) => None,
        };
        if let Some(refusal) = refusal {
            return Ok(refusal);
        }
        markers.insert(
            week,
            MarkerState::Sending {
                claimed_at: now,
                lease_until,
            },
        );
        Ok(Claim::Granted)
    }

    async fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
        summary: &WeekSummary,
    ) -> Result<(), ReporterError> {
        self.lock().insert(
            week,
            MarkerState::Sent {
                sent_at: now,
                message_id: message_id.to_owned(),
                summary: summary.clone(),
            },
        );
        Ok(())
    }

    async fn release(&self, week: WeekId, claimed_at: DateTime<Utc>) -> Result<(), ReporterError> {
        let mut markers = self.lock();
        if matches!(markers.get(&week), Some(MarkerState::Sending { claimed_at: c, .. }) if *c == claimed_at)
        {
            markers.remove(&week);
        }
        Ok(())
    }

    async fn summaries(
        &self,
        weeks: &[WeekId],
    ) -> Result<HashMap<WeekId, WeekSummary>, ReporterError> {
        let markers = self.lock();
        Ok(weeks
            .iter()
            .filter_map(|week| match markers.get(week) {
                Some(MarkerState::Sent { summary, .. }) => Some((*week, summary.clone())),
                _ => None,
            })
            .collect())
    }

    async fn correct(&self, week: WeekId, corrected: &WeekSummary) -> Result<(), ReporterError> {
        if let Some(MarkerState::Sent { summary, .. }) = self.lock().get_mut(&week) {
            *summary = corrected.clone();
        }
        Ok(())
    }
}
