//! The DynamoDB item that the processor writes and the reporter reads: one item per request.
//!
//! ## Layout
//! - Partition key `pk` = `REQ#<requestId>` ([`request_key`]); no sort key. The prefix leaves room
//!   for other item kinds in the same table without a clash.
//! - `week` (ISO week of the query, [`WeekId`]) is the partition key of the global secondary index
//!   [`WEEK_INDEX`], projected `KEYS_ONLY`: the index is written when an item first appears and
//!   when its week changes, never when a response fills in the rest of the item, so an answered
//!   request costs one index write instead of two.
//! - `expiresAt` (epoch seconds) is the table's TTL attribute.
//! - The query half (`queryTs`, `query`, `userAgent`, `referer`) and the response half
//!   (`responseTs`, `matchType`, ...) are plain attributes, each written by its own event.
//!
//! ## Merge rules (why one write per event is enough)
//! Each event writes only the attributes it owns, with `SET`, so no write needs to read first.
//! The attributes both halves can supply ([`PROVISIONAL_UNTIL_QUERY`]: week, session, expiry)
//! belong to the query: a query sets them unconditionally, a response only when they are absent
//! (`if_not_exists`). Whatever the order and however often each event is applied, the item ends
//! as [`RequestRecord::from_events`] of the two events.

use serde::{Deserialize, Serialize};

use crate::event::{MatchType, QueryEvent, ResponseEvent};
use crate::week::WeekId;

/// Prefix of the partition key of a request's item.
pub const REQUEST_KEY_PREFIX: &str = "REQ#";

/// Prefix of the partition key of a week's report marker (see the reporter). Marker items have
/// no `week` attribute, so they never appear in the week index.
pub const REPORT_KEY_PREFIX: &str = "REPORT#";

/// Name of the global secondary index keyed by week.
pub const WEEK_INDEX: &str = "week-index";

/// Default lifetime of a record, in days after its query (or, until the query comes, its response).
pub const DEFAULT_TTL_DAYS: u32 = 90;

/// Attribute names, shared so that no side spells them on its own.
pub mod attr {
    pub const PK: &str = "pk";
    pub const WEEK: &str = "week";
    pub const EXPIRES_AT: &str = "expiresAt";
    pub const SESSION_ID: &str = "sessionId";
    pub const QUERY_TS: &str = "queryTs";
    pub const QUERY: &str = "query";
    pub const USER_AGENT: &str = "userAgent";
    pub const REFERER: &str = "referer";
    pub const RESPONSE_TS: &str = "responseTs";
    pub const MATCH_TYPE: &str = "matchType";
    pub const MATCH_SCORE: &str = "matchScore";
    pub const REASONING: &str = "reasoning";
    pub const VECTOR_MATCHES: &str = "vectorMatches";
    pub const MATCH_QUALITY: &str = "matchQuality";
    pub const SOURCES_USED: &str = "sourcesUsed";
    pub const TOTAL_TIME_MS: &str = "totalTimeMs";
    pub const LLM_TIME_MS: &str = "llmTimeMs";
    pub const RETRIEVAL_TIME_MS: &str = "retrievalTimeMs";
    pub const CACHE_HIT: &str = "cacheHit";

    /// Every attribute of a request's item.
    pub const ALL: [&str; 19] = [
        PK,
        WEEK,
        EXPIRES_AT,
        SESSION_ID,
        QUERY_TS,
        QUERY,
        USER_AGENT,
        REFERER,
        RESPONSE_TS,
        MATCH_TYPE,
        MATCH_SCORE,
        REASONING,
        VECTOR_MATCHES,
        MATCH_QUALITY,
        SOURCES_USED,
        TOTAL_TIME_MS,
        LLM_TIME_MS,
        RETRIEVAL_TIME_MS,
        CACHE_HIT,
    ];
}

/// Attributes that both events carry and that the query owns: a response writes them only
/// when they are absent, a query always.
pub const PROVISIONAL_UNTIL_QUERY: [&str; 3] = [attr::WEEK, attr::SESSION_ID, attr::EXPIRES_AT];

/// The partition key of a request's item.
pub fn request_key(request_id: &str) -> String {
    format!("{REQUEST_KEY_PREFIX}{request_id}")
}

/// The partition key of the marker that records a week's report as sent.
/// The weekly report's marker, `REPORT#<week>`: the reporter's exactly-once ledger, read by the
/// maintainer command. It has no `week` attribute, so the week index never lists it.
pub mod report_marker {
    pub const STATUS: &str = "status";
    pub const CLAIMED_AT: &str = "claimedAt";
    pub const SENT_AT: &str = "sentAt";
    pub const MESSAGE_ID: &str = "messageId";
    /// `status` while an invocation holds the claim.
    pub const SENDING: &str = "sending";
    /// `status` once SES accepted the email.
    pub const SENT: &str = "sent";
}

pub fn report_key(week: WeekId) -> String {
    format!("{REPORT_KEY_PREFIX}{week}")
}

/// One request as stored: the query half, the response half, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub pk: String,
    /// ISO week of the query (of the response while the query has not arrived).
    pub week: WeekId,
    /// TTL, epoch seconds.
    pub expires_at: i64,
    pub session_id: String,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_ts: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_ts: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_type: Option<MatchType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_score: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_matches: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_quality: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources_used: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm_time_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval_time_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_hit: Option<bool>,
}

impl RequestRecord {
    /// The record that the two halves of one request make together, or `None` when neither is
    /// given. The halves must share a `requestId`; the query's week, session and expiry win.
    pub fn from_events(
        query: Option<&QueryEvent>,
        response: Option<&ResponseEvent>,
        ttl_days: u32,
    ) -> Option<Self> {
        let (request_id, owner_ts, session) = match (query, response) {
            (Some(q), _) => (&q.request_id, q.timestamp, q.session()),
            (None, Some(r)) => (&r.request_id, r.timestamp, r.session()),
            (None, None) => return None,
        };
        let perf = response.and_then(|r| r.performance.as_ref());
        Some(Self {
            pk: request_key(request_id),
            week: WeekId::of_timestamp_ms(owner_ts)?,
            expires_at: owner_ts.div_euclid(1000) + i64::from(ttl_days) * 86_400,
            session_id: session.to_owned(),
            query_ts: query.map(|q| q.timestamp),
            query: query.map(|q| q.query.clone()),
            user_agent: query.and_then(|q| q.metadata.user_agent.clone()),
            referer: query.and_then(|q| q.metadata.referer.clone()),
            response_ts: response.map(|r| r.timestamp),
            match_type: response.map(|r| r.match_type),
            match_score: response.map(|r| r.match_score),
            reasoning: response.map(|r| r.reasoning.clone()),
            vector_matches: response.and_then(|r| r.vector_matches),
            match_quality: response.and_then(|r| r.metadata.match_quality),
            sources_used: response.map(|r| r.metadata.sources_used.clone()),
            total_time_ms: perf.and_then(|p| p.total_time),
            llm_time_ms: perf.and_then(|p| p.llm_time),
            retrieval_time_ms: perf.and_then(|p| p.retrieval_time),
            cache_hit: perf.and_then(|p| p.cache_hit),
        })
    }

    /// The request id, from the partition key.
    pub fn request_id(&self) -> &str {
        self.pk.strip_prefix(REQUEST_KEY_PREFIX).unwrap_or(&self.pk)
    }

    /// A query arrived for this request.
    pub fn has_query(&self) -> bool {
        self.query_ts.is_some()
    }

    /// A response arrived for this request.
    pub fn is_answered(&self) -> bool {
        self.response_ts.is_some()
    }

    /// Response time minus query time, when both halves are here.
    pub fn latency_ms(&self) -> Option<i64> {
        Some(self.response_ts? - self.query_ts?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{QueryMetadata, ResponseMetadata};

    fn query(ts: i64) -> QueryEvent {
        QueryEvent {
            request_id: "r-1".into(),
            timestamp: ts,
            session_id: Some("s-9".into()),
            query: "do you know rust?".into(),
            metadata: QueryMetadata::default(),
        }
    }

    fn response(ts: i64) -> ResponseEvent {
        ResponseEvent {
            request_id: "r-1".into(),
            timestamp: ts,
            match_type: MatchType::Partial,
            match_score: 55,
            reasoning: "some".into(),
            vector_matches: None,
            session_id: None,
            metadata: ResponseMetadata::default(),
            performance: None,
        }
    }

    // Sunday 2025-11-09 23:59:59.500 UTC and Monday 00:00:01 UTC.
    const SUNDAY_LATE: i64 = 1_762_732_799_500;
    const MONDAY_EARLY: i64 = 1_762_732_801_000;

    #[test]
    fn the_query_owns_week_session_and_expiry() {
        let q = query(SUNDAY_LATE);
        let r = response(MONDAY_EARLY);
        let both = RequestRecord::from_events(Some(&q), Some(&r), 90).unwrap();
        assert_eq!(both.week.to_string(), "2025-W45");
        assert_eq!(both.session_id, "s-9");
        assert_eq!(both.expires_at, SUNDAY_LATE / 1000 + 90 * 86_400);
        assert_eq!(both.latency_ms(), Some(1_500));

        let alone = RequestRecord::from_events(None, Some(&r), 90).unwrap();
        assert_eq!(alone.week.to_string(), "2025-W46");
        assert_eq!(alone.session_id, "anonymous");
        assert!(!alone.has_query() && alone.is_answered());
    }

    #[test]
    fn a_complete_record_has_exactly_the_named_attributes() {
        let mut q = query(SUNDAY_LATE);
        q.metadata.user_agent = Some("ua".into());
        q.metadata.referer = Some("ref".into());
        let mut r = response(MONDAY_EARLY);
        r.vector_matches = Some(3);
        r.metadata.match_quality = Some(0.5);
        r.performance = Some(crate::event::Performance {
            total_time: Some(1.0),
            llm_time: Some(1.0),
            retrieval_time: Some(1.0),
            cache_hit: Some(true),
        });
        let record = RequestRecord::from_events(Some(&q), Some(&r), 1).unwrap();
        let value = serde_json::to_value(&record).unwrap();
        let mut names: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = attr::ALL.to_vec();
        names.sort_unstable();
        expected.sort_unstable();
        assert_eq!(names, expected);
    }

    #[test]
    fn serialises_with_the_documented_attribute_names() {
        let record = RequestRecord::from_events(Some(&query(SUNDAY_LATE)), None, 1).unwrap();
        let value = serde_json::to_value(&record).unwrap();
        let names: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for name in [
            attr::PK,
            attr::WEEK,
            attr::EXPIRES_AT,
            attr::SESSION_ID,
            attr::QUERY_TS,
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        assert!(!names.contains(&attr::RESPONSE_TS));
        assert_eq!(value[attr::PK], "REQ#r-1");
        assert_eq!(record.request_id(), "r-1");
    }
}
