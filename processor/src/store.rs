//! Where records go: the [`RecordStore`] capability and its in-memory fake.
//!
//! A write is the *image* of what one batch knows about a request (a [`RequestRecord`] built
//! from its query, its response, or both) merged into whatever the table already holds, by the
//! rules of [`shared_types::record`]: every attribute of the image is set, except that an image
//! without a query sets [`PROVISIONAL_UNTIL_QUERY`] attributes only where they are absent.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value};
use shared_types::RequestRecord;
use shared_types::record::{PROVISIONAL_UNTIL_QUERY, attr};

use crate::error::{FailureKind, ServiceFailure};

/// Merges request images into stored records, one write request per call.
pub trait RecordStore: Send + Sync {
    fn merge(
        &self,
        image: &RequestRecord,
    ) -> impl Future<Output = Result<(), ServiceFailure>> + Send;
}

/// Whether an attribute of `image` is written only when the stored item lacks it.
pub fn set_only_if_absent(image: &RequestRecord, attribute: &str) -> bool {
    !image.has_query() && PROVISIONAL_UNTIL_QUERY.contains(&attribute)
}

/// An in-memory table with the same merge semantics as the DynamoDB adapter, for tests.
///
/// It counts write requests and can be told to fail the writes of chosen requests.
#[derive(Debug, Default)]
pub struct InMemoryRecordStore {
    items: Mutex<BTreeMap<String, Map<String, Value>>>,
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
        lock(&self.items)
            .iter()
            .filter_map(|(pk, item)| {
                let record = serde_json::from_value(Value::Object(item.clone())).ok()?;
                Some((pk.clone(), record))
            })
            .collect()
    }
}

impl RecordStore for InMemoryRecordStore {
    async fn merge(&self, image: &RequestRecord) -> Result<(), ServiceFailure> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if let Some(failure) = lock(&self.failures).get(image.request_id()) {
            return Err(failure.clone());
        }
        let Ok(Value::Object(attributes)) = serde_json::to_value(image) else {
            return Err(ServiceFailure::new(
                FailureKind::Permanent,
                "record did not serialise to an object",
            ));
        };
        let mut items = lock(&self.items);
        let item = items.entry(image.pk.clone()).or_default();
        for (name, value) in attributes {
            if name == attr::PK {
                item.insert(name, value);
            } else if set_only_if_absent(image, &name) {
                item.entry(name).or_insert(value);
            } else {
                item.insert(name, value);
            }
        }
        Ok(())
    }
}

/// Locks a mutex of a fake, recovering the data if a panicking test poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
