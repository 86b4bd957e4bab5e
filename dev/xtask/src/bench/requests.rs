//! DynamoDB requests and write units per request, counted on the wire against DynamoDB Local
//! (AWS's own engine, which reports consumed capacity) for the demo's workload.
//!
//! The pipeline's design: the processor's real handler and DynamoDB adapter on the project's
//! table (week index of the keys and `queryTs`), with both halves of a request in one batch, with the halves in
//! different batches, and with the demo's message stream as delivered (duplicates, responses
//! before queries, malformed messages).
//!
//! The old design, replayed: per answered request a put into an interim table, a get, a put of
//! the final record into a table whose week index projects ALL, and a delete of the interim item;
//! an unanswered request is one put that expires unseen. The items carry the same fields.

use crate::demo::workload::Workload;
use anyhow::Context as _;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use local_aws::sqs_event;
use processor::DynamoRecordStore;
use processor::Processor;
use processor::fakes::InMemoryDeadLetters;
use shared_types::record::{DEFAULT_TTL_DAYS, WeekLookup};
use shared_types::{AnalyticsEvent, QueryEvent, RequestRecord, ResponseEvent};

use local_aws::wire::{Tally, WireCounter};

/// One arrangement's figures.
#[derive(Debug, Clone)]
pub(super) struct Arrangement {
    pub name: &'static str,
    /// The table's layout (none for the old design).
    pub lookup: Option<WeekLookup>,
    pub requests: usize,
    pub answered: usize,
    pub events: usize,
    pub tally: Tally,
    /// Requests attributable to the answered requests: all of them, less one per unanswered
    /// request (which every arrangement writes once).
    pub answered_requests: f64,
}

impl Arrangement {
    pub(super) fn requests_per_request(&self) -> f64 {
        self.tally.total_requests() as f64 / self.requests as f64
    }

    pub(super) fn requests_per_answered(&self) -> f64 {
        self.answered_requests / self.answered.max(1) as f64
    }

    pub(super) fn wru_per_request(&self) -> f64 {
        self.tally.wru() / self.requests as f64
    }
}

fn body(event: AnalyticsEvent) -> String {
    serde_json::to_string(&event).unwrap_or_default()
}

/// Runs `batches` through the processor's handler against `table`.
async fn process(client: &Client, table: &str, batches: &[Vec<String>]) -> anyhow::Result<()> {
    let processor = Processor::new(
        DynamoRecordStore::new(client.clone(), table),
        InMemoryDeadLetters::new(),
        &processor::Config {
            table_name: table.into(),
            dead_letter_queue_url: "dlq.fifo".into(),
            ttl_days: DEFAULT_TTL_DAYS,
            zone: shared_types::week::Tz::UTC,
            write_concurrency: processor::DEFAULT_WRITE_CONCURRENCY,
        },
    );
    let mut first = 0;
    for batch in batches {
        // A batch is processed seconds after its latest event was built, as Lambda's trigger
        // hands it over: no event is "in the future", and none is counted late (which a clock
        // far ahead would do, adding a pipeline-count write to every batch).
        let now = local_aws::trigger::handed_over_at(batch.iter().map(String::as_str))
            .context("a batch without a timestamped event")?;
        let outcome = processor.process(sqs_event(batch, first), now).await?;
        if !outcome.response.batch_item_failures.is_empty() {
            anyhow::bail!("{} writes failed", outcome.summary.retried);
        }
        first += batch.len();
    }
    Ok(())
}

/// Batches of event bodies, as the processor's trigger delivers them.
type Batches = Vec<Vec<String>>;

/// The workload's events in the three arrangements measured: both halves of a request in one
/// batch, the halves in different batches, and the demo's stream as delivered.
fn arrangements(workload: &Workload) -> (Batches, Batches, Batches) {
    // In the order they were asked, as the chatbot sends them (the workload draws its requests
    // at random times): a batch never mixes weeks, so nothing counts as late.
    let mut ordered: Vec<_> = workload.requests.iter().collect();
    ordered.sort_by_key(|r| r.query.timestamp);

    // Both halves of a request in one batch of 10 (an answered request never straddles two).
    let mut same: Vec<Vec<String>> = vec![Vec::new()];
    for r in &ordered {
        let mut halves = vec![body(AnalyticsEvent::Query(r.query.clone()))];
        halves.extend(
            r.response
                .clone()
                .map(|s| body(AnalyticsEvent::Response(s))),
        );
        if same.last().is_some_and(|b| b.len() + halves.len() > 10) {
            same.push(Vec::new());
        }
        if let Some(batch) = same.last_mut() {
            batch.extend(halves);
        }
    }
    // Every query first, then every response: never in one batch.
    let split_events: Vec<String> = ordered
        .iter()
        .map(|r| body(AnalyticsEvent::Query(r.query.clone())))
        .chain(ordered.iter().filter_map(|r| {
            r.response
                .clone()
                .map(|s| body(AnalyticsEvent::Response(s)))
        }))
        .collect();
    let split: Vec<Vec<String>> = split_events.chunks(10).map(<[String]>::to_vec).collect();
    let stream: Vec<Vec<String>> = workload
        .messages
        .chunks(10)
        .map(|c| c.iter().map(|m| m.body.clone()).collect())
        .collect();

    (same, split, stream)
}

/// The three arrangements of the pipeline's design on a table laid out for `lookup`, each on a
/// fresh table.
pub(super) async fn new_design(
    client: &Client,
    counter: &WireCounter,
    workload: &Workload,
    lookup: WeekLookup,
) -> anyhow::Result<Vec<Arrangement>> {
    let requests = workload.requests.len();
    let answered = workload
        .requests
        .iter()
        .filter(|r| r.response.is_some())
        .count();
    let (same, split, stream) = arrangements(workload);
    let mut results = Vec::new();
    for (i, (name, batches)) in [
        ("both halves in one batch", same),
        ("halves in different batches", split),
        ("demo stream as delivered", stream),
    ]
    .into_iter()
    .enumerate()
    {
        let table = format!("records-{lookup}-{i}");
        local_aws::create_table(client, &table, lookup).await;
        counter.reset();
        process(client, &table, &batches).await?;
        let tally = counter.tally();
        // Per answered request: what the answered requests cost beyond one write each.
        let answered_requests = tally.total_requests() as f64 - (requests - answered) as f64;
        results.push(Arrangement {
            name,
            lookup: Some(lookup),
            requests,
            answered,
            events: batches.iter().map(Vec::len).sum(),
            tally,
            answered_requests,
        });
    }
    Ok(results)
}

fn key(name: &str, key_type: KeyType) -> anyhow::Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .context("a key schema element")
}

fn string_attribute(name: &str) -> anyhow::Result<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .context("an attribute definition")
}

/// The old design's two tables: the interim one, and the records with an ALL-projection index.
async fn old_tables(client: &Client) -> anyhow::Result<()> {
    client
        .create_table()
        .table_name("old-interim")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("requestId")?)
        .key_schema(key("requestId", KeyType::Hash)?)
        .send()
        .await?;
    client
        .create_table()
        .table_name("old-records")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("pk")?)
        .attribute_definitions(string_attribute("week")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("week-index")
                .key_schema(key("week", KeyType::Hash)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}

/// The old design's calls for one request: the query put into the interim table; with a
/// response, the query read back, the record put, the interim item deleted.
async fn old_request(
    client: &Client,
    query: &QueryEvent,
    response: Option<&ResponseEvent>,
) -> anyhow::Result<()> {
    let interim = serde_dynamo::to_item(query)?;
    client
        .put_item()
        .table_name("old-interim")
        .set_item(Some(interim))
        .send()
        .await?;
    let Some(response) = response else {
        return Ok(());
    };
    client
        .get_item()
        .table_name("old-interim")
        .key(
            "requestId",
            aws_sdk_dynamodb::types::AttributeValue::S(query.request_id.clone()),
        )
        .send()
        .await?;
    let record = RequestRecord::from_events(Some(query), Some(response), DEFAULT_TTL_DAYS)
        .context("a record")?;
    let item = serde_dynamo::to_item(&record)?;
    client
        .put_item()
        .table_name("old-records")
        .set_item(Some(item))
        .send()
        .await?;
    client
        .delete_item()
        .table_name("old-interim")
        .key(
            "requestId",
            aws_sdk_dynamodb::types::AttributeValue::S(query.request_id.clone()),
        )
        .send()
        .await?;
    Ok(())
}

/// The old design's calls for the workload's requests.
pub(super) async fn old_design(
    client: &Client,
    counter: &WireCounter,
    workload: &Workload,
) -> anyhow::Result<Arrangement> {
    old_tables(client).await?;
    counter.reset();
    for r in &workload.requests {
        old_request(client, &r.query, r.response.as_ref()).await?;
    }
    let tally = counter.tally();
    let requests = workload.requests.len();
    let answered = workload
        .requests
        .iter()
        .filter(|r| r.response.is_some())
        .count();
    Ok(Arrangement {
        name: "old design (replayed)",
        lookup: None,
        requests,
        answered,
        events: requests + answered,
        answered_requests: tally.total_requests() as f64 - (requests - answered) as f64,
        tally,
    })
}

/// What one report's read of the records cost, on one layout.
#[derive(Debug, Clone)]
pub(super) struct ReportRead {
    pub lookup: WeekLookup,
    /// Weeks of records the table held.
    pub weeks_held: usize,
    /// Requests of the week reported.
    pub requests: u64,
    pub tally: Tally,
}

impl ReportRead {
    pub(super) fn rru_per_request(&self) -> f64 {
        self.tally.rru / self.requests.max(1) as f64
    }
}

/// One request of `week`, answered 7 times in 10, with the demo's kinds of fields.
fn seeded(week: shared_types::WeekId, i: i64) -> Option<RequestRecord> {
    use shared_types::event::QueryMetadata;
    use shared_types::testing;
    let query = shared_types::QueryEvent {
        session_id: Some(if i % 4 == 0 {
            format!("session-{}", i / 3)
        } else {
            "anonymous".into()
        }),
        metadata: QueryMetadata {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36".into()),
            referer: Some("https://example.dev/cv".into()),
        },
        ..testing::query(
            &format!("{week}-{i}"),
            week.start().timestamp_millis() + i * 600_000 % 604_800_000,
            &format!(
                "Have you worked with technology number {} in production?",
                i % 60
            ),
        )
    };
    let answer = testing::answer(
        shared_types::MatchType::Partial,
        72,
        1_500,
        &["Rust", "AWS Lambda", "DynamoDB"],
    );
    let response = (i % 10 < 7).then(|| shared_types::ResponseEvent {
        reasoning: "Good match: \"Rust\" with 0.72 similarity".into(),
        vector_matches: Some(5),
        session_id: query.session_id.clone(),
        ..testing::response(&query.request_id, query.timestamp + 1_500, &answer)
    });
    RequestRecord::from_events(Some(&query), response.as_ref(), DEFAULT_TTL_DAYS)
}

/// Writes `per_week` requests into each of `weeks` through the processor's adapter.
pub(super) async fn seed_weeks(
    client: &Client,
    table: &str,
    weeks: &[shared_types::WeekId],
    per_week: i64,
) -> anyhow::Result<()> {
    use futures::StreamExt;
    use processor::RecordStore;
    let store = DynamoRecordStore::new(client.clone(), table);
    let records: Vec<RequestRecord> = weeks
        .iter()
        .flat_map(|week| (0..per_week).filter_map(|i| seeded(*week, i)))
        .collect();
    let results: Vec<_> = futures::stream::iter(records)
        .map(|record| {
            let store = &store;
            async move { store.merge(&record).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .context("seed the weeks")?;
    Ok(())
}

/// A report's read of the records on `table` (which has the week index, so both layouts can
/// read it: a scan reads only the base table) for `week`, with the five weeks before counted
/// for late arrivals, as the reporter does each week once earlier weeks were reported.
pub(super) async fn report_read(
    client: &Client,
    counter: &WireCounter,
    table: &str,
    week: shared_types::WeekId,
    weeks_held: usize,
    lookup: WeekLookup,
) -> anyhow::Result<ReportRead> {
    use reporter::RecordSource;
    let source = reporter::DynamoRecordSource::new(client.clone(), table, lookup);
    let earlier: Vec<shared_types::WeekId> =
        std::iter::successors(Some(week.previous()), |w| Some(w.previous()))
            .take(reporter::LATE_ARRIVAL_WEEKS)
            .collect();
    counter.reset();
    let read = source.read_weeks(&[week], &earlier, &mut |_| {}).await?;
    Ok(ReportRead {
        lookup,
        weeks_held,
        requests: read.passed,
        tally: counter.tally(),
    })
}
