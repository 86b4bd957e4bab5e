//! Builders for the reporter's tests: records made the way the processor makes them.
#![allow(dead_code)] // each test crate uses a different part

use chrono::{DateTime, Utc};
use reporter::Config;
use shared_types::event::{QueryMetadata, ResponseMetadata};
use shared_types::{MatchType, QueryEvent, RequestRecord, ResponseEvent, WeekId};

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub(crate) fn week(text: &str) -> WeekId {
    text.parse().unwrap()
}

/// An answer to a question: match type, score, latency in ms, sources.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub match_type: MatchType,
    pub score: u32,
    pub latency_ms: i64,
    pub sources: Vec<String>,
}

pub(crate) fn answer(
    match_type: MatchType,
    score: u32,
    latency_ms: i64,
    sources: &[&str],
) -> Answer {
    Answer {
        match_type,
        score,
        latency_ms,
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
    }
}

pub(crate) fn query_event(
    id: &str,
    asked_at: DateTime<Utc>,
    question: &str,
    session: &str,
) -> QueryEvent {
    QueryEvent {
        request_id: id.to_owned(),
        timestamp: asked_at.timestamp_millis(),
        session_id: Some(session.to_owned()),
        query: question.to_owned(),
        metadata: QueryMetadata::default(),
    }
}

pub(crate) fn response_event(
    id: &str,
    answered_at_ms: i64,
    answer: &Answer,
    session: &str,
) -> ResponseEvent {
    ResponseEvent {
        request_id: id.to_owned(),
        timestamp: answered_at_ms,
        match_type: answer.match_type,
        match_score: answer.score,
        reasoning: "test".into(),
        vector_matches: Some(3),
        session_id: Some(session.to_owned()),
        metadata: ResponseMetadata {
            match_quality: Some(f64::from(answer.score) / 100.0),
            sources_used: answer.sources.clone(),
        },
        performance: None,
    }
}

/// A request as stored: the question, and its answer if any.
pub(crate) fn record(
    id: &str,
    asked_at: DateTime<Utc>,
    question: &str,
    session: &str,
    answer: Option<Answer>,
) -> RequestRecord {
    let query = query_event(id, asked_at, question, session);
    let response = answer.map(|a| response_event(id, query.timestamp + a.latency_ms, &a, session));
    RequestRecord::from_events(Some(&query), response.as_ref(), 90).unwrap()
}

/// A response whose question never arrived.
pub(crate) fn incomplete(id: &str, answered_at: DateTime<Utc>) -> RequestRecord {
    let answer = answer(MatchType::Full, 90, 0, &[]);
    let response = response_event(id, answered_at.timestamp_millis(), &answer, "anonymous");
    RequestRecord::from_events(None, Some(&response), 90).unwrap()
}

pub(crate) fn config(send_empty_report: bool) -> Config {
    Config {
        table_name: "records".into(),
        sender: "reports@example.dev".into(),
        recipients: vec!["owner@example.dev".into()],
        configuration_set: None,
        send_empty_report,
        ttl_days: 90,
        week_lookup: shared_types::record::WeekLookup::default(),
    }
}
