//! Exactly one email per week, and the figures each report sent: the [`ReportLedger`]
//! capability.
//!
//! The reporter *claims* a week with a conditional write before sending, marks it *sent*
//! afterwards with the week's [`WeekSummary`], and releases the claim if SES refuses the email.
//! So two invocations, even concurrent ones, send one email: the second finds the claim.
//!
//! A claim protects a send in progress until its *lease* ends: the claiming invocation's
//! deadline, which Lambda sets (an invocation cannot outlive it). An invocation that finds a live
//! claim fails, so that Lambda's asynchronous retries (one minute, then two minutes later) come
//! back. A claim whose lease has ended was never marked sent nor released: its invocation died,
//! or SES accepted the email and the mark failed (after retries with backoff). The two cannot be
//! told apart, and one of them means the email went out, so such a week is **unconfirmed**: no
//! scheduled run sends it again, every run says so (the `report-unconfirmed` alarm), and only a
//! forced run (`make backfill FROM=W TO=W FORCE=1`, after a look at the inbox) sends it. One
//! email per week holds whichever single write fails.

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
    /// A claim whose lease ended without a mark or a release: the email may have gone out.
    Unconfirmed { claimed_at: DateTime<Utc> },
}

/// Records which weeks' reports were sent, and the figures they sent.
pub trait ReportLedger: Send + Sync {
    /// Claims `week` at `now` until `lease_until`; `force` takes it whatever its state. A week
    /// with no marker is granted; a claim is never taken over without `force`. A forced claim
    /// keeps what the marker holds (a sent week's figures, pending corrections, expiry), so that
    /// a [`release`](Self::release) restores it; a marker without an expiry gets `expires_at`.
    fn claim(
        &self,
        week: WeekId,
        lease: (DateTime<Utc>, DateTime<Utc>),
        expires_at: DateTime<Utc>,
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

    /// Gives up a claim made at `claimed_at` after a failed send, so a retry can send: the
    /// marker goes, or, when the week was sent before (a forced resend), is sent again.
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

    /// Replaces the stored figures of a week whose report was sent with `summary`, the
    /// correction the report of week `by` made (late arrivals), unless the figures stored are
    /// already `by`'s correction or a later report's. Applying the same correction twice
    /// changes nothing.
    fn correct(
        &self,
        week: WeekId,
        summary: &WeekSummary,
        by: WeekId,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;

    /// Forgets the corrections `week`'s marker carries, once they are all applied.
    fn clear_corrections(
        &self,
        week: WeekId,
    ) -> impl Future<Output = Result<(), ReporterError>> + Send;
}
