//! Where a week's records come from: the [`RecordSource`] capability and its in-memory fake.

use std::future::Future;

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
