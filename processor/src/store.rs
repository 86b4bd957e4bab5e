//! Where records go: the [`RecordStore`] capability (its in-memory fake is in `fakes`).
//!
//! A write is the *image* of what one batch knows about a request (a [`RequestRecord`] built
//! from its query, its response, or both) merged into whatever the table already holds, by the
//! rules of [`shared_types::record`] ([`RequestRecord::merged`]): each half is written whole
//! unless a lower-ranked event of its kind is stored, and the shared attributes follow the
//! stored query.

use std::future::Future;

use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::{RequestRecord, WeekId};

use crate::error::ServiceFailure;

/// What a merge found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merged {
    /// Halves of the image that added nothing: the very event was stored already, or a
    /// lower-ranked one of its kind was.
    pub absorbed: usize,
}

/// Merges request images into stored records, and keeps a week's pipeline counts.
pub trait RecordStore: Send + Sync {
    fn merge(
        &self,
        image: &RequestRecord,
    ) -> impl Future<Output = Result<Merged, ServiceFailure>> + Send;

    /// Adds `stats` to `week`'s pipeline counts, which expire (the table's TTL) at `expires_at`
    /// epoch seconds.
    fn add_stats(
        &self,
        week: WeekId,
        stats: &PipelineStats,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), ServiceFailure>> + Send;
}
