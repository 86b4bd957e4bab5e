//! Two different events of one kind for one request (a producer retry that rebuilt the event,
//! with a new timestamp and other content): whatever the order and the batching, the record
//! holds the earliest of each kind, whole, on DynamoDB Local (AWS's engine, through the real
//! condition expressions) and in the in-memory fake alike, at no more than one write per event.

use std::collections::BTreeMap;

use crate::support::{config, fixture_now, sqs_event};
use aws_sdk_dynamodb::types::AttributeValue;
use local_aws::wire::WireCounter;
use local_aws::{DynamoDbLocal, create_table, scan_request_records};
use processor::DynamoRecordStore;
use processor::Processor;
use processor::fakes::InMemoryDeadLetters;
use processor::fakes::InMemoryRecordStore;
use shared_types::record::{EventRank, WEEK_INDEX, WeekLookup, attr};
use shared_types::{AnalyticsEvent, MatchType, RequestRecord};

const QUERY: &str = r#"{"eventType":"query","requestId":"r-1","timestamp":1762607658821,"sessionId":"s-1","query":"have you any experience with c#?","metadata":{"userAgent":"Mozilla/5.0","referer":"https://example.dev/cv"}}"#;
/// The first response: a full match with five vector matches.
const RESPONSE_A: &str = r#"{"eventType":"response","requestId":"r-1","timestamp":1762607660433,"matchType":"full","matchScore":91,"reasoning":"Excellent match","vectorMatches":5,"sessionId":"s-a","metadata":{"matchQuality":0.91,"sourcesUsed":["C#",".NET"]},"performance":{"totalTime":1600,"cacheHit":false}}"#;
/// The same response rebuilt two seconds later: no match, no vector matches, no performance.
const RESPONSE_B: &str = r#"{"eventType":"response","requestId":"r-1","timestamp":1762607662433,"matchType":"none","matchScore":10,"reasoning":"No match","sessionId":"s-b","metadata":{"sourcesUsed":[]}}"#;

/// Sunday 2025-11-09 23:59:59.500 UTC (2025-W45) and its rebuild at Monday 00:00:01 (2025-W46).
const SUNDAY_QUERY: &str = r#"{"eventType":"query","requestId":"edge-1","timestamp":1762732799500,"sessionId":"s-sun","query":"late sunday question","metadata":{"userAgent":"ua-1"}}"#;
const MONDAY_QUERY: &str = r#"{"eventType":"query","requestId":"edge-1","timestamp":1762732801000,"sessionId":"s-mon","query":"late sunday question again","metadata":{}}"#;

/// Every way of delivering `events` as one batch each, in every order, plus all of them in one
/// batch in every order, plus every prefix and suffix split in two batches.
fn deliveries(events: &[&str]) -> Vec<Vec<Vec<String>>> {
    let mut orders: Vec<Vec<String>> = vec![Vec::new()];
    for _ in 0..events.len() {
        orders = orders
            .into_iter()
            .flat_map(|order| {
                events
                    .iter()
                    .filter(|e| !order.iter().any(|o| o == *e))
                    .map(|e| {
                        let mut next = order.clone();
                        next.push((*e).to_string());
                        next
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    let mut all = Vec::new();
    for order in orders {
        all.push(order.iter().map(|e| vec![e.clone()]).collect());
        all.push(vec![order.clone()]);
        for cut in 1..order.len() {
            all.push(vec![order[..cut].to_vec(), order[cut..].to_vec()]);
        }
    }
    all
}

fn record(query: Option<&str>, response: Option<&str>) -> RequestRecord {
    let parse = |body: &str| AnalyticsEvent::parse(body, fixture_now()).unwrap();
    let query = query.map(|q| match parse(q) {
        AnalyticsEvent::Query(q) => q,
        AnalyticsEvent::Response(_) => panic!("not a query"),
    });
    let response = response.map(|r| match parse(r) {
        AnalyticsEvent::Response(r) => r,
        AnalyticsEvent::Query(_) => panic!("not a response"),
    });
    RequestRecord::from_events(query.as_ref(), response.as_ref(), 90).unwrap()
}

struct Stores {
    dynamodb: aws_sdk_dynamodb::Client,
    counter: WireCounter,
    tables: usize,
    _server: DynamoDbLocal,
}

/// What one delivery left in each store, and the DynamoDB write requests it took.
struct Delivered {
    fake: BTreeMap<String, RequestRecord>,
    dynamodb: BTreeMap<String, RequestRecord>,
    weeks: Vec<String>,
    /// `UpdateItem` requests for records: the week's pipeline counts are written apart.
    update_items: usize,
    events: usize,
    /// Deliveries each batch absorbed, as DynamoDB's answers told.
    duplicates: Vec<usize>,
}

impl Stores {
    async fn start() -> Self {
        let server = DynamoDbLocal::start();
        let sdk = server.sdk_config().await;
        let counter = WireCounter::default();
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        Self {
            dynamodb,
            counter,
            tables: 0,
            _server: server,
        }
    }

    async fn deliver(&mut self, batches: &[Vec<String>]) -> Delivered {
        self.tables += 1;
        let table = format!("rebuilt-{}", self.tables);
        create_table(&self.dynamodb, &table, WeekLookup::Index).await;
        let fake = Processor::new(
            InMemoryRecordStore::new(),
            InMemoryDeadLetters::new(),
            &config("t", "dlq.fifo"),
        );
        let real = Processor::new(
            DynamoRecordStore::new(self.dynamodb.clone(), &table),
            InMemoryDeadLetters::new(),
            &config(&table, "dlq.fifo"),
        );
        self.counter.reset();
        let mut stats_writes = 0;
        let mut absorbed = Vec::new();
        for batch in batches {
            let mut duplicates = Vec::new();
            for processor_outcome in [
                fake.process(sqs_event(batch, 0), fixture_now()).await,
                real.process(sqs_event(batch, 0), fixture_now()).await,
            ] {
                let outcome = processor_outcome.unwrap();
                duplicates.push(outcome.summary.duplicates);
                assert!(outcome.response.batch_item_failures.is_empty());
                let reasons: Vec<String> = real
                    .dead_letters()
                    .sent()
                    .iter()
                    .map(|r| r.reason.clone())
                    .collect();
                assert_eq!(outcome.summary.rejected, 0, "{batch:?}: {reasons:?}");
            }
            // The fake and DynamoDB (its replaced values, or the refused item) agree on what a
            // batch added nothing with.
            assert_eq!(
                duplicates[0], duplicates[1],
                "duplicates absorbed by {batch:?}"
            );
            stats_writes += usize::from(duplicates[1] > 0);
            absorbed.push(duplicates[1]);
        }
        let update_items = self.counter.tally().count("UpdateItem") - stats_writes;
        let output = self
            .dynamodb
            .scan()
            .table_name(&table)
            .index_name(WEEK_INDEX)
            .send()
            .await
            .unwrap();
        let weeks = output
            .items()
            .iter()
            .filter_map(|item| item.get(attr::WEEK).and_then(|w| w.as_s().ok()).cloned())
            .collect();
        Delivered {
            fake: fake.store().records(),
            dynamodb: scan_request_records(&self.dynamodb, &table).await,
            weeks,
            update_items,
            events: batches.iter().map(Vec::len).sum(),
            duplicates: absorbed,
        }
    }
}

/// The write requests a delivery may take: one per event kind in each batch (a batch's query and
/// response share one write unless one of them loses to what is stored), plus one when a batch
/// brings a response but no query, no query is stored, and a different response that ranks
/// after it is (the first write keeps the stored response's week, session and expiry with
/// `if_not_exists`, so it is refused and sent again knowing there is no query).
fn allowed_writes(batches: &[Vec<String>]) -> usize {
    let (mut query_stored, mut stored_response): (bool, Option<EventRank>) = (false, None);
    let mut writes = 0;
    for batch in batches {
        let events: Vec<AnalyticsEvent> = batch
            .iter()
            .map(|b| AnalyticsEvent::parse(b, fixture_now()).unwrap())
            .collect();
        let has_query = events.iter().any(|e| matches!(e, AnalyticsEvent::Query(_)));
        let response = events
            .iter()
            .filter_map(|e| match e {
                AnalyticsEvent::Response(r) => Some(r.rank()),
                AnalyticsEvent::Query(_) => None,
            })
            .min();
        writes += usize::from(has_query) + usize::from(response.is_some());
        if let Some(rank) = response {
            if !has_query && !query_stored && stored_response.as_ref().is_some_and(|s| *s > rank) {
                writes += 1;
            }
            stored_response = Some(stored_response.map_or(rank.clone(), |s| s.min(rank)));
        }
        query_stored |= has_query;
    }
    writes
}

/// Asserts that every delivery of `events` stores exactly `expected`, in both stores, filed
/// under `week`, with the write requests [`allowed_writes`] allows. Returns the write requests
/// used and the events delivered.
async fn every_delivery_stores(
    stores: &mut Stores,
    events: &[&str],
    expected: &RequestRecord,
    week: &str,
) -> (usize, usize) {
    let expected = BTreeMap::from([(expected.pk.clone(), expected.clone())]);
    let (mut writes, mut delivered) = (0, 0);
    for batches in deliveries(events) {
        let result = stores.deliver(&batches).await;
        assert_eq!(
            result.fake, expected,
            "in-memory fake, delivered as {batches:?}"
        );
        assert_eq!(
            result.dynamodb, expected,
            "DynamoDB Local, delivered as {batches:?}"
        );
        assert_eq!(result.weeks, vec![week.to_string()], "{batches:?}");
        assert!(
            result.update_items <= allowed_writes(&batches),
            "{} writes for {} events: {batches:?}",
            result.update_items,
            result.events
        );
        writes += result.update_items;
        delivered += result.events;
    }
    (writes, delivered)
}

#[tokio::test]
async fn rebuilt_responses_store_the_earliest_whole_in_any_order() {
    let mut stores = Stores::start().await;
    let expected = record(Some(QUERY), Some(RESPONSE_A));
    assert_eq!(expected.match_type, Some(MatchType::Full));
    assert_eq!(expected.vector_matches, Some(5));
    let (writes, events) = every_delivery_stores(
        &mut stores,
        &[QUERY, RESPONSE_A, RESPONSE_B],
        &expected,
        "2025-W45",
    )
    .await;
    println!(
        "rebuilt responses, every order and batching: {writes} UpdateItem requests for {events} events"
    );

    // Without the query the earliest response also brings its session: nothing of the other.
    let alone = record(None, Some(RESPONSE_A));
    assert_eq!(alone.session_id, "s-a");
    every_delivery_stores(&mut stores, &[RESPONSE_A, RESPONSE_B], &alone, "2025-W45").await;
}

#[tokio::test]
async fn rebuilt_queries_either_side_of_monday_file_the_request_under_the_earliest_week() {
    let mut stores = Stores::start().await;
    let expected = record(Some(SUNDAY_QUERY), None);
    assert_eq!(expected.week.to_string(), "2025-W45");
    every_delivery_stores(
        &mut stores,
        &[SUNDAY_QUERY, MONDAY_QUERY],
        &expected,
        "2025-W45",
    )
    .await;
    let response = RESPONSE_B.replace("r-1", "edge-1");
    let answered = record(Some(SUNDAY_QUERY), Some(&response));
    every_delivery_stores(
        &mut stores,
        &[SUNDAY_QUERY, MONDAY_QUERY, &response],
        &answered,
        "2025-W45",
    )
    .await;
}

/// An item written before digests were stored (same timestamp, no digest) is upgraded by a
/// redelivery of its events, and an earlier rebuild of the response still replaces its own.
#[tokio::test]
async fn an_item_without_digests_is_upgraded_by_a_redelivery() {
    let stores = Stores::start().await;
    let table = "legacy";
    create_table(&stores.dynamodb, table, WeekLookup::Scan).await;
    let old = record(Some(QUERY), Some(RESPONSE_B));
    let mut item: std::collections::HashMap<String, AttributeValue> =
        serde_dynamo::to_item(&old).unwrap();
    item.remove(attr::QUERY_DIGEST);
    item.remove(attr::RESPONSE_DIGEST);
    stores
        .dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let processor = Processor::new(
        DynamoRecordStore::new(stores.dynamodb.clone(), table),
        InMemoryDeadLetters::new(),
        &config(table, "dlq.fifo"),
    );
    for body in [QUERY, RESPONSE_B, RESPONSE_A] {
        let outcome = processor
            .process(sqs_event(&[body.to_string()], 0), fixture_now())
            .await
            .unwrap();
        assert!(outcome.response.batch_item_failures.is_empty());
    }
    let stored = scan_request_records(&stores.dynamodb, table).await;
    assert_eq!(
        stored.values().next().unwrap(),
        &record(Some(QUERY), Some(RESPONSE_A))
    );
}

/// An identical redelivery in a later batch adds nothing, and DynamoDB says so without a read:
/// the condition refuses the very same event and returns the stored item.
#[tokio::test]
async fn an_identical_redelivery_is_absorbed_and_counted_on_dynamodb() {
    let mut stores = Stores::start().await;
    let batches = [
        vec![QUERY.to_string(), RESPONSE_A.to_string()],
        vec![QUERY.to_string()],
        vec![RESPONSE_A.to_string(), RESPONSE_B.to_string()],
    ];
    // deliver() checks that the fake and DynamoDB count the same for every batch.
    let result = stores.deliver(&batches).await;
    assert_eq!(result.dynamodb, result.fake);
    assert_eq!(
        result.dynamodb.values().next().unwrap(),
        &record(Some(QUERY), Some(RESPONSE_A))
    );
    assert_eq!(result.duplicates, [0, 1, 2]);
}
