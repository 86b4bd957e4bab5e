//! The processor through the real aws-sdk-dynamodb and aws-sdk-sqs clients against moto:
//! records stored and read back, the week index, poison in the dead-letter queue, and the
//! DynamoDB write requests actually sent, counted on the wire.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::support::scenario::{BASE_MS, model, scenario};
use crate::support::{bodies, config, failed_ids, fixture, fixture_now, sqs_event};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use local_aws::wire::WireCounter;
use local_aws::{DynamoDbLocal, Moto, create_fifo_queue, create_table, scan_request_records};
use processor::DynamoRecordStore;
use processor::Processor;
use processor::SqsDeadLetterQueue;
use processor::fakes::InMemoryDeadLetters;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use shared_types::dead_letter::{REASON_ATTRIBUTE, SOURCE_MESSAGE_ID_ATTRIBUTE};
use shared_types::record::{WEEK_INDEX, WeekLookup, attr};
use shared_types::{AnalyticsEvent, QueryEvent, RequestRecord, ResponseEvent};

struct Harness {
    _moto: Moto,
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    table: String,
    dlq_url: String,
    counter: WireCounter,
    processor: Processor<DynamoRecordStore, SqsDeadLetterQueue>,
}

impl Harness {
    async fn start() -> Self {
        let moto = Moto::start();
        let sdk = moto.sdk_config().await;
        let counter = WireCounter::default();
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let table = "cv-analytics-test".to_string();
        create_table(&dynamodb, &table, WeekLookup::Index).await;
        let dlq_url = create_fifo_queue(&sqs, "cv-analytics-test-dlq.fifo").await;
        let processor = Processor::new(
            DynamoRecordStore::new(dynamodb.clone(), &table),
            SqsDeadLetterQueue::new(sqs.clone(), &dlq_url),
            &config(&table, &dlq_url),
        );
        counter.reset();
        Self {
            _moto: moto,
            dynamodb,
            sqs,
            table,
            dlq_url,
            counter,
            processor,
        }
    }

    async fn run(&self, bodies: &[String]) -> Vec<String> {
        let outcome = self
            .processor
            .process(sqs_event(bodies, 0), fixture_now())
            .await
            .expect("batch processed");
        failed_ids(&outcome.response)
    }

    async fn records(&self) -> BTreeMap<String, RequestRecord> {
        scan_request_records(&self.dynamodb, &self.table).await
    }

    async fn keys_in_week(&self, week: &str) -> Vec<String> {
        let output = self
            .dynamodb
            .query()
            .table_name(&self.table)
            .index_name(WEEK_INDEX)
            .key_condition_expression("#w = :w")
            .expression_attribute_names("#w", attr::WEEK)
            .expression_attribute_values(":w", AttributeValue::S(week.into()))
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = output
            .items()
            .iter()
            .filter_map(|item| item.get(attr::PK)?.as_s().ok().cloned())
            .collect();
        keys.sort();
        keys
    }
}

/// The records `events` make: for each request, its lowest-ranked query and response.
fn expected(events: &[String]) -> BTreeMap<String, RequestRecord> {
    let mut halves: BTreeMap<String, (Option<QueryEvent>, Option<ResponseEvent>)> = BTreeMap::new();
    for body in events {
        let event = AnalyticsEvent::parse(body, fixture_now()).unwrap();
        let slot = halves.entry(event.request_id().to_owned()).or_default();
        match event {
            AnalyticsEvent::Query(q) => {
                if slot.0.as_ref().is_none_or(|kept| q.rank() < kept.rank()) {
                    slot.0 = Some(q);
                }
            }
            AnalyticsEvent::Response(r) => {
                if slot.1.as_ref().is_none_or(|kept| r.rank() < kept.rank()) {
                    slot.1 = Some(r);
                }
            }
        }
    }
    halves
        .values()
        .filter_map(|(q, r)| RequestRecord::from_events(q.as_ref(), r.as_ref(), 90))
        .map(|record| (record.pk.clone(), record))
        .collect()
}

#[tokio::test]
async fn records_stored_in_dynamodb_are_the_same_whatever_the_order() {
    let h = Harness::start().await;
    let pair = bodies(&fixture("query-and-response.json"));
    let unanswered = bodies(&fixture("unanswered-query.json"));

    // Response first, in its own batch, then the query twice and the response again.
    assert!(h.run(&pair[1..]).await.is_empty());
    let provisional = h.records().await;
    assert!(!provisional.values().next().unwrap().has_query());
    assert!(h.run(&[pair[0].clone(), pair[0].clone()]).await.is_empty());
    assert!(
        h.run(&[pair[1].clone(), unanswered[0].clone()])
            .await
            .is_empty()
    );

    let mut all = pair.clone();
    all.extend(unanswered);
    assert_eq!(h.records().await, expected(&all));
    assert_eq!(
        h.keys_in_week("2025-W45").await,
        vec![
            "REQ#3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55".to_string(),
            "REQ#9b2d7e41-0c3a-4f6e-8d15-7a4c2e9b1f03".to_string()
        ]
    );
}

#[tokio::test]
async fn the_week_moves_to_the_query_week_when_the_query_arrives_last() {
    let h = Harness::start().await;
    let query = r#"{"eventType":"query","requestId":"edge-1","timestamp":1762732799500,"query":"late sunday question","metadata":{}}"#.to_string();
    let response = r#"{"eventType":"response","requestId":"edge-1","timestamp":1762732801000,"matchType":"none","matchScore":0,"reasoning":"no match","metadata":{"matchQuality":0.1,"sourcesUsed":[]}}"#.to_string();
    h.run(std::slice::from_ref(&response)).await;
    assert_eq!(
        h.keys_in_week("2025-W46").await,
        vec!["REQ#edge-1".to_string()]
    );
    h.run(std::slice::from_ref(&query)).await;
    assert!(h.keys_in_week("2025-W46").await.is_empty());
    assert_eq!(
        h.keys_in_week("2025-W45").await,
        vec!["REQ#edge-1".to_string()]
    );
    assert_eq!(h.records().await, expected(&[query, response]));
}

#[tokio::test]
async fn poison_messages_are_found_in_the_dead_letter_queue_with_their_reasons() {
    let h = Harness::start().await;
    let event = fixture("with-poison.json");
    let poison: Vec<(String, String)> = event.records[1..4]
        .iter()
        .map(|r| (r.message_id.clone().unwrap(), r.body.clone().unwrap()))
        .collect();
    let outcome = h.processor.process(event, fixture_now()).await.unwrap();
    assert!(outcome.response.batch_item_failures.is_empty());
    assert_eq!(outcome.summary.rejected, 3);

    let received = h
        .sqs
        .receive_message()
        .queue_url(&h.dlq_url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .unwrap();
    let mut found: Vec<(String, String, String)> = received
        .messages()
        .iter()
        .map(|m| {
            let attribute = |name: &str| {
                m.message_attributes()
                    .and_then(|a| a.get(name))
                    .and_then(|v| v.string_value())
                    .unwrap_or_default()
                    .to_owned()
            };
            let group = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned()
                .unwrap_or_default();
            assert_eq!(group, "analytics");
            (
                attribute(SOURCE_MESSAGE_ID_ATTRIBUTE),
                m.body().unwrap_or_default().to_owned(),
                attribute(REASON_ATTRIBUTE),
            )
        })
        .collect();
    found.sort();
    assert_eq!(found.len(), 3, "{found:#?}");
    for ((id, body), (found_id, found_body, reason)) in poison.iter().zip(&found) {
        assert_eq!((id, body), (found_id, found_body));
        assert!(!reason.is_empty());
    }
    assert!(found[0].2.starts_with("body is not JSON"), "{}", found[0].2);
    assert!(found[1].2.contains("unknown eventType"), "{}", found[1].2);
    assert!(found[2].2.contains("looks like seconds"), "{}", found[2].2);
    assert_eq!(h.records().await.len(), 1);
}

/// Builds `n` answered requests in the producer's format, a minute apart.
fn answered_requests(n: usize) -> (Vec<String>, Vec<String>) {
    let base = 1_762_600_000_000i64;
    (0..n)
        .map(|i| {
            let ts = base + i as i64 * 60_000;
            let query = format!(
                r#"{{"eventType":"query","requestId":"count-{i}","timestamp":{ts},"sessionId":"anonymous","query":"question number {i}?","metadata":{{}}}}"#
            );
            let response = format!(
                r#"{{"eventType":"response","requestId":"count-{i}","timestamp":{},"matchType":"partial","matchScore":60,"reasoning":"ok","vectorMatches":3,"sessionId":"anonymous","metadata":{{"matchQuality":0.6,"sourcesUsed":["Rust"]}}}}"#,
                ts + 1_500
            );
            (query, response)
        })
        .unzip()
}

#[tokio::test]
async fn write_requests_sent_to_dynamodb_per_event_and_per_request() {
    const N: usize = 50;
    let h = Harness::start().await;

    // Both halves of each request in the same batch: 5 requests (10 events) a batch.
    let (queries, responses) = answered_requests(N);
    let interleaved: Vec<String> = queries
        .iter()
        .zip(&responses)
        .flat_map(|(q, r)| [q.clone(), r.clone()])
        .collect();
    for batch in interleaved.chunks(10) {
        assert!(h.run(batch).await.is_empty());
    }
    let same_batch = h.counter.tally().count("UpdateItem");
    let same_batch_total = h.counter.tally().total_requests();
    assert_eq!(h.records().await.len(), N);
    h.counter.reset();

    // The halves in different batches: every query first, then every response.
    let (queries, responses): (Vec<String>, Vec<String>) = answered_requests(N)
        .0
        .into_iter()
        .zip(answered_requests(N).1)
        .map(|(q, r)| (q.replace("count-", "split-"), r.replace("count-", "split-")))
        .unzip();
    for batch in queries.chunks(10).chain(responses.chunks(10)) {
        assert!(h.run(batch).await.is_empty());
    }
    let split = h.counter.tally().count("UpdateItem");
    let split_total = h.counter.tally().total_requests();
    assert_eq!(h.records().await.len(), 2 * N);

    let events = 2 * N;
    println!("DynamoDB write requests for {N} answered requests ({events} events):");
    println!(
        "  both halves in one batch:     {same_batch} UpdateItem ({:.2} per event, {:.2} per request), {same_batch_total} requests in all",
        same_batch as f64 / events as f64,
        same_batch as f64 / N as f64
    );
    println!(
        "  halves in different batches:  {split} UpdateItem ({:.2} per event, {:.2} per request), {split_total} requests in all",
        split as f64 / events as f64,
        split as f64 / N as f64
    );
    println!("  old design: 4 requests per answered request (Put, Get, Put, Delete)");
    assert_eq!(
        same_batch, N,
        "one write per request when both halves share a batch"
    );
    assert_eq!(
        split,
        2 * N,
        "one write per event when the halves are split"
    );
    assert_eq!(same_batch_total, same_batch, "no reads, no other calls");
    assert_eq!(split_total, split, "no reads, no other calls");
}

/// The same random scenarios as the in-memory property test (rebuilt events among them),
/// through the real `UpdateItem` condition expressions on DynamoDB Local, AWS's own engine
/// (moto accepts requests that DynamoDB refuses, such as an unused expression value): the
/// table's merge semantics equal the model's. `EMULATOR_CASES` sets the number of scenarios
/// (default 20).
#[tokio::test]
async fn dynamodb_merges_random_scenarios_exactly_like_the_model() {
    let cases: usize = std::env::var("EMULATOR_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dynamodb_local = DynamoDbLocal::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_local.sdk_config().await);
    let now = chrono::DateTime::from_timestamp_millis(BASE_MS + 30 * 86_400_000).unwrap();
    let mut runner = TestRunner::deterministic();
    let strategy = scenario();
    let mut deliveries = 0;
    for case in 0..cases {
        let scenario = strategy.new_tree(&mut runner).unwrap().current();
        let table = format!("scenario-{case}");
        // Both layouts: the writes are the same, with or without the index to keep.
        create_table(&dynamodb, &table, WeekLookup::ALL[case % 2]).await;
        let processor = Processor::new(
            DynamoRecordStore::new(dynamodb.clone(), &table),
            InMemoryDeadLetters::new(),
            &config(&table, "dlq.fifo"),
        );
        for batch in scenario.batches() {
            let outcome = processor.process(sqs_event(batch, 0), now).await.unwrap();
            assert!(outcome.response.batch_item_failures.is_empty());
            assert_eq!(
                outcome.summary.rejected,
                0,
                "{:?}",
                processor.dead_letters().sent()
            );
        }
        assert_eq!(
            scan_request_records(&dynamodb, &table).await,
            model(&scenario.requests),
            "case {case}: {scenario:#?}"
        );
        deliveries += scenario.deliveries.len();
    }
    println!(
        "emulator merge property: {cases} scenarios, {deliveries} deliveries, all equal to the model"
    );
}

/// The numbers the event contract accepts are the numbers DynamoDB stores: the smallest
/// `matchQuality` the parser accepts (1e-130) is stored, the next smaller one it refuses
/// (1e-131) DynamoDB refuses too, as a permanent failure (`Number underflow`), which is why the
/// parser refuses it rather than let it fail the write it shares with its query.
#[tokio::test]
async fn the_numbers_the_parser_accepts_are_the_numbers_dynamodb_stores() {
    use processor::RecordStore;
    let dynamodb_local = DynamoDbLocal::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_local.sdk_config().await);
    create_table(&dynamodb, "numbers", WeekLookup::Scan).await;
    let store = DynamoRecordStore::new(dynamodb.clone(), "numbers");
    let now = fixture_now();
    let fixture = fixture("single-response.json");
    let body = fixture.records[0].body.clone().unwrap();
    for (i, (quality, parsed, stored)) in [
        (1e-130, true, true),
        (1e-129, true, true),
        (1e-131, false, false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut event: serde_json::Value = serde_json::from_str(&body).unwrap();
        event["requestId"] = format!("number-{i}").into();
        event["metadata"]["matchQuality"] = quality.into();
        let text = event.to_string();
        assert_eq!(
            AnalyticsEvent::parse(&text, now).is_ok(),
            parsed,
            "{quality:e}"
        );
        // Past the parser, straight to the table.
        let response: ResponseEvent = serde_json::from_value(event).unwrap();
        let image = RequestRecord::from_events(None, Some(&response), 90).unwrap();
        match store.merge(&image).await {
            Ok(_) => assert!(stored, "{quality:e} was stored"),
            Err(failure) => {
                assert!(!stored, "{quality:e}: {failure}");
                assert_eq!(failure.kind, processor::FailureKind::Permanent, "{failure}");
            }
        }
    }
}

/// Two Lambda instances at once: for each of 40 requests the query goes to one invocation, the
/// response and a duplicate of the query to two others, and a rebuilt response (later, other
/// content) to a fourth, all in flight together against the same table. Each merge is an
/// atomic conditional `UpdateItem` (sent again when another writer changed the item under it),
/// so the result is one correct record per request: the query and the first response.
///
/// On DynamoDB Local, not moto: moto applies an `UpdateItem` as a read and a later write, and
/// two concurrent requests interleave there (this test, run on moto, ended with the response's
/// `anonymous` session overwriting the query's). DynamoDB applies each update atomically.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn halves_processed_by_concurrent_invocations_make_one_correct_record() {
    let dynamodb_local = DynamoDbLocal::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_local.sdk_config().await);
    let table = "cv-analytics-race";
    create_table(&dynamodb, table, WeekLookup::Scan).await;
    let instance = || {
        Arc::new(Processor::new(
            DynamoRecordStore::new(dynamodb.clone(), table),
            InMemoryDeadLetters::new(),
            &config(table, "dlq.fifo"),
        ))
    };
    let (first, second) = (instance(), instance());
    let mut all = Vec::new();
    let mut invocations = Vec::new();
    for i in 0..40 {
        let t = 1_762_607_000_000i64 + i * 1_000;
        let query = format!(
            r#"{{"eventType":"query","requestId":"race-{i}","timestamp":{t},"sessionId":"s-{i}","query":"question {i}?","metadata":{{"userAgent":"ua"}}}}"#
        );
        let response = format!(
            r#"{{"eventType":"response","requestId":"race-{i}","timestamp":{},"matchType":"partial","matchScore":{},"reasoning":"r","vectorMatches":1,"metadata":{{"sourcesUsed":["Rust"]}}}}"#,
            t + 700,
            i % 101
        );
        let rebuilt = format!(
            r#"{{"eventType":"response","requestId":"race-{i}","timestamp":{},"matchType":"none","matchScore":3,"reasoning":"rebuilt","sessionId":"s-rebuilt","metadata":{{"sourcesUsed":[]}}}}"#,
            t + 2_700
        );
        all.extend([query.clone(), response.clone(), rebuilt.clone()]);
        for (processor, body) in [
            (&first, query.clone()),
            (&first, rebuilt),
            (&second, response),
            (&second, query),
        ] {
            let processor = processor.clone();
            invocations.push(tokio::spawn(async move {
                processor
                    .process(sqs_event(&[body], 0), fixture_now())
                    .await
                    .unwrap()
            }));
        }
    }
    for invocation in invocations {
        assert!(
            invocation
                .await
                .unwrap()
                .response
                .batch_item_failures
                .is_empty()
        );
    }
    let (stored, model) = (scan_request_records(&dynamodb, table).await, expected(&all));
    let wrong: Vec<_> = model
        .iter()
        .filter(|(pk, record)| stored.get(*pk) != Some(*record))
        .map(|(pk, record)| (record, stored.get(pk)))
        .collect();
    assert!(wrong.is_empty(), "{} of 40 differ: {wrong:#?}", wrong.len());
    assert_eq!(stored.len(), model.len());
}

/// `REPORT_TIMEZONE` changes from UTC to Europe/London between a request's query and its
/// answer, and the query is delivered again after the change. DynamoDB keeps the week the
/// request was filed under when its query was stored: the answer sets it only if absent, and
/// the very same query is refused by its condition (the model, `RequestRecord::merged`, agrees).
#[tokio::test]
async fn a_request_keeps_its_week_when_the_zone_changes_on_dynamodb_local() {
    let dynamodb_local = DynamoDbLocal::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_local.sdk_config().await);
    let table = "cv-analytics-zone";
    create_table(&dynamodb, table, WeekLookup::Scan).await;
    let in_zone = |zone| {
        Processor::new(
            DynamoRecordStore::new(dynamodb.clone(), table),
            InMemoryDeadLetters::new(),
            &processor::Config {
                zone,
                ..config(table, "dlq.fifo")
            },
        )
    };
    // 00:30 BST on Monday 7 July 2025 (23:30 UTC on Sunday 6 July): W27 in UTC, W28 in London.
    let query = r#"{"eventType":"query","requestId":"zone-1","timestamp":1751844600000,"query":"monday night question","metadata":{}}"#.to_string();
    let response = r#"{"eventType":"response","requestId":"zone-1","timestamp":1751844601000,"matchType":"none","matchScore":0,"reasoning":"no match","metadata":{"matchQuality":0.1,"sourcesUsed":[]}}"#.to_string();
    let utc = in_zone(shared_types::week::Tz::UTC);
    utc.process(sqs_event(std::slice::from_ref(&query), 0), fixture_now())
        .await
        .unwrap();
    let london = in_zone(shared_types::week::Tz::Europe__London);
    for body in [response, query] {
        london
            .process(sqs_event(&[body], 1), fixture_now())
            .await
            .unwrap();
    }
    let stored = scan_request_records(&dynamodb, table).await;
    let record = &stored["REQ#zone-1"];
    assert_eq!(record.week.to_string(), "2025-W27");
    assert!(record.has_query() && record.is_answered());
}
