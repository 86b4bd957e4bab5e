//! Where records go: the [`RecordStore`] capability and its in-memory fake.
//!
//! A write is the *image* of what one batch knows about a request (a [`RequestRecord`] built
//! from its query, its response, or both) merged into whatever the table already holds, by the
//! rules of [`shared_types::record`] ([`RequestRecord::merged`]): each half is written whole
//! unless a lower-ranked event of its kind is stored, and the shared attributes follow the
//! stored query.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use shared_types::RequestRecord;

use crate::error::{FailureKind, ServiceFailure};

/// Merges request images into stored records.
pub trait RecordStore: Send + Sync {
    fn merge(
        &self,
        image: &RequestRecord,
    ) -> impl Future<Output = Result<(), ServiceFailure>> + Send;
}

/// An in-memory table with the same merge semantics as the DynamoDB adapter, for tests.
///
/// It counts write requests and can be told to fail the writes of chosen requests.
#[derive(Debug, Default)]
pub struct InMemoryRecordStore {
    items: Mutex<BTreeMap<String, RequestRecord>>,
    failures: Mutex<HashMap<String, ServiceFailure>>,
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

    /// Stops all injected failures.
    pub fn heal(&self) {
        lock(&self.failures).clear();
    }

    /// Write requests received so far, failed ones included.
    pub fn write_count(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// The stored records, by partition key.
    pub fn records(&self) -> BTreeMap<String, RequestRecord> {
        lock(&self.items).clone()
    }
}

impl RecordStore for InMemoryRecordStore {
    async fn merge(&self, image: &RequestRecord) -> Result<(), ServiceFailure> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if let Some(failure) = lock(&self.failures).get(image.request_id()) {
            return Err(failure.clone());
        }
        let mut items = lock(&self.items);
        let merged = RequestRecord::merged(items.get(&image.pk), image);
        items.insert(image.pk.clone(), merged);
        Ok(())
    }
}

/// Locks a mutex of a fake, recovering the data if a panicking test poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
