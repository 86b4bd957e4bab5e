//! Merging events into records, through the processor's own handler and its in-memory table
//! (the same merge rules as the DynamoDB update expression): whatever the order of deliveries,
//! however they are duplicated and cut into batches, and however many different events of one
//! kind a request has (producer retries that rebuilt an event), the records equal the model
//! built from each request's lowest-ranked query and response (commutative), and delivering
//! everything again changes nothing (idempotent).
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use processor::fakes::InMemoryDeadLetters;
use processor::fakes::InMemoryRecordStore;
use processor::{Config, Processor};
use shared_types::event::{QueryMetadata, ResponseMetadata};
use shared_types::{
    AnalyticsEvent, MatchType, Performance, QueryEvent, RequestRecord, ResponseEvent,
};

const TTL_DAYS: u32 = 90;
/// 2024-12-27: requests straddle the 2025-W01 year boundary.
const BASE_MS: i64 = 1_735_257_600_000;
/// How far a rebuilt event's timestamp may move from the first one's, either way: into another
/// ISO week.
const MAX_SHIFT_MS: i64 = 4 * 86_400_000;

#[derive(Debug, Arbitrary)]
struct RequestSpec {
    has_query: bool,
    has_response: bool,
    offset_ms: u32,
    latency_ms: u16,
    session: Option<u8>,
    response_session: Option<u8>,
    text: String,
    user_agent: Option<String>,
    kind: u8,
    score: u8,
    vectors: Option<u8>,
    quality: Option<u8>,
    sources: Vec<String>,
    performance: Option<(u16, u16, bool)>,
    /// Rebuilt queries: a timestamp shift (milliseconds, either way) and other text.
    rebuilt_queries: Vec<(i32, String)>,
    /// Rebuilt responses: a timestamp shift, match type, score, and vector matches.
    rebuilt_responses: Vec<(i32, u8, u8, Option<u8>)>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    requests: Vec<RequestSpec>,
    /// (event index, extra copies) in delivery order; events not named are delivered last.
    deliveries: Vec<(u8, u8)>,
    batch_sizes: Vec<u8>,
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn events(index: usize, spec: &RequestSpec) -> (Vec<QueryEvent>, Vec<ResponseEvent>) {
    let request_id = format!("req-{index}");
    let timestamp = BASE_MS + i64::from(spec.offset_ms % (10 * 86_400_000));
    let session = |s: Option<u8>| s.map(|s| format!("s-{}", s % 4));
    let text = clip(&spec.text, 1_000);
    let query = (spec.has_query || !spec.has_response).then(|| QueryEvent {
        request_id: request_id.clone(),
        timestamp,
        session_id: session(spec.session),
        query: if text.trim().is_empty() {
            "q".into()
        } else {
            text
        },
        metadata: QueryMetadata {
            user_agent: spec.user_agent.as_deref().map(|u| clip(u, 2_048)),
            referer: None,
        },
    });
    let response = spec.has_response.then(|| ResponseEvent {
        request_id,
        timestamp: timestamp + i64::from(spec.latency_ms),
        match_type: [MatchType::Full, MatchType::Partial, MatchType::None]
            [usize::from(spec.kind % 3)],
        match_score: u32::from(spec.score % 101),
        reasoning: format!("score {}", spec.score % 101),
        vector_matches: spec.vectors.map(|v| u32::from(v % 6)),
        session_id: session(spec.response_session),
        metadata: ResponseMetadata {
            match_quality: spec.quality.map(|q| f64::from(q) / 255.0),
            sources_used: spec.sources.iter().take(20).map(|s| clip(s, 200)).collect(),
        },
        performance: spec.performance.map(|(total, llm, hit)| Performance {
            total_time: Some(f64::from(total) / 3.0),
            llm_time: Some(f64::from(llm)),
            retrieval_time: None,
            cache_hit: Some(hit),
        }),
    });
    let mut queries: Vec<QueryEvent> = query.into_iter().collect();
    let mut responses: Vec<ResponseEvent> = response.into_iter().collect();
    if let Some(first) = queries.first().cloned() {
        for (shift, text) in spec.rebuilt_queries.iter().take(3) {
            let text = clip(text, 1_000);
            queries.push(QueryEvent {
                timestamp: first.timestamp + i64::from(*shift) % MAX_SHIFT_MS,
                query: if text.trim().is_empty() {
                    "rebuilt".into()
                } else {
                    text
                },
                metadata: QueryMetadata::default(),
                ..first.clone()
            });
        }
    }
    if let Some(first) = responses.first().cloned() {
        for &(shift, kind, score, vectors) in spec.rebuilt_responses.iter().take(3) {
            responses.push(ResponseEvent {
                timestamp: first.timestamp + i64::from(shift) % MAX_SHIFT_MS,
                match_type: [MatchType::Full, MatchType::Partial, MatchType::None]
                    [usize::from(kind % 3)],
                match_score: u32::from(score % 101),
                reasoning: "rebuilt".into(),
                vector_matches: vectors.map(|v| u32::from(v % 6)),
                metadata: ResponseMetadata::default(),
                performance: None,
                ..first.clone()
            });
        }
    }
    (queries, responses)
}

fn sqs_event(bodies: &[String], first_id: usize) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("m-{}", first_id + i));
            message.body = Some(body.clone());
            message
        })
        .collect();
    event
}

fn deliver(
    processor: &Processor<InMemoryRecordStore, InMemoryDeadLetters>,
    deliveries: &[String],
    batch_sizes: &[u8],
    now: DateTime<Utc>,
) {
    let mut rest = deliveries;
    let mut sizes = batch_sizes.iter();
    let mut first_id = 0;
    while !rest.is_empty() {
        let size = sizes
            .next()
            .map_or(10, |s| usize::from(s % 10) + 1)
            .min(rest.len());
        let (batch, tail) = rest.split_at(size);
        let outcome =
            futures::executor::block_on(processor.process(sqs_event(batch, first_id), now))
                .expect("the batch is processed");
        assert!(
            outcome.response.batch_item_failures.is_empty(),
            "nothing fails in memory"
        );
        assert_eq!(
            outcome.summary.rejected, 0,
            "valid events are never rejected"
        );
        first_id += size;
        rest = tail;
    }
}

fuzz_target!(|input: Input| {
    let Some(now) = DateTime::from_timestamp_millis(BASE_MS + 16 * 86_400_000) else {
        return;
    };
    let mut model = BTreeMap::new();
    let mut bodies = Vec::new();
    for (index, spec) in input.requests.iter().take(12).enumerate() {
        let (queries, responses) = events(index, spec);
        let first_query = queries.iter().min_by_key(|q| q.rank());
        let first_response = responses.iter().min_by_key(|r| r.rank());
        if let Some(record) = RequestRecord::from_events(first_query, first_response, TTL_DAYS) {
            model.insert(record.pk.clone(), record);
        }
        bodies.extend(
            queries
                .into_iter()
                .map(AnalyticsEvent::Query)
                .map(|e| serde_json::to_string(&e)),
        );
        bodies.extend(
            responses
                .into_iter()
                .map(AnalyticsEvent::Response)
                .map(|e| serde_json::to_string(&e)),
        );
    }
    let bodies: Vec<String> = bodies
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("events serialise");
    if bodies.is_empty() {
        return;
    }

    // The fuzzer's order, with duplicates; then whatever it did not name.
    let mut delivered = vec![false; bodies.len()];
    let mut deliveries = Vec::new();
    for &(index, copies) in input.deliveries.iter().take(64) {
        let index = usize::from(index) % bodies.len();
        delivered[index] = true;
        for _ in 0..=copies % 3 {
            deliveries.push(bodies[index].clone());
        }
    }
    deliveries.extend(
        bodies
            .iter()
            .zip(&delivered)
            .filter(|(_, d)| !**d)
            .map(|(b, _)| b.clone()),
    );

    let config = Config {
        table_name: "fuzz".into(),
        dead_letter_queue_url: "dlq.fifo".into(),
        ttl_days: TTL_DAYS,
        zone: shared_types::week::Tz::UTC,
        write_concurrency: 4,
    };
    let processor = Processor::new(
        InMemoryRecordStore::new(),
        InMemoryDeadLetters::new(),
        &config,
    );
    deliver(&processor, &deliveries, &input.batch_sizes, now);
    let records = processor.store().records();
    assert_eq!(records, model, "the delivery order changed the records");

    // Idempotent: everything again, in reverse and in other batches.
    deliveries.reverse();
    deliver(&processor, &deliveries, &[9], now);
    assert_eq!(
        processor.store().records(),
        model,
        "a redelivery changed the records"
    );
});
