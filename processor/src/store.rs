//! Where records go: the [`RecordStore`] capability and its in-memory fake.
//!
//! A write is the *image* of what one batch knows about a request (a [`RequestRecord`] built
//! from its query, its response, or both) merged into whatever the table already holds, by the
//! rules of [`shared_types::record`] ([`RequestRecord::merged`]): each half is written whole
//! unless a lower-ranked event of its kind is stored, and the shared attributes follow the
//! stored query.

use std::future::Future;

use shared_types::RequestRecord;

use crate::error::ServiceFailure;

/// Merges request images into stored records.
pub trait RecordStore: Send + Sync {
    fn merge(
        &self,
        image: &RequestRecord,
    ) -> impl Future<Output = Result<(), ServiceFailure>> + Send;
}
