//! Where a week's records come from: the [`RecordSource`] capability (its in-memory fake is in
//! `fakes`).

use std::collections::BTreeMap;
use std::future::Future;

use shared_types::record::report_marker::{key_hash, request_state_hash};
use shared_types::{RequestRecord, WeekId};

use crate::error::ReporterError;

/// What one read found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeksRead {
    /// Records passed to the sink.
    pub passed: u64,
    /// Requests filed under each week read or counted, now.
    pub counts: BTreeMap<WeekId, u64>,
    /// The fingerprint of the requests filed under each week read or counted
    /// ([`request_set_hash`](shared_types::record::report_marker::request_set_hash) of their keys): a week whose requests changed without their number
    /// changing has another fingerprint.
    pub fingerprints: BTreeMap<WeekId, u64>,
    /// The same with whether each request has its query
    /// ([`request_state_hash`](shared_types::record::report_marker::request_state_hash)): a
    /// late query joining a response already filed under a week changes it.
    pub states: BTreeMap<WeekId, u64>,
}

impl WeeksRead {
    /// Nothing read yet: every week of `weeks` and `counted` at zero.
    pub(crate) fn starting(weeks: &[WeekId], counted: &[WeekId]) -> Self {
        Self {
            passed: 0,
            counts: weeks.iter().chain(counted).map(|w| (*w, 0)).collect(),
            fingerprints: weeks.iter().chain(counted).map(|w| (*w, 0)).collect(),
            states: weeks.iter().chain(counted).map(|w| (*w, 0)).collect(),
        }
    }

    /// Counts one request (its partition key `pk`, and whether its query is stored) filed under
    /// `week`, if the read counts that week; whether it did.
    pub fn list(&mut self, week: WeekId, pk: &str, has_query: bool) -> bool {
        let Some(count) = self.counts.get_mut(&week) else {
            return false;
        };
        *count += 1;
        *self.fingerprints.entry(week).or_default() ^= key_hash(pk);
        *self.states.entry(week).or_default() ^= request_state_hash(pk, has_query);
        true
    }

    pub fn count(&self, week: WeekId) -> u64 {
        self.counts.get(&week).copied().unwrap_or(0)
    }

    pub fn fingerprint(&self, week: WeekId) -> u64 {
        self.fingerprints.get(&week).copied().unwrap_or(0)
    }

    pub fn state(&self, week: WeekId) -> u64 {
        self.states.get(&week).copied().unwrap_or(0)
    }

    /// Whether the requests filed under `week` now differ from those a report counted
    /// (`reported`): their number, their keys, or which have their query (when the report
    /// kept that).
    pub(crate) fn changed_since(
        &self,
        week: WeekId,
        reported: &shared_types::record::report_marker::WeekSummary,
    ) -> bool {
        self.count(week) != reported.indexed
            || reported
                .fingerprint
                .is_some_and(|f| f != self.fingerprint(week))
            || reported
                .state_fingerprint
                .is_some_and(|f| f != self.state(week))
    }
}

/// Streams weeks' records into a sink, page by page, never holding a week in memory.
///
/// One call is one pass over what the store must read: a report asks for everything it needs
/// at once, because a pass of a table without an index reads the whole table whatever it asks.
pub trait RecordSource: Send + Sync {
    /// Calls `sink` for each record filed under one of `weeks`, and counts the requests filed
    /// under each of `weeks` and `counted` (those without reading them, where the store can).
    fn read_weeks(
        &self,
        weeks: &[WeekId],
        counted: &[WeekId],
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> impl Future<Output = Result<WeeksRead, ReporterError>> + Send;
}
