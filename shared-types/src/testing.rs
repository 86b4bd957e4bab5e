//! Builders of events and records for tests, benchmarks and the demo: one set, so that every
//! caller builds them the same way as the producer and the processor do. Behind the `test-util`
//! feature; never compiled into a function.
//!
//! Each builder fills in what a realistic event holds; a caller changes the rest with struct
//! update syntax (`QueryEvent { session_id: Some("s-1".into()), ..query("r-1", ts, "...") }`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bad literal in a test is the test's bug

use chrono::{DateTime, Utc};

use crate::event::{QueryMetadata, ResponseMetadata};
use crate::record::DEFAULT_TTL_DAYS;
use crate::{AnalyticsEvent, MatchType, QueryEvent, RequestRecord, ResponseEvent, WeekId};

/// An instant from RFC 3339 text (`2025-11-10T07:00:00Z`).
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// A week id from its text (`2025-W45`).
pub fn week(text: &str) -> WeekId {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A question, asked anonymously with no headers.
pub fn query(request_id: &str, timestamp_ms: i64, question: &str) -> QueryEvent {
    QueryEvent {
        request_id: request_id.to_owned(),
        timestamp: timestamp_ms,
        session_id: Some(crate::event::ANONYMOUS_SESSION.to_owned()),
        query: question.to_owned(),
        metadata: QueryMetadata::default(),
    }
}

/// An answer to a question: its match, score, response time and the CV sections it used.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub match_type: MatchType,
    pub score: u32,
    pub latency_ms: i64,
    pub sources: Vec<String>,
}

pub fn answer(match_type: MatchType, score: u32, latency_ms: i64, sources: &[&str]) -> Answer {
    Answer {
        match_type,
        score,
        latency_ms,
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The response event that gives `answer` to the question `request_id`, at `timestamp_ms`.
pub fn response(request_id: &str, timestamp_ms: i64, answer: &Answer) -> ResponseEvent {
    ResponseEvent {
        request_id: request_id.to_owned(),
        timestamp: timestamp_ms,
        match_type: answer.match_type,
        match_score: answer.score,
        reasoning: format!(
            "{} match, score {}",
            answer.match_type.as_str(),
            answer.score
        ),
        vector_matches: Some(3),
        session_id: Some(crate::event::ANONYMOUS_SESSION.to_owned()),
        metadata: ResponseMetadata {
            match_quality: Some(f64::from(answer.score) / 100.0),
            sources_used: answer.sources.clone(),
        },
        performance: None,
    }
}

/// A request as the processor stores it: the question asked at `asked_at` in `session`, and its
/// answer (after the answer's latency) if any.
pub fn record(
    id: &str,
    asked_at: DateTime<Utc>,
    question: &str,
    session: &str,
    answer: Option<Answer>,
) -> RequestRecord {
    let query = QueryEvent {
        session_id: Some(session.to_owned()),
        ..self::query(id, asked_at.timestamp_millis(), question)
    };
    let response = answer.map(|a| ResponseEvent {
        session_id: Some(session.to_owned()),
        ..self::response(id, query.timestamp + a.latency_ms, &a)
    });
    RequestRecord::from_events(Some(&query), response.as_ref(), DEFAULT_TTL_DAYS)
        .expect("a record of a plausible query")
}

/// A response whose question never arrived, as stored.
pub fn incomplete(id: &str, answered_at: DateTime<Utc>) -> RequestRecord {
    let response = response(
        id,
        answered_at.timestamp_millis(),
        &answer(MatchType::Full, 90, 0, &[]),
    );
    RequestRecord::from_events(None, Some(&response), DEFAULT_TTL_DAYS)
        .expect("a record of a plausible response")
}

/// An event as the producer sends it: the message body.
pub fn body(event: &AnalyticsEvent) -> String {
    serde_json::to_string(event).expect("an event serialises")
}
