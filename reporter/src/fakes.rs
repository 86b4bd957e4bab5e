//! In-memory fakes of the reporter's capabilities, for tests and benchmarks: compiled only for
//! the crate's own tests and with the `fakes` feature.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::record::report_marker::WeekSummary;
use shared_types::{RequestRecord, WeekId};

use crate::error::ReporterError;
use crate::ledger::{Claim, ReportLedger};
use crate::mailer::Mailer;
use crate::report::render::RenderedReport;
use crate::source::{RecordSource, WeeksRead};

/// Records held in memory, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct InMemoryRecordSource {
    records: Mutex<Vec<RequestRecord>>,
}

impl InMemoryRecordSource {
    pub fn new(records: Vec<RequestRecord>) -> Self {
        Self {
            records: Mutex::new(records),
        }
    }

    /// Stores a record as the processor would (a late arrival, for instance): in place of the
    /// record of the same request, if there is one.
    pub fn push(&self, record: RequestRecord) {
        let mut records = self.lock();
        records.retain(|r| r.pk != record.pk);
        records.push(record);
    }

    /// Deletes the records filed under `week`, as the table's TTL does.
    pub fn expire(&self, week: WeekId) {
        self.lock().retain(|r| r.week != week);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl RecordSource for InMemoryRecordSource {
    async fn read_weeks(
        &self,
        weeks: &[WeekId],
        counted: &[WeekId],
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<WeeksRead, ReporterError> {
        let records = self.lock().clone();
        let mut read = WeeksRead::starting(weeks, counted);
        for record in records {
            read.list(record.week, &record.pk, record.has_query());
            if weeks.contains(&record.week) {
                sink(record);
                read.passed += 1;
            }
        }
        Ok(read)
    }
}

/// The state of one week in the ledger.
#[derive(Debug, Clone, PartialEq)]
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

/// An in-memory ledger for tests; its writes can be told to fail.
#[derive(Debug, Default)]
pub struct InMemoryLedger {
    markers: Mutex<HashMap<WeekId, MarkerState>>,
    stats: Mutex<HashMap<WeekId, PipelineStats>>,
    /// How many of the next writes of each kind fail.
    failing: Mutex<HashMap<LedgerWrite, usize>>,
    /// The sent markers a forced claim holds, restored by a release.
    before_force: Mutex<HashMap<WeekId, MarkerState>>,
}

/// The writes of the ledger that a test can make fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerWrite {
    MarkSent,
    Release,
    Correct,
    ClearCorrections,
}

impl InMemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets what the processor absorbed during `week`, as it would have counted it.
    pub fn set_pipeline_stats(&self, week: WeekId, stats: PipelineStats) {
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(week, stats);
    }

    pub fn state(&self, week: WeekId) -> Option<MarkerState> {
        self.lock().get(&week).cloned()
    }

    /// The next `times` writes of `write` fail (as after the SDK's own retries).
    pub fn fail_next(&self, write: LedgerWrite, times: usize) {
        self.failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(write, times);
    }

    /// A failure, if one of `write` is due.
    fn injected(&self, write: LedgerWrite) -> Result<(), ReporterError> {
        let mut failing = self
            .failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match failing.get_mut(&write) {
            Some(left) if *left > 0 => {
                *left -= 1;
                Err(ReporterError::Aws(lambda_support::ServiceFailure::new(
                    lambda_support::FailureKind::Transient,
                    format!("DynamoDB ({write:?}): injected failure"),
                )))
            }
            _ => Ok(()),
        }
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
        (now, lease_until): (DateTime<Utc>, DateTime<Utc>),
        _expires_at: DateTime<Utc>,
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
            Some(&MarkerState::Sending { claimed_at, .. }) => {
                Some(Claim::Unconfirmed { claimed_at })
            }
        };
        if let Some(refusal) = refusal {
            return Ok(refusal);
        }
        let before = markers.insert(
            week,
            MarkerState::Sending {
                claimed_at: now,
                lease_until,
            },
        );
        if let Some(sent @ MarkerState::Sent { .. }) = before {
            lock(&self.before_force).insert(week, sent);
        }
        Ok(Claim::Granted)
    }

    async fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
        summary: &WeekSummary,
        _expires_at: DateTime<Utc>,
    ) -> Result<(), ReporterError> {
        self.injected(LedgerWrite::MarkSent)?;
        lock(&self.before_force).remove(&week);
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
        self.injected(LedgerWrite::Release)?;
        let mut markers = self.lock();
        if matches!(markers.get(&week), Some(MarkerState::Sending { claimed_at: c, .. }) if *c == claimed_at)
        {
            match lock(&self.before_force).remove(&week) {
                Some(sent) => markers.insert(week, sent),
                None => markers.remove(&week),
            };
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

    async fn pipeline_stats(&self, week: WeekId) -> Result<PipelineStats, ReporterError> {
        Ok(self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&week)
            .copied()
            .unwrap_or_default())
    }

    async fn correct(
        &self,
        week: WeekId,
        corrected: &WeekSummary,
        by: WeekId,
    ) -> Result<(), ReporterError> {
        self.injected(LedgerWrite::Correct)?;
        if let Some(MarkerState::Sent { summary, .. }) = self.lock().get_mut(&week)
            && summary.corrected_by.is_none_or(|done| done < by)
        {
            *summary = WeekSummary {
                corrected_by: Some(by),
                gaps: std::mem::take(&mut summary.gaps),
                corrections: std::mem::take(&mut summary.corrections),
                ..corrected.clone()
            };
        }
        Ok(())
    }

    async fn clear_corrections(&self, week: WeekId) -> Result<(), ReporterError> {
        self.injected(LedgerWrite::ClearCorrections)?;
        if let Some(MarkerState::Sent { summary, .. }) = self.lock().get_mut(&week) {
            summary.corrections.clear();
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
            return Err(ReporterError::Aws(lambda_support::ServiceFailure::new(
                lambda_support::FailureKind::Transient,
                "SES SendEmail: injected failure",
            )));
        }
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sent.push(report.clone());
        Ok(format!("message-{}", sent.len()))
    }
}
