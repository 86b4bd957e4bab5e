//! Where a week's records come from: the [`RecordSource`] capability and its in-memory fake.

use std::future::Future;
use std::sync::Mutex;

use shared_types::{RequestRecord, WeekId};

use crate::error::ReporterError;

/// Streams one week's records into a sink, page by page, never holding the week in memory.
pub trait RecordSource: Send + Sync {
    /// Calls `sink` for each record filed under `week`; returns how many it passed.
    fn read_week(
        &self,
        week: WeekId,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> impl Future<Output = Result<u64, ReporterError>> + Send;

    /// How many requests are filed under `week` now, without reading them.
    fn count_week(&self, week: WeekId) -> impl Future<Output = Result<u64, ReporterError>> + Send;
}

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

    /// Adds a record, as the processor would (a late arrival, for instance).
    pub fn push(&self, record: RequestRecord) {
        self.lock().push(record);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl RecordSource for InMemoryRecordSource {
    async fn read_week(
        &self,
        week: WeekId,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<u64, ReporterError> {
        let records = self.lock().clone();
        let mut passed = 0;
        for record in records.into_iter().filter(|r| r.week == week) {
            sink(record);
            passed += 1;
        }
        Ok(passed)
    }

    async fn count_week(&self, week: WeekId) -> Result<u64, ReporterError> {
        Ok(self.lock().iter().filter(|r| r.week == week).count() as u64)
    }
}
