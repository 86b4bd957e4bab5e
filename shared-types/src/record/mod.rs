//! The DynamoDB item that the processor writes and the reporter reads: one item per request.
//!
//! ## Layout
//! - Partition key `pk` = `REQ#<requestId>` ([`request_key`]); no sort key. The prefix leaves room
//!   for other item kinds in the same table without a clash.
//! - `week` is the ISO week of the query ([`WeekId`]). How the reporter finds a week's items is
//!   the table's [`WeekLookup`]: a parallel `Scan` filtered on `week` (the default, no index), or
//!   the global secondary index [`WEEK_INDEX`] keyed by `week`, projecting the keys and
//!   `queryTs`, which is written when an item first appears, when its week changes and when its
//!   query arrives after its response (one index write unit per request, two when the response
//!   came first).
//! - `expiresAt` (epoch seconds) is the table's TTL attribute.
//! - The query half ([`QUERY_HALF`]) and the response half ([`RESPONSE_HALF`]) are plain
//!   attributes, each written by its own event.
//!
//! ## Merge rules (why one write per event is enough, in any order)
//! Each event writes only the half it owns, so no write needs to read first.
//! - **One event per half.** A producer retry that rebuilds an event gives a second, different
//!   event of the same kind. Of two events of one kind, the one with the lower [`EventRank`]
//!   (earliest `timestamp`, then smallest content digest) is the one stored, whatever the
//!   order: a write of a half is applied only if no lower-ranked event of that kind is stored
//!   ([`compare`]). The half is written whole: every attribute it owns is set, or removed when
//!   the winning event lacks it, so two events of one kind never mix.
//! - **The query owns the shared attributes** ([`PROVISIONAL_UNTIL_QUERY`]: week, session,
//!   expiry). The winning query sets them; until a query is stored, the winning response does.
//!
//! The item therefore always equals [`RequestRecord::from_events`] of the lowest-ranked query
//! and the lowest-ranked response delivered so far.

mod layout;
pub mod number;
pub mod pipeline_stats;
mod rank;
pub mod report_marker;

use serde::{Deserialize, Serialize};

use crate::event::{MatchType, QueryEvent, ResponseEvent};
use crate::privacy;
use crate::week::WeekId;

pub use layout::*;
pub(crate) use rank::content_digest;
pub use rank::{EventRank, RankRef, Verdict, compare};

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
    /// [`content_digest`] of the stored query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_digest: Option<String>,
    /// The question, scrubbed of personal data ([`crate::privacy::scrub_question`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Pieces of personal data scrubbed from the question; absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redactions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The referer's origin (scheme and host) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_ts: Option<i64>,
    /// [`content_digest`] of the stored response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_digest: Option<String>,
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
        Self::from_events_in(query, response, ttl_days, crate::week::Tz::UTC)
    }

    /// [`RequestRecord::from_events`], the week read on the clocks of `zone`
    /// (`REPORT_TIMEZONE`): the ISO week there of the query's time.
    pub fn from_events_in(
        query: Option<&QueryEvent>,
        response: Option<&ResponseEvent>,
        ttl_days: u32,
        zone: crate::week::Tz,
    ) -> Option<Self> {
        let (request_id, owner_ts, session) = match (query, response) {
            (Some(q), _) => (&q.request_id, q.timestamp, q.session()),
            (None, Some(r)) => (&r.request_id, r.timestamp, r.session()),
            (None, None) => return None,
        };
        let perf = response.and_then(|r| r.performance.as_ref());
        let scrubbed = query.map(|q| privacy::scrub_question(&q.query));
        let agent = query.map(|q| privacy::browser_and_device(q.metadata.user_agent.as_deref()));
        Some(Self {
            pk: request_key(request_id),
            week: WeekId::of_timestamp_ms_in(owner_ts, zone)?,
            expires_at: owner_ts.div_euclid(1000) + i64::from(ttl_days) * 86_400,
            session_id: session.to_owned(),
            query_ts: query.map(|q| q.timestamp),
            query_digest: query.map(content_digest),
            redactions: scrubbed.as_ref().map(|s| s.1).filter(|n| *n > 0),
            query: scrubbed.map(|s| s.0),
            browser: agent.map(|a| a.0.to_owned()),
            device: agent.map(|a| a.1.to_owned()),
            referer: query
                .and_then(|q| q.metadata.referer.as_deref())
                .and_then(privacy::referer_origin),
            response_ts: response.map(|r| r.timestamp),
            response_digest: response.map(content_digest),
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

    /// `stored` after `image` (what one batch knows of the request) is merged into it, by the
    /// merge rules above: each half of the image is written whole if its event wins against
    /// the stored one ([`compare`]); the very same event is not written again, so a redelivery
    /// after `REPORT_TIMEZONE` changed keeps the week its request was filed under. The shared
    /// attributes follow the stored query, or while there is none, the stored response. This is the semantics the DynamoDB write implements
    /// with condition expressions.
    pub fn merged(stored: Option<&Self>, image: &Self) -> Self {
        let writes = |half| {
            image.rank(half).is_some_and(|candidate| {
                compare(candidate, stored.and_then(|s| s.rank(half))) == Verdict::Wins
            })
        };
        let (query, response) = (writes(Half::Query), writes(Half::Response));
        let Some(stored) = stored else {
            return image.clone();
        };
        let mut merged = stored.clone();
        if query {
            merged.query_ts = image.query_ts;
            merged.query_digest.clone_from(&image.query_digest);
            merged.query.clone_from(&image.query);
            merged.redactions = image.redactions;
            merged.browser.clone_from(&image.browser);
            merged.device.clone_from(&image.device);
            merged.referer.clone_from(&image.referer);
        }
        if response {
            merged.response_ts = image.response_ts;
            merged.response_digest.clone_from(&image.response_digest);
            merged.match_type = image.match_type;
            merged.match_score = image.match_score;
            merged.reasoning.clone_from(&image.reasoning);
            merged.vector_matches = image.vector_matches;
            merged.match_quality = image.match_quality;
            merged.sources_used.clone_from(&image.sources_used);
            merged.total_time_ms = image.total_time_ms;
            merged.llm_time_ms = image.llm_time_ms;
            merged.retrieval_time_ms = image.retrieval_time_ms;
            merged.cache_hit = image.cache_hit;
        }
        if query || (response && !merged.has_query()) {
            merged.week = image.week;
            merged.session_id.clone_from(&image.session_id);
            merged.expires_at = image.expires_at;
        }
        merged
    }

    /// How many halves of `image` add nothing to `stored`: the very same event is stored, or
    /// one of its kind that ranks before it (a duplicate delivery, absorbed).
    pub fn absorbed_halves(stored: Option<&Self>, image: &Self) -> usize {
        [Half::Query, Half::Response]
            .into_iter()
            .filter(|&half| {
                image.rank(half).is_some_and(|candidate| {
                    compare(candidate, stored.and_then(|s| s.rank(half))) != Verdict::Wins
                })
            })
            .count()
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

    /// The rank of the event of `half` that this record holds, if it holds one.
    pub fn rank(&self, half: Half) -> Option<RankRef<'_>> {
        let (timestamp, digest) = match half {
            Half::Query => (self.query_ts?, &self.query_digest),
            Half::Response => (self.response_ts?, &self.response_digest),
        };
        Some(RankRef {
            timestamp,
            digest: digest.as_deref(),
        })
    }

    /// Response time minus query time, when both halves are here.
    pub fn latency_ms(&self) -> Option<i64> {
        Some(self.response_ts? - self.query_ts?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ResponseMetadata;
    use sha2::{Digest, Sha256};

    fn query(ts: i64) -> QueryEvent {
        QueryEvent {
            session_id: Some("s-9".into()),
            ..crate::testing::query("r-1", ts, "do you know rust?")
        }
    }

    fn response(ts: i64) -> ResponseEvent {
        let answer = crate::testing::answer(MatchType::Partial, 55, 0, &[]);
        ResponseEvent {
            reasoning: "some".into(),
            vector_matches: None,
            session_id: None,
            metadata: ResponseMetadata::default(),
            ..crate::testing::response("r-1", ts, &answer)
        }
    }

    // Sunday 2025-11-09 23:59:59.500 UTC and Monday 00:00:01 UTC.
    const SUNDAY_LATE: i64 = 1_762_732_799_500;
    const MONDAY_EARLY: i64 = 1_762_732_801_000;

    #[test]
    fn the_digest_hashes_the_documented_bytes() {
        // The example query of docs/events.md, and the bytes docs/architecture.md says are
        // hashed: eventType left out, the keys in the contract's order.
        let body = r#"{"eventType":"query","requestId":"3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55","timestamp":1762607658821,"sessionId":"anonymous","query":"have you any experience with c#?","metadata":{"userAgent":"Mozilla/5.0 (X11; Linux x86_64)","referer":"https://example.dev/cv"}}"#;
        let bytes = r#"{"requestId":"3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55","timestamp":1762607658821,"sessionId":"anonymous","query":"have you any experience with c#?","metadata":{"userAgent":"Mozilla/5.0 (X11; Linux x86_64)","referer":"https://example.dev/cv"}}"#;
        let now = chrono::DateTime::from_timestamp_millis(1_762_700_000_000).unwrap();
        let crate::AnalyticsEvent::Query(q) = crate::AnalyticsEvent::parse(body, now).unwrap()
        else {
            panic!("not a query")
        };
        let hash = Sha256::digest(bytes.as_bytes());
        let expected: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(content_digest(&q), expected);

        // A response's numbers: integers in decimal, the others with a fractional part.
        let mut r = response(1_762_607_660_433);
        r.vector_matches = Some(5);
        r.metadata.match_quality = Some(0.91);
        r.metadata.sources_used = vec!["C#".into()];
        r.performance = Some(crate::event::Performance {
            llm_time: Some(600.0),
            cache_hit: Some(false),
            ..Default::default()
        });
        let bytes = r#"{"requestId":"r-1","timestamp":1762607660433,"matchType":"partial","matchScore":55,"reasoning":"some","vectorMatches":5,"metadata":{"matchQuality":0.91,"sourcesUsed":["C#"]},"performance":{"llmTime":600.0,"cacheHit":false}}"#;
        let hash = Sha256::digest(bytes.as_bytes());
        let expected: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(content_digest(&r), expected);

        // Two queries of one timestamp: the smaller digest is stored, in either order.
        let mut other = q.clone();
        other.query = "have you any experience with f#?".into();
        let (a, b) = (
            RequestRecord::from_events(Some(&q), None, 90).unwrap(),
            RequestRecord::from_events(Some(&other), None, 90).unwrap(),
        );
        let smaller = a.query_digest.clone().min(b.query_digest.clone());
        assert_ne!(a.query_digest, b.query_digest);
        let ab = RequestRecord::merged(Some(&a), &b);
        let ba = RequestRecord::merged(Some(&b), &a);
        assert_eq!(ab, ba);
        assert_eq!(ab.query_digest, smaller);
    }

    #[test]
    fn numbers_are_storable_within_dynamodbs_magnitude_and_precision() {
        for value in [0.0, 1e-130, 1e-129, 0.91, 1.0, 3_600_000.0, 9.9e125, -2.5] {
            assert!(number::storable_number(value), "{value:e}");
        }
        for value in [1e-131, 5e-324, 1e126, f64::NAN, f64::INFINITY] {
            assert!(!number::storable_number(value), "{value:e}");
        }
    }

    #[test]
    fn a_summary_names_its_correction_attributes_as_the_ledger_does() {
        use report_marker::{CORRECTED_BY, CORRECTIONS, Correction, WeekSummary};
        let week: WeekId = "2025-W46".parse().unwrap();
        let summary = WeekSummary {
            corrected_by: Some(week),
            corrections: vec![Correction {
                week: week.previous(),
                summary: WeekSummary::default(),
            }],
            ..WeekSummary::default()
        };
        let value = serde_json::to_value(&summary).unwrap();
        assert_eq!(value[CORRECTED_BY], "2025-W46");
        assert_eq!(value[CORRECTIONS][0]["week"], "2025-W45");
        assert_eq!(
            report_marker::request_set_hash(["REQ#a", "REQ#b"]),
            report_marker::request_set_hash(["REQ#b", "REQ#a"])
        );
        // FNV-1a of the empty key is its offset basis.
        assert_eq!(report_marker::key_hash(""), 0xcbf2_9ce4_8422_2325);
    }

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
        q.query = "mail me at someone@example.dev".into();
        q.metadata.user_agent = Some("ua".into());
        q.metadata.referer = Some("https://example.dev/cv".into());
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
