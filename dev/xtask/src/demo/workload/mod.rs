//! A realistic, seeded workload over two ISO weeks, in the producer's exact message format, and
//! what the pipeline must make of it.
//!
//! It holds what real traffic holds: popular questions asked again and again (in varied case and
//! punctuation), questions the CV cannot answer (no response, or a `none` match), anonymous and
//! named sessions, responses sent before their queries, deliveries duplicated after SQS's
//! five-minute deduplication window (so with a new deduplication id), and a few malformed
//! messages. The same seed gives the same messages.

use std::collections::BTreeMap;

use chrono::Duration;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared_types::event::QueryMetadata;
use shared_types::testing;
use shared_types::week::Tz;
use shared_types::{AnalyticsEvent, MatchType, QueryEvent, RequestRecord, ResponseEvent, WeekId};

/// The producer's constant message group.
pub(crate) use shared_types::event::MESSAGE_GROUP;

mod corpus;

use corpus::{MALFORMED, PARAPHRASES, PERSONAL, QUESTIONS};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct WorkloadSpec {
    pub seed: u64,
    /// Questions over both weeks.
    pub questions: usize,
    /// The second of the two weeks (the one reported).
    pub week: WeekId,
    /// Malformed messages, at most `MALFORMED.len()` kinds, repeated round-robin.
    pub malformed: usize,
    /// The owner's time zone: the two weeks are its clocks'.
    pub zone: Tz,
}

/// One SQS message as the producer sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    pub body: String,
    pub group_id: String,
    pub deduplication_id: String,
}

/// One generated request, as the generator knows it.
#[derive(Debug, Clone)]
pub struct GeneratedRequest {
    pub query: QueryEvent,
    pub response: Option<ResponseEvent>,
}

/// The messages to send, and what must come out.
#[derive(Debug, Clone)]
pub struct Workload {
    pub messages: Vec<OutgoingMessage>,
    pub requests: Vec<GeneratedRequest>,
    /// Malformed bodies and a fragment of the reason each must be rejected with.
    pub malformed: Vec<(String, &'static str)>,
    /// Deliveries that repeat an earlier one.
    pub duplicates: usize,
    /// Requests whose response is sent before the query.
    pub responses_first: usize,
    /// The owner's time zone, which files each request under its week.
    pub zone: Tz,
}

impl Workload {
    /// The records the table must hold afterwards, by partition key.
    pub fn expected_records(&self, ttl_days: u32) -> BTreeMap<String, RequestRecord> {
        self.requests
            .iter()
            .filter_map(|r| {
                RequestRecord::from_events_in(
                    Some(&r.query),
                    r.response.as_ref(),
                    ttl_days,
                    self.zone,
                )
            })
            .map(|record| (record.pk.clone(), record))
            .collect()
    }
}

fn message(event: &AnalyticsEvent, retry: bool) -> OutgoingMessage {
    let id = event.deduplication_id();
    OutgoingMessage {
        body: serde_json::to_string(event).unwrap_or_default(),
        group_id: MESSAGE_GROUP.to_owned(),
        // A redelivery after the five-minute window carries a new deduplication id.
        deduplication_id: if retry { format!("{id}-retry") } else { id },
    }
}

/// A request id in the shape of a UUID v4, from the seeded generator.
fn request_id(rng: &mut ChaCha8Rng) -> String {
    let a: u128 = rng.random();
    let hex = format!("{a:032x}");
    format!(
        "{}-{}-4{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Varies case and punctuation the way people type.
fn as_typed(rng: &mut ChaCha8Rng, question: &str) -> String {
    let base = question.trim_end_matches('?');
    match rng.random_range(0..4) {
        0 => question.to_owned(),
        1 => base.to_lowercase(),
        2 => format!("{base}??"),
        _ => format!("  {}  ", question.to_uppercase()),
    }
}

/// Generates the workload of `spec`: the requests, their events as the producer sends them,
/// then the deliveries repeated after SQS's deduplication window, the malformed messages, and
/// a little shuffling among neighbours.
pub(crate) fn generate(spec: WorkloadSpec) -> Workload {
    let mut generator = Generator::new(spec);
    let mut requests = Vec::with_capacity(spec.questions);
    // (send time, event): the producer sends each event when it is built.
    let mut events: Vec<(i64, AnalyticsEvent)> = Vec::new();
    let mut responses_first = 0;
    for _ in 0..spec.questions {
        let request = generator.request();
        responses_first += usize::from(generator.sends(&request, &mut events));
        requests.push(request);
    }
    events.sort_by_key(|(send_at, _)| *send_at);
    let mut messages: Vec<OutgoingMessage> =
        events.iter().map(|(_, e)| message(e, false)).collect();
    let duplicates = generator.repeat(&events, &mut messages);
    let malformed = generator.malformed(&mut messages);
    generator.shuffle_neighbours(&mut messages);
    Workload {
        messages,
        requests,
        malformed,
        duplicates,
        responses_first,
        zone: spec.zone,
    }
}

/// The seeded generator and what it draws from.
struct Generator {
    rng: ChaCha8Rng,
    spec: WorkloadSpec,
    start_ms: i64,
    span_ms: i64,
    sessions: Vec<String>,
}

impl Generator {
    fn new(spec: WorkloadSpec) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(spec.seed),
            spec,
            start_ms: spec.week.previous().start_in(spec.zone).timestamp_millis(),
            span_ms: Duration::weeks(2).num_milliseconds(),
            sessions: (0..spec.questions / 6 + 1)
                .map(|i| format!("session-{i:04}"))
                .collect(),
        }
    }

    /// A question by popularity (Zipf-like: a few dominate), asked in other words half the
    /// time when the CV cannot answer it, now and then with contact details; whether the CV
    /// answers it, and the sections it would use.
    fn question(&mut self) -> (String, bool, &'static [&'static str]) {
        let rank = ((self.rng.random::<f64>().powi(3)) * QUESTIONS.len() as f64) as usize;
        let (question, answerable, sources) = QUESTIONS[rank.min(QUESTIONS.len() - 1)];
        let mut question = question.to_owned();
        if let Some((_, others)) = PARAPHRASES.iter().find(|(q, _)| *q == question)
            && self.rng.random_bool(0.5)
        {
            question = others
                .choose(&mut self.rng)
                .copied()
                .unwrap_or_default()
                .to_owned();
        }
        if !answerable && self.rng.random_bool(0.05) {
            question.push_str(PERSONAL.choose(&mut self.rng).copied().unwrap_or_default());
        }
        (question, answerable, sources)
    }

    /// One request: its query, and its response if it gets one. Unanswerable questions mostly
    /// get no response at all (rejected, out of hours, no match), sometimes a `none` match;
    /// answerable ones are answered most of the time.
    fn request(&mut self) -> GeneratedRequest {
        let (question, answerable, sources) = self.question();
        let id = request_id(&mut self.rng);
        let asked = self.start_ms + self.rng.random_range(0..self.span_ms);
        let session = if self.rng.random_bool(0.75) {
            "anonymous".to_owned()
        } else {
            self.sessions
                .choose(&mut self.rng)
                .cloned()
                .unwrap_or_default()
        };
        let query = QueryEvent {
            session_id: Some(session.clone()),
            metadata: QueryMetadata {
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
                referer: Some("https://example.dev/cv".into()),
            },
            ..testing::query(&id, asked, &as_typed(&mut self.rng, &question))
        };
        let answered = self.rng.random_bool(if answerable { 0.9 } else { 0.3 });
        let response = answered.then(|| {
            let (match_type, score) = if !answerable {
                (MatchType::None, self.rng.random_range(0..20))
            } else if self.rng.random_bool(0.7) {
                (MatchType::Full, self.rng.random_range(75..=100))
            } else {
                (MatchType::Partial, self.rng.random_range(40..75))
            };
            let answered_at = asked + self.rng.random_range(800..6_000);
            ResponseEvent {
                reasoning: format!("{} match with {score}% similarity", match_type.as_str()),
                vector_matches: Some(self.rng.random_range(0..=5)),
                session_id: Some(session.clone()),
                ..testing::response(
                    &id,
                    answered_at,
                    &testing::answer(match_type, score, 0, sources),
                )
            }
        });
        GeneratedRequest { query, response }
    }

    /// Adds the request's events as the producer sends them; whether the response went first
    /// (the query's HTTP call was slow and landed after it).
    fn sends(
        &mut self,
        request: &GeneratedRequest,
        events: &mut Vec<(i64, AnalyticsEvent)>,
    ) -> bool {
        let query = AnalyticsEvent::Query(request.query.clone());
        match &request.response {
            Some(r) if self.rng.random_bool(0.1) => {
                events.push((r.timestamp, AnalyticsEvent::Response(r.clone())));
                events.push((r.timestamp + 1, query));
                true
            }
            Some(r) => {
                events.push((request.query.timestamp, query));
                events.push((r.timestamp, AnalyticsEvent::Response(r.clone())));
                false
            }
            None => {
                events.push((request.query.timestamp, query));
                false
            }
        }
    }

    /// Duplicated deliveries: about 3% of the messages again, later, with a new deduplication
    /// id; how many.
    fn repeat(
        &mut self,
        events: &[(i64, AnalyticsEvent)],
        messages: &mut Vec<OutgoingMessage>,
    ) -> usize {
        let duplicates = self.spec.questions * 3 / 100;
        let repeats: Vec<OutgoingMessage> = (0..duplicates)
            .filter_map(|_| events.choose(&mut self.rng).map(|(_, e)| message(e, true)))
            .collect();
        messages.extend(repeats);
        duplicates
    }

    /// The malformed messages, each inserted at a random place; with the fragment of the
    /// reason each must be rejected with.
    fn malformed(&mut self, messages: &mut Vec<OutgoingMessage>) -> Vec<(String, &'static str)> {
        let malformed: Vec<(String, &'static str)> = (0..self.spec.malformed)
            .map(|i| {
                let (body, reason) = MALFORMED[i % MALFORMED.len()];
                (body.to_owned(), reason)
            })
            .collect();
        for (i, (body, _)) in malformed.iter().enumerate() {
            let at = self.rng.random_range(0..=messages.len());
            messages.insert(
                at,
                OutgoingMessage {
                    body: body.clone(),
                    group_id: MESSAGE_GROUP.to_owned(),
                    deduplication_id: format!("malformed-{i}"),
                },
            );
        }
        malformed
    }

    /// A little shuffling among neighbours: arrival order is likely, not guaranteed.
    fn shuffle_neighbours(&mut self, messages: &mut [OutgoingMessage]) {
        for window in messages.chunks_mut(4) {
            if self.rng.random_bool(0.05) {
                window.shuffle(&mut self.rng);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> WorkloadSpec {
        WorkloadSpec {
            seed,
            questions: 500,
            week: "2025-W46".parse().unwrap(),
            malformed: 6,
            zone: shared_types::week::Tz::UTC,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_messages() {
        assert_eq!(generate(spec(7)).messages, generate(spec(7)).messages);
        assert_ne!(generate(spec(7)).messages, generate(spec(8)).messages);
    }

    #[test]
    fn the_workload_holds_what_real_traffic_holds() {
        let workload = generate(spec(1));
        let unanswered = workload
            .requests
            .iter()
            .filter(|r| r.response.is_none())
            .count();
        let none = workload
            .requests
            .iter()
            .filter(|r| {
                r.response
                    .as_ref()
                    .is_some_and(|x| x.match_type == MatchType::None)
            })
            .count();
        assert!(
            unanswered > 20 && none > 5,
            "{unanswered} unanswered, {none} none"
        );
        assert!(workload.duplicates >= 15);
        assert!(workload.responses_first >= 10);
        assert_eq!(workload.malformed.len(), 6);
        let weeks: std::collections::BTreeSet<String> = workload
            .requests
            .iter()
            .map(|r| {
                WeekId::of_timestamp_ms(r.query.timestamp)
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            weeks.into_iter().collect::<Vec<_>>(),
            vec!["2025-W45", "2025-W46"]
        );
        for m in &workload.messages {
            assert_eq!(m.group_id, "analytics");
            assert!(m.deduplication_id.len() <= 128);
        }
    }

    #[test]
    fn every_well_formed_message_parses_and_every_malformed_one_is_refused() {
        let workload = generate(spec(3));
        let now = "2025-11-17T07:00:00Z".parse().unwrap();
        let refused = workload
            .messages
            .iter()
            .filter(|m| AnalyticsEvent::parse(&m.body, now).is_err())
            .count();
        assert_eq!(refused, workload.malformed.len());
    }
}
