//! Property: however a set of requests' events is ordered, duplicated and split into batches,
//! the stored records equal the simple model (each request's record built from its query and
//! response at once), and no batch writes a request more than once.
//!
//! `PROPTEST_CASES` sets the number of cases (default 1,000).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::scenario::{BASE_MS, model, scenario};
use crate::support::{config, sqs_event};
use processor::Processor;
use processor::fakes::InMemoryDeadLetters;
use processor::fakes::InMemoryRecordStore;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use shared_types::AnalyticsEvent;

#[test]
fn any_order_duplication_and_batching_yields_the_model_records() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let now = chrono::DateTime::from_timestamp_millis(BASE_MS + 30 * 86_400_000).unwrap();
    let ran = AtomicUsize::new(0);
    let deliveries_seen = AtomicUsize::new(0);
    let mut runner = TestRunner::new(ProptestConfig::with_cases(cases));

    let result = runner.run(&scenario(), |scenario| {
        let processor = Processor::new(
            InMemoryRecordStore::new(),
            InMemoryDeadLetters::new(),
            &config("table", "dlq.fifo"),
        );
        let mut expected_writes = 0;
        for batch in scenario.batches() {
            let distinct: HashSet<String> = batch
                .iter()
                .map(|b| {
                    AnalyticsEvent::parse(b, now)
                        .unwrap()
                        .request_id()
                        .to_owned()
                })
                .collect();
            expected_writes += distinct.len();
            let outcome = runtime
                .block_on(processor.process(sqs_event(batch, 0), now))
                .unwrap();
            prop_assert!(outcome.response.batch_item_failures.is_empty());
            prop_assert_eq!(outcome.summary.rejected, 0);
        }
        prop_assert_eq!(processor.store().records(), model(&scenario.requests));
        prop_assert_eq!(processor.store().write_count(), expected_writes);
        prop_assert!(processor.store().write_count() <= scenario.deliveries.len());
        ran.fetch_add(1, Ordering::Relaxed);
        deliveries_seen.fetch_add(scenario.deliveries.len(), Ordering::Relaxed);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let ran = ran.into_inner();
    println!(
        "merge property: {ran} cases passed, {} deliveries processed",
        deliveries_seen.into_inner()
    );
    assert!(ran >= cases as usize);
}
