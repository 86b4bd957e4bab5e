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

use chrono::{DateTime, Utc};
use shared_types::WeekId;
use shared_types::record::pipeline_stats::PipelineStats;
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

    /// Marks the week's report as sent, with SES's message id and the week's figures; the
    /// marker expires (the table's TTL) at `expires_at`.
    fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
        summary: &WeekSummary,
        expires_at: DateTime<Utc>,
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

    /// What the processor absorbed during `week` (duplicates, late events, dead letters).
    fn pipeline_stats(
        &self,
        week: WeekId,
    ) -> impl Future<Output = Result<PipelineStats, ReporterError>> + Send;

    /// Replaces the stored figures of a week whose report was sent (late arrivals).
    fn correct(
        &self,
        week: WeekId,
        summary: &WeekSummary,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;
}
