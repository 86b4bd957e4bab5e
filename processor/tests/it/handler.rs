//! The batch handler against in-memory fakes: ordering, duplicates, poison, failures.

use crate::support::{bodies, config, failed_ids, fixture, fixture_now, sqs_event};
use chrono::{DateTime, Utc};
use processor::fakes::InMemoryDeadLetters;
use processor::fakes::InMemoryRecordStore;
use processor::{FailureKind, Processor, ProcessorError};
use shared_types::RequestRecord;

type FakeProcessor = Processor<InMemoryRecordStore, InMemoryDeadLetters>;

const REQUEST: &str = "REQ#3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55";

fn processor() -> FakeProcessor {
    Processor::new(
        InMemoryRecordStore::new(),
        InMemoryDeadLetters::new(),
        &config("table", "dlq.fifo"),
    )
}

async fn run(processor: &FakeProcessor, bodies: &[String], first_id: usize) -> Vec<String> {
    let outcome = processor
        .process(sqs_event(bodies, first_id), fixture_now())
        .await
        .expect("batch processed");
    failed_ids(&outcome.response)
}

fn only_record(processor: &FakeProcessor) -> RequestRecord {
    let records = processor.store().records();
    assert_eq!(records.len(), 1, "{records:#?}");
    records.into_values().next().unwrap()
}

#[tokio::test]
async fn query_and_response_in_one_batch_make_one_complete_record_with_one_write() {
    let processor = processor();
    let outcome = processor
        .process(fixture("query-and-response.json"), fixture_now())
        .await
        .unwrap();
    assert!(outcome.response.batch_item_failures.is_empty());
    assert_eq!(outcome.summary.stored, 1);
    assert_eq!(outcome.summary.merged_in_batch, 1);
    assert_eq!(processor.store().write_count(), 1);

    let record = only_record(&processor);
    assert_eq!(record.pk, REQUEST);
    assert_eq!(record.week.to_string(), "2025-W45");
    assert_eq!(
        record.query.as_deref(),
        Some("have you any experience with c#?")
    );
    assert_eq!(record.match_score, Some(91));
    assert_eq!(record.latency_ms(), Some(1_612));
    assert_eq!(record.expires_at, 1_762_607_658 + 90 * 86_400);
}

#[tokio::test]
async fn response_before_query_yields_the_same_record_as_query_then_response() {
    let [query, response] =
        <[String; 2]>::try_from(bodies(&fixture("query-and-response.json"))).unwrap();

    let in_order = processor();
    run(&in_order, std::slice::from_ref(&query), 0).await;
    run(&in_order, std::slice::from_ref(&response), 1).await;

    let reversed = processor();
    run(&reversed, std::slice::from_ref(&response), 0).await;
    let provisional = only_record(&reversed);
    assert!(provisional.is_answered() && !provisional.has_query());
    run(&reversed, std::slice::from_ref(&query), 1).await;

    let reversed_in_one_batch = processor();
    reversed_in_one_batch
        .process(fixture("response-before-query.json"), fixture_now())
        .await
        .unwrap();

    assert_eq!(only_record(&in_order), only_record(&reversed));
    assert_eq!(only_record(&in_order), only_record(&reversed_in_one_batch));
    assert_eq!(in_order.store().write_count(), 2);
}

#[tokio::test]
async fn a_response_first_across_the_week_boundary_ends_in_the_query_week() {
    // Query on Sunday 23:59:59.5 UTC, response at Monday 00:00:01 UTC, response delivered first.
    let query = r#"{"eventType":"query","requestId":"edge-1","timestamp":1762732799500,"query":"late sunday question","metadata":{}}"#;
    let response = r#"{"eventType":"response","requestId":"edge-1","timestamp":1762732801000,"matchType":"none","matchScore":0,"reasoning":"no match","metadata":{"matchQuality":0.1,"sourcesUsed":[]}}"#;
    let processor = processor();
    run(&processor, &[response.to_string()], 0).await;
    assert_eq!(only_record(&processor).week.to_string(), "2025-W46");
    run(&processor, &[query.to_string()], 1).await;
    assert_eq!(only_record(&processor).week.to_string(), "2025-W45");
}

#[tokio::test]
async fn redelivered_events_yield_the_same_record() {
    let events = bodies(&fixture("query-and-response.json"));
    let once = processor();
    run(&once, &events, 0).await;

    let many = processor();
    let mut redelivered = events.clone();
    redelivered.extend(events.iter().cloned());
    run(&many, &redelivered, 0).await;
    run(&many, &events[1..], 10).await;
    run(&many, &events[..1], 20).await;

    assert_eq!(only_record(&once), only_record(&many));
}

#[tokio::test]
async fn an_unanswered_query_is_stored_in_its_week() {
    let processor = processor();
    processor
        .process(fixture("unanswered-query.json"), fixture_now())
        .await
        .unwrap();
    let record = only_record(&processor);
    assert!(record.has_query() && !record.is_answered());
    assert_eq!(record.week.to_string(), "2025-W45");
    assert_eq!(record.session_id, "anonymous");
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_with_reasons_and_neighbours_are_stored() {
    let processor = processor();
    let outcome = processor
        .process(fixture("with-poison.json"), fixture_now())
        .await
        .unwrap();
    assert!(
        outcome.response.batch_item_failures.is_empty(),
        "poison must not be retried: it would block the FIFO group"
    );
    assert_eq!(outcome.summary.rejected, 3);
    assert_eq!(outcome.summary.stored, 1);

    let sent = processor.dead_letters().sent();
    let reasons: Vec<(&str, &str)> = sent
        .iter()
        .map(|r| (r.message_id.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(sent.len(), 3, "{reasons:#?}");
    let reason_of = |suffix: &str| {
        sent.iter()
            .find(|r| r.message_id.ends_with(suffix))
            .map(|r| r.reason.clone())
            .unwrap_or_default()
    };
    assert!(reason_of("002").starts_with("body is not JSON"));
    assert!(reason_of("003").contains("unknown eventType \"click\""));
    assert!(reason_of("004").contains("looks like seconds"));
    assert!(
        sent.iter()
            .all(|r| r.group_id.as_deref() == Some("analytics"))
    );
    assert!(!sent[0].body.is_empty());
    assert!(only_record(&processor).is_answered());
}

#[tokio::test]
async fn a_transient_write_failure_retries_only_the_messages_of_that_request() {
    let processor = processor();
    let unanswered = bodies(&fixture("unanswered-query.json"));
    let mut batch = bodies(&fixture("query-and-response.json"));
    batch.extend(unanswered);
    processor.store().fail_request(
        "3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55",
        FailureKind::Transient,
    );

    let failed = run(&processor, &batch, 0).await;
    assert_eq!(failed, vec!["m-0".to_string(), "m-1".to_string()]);
    let stored = processor.store().records();
    assert_eq!(stored.len(), 1);
    assert!(stored.contains_key("REQ#9b2d7e41-0c3a-4f6e-8d15-7a4c2e9b1f03"));

    processor.store().heal();
    assert!(run(&processor, &batch[..2], 0).await.is_empty());
    assert_eq!(processor.store().records().len(), 2);
}

#[tokio::test]
async fn a_write_the_table_refuses_is_dead_lettered_not_retried() {
    let processor = processor();
    processor.store().fail_request(
        "9b2d7e41-0c3a-4f6e-8d15-7a4c2e9b1f03",
        FailureKind::Permanent,
    );
    let outcome = processor
        .process(fixture("unanswered-query.json"), fixture_now())
        .await
        .unwrap();
    assert!(outcome.response.batch_item_failures.is_empty());
    let sent = processor.dead_letters().sent();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].reason.starts_with("DynamoDB refused the record"),
        "{}",
        sent[0].reason
    );
}

#[tokio::test]
async fn a_valid_query_is_stored_when_the_table_refuses_its_response_in_the_same_write() {
    let processor = processor();
    processor.store().fail_response_of(
        "3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55",
        FailureKind::Permanent,
    );
    let event = fixture("query-and-response.json");
    let response_id = event.records[1].message_id.clone().unwrap();
    let outcome = processor.process(event, fixture_now()).await.unwrap();
    assert!(outcome.response.batch_item_failures.is_empty());
    // The merged write, then the query alone and the response alone.
    assert_eq!(processor.store().write_count(), 3);
    let record = only_record(&processor);
    assert_eq!(
        record.query.as_deref(),
        Some("have you any experience with c#?")
    );
    assert!(!record.is_answered());
    let sent = processor.dead_letters().sent();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].message_id, response_id);
    assert!(
        sent[0].reason.starts_with("DynamoDB refused the record"),
        "{}",
        sent[0].reason
    );
    assert_eq!((outcome.summary.stored, outcome.summary.rejected), (1, 1));
}

#[tokio::test]
async fn a_missing_table_fails_the_whole_invocation() {
    let processor = processor();
    processor
        .store()
        .fail_request("9b2d7e41-0c3a-4f6e-8d15-7a4c2e9b1f03", FailureKind::Fatal);
    let result = processor
        .process(fixture("unanswered-query.json"), fixture_now())
        .await;
    assert!(matches!(result, Err(ProcessorError::Unavailable(_))));
}

#[tokio::test]
async fn a_poison_message_that_cannot_be_dead_lettered_is_left_for_sqs_to_retry() {
    let processor = processor();
    processor
        .dead_letters()
        .set_failure(Some(FailureKind::Transient));
    let outcome = processor
        .process(fixture("with-poison.json"), fixture_now())
        .await
        .unwrap();
    let mut failed = failed_ids(&outcome.response);
    failed.sort();
    let expected: Vec<String> = ["002", "003", "004"]
        .iter()
        .map(|n| format!("0e6d3a52-0000-4000-8000-000000000{n}"))
        .collect();
    assert_eq!(failed, expected);
    assert_eq!(outcome.summary.stored, 1);
}

#[tokio::test]
async fn every_fixture_is_a_valid_lambda_event_that_processes_without_retries() {
    let dir = format!("{}/events", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let processor = processor();
        let outcome = processor
            .process(fixture(&name), fixture_now())
            .await
            .unwrap();
        assert!(outcome.response.batch_item_failures.is_empty(), "{name}");
        assert!(outcome.summary.stored >= 1, "{name}");
    }
}

/// The pipeline counts of the week: deliveries that added nothing (in the batch, or against what
/// is stored), events whose week's report was already due, and dead letters, added to the week
/// of processing in one write, and only by a batch that has something to count.
#[tokio::test]
async fn duplicates_late_events_and_dead_letters_are_counted_for_the_week() {
    let processor = Processor::new(
        InMemoryRecordStore::new(),
        InMemoryDeadLetters::new(),
        &config("t", "dlq.fifo"),
    );
    let pair = bodies(&fixture("query-and-response.json"));
    // The fixtures' week (2025-W45) had its report due on Monday 2025-11-10 at 07:00.
    let before_due = DateTime::from_timestamp_millis(1_762_700_000_000).unwrap();
    let after_due: DateTime<Utc> = "2025-11-12T10:00:00Z".parse().unwrap();

    let clean = processor
        .process(sqs_event(&pair, 0), before_due)
        .await
        .unwrap();
    assert_eq!((clean.summary.duplicates, clean.summary.late), (0, 0));
    assert!(
        processor.store().stats().is_empty(),
        "nothing to count, nothing written"
    );
    let writes = processor.store().write_count();

    // Later, the query twice in one batch (one absorbed in the batch, one against the table),
    // and a poison message.
    let again = [pair[0].clone(), pair[0].clone(), "not json".to_string()];
    let outcome = processor
        .process(sqs_event(&again, 10), after_due)
        .await
        .unwrap();
    assert_eq!(outcome.summary.duplicates, 2);
    assert_eq!(outcome.summary.late, 2);
    assert_eq!(outcome.summary.rejected, 1);
    let week = shared_types::WeekId::containing(after_due);
    let stats = processor.store().stats()[&week];
    assert_eq!(
        (stats.duplicates, stats.late, stats.dead_lettered),
        (2, 2, 1)
    );
    assert_eq!(
        processor.store().write_count(),
        writes + 1,
        "one record write"
    );
}

/// What SQS accepts in a message attribute's value: #x9 | #xA | #xD | #x20 to #xD7FF |
/// #xE000 to #xFFFD | #x10000 to #x10FFFF.
fn sqs_accepts_in_an_attribute(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[tokio::test]
async fn a_reason_quoting_a_control_character_is_escaped_so_sqs_accepts_it() {
    let response = r#"{"eventType":"response","requestId":"3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55","timestamp":1762607660433,"matchType":"\u0001x\uffff","matchScore":91,"reasoning":"r","vectorMatches":5,"sessionId":"anonymous","metadata":{"matchQuality":0.91,"sourcesUsed":[]}}"#;
    let processor = processor();
    assert!(run(&processor, &[response.to_owned()], 1).await.is_empty());
    let sent = processor.dead_letters().sent();
    assert_eq!(sent.len(), 1);
    let reason = sent[0].short_reason();
    assert!(reason.contains("matchType"), "{reason:?}");
    assert!(
        reason.chars().all(sqs_accepts_in_an_attribute),
        "SQS refuses the attribute {reason:?}"
    );
    assert!(reason.contains("\\u{1}x"), "{reason:?}");
}

#[tokio::test]
async fn a_number_with_more_than_38_significant_digits_is_stored_rounded_to_17() {
    // 40 significant digits: JSON's number becomes an f64 (at most 17), which DynamoDB stores.
    let response = r#"{"eventType":"response","requestId":"3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55","timestamp":1762607660433,"matchType":"full","matchScore":91,"reasoning":"r","vectorMatches":5,"sessionId":"anonymous","metadata":{"matchQuality":0.1234567890123456789012345678901234567891,"sourcesUsed":[]}}"#;
    let processor = processor();
    assert!(run(&processor, &[response.to_owned()], 1).await.is_empty());
    assert!(processor.dead_letters().sent().is_empty());
    let stored = only_record(&processor).match_quality.unwrap();
    assert_eq!(stored.to_string(), "0.12345678901234568");
}

/// A processor whose `REPORT_TIMEZONE` is `zone`.
fn processor_in(zone: shared_types::week::Tz) -> FakeProcessor {
    Processor::new(
        InMemoryRecordStore::new(),
        InMemoryDeadLetters::new(),
        &processor::Config {
            zone,
            ..config("table", "dlq.fifo")
        },
    )
}

/// 00:30 BST on Monday 7 July 2025 (23:30 UTC on Sunday 6 July), and its answer a second later.
const SUMMER_QUERY: &str = r#"{"eventType":"query","requestId":"edge-2","timestamp":1751844600000,"query":"monday night question","metadata":{}}"#;
const SUMMER_RESPONSE: &str = r#"{"eventType":"response","requestId":"edge-2","timestamp":1751844601000,"matchType":"none","matchScore":0,"reasoning":"no match","metadata":{"matchQuality":0.1,"sourcesUsed":[]}}"#;

#[tokio::test]
async fn a_request_is_filed_under_the_week_of_its_query_on_the_owners_clocks() {
    use shared_types::week::Tz;
    for (zone, expected) in [
        (Tz::UTC, "2025-W27"),
        (Tz::Europe__London, "2025-W28"),
        (Tz::Asia__Singapore, "2025-W28"),
        (Tz::America__New_York, "2025-W27"),
    ] {
        for order in [
            [SUMMER_QUERY, SUMMER_RESPONSE],
            [SUMMER_RESPONSE, SUMMER_QUERY],
        ] {
            let processor = processor_in(zone);
            run(&processor, &[order[0].to_string()], 0).await;
            run(&processor, &[order[1].to_string()], 1).await;
            let record = only_record(&processor);
            assert_eq!(record.week.to_string(), expected, "{zone}, {order:?}");
            assert!(record.has_query() && record.is_answered());
        }
    }
}

/// The zone changes from UTC to Europe/London between a request's query and its answer, and
/// the query is delivered again after the change: the request keeps the week it was filed
/// under when its query was stored.
#[tokio::test]
async fn a_request_keeps_its_week_when_the_zone_changes_before_its_answer() {
    let utc = processor_in(shared_types::week::Tz::UTC);
    run(&utc, &[SUMMER_QUERY.to_string()], 0).await;
    let (store, dead_letters) = utc.into_parts();
    let london = Processor::new(
        store,
        dead_letters,
        &processor::Config {
            zone: shared_types::week::Tz::Europe__London,
            ..config("table", "dlq.fifo")
        },
    );
    run(&london, &[SUMMER_RESPONSE.to_string()], 1).await;
    run(&london, &[SUMMER_QUERY.to_string()], 2).await;
    let record = only_record(&london);
    assert_eq!(record.week.to_string(), "2025-W27");
    assert!(record.has_query() && record.is_answered());
}
