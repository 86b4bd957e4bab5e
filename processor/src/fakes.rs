//! In-memory fakes of the processor's capabilities, with the same semantics as the AWS
//! adapters, for tests, benchmarks and fuzzing: compiled only for the crate's own tests and with
//! the `fakes` feature.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::{RequestRecord, WeekId};

use crate::dead_letter::{DeadLetterQueue, Rejection};
use crate::error::{FailureKind, ServiceFailure};
use crate::store::{Merged, RecordStore};

/// An in-memory table with the same merge semantics as the DynamoDB adapter, for tests.
///
/// It counts write requests and can be told to fail the writes of chosen requests.
#[derive(Debug, Default)]
pub struct InMemoryRecordStore {
    items: Mutex<BTreeMap<String, RequestRecord>>,
    stats: Mutex<BTreeMap<WeekId, PipelineStats>>,
    failures: Mutex<HashMap<String, ServiceFailure>>,
    response_failures: Mutex<HashMap<String, ServiceFailure>>,
    writes: AtomicUsize,
}

impl InMemoryRecordStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every write of `request_id` fails with `kind` until [`Self::heal`] is called.
    pub fn fail_request(&self, request_id: &str, kind: FailureKind) {
        let failure = ServiceFailure::new(kind, format!("injected {kind:?} failure"));
        lock(&self.failures).insert(request_id.to_owned(), failure);
    }

    /// Every write of `request_id` that carries its response fails with `kind` (as DynamoDB
    /// refuses an attribute of the response), until [`Self::heal`] is called.
    pub fn fail_response_of(&self, request_id: &str, kind: FailureKind) {
        let failure =
            ServiceFailure::new(kind, format!("injected {kind:?} failure of the response"));
        lock(&self.response_failures).insert(request_id.to_owned(), failure);
    }

    /// Stops all injected failures.
    pub fn heal(&self) {
        lock(&self.failures).clear();
        lock(&self.response_failures).clear();
    }

    /// Write requests received so far, failed ones included.
    pub fn write_count(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// The stored records, by partition key.
    pub fn records(&self) -> BTreeMap<String, RequestRecord> {
        lock(&self.items).clone()
    }

    /// The pipeline counts kept so far, by week.
    pub fn stats(&self) -> BTreeMap<WeekId, PipelineStats> {
        lock(&self.stats).clone()
    }
}

impl RecordStore for InMemoryRecordStore {
    async fn merge(&self, image: &RequestRecord) -> Result<Merged, ServiceFailure> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if let Some(failure) = lock(&self.failures).get(image.request_id()) {
            return Err(failure.clone());
        }
        if image.is_answered()
            && let Some(failure) = lock(&self.response_failures).get(image.request_id())
        {
            return Err(failure.clone());
        }
        let mut items = lock(&self.items);
        let stored = items.get(&image.pk);
        let absorbed = RequestRecord::absorbed_halves(stored, image);
        let merged = RequestRecord::merged(stored, image);
        items.insert(image.pk.clone(), merged);
        Ok(Merged { absorbed })
    }

    async fn add_stats(
        &self,
        week: WeekId,
        stats: &PipelineStats,
        _expires_at: i64,
    ) -> Result<(), ServiceFailure> {
        let mut all = lock(&self.stats);
        let kept = all.entry(week).or_default();
        kept.dead_lettered += stats.dead_lettered;
        kept.duplicates += stats.duplicates;
        kept.late += stats.late;
        Ok(())
    }
}

/// Locks a mutex of a fake, recovering the data if a panicking test poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An in-memory dead-letter queue for tests; it can be told to fail.
#[derive(Debug, Default)]
pub struct InMemoryDeadLetters {
    sent: Mutex<Vec<Rejection>>,
    failure: Mutex<Option<FailureKind>>,
}

impl InMemoryDeadLetters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every send fails with `kind` (or succeeds again with `None`).
    pub fn set_failure(&self, kind: Option<FailureKind>) {
        *lock(&self.failure) = kind;
    }

    /// What was sent so far.
    pub fn sent(&self) -> Vec<Rejection> {
        lock(&self.sent).clone()
    }
}

impl DeadLetterQueue for InMemoryDeadLetters {
    async fn send(&self, rejection: &Rejection) -> Result<(), ServiceFailure> {
        let failure = *lock(&self.failure);
        if let Some(kind) = failure {
            return Err(ServiceFailure::new(kind, "injected dead-letter failure"));
        }
        lock(&self.sent).push(rejection.clone());
        Ok(())
    }
}
