//! The fault run's verdict: after injected DynamoDB faults, SQS redelivery, SQS's own
//! dead-lettering and a redrive, nothing is lost, nothing is counted twice and every record
//! equals the model built from the generated requests.

use std::collections::BTreeSet;

use shared_types::WeekId;
use shared_types::record::DEFAULT_TTL_DAYS;

use super::pipeline::DemoOutcome;

/// What a fault run found, compared with the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Findings {
    pub events: usize,
    pub requests: usize,
    /// Modelled requests with no record.
    pub missing: usize,
    /// Records of requests the model does not have.
    pub extra: usize,
    /// Records that differ from the model.
    pub different: usize,
    /// Dead-letter queue messages at the end that are not the workload's malformed ones, and
    /// malformed ones that are not there.
    pub dead_letter_mismatches: usize,
    /// Requests of the reported week, in the model and as the reporter read them.
    pub week_modelled: usize,
    pub week_reported: usize,
}

impl Findings {
    pub fn holds(&self) -> bool {
        self.missing == 0
            && self.extra == 0
            && self.different == 0
            && self.dead_letter_mismatches == 0
            && self.week_modelled == self.week_reported
    }
}

/// Compares what the run left behind with the model.
pub fn verify(outcome: &DemoOutcome, week: WeekId) -> Findings {
    let workload = &outcome.workload;
    let model = workload.expected_records(DEFAULT_TTL_DAYS);
    let missing = model
        .keys()
        .filter(|k| !outcome.records.contains_key(*k))
        .count();
    let extra = outcome
        .records
        .keys()
        .filter(|k| !model.contains_key(*k))
        .count();
    let different = model
        .iter()
        .filter(|(k, record)| outcome.records.get(*k).is_some_and(|r| r != *record))
        .count();
    let dead: BTreeSet<&str> = outcome
        .dead_letters
        .iter()
        .map(|(body, _)| body.as_str())
        .collect();
    let malformed: BTreeSet<&str> = workload.malformed.iter().map(|(b, _)| b.as_str()).collect();
    let dead_letter_mismatches = dead.symmetric_difference(&malformed).count()
        + outcome.dead_letters.len().saturating_sub(dead.len());
    let week_modelled = workload
        .requests
        .iter()
        .filter(|r| WeekId::of_timestamp_ms(r.query.timestamp) == Some(week))
        .count();
    Findings {
        events: outcome.messages_sent,
        requests: model.len(),
        missing,
        extra,
        different,
        dead_letter_mismatches,
        week_modelled,
        week_reported: outcome.summary.records_read as usize,
    }
}
