//! Random scenarios for property tests: requests, their events (rebuilt retries among them)
//! duplicated, shuffled and split into batches, and the model of what must be stored.

use std::collections::BTreeMap;

use proptest::prelude::*;
use shared_types::event::{QueryMetadata, ResponseMetadata};
use shared_types::testing;
use shared_types::{
    AnalyticsEvent, MatchType, Performance, QueryEvent, RequestRecord, ResponseEvent,
};

pub(crate) const TTL_DAYS: u32 = 90;
/// 2024-12-27T00:00:00Z: the generated weeks straddle the 2025-W01 year boundary.
pub(crate) const BASE_MS: i64 = 1_735_257_600_000;

/// One request as the producer may have sent it: its queries and its responses. Usually one
/// of each kind (or no response); a producer retry that rebuilt an event adds a second or third,
/// with another timestamp (earlier or later, across a week boundary, or the very same
/// millisecond) and other content.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub queries: Vec<QueryEvent>,
    pub responses: Vec<ResponseEvent>,
}

/// How a rebuilt event differs from the first one.
#[derive(Debug, Clone)]
struct Rebuild {
    /// Milliseconds added to the first event's timestamp: 0 (same millisecond), a little, or
    /// days either way (into another ISO week).
    shift: i64,
    session: Option<String>,
    text: String,
    user_agent: Option<String>,
    kind: u8,
    score: u32,
    vectors: Option<u32>,
    perf: Option<f64>,
}

fn rebuild() -> impl Strategy<Value = Rebuild> {
    (
        prop_oneof![
            Just(0i64),
            -5_000i64..5_000,
            -4 * 86_400_000i64..4 * 86_400_000
        ],
        prop::option::of(prop_oneof![Just("anonymous".to_string()), "s-[a-c]"]),
        "[a-z][a-z ?]{9,39}",
        prop::option::of(Just("Rebuilt/1.0".to_string())),
        0u8..3,
        0u32..=100,
        prop::option::of(0u32..=5),
        prop::option::of(0.0f64..5_000.0),
    )
        .prop_map(
            |(shift, session, text, user_agent, kind, score, vectors, perf)| Rebuild {
                shift,
                session,
                text,
                user_agent,
                kind,
                score,
                vectors,
                perf,
            },
        )
}

const MATCH_TYPES: [MatchType; 3] = [MatchType::Full, MatchType::Partial, MatchType::None];

pub(crate) fn request(index: usize) -> impl Strategy<Value = Request> {
    let request_id = format!("req-{index}");
    (
        (
            0i64..10 * 86_400_000,
            0i64..20_000,
            prop::option::of(prop_oneof![Just("anonymous".to_string()), "s-[a-c]"]),
            "[a-z][a-z ?]{9,39}",
            0u8..3,
            0u32..=100,
            prop::option::of(0u32..=5),
            prop::collection::vec("[A-Za-z#.]{1,8}", 0..5),
            prop::option::of((0.0f64..5_000.0, any::<bool>())),
            0u8..10,
        ),
        prop::collection::vec(rebuild(), 0..=2),
        prop::collection::vec(rebuild(), 0..=2),
    )
        .prop_map(
            move |(
                (offset, latency, session, text, kind, score, vectors, sources, perf, shape),
                query_rebuilds,
                response_rebuilds,
            )| {
                let timestamp = BASE_MS + offset;
                let query = QueryEvent {
                    session_id: session.clone(),
                    metadata: QueryMetadata {
                        user_agent: Some("Mozilla/5.0".into()),
                        referer: None,
                    },
                    ..testing::query(&request_id, timestamp, &text)
                };
                let answer = testing::answer(MATCH_TYPES[usize::from(kind)], score, latency, &[]);
                let response = ResponseEvent {
                    reasoning: format!("score {score}"),
                    vector_matches: vectors,
                    session_id: session,
                    metadata: ResponseMetadata {
                        match_quality: Some(f64::from(score) / 100.0),
                        sources_used: sources,
                    },
                    performance: perf.map(|(total, cache_hit)| Performance {
                        total_time: Some(total),
                        cache_hit: Some(cache_hit),
                        ..Performance::default()
                    }),
                    ..testing::response(&request_id, timestamp + latency, &answer)
                };
                let mut queries = vec![query.clone()];
                queries.extend(query_rebuilds.iter().map(|r| QueryEvent {
                    timestamp: query.timestamp + r.shift,
                    session_id: r.session.clone(),
                    query: r.text.clone(),
                    metadata: QueryMetadata {
                        user_agent: r.user_agent.clone(),
                        referer: None,
                    },
                    ..query.clone()
                }));
                let mut responses = vec![response.clone()];
                responses.extend(response_rebuilds.iter().map(|r| ResponseEvent {
                    timestamp: response.timestamp + r.shift,
                    match_type: MATCH_TYPES[usize::from(r.kind)],
                    match_score: r.score,
                    reasoning: format!("rebuilt, score {}", r.score),
                    vector_matches: r.vectors,
                    session_id: r.session.clone(),
                    metadata: ResponseMetadata {
                        match_quality: None,
                        sources_used: vec!["Rebuilt".into()],
                    },
                    performance: r.perf.map(|total| Performance {
                        total_time: Some(total),
                        ..Performance::default()
                    }),
                    ..response.clone()
                }));
                // Most requests have a query; many are never answered; a few lose the query.
                match shape {
                    0..=4 => Request { queries, responses },
                    5..=8 => Request {
                        queries,
                        responses: Vec::new(),
                    },
                    _ => Request {
                        queries: Vec::new(),
                        responses,
                    },
                }
            },
        )
}

#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    pub requests: Vec<Request>,
    /// Message bodies in delivery order, duplicates included.
    pub deliveries: Vec<String>,
    /// Sizes of consecutive batches (the last one takes what is left).
    pub batch_sizes: Vec<usize>,
}

pub(crate) fn scenario() -> impl Strategy<Value = Scenario> {
    (1usize..12)
        .prop_flat_map(|n| (0..n).map(request).collect::<Vec<_>>())
        .prop_flat_map(|requests| {
            let events: Vec<String> = requests
                .iter()
                .flat_map(|r| {
                    let q = r.queries.iter().cloned().map(AnalyticsEvent::Query);
                    let s = r.responses.iter().cloned().map(AnalyticsEvent::Response);
                    q.chain(s)
                })
                .map(|e| serde_json::to_string(&e).unwrap())
                .collect();
            let copies = prop::collection::vec(1usize..=3, events.len());
            (Just(requests), Just(events), copies)
        })
        .prop_flat_map(|(requests, events, copies)| {
            let deliveries: Vec<String> = events
                .iter()
                .zip(copies)
                .flat_map(|(e, n)| std::iter::repeat_n(e.clone(), n))
                .collect();
            let sizes = prop::collection::vec(1usize..=10, 1..=deliveries.len());
            (Just(requests), Just(deliveries).prop_shuffle(), sizes)
        })
        .prop_map(|(requests, deliveries, batch_sizes)| Scenario {
            requests,
            deliveries,
            batch_sizes,
        })
}

/// What must be stored: for each request, the record of its lowest-ranked query and its
/// lowest-ranked response (the earliest, then the smallest content digest).
pub(crate) fn model(requests: &[Request]) -> BTreeMap<String, RequestRecord> {
    requests
        .iter()
        .filter_map(|r| {
            let query = r.queries.iter().min_by_key(|q| q.rank());
            let response = r.responses.iter().min_by_key(|r| r.rank());
            RequestRecord::from_events(query, response, TTL_DAYS)
        })
        .map(|record| (record.pk.clone(), record))
        .collect()
}

impl Scenario {
    /// The deliveries cut into batches of the generated sizes (the last takes what is left).
    pub(crate) fn batches(&self) -> Vec<&[String]> {
        let mut batches = Vec::new();
        let mut rest: &[String] = &self.deliveries;
        let mut sizes = self.batch_sizes.iter();
        while !rest.is_empty() {
            let size = sizes.next().copied().unwrap_or(10).min(rest.len());
            let (batch, tail) = rest.split_at(size);
            batches.push(batch);
            rest = tail;
        }
        batches
    }
}
