//! Helpers shared by the processor's integration tests.

pub(crate) mod scenario;

use aws_lambda_events::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use processor::Config;

/// An SQS event read from `processor/events/`, the files `cargo lambda invoke --data-file` uses.
pub(crate) fn fixture(name: &str) -> SqsEvent {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) use local_aws::{failed_ids, sqs_event};

/// The bodies of an SQS event, in order.
pub(crate) fn bodies(event: &SqsEvent) -> Vec<String> {
    event
        .records
        .iter()
        .map(|r| r.body.clone().unwrap_or_default())
        .collect()
}

/// The instant the fixtures were "processed": a day after the spec's example events.
pub(crate) fn fixture_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_762_700_000_000).expect("valid instant")
}

pub(crate) fn config(table: &str, dead_letter_queue_url: &str) -> Config {
    Config {
        table_name: table.into(),
        dead_letter_queue_url: dead_letter_queue_url.into(),
        ttl_days: 90,
        zone: shared_types::week::Tz::UTC,
        write_concurrency: 4,
    }
}
