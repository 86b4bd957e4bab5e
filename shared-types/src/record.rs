//! The DynamoDB item that the processor writes and the reporter reads: one item per request.
//!
//! ## Layout
//! - Partition key `pk` = `REQ#<requestId>` ([`request_key`]); no sort key. The prefix leaves room
//!   for other item kinds in the same table without a clash.
//! - `week` is the ISO week of the query ([`WeekId`]). How the reporter finds a week's items is
//!   the table's [`WeekLookup`]: a parallel `Scan` filtered on `week` (the default, no index), or
//!   the global secondary index [`WEEK_INDEX`] keyed by `week`, projected `KEYS_ONLY`, which is
//!   written when an item first appears and when its week changes (one index write unit per
//!   request).
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

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::event::{MatchType, QueryEvent, ResponseEvent};
use crate::privacy;
use crate::week::WeekId;

/// Prefix of the partition key of a request's item.
pub const REQUEST_KEY_PREFIX: &str = "REQ#";

/// Prefix of the partition key of a week's report marker (see the reporter). Marker items have
/// no `week` attribute, so they never appear in the week index.
pub const REPORT_KEY_PREFIX: &str = "REPORT#";

/// Prefix of the partition key of a week's pipeline counts (see [`pipeline_stats`]). Like the
/// report markers, these items have no `week` attribute and stay out of the week index.
pub const STATS_KEY_PREFIX: &str = "STATS#";

/// Name of the global secondary index keyed by week.
pub const WEEK_INDEX: &str = "week-index";

/// How a week's requests are found: the stack's `WeekLookup` parameter, the reporter's
/// `WEEK_LOOKUP` setting. Records are the same either way, and a table moves between the two in
/// place (adding the index builds it from the items already there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeekLookup {
    /// No index. The reporter reads the whole table once per report with a parallel `Scan`
    /// filtered on `week`: no write pays for finding a request again, and no partition key is
    /// shared by a week's requests. The read grows with the records kept (`RECORD_TTL_DAYS`).
    #[default]
    Scan,
    /// The [`WEEK_INDEX`]: one index write unit per request, all of a week's requests under one
    /// index partition key (about 1,000 writes a second), and a read that grows with the week
    /// alone.
    Index,
}

impl WeekLookup {
    pub const ALL: [Self; 2] = [Self::Scan, Self::Index];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scan => "scan",
            Self::Index => "index",
        }
    }
}

impl std::fmt::Display for WeekLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WeekLookup {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|lookup| lookup.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a week lookup (scan or index)"))
    }
}

/// Default lifetime of a record, in days after its query (or, until the query comes, its response).
pub const DEFAULT_TTL_DAYS: u32 = 90;
/// Shortest lifetime: a week is reported by a run up to 14 days after it starts (the daily
/// schedule's Sunday run checks the week before), and its records must still be there.
pub const MIN_TTL_DAYS: u32 = 14;
/// Longest lifetime: ten years.
pub const MAX_TTL_DAYS: u32 = 3650;

/// Attribute names, shared so that no side spells them on its own.
pub mod attr {
    pub const PK: &str = "pk";
    pub const WEEK: &str = "week";
    pub const EXPIRES_AT: &str = "expiresAt";
    pub const SESSION_ID: &str = "sessionId";
    pub const QUERY_TS: &str = "queryTs";
    pub const QUERY_DIGEST: &str = "queryDigest";
    pub const QUERY: &str = "query";
    /// How many pieces of personal data were scrubbed from the question (absent when none).
    pub const REDACTIONS: &str = "redactions";
    /// The user agent's browser family and device class ([`crate::privacy`]).
    pub const BROWSER: &str = "browser";
    pub const DEVICE: &str = "device";
    /// The raw user agent, stored by earlier versions: removed whenever the query half is written.
    pub const USER_AGENT: &str = "userAgent";
    /// The referer's origin only.
    pub const REFERER: &str = "referer";
    pub const RESPONSE_TS: &str = "responseTs";
    pub const RESPONSE_DIGEST: &str = "responseDigest";
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
    pub const ALL: [&str; 23] = [
        PK,
        WEEK,
        EXPIRES_AT,
        SESSION_ID,
        QUERY_TS,
        QUERY_DIGEST,
        QUERY,
        REDACTIONS,
        BROWSER,
        DEVICE,
        REFERER,
        RESPONSE_TS,
        RESPONSE_DIGEST,
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

/// Attributes that both events carry and that the query owns: the stored query sets them; while
/// no query is stored, the stored response does.
pub const PROVISIONAL_UNTIL_QUERY: [&str; 3] = [attr::WEEK, attr::SESSION_ID, attr::EXPIRES_AT];

/// Attributes that the query half owns (besides [`PROVISIONAL_UNTIL_QUERY`]). The legacy raw
/// `userAgent` is among them and never set, so writing the half removes it.
pub const QUERY_HALF: [&str; 8] = [
    attr::QUERY_TS,
    attr::QUERY_DIGEST,
    attr::QUERY,
    attr::REDACTIONS,
    attr::BROWSER,
    attr::DEVICE,
    attr::REFERER,
    attr::USER_AGENT,
];

/// Attributes that the response half owns.
pub const RESPONSE_HALF: [&str; 12] = [
    attr::RESPONSE_TS,
    attr::RESPONSE_DIGEST,
    attr::MATCH_TYPE,
    attr::MATCH_SCORE,
    attr::REASONING,
    attr::VECTOR_MATCHES,
    attr::MATCH_QUALITY,
    attr::SOURCES_USED,
    attr::TOTAL_TIME_MS,
    attr::LLM_TIME_MS,
    attr::RETRIEVAL_TIME_MS,
    attr::CACHE_HIT,
];

/// The two halves of a request's item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Half {
    Query,
    Response,
}

impl Half {
    /// The attributes the half owns (the shared ones excepted).
    pub fn attributes(self) -> &'static [&'static str] {
        match self {
            Self::Query => &QUERY_HALF,
            Self::Response => &RESPONSE_HALF,
        }
    }

    /// The attributes that hold the stored event's rank: its timestamp and its digest.
    pub fn rank_attributes(self) -> (&'static str, &'static str) {
        match self {
            Self::Query => (attr::QUERY_TS, attr::QUERY_DIGEST),
            Self::Response => (attr::RESPONSE_TS, attr::RESPONSE_DIGEST),
        }
    }
}

/// Which of two events of one kind for one request is kept: the earliest, then the one with
/// the smallest content digest. Ordering by rank is total, so every order of delivery keeps
/// the same event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventRank {
    /// The event's `timestamp`, epoch milliseconds.
    pub timestamp: i64,
    /// [`content_digest`] of the event.
    pub digest: String,
}

/// A stable digest of an event's content: the first 64 bits of the SHA-256 of its JSON form, in
/// 16 lower-case hex digits (so digests compare the same as strings and as numbers).
pub fn content_digest<T: Serialize>(event: &T) -> String {
    let json = serde_json::to_vec(event).unwrap_or_default();
    let hash = Sha256::digest(&json);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    format!("{:016x}", u64::from_be_bytes(first))
}

impl QueryEvent {
    pub fn rank(&self) -> EventRank {
        EventRank {
            timestamp: self.timestamp,
            digest: content_digest(self),
        }
    }
}

impl ResponseEvent {
    pub fn rank(&self) -> EventRank {
        EventRank {
            timestamp: self.timestamp,
            digest: content_digest(self),
        }
    }
}

impl EventRank {
    pub fn as_ref(&self) -> RankRef<'_> {
        RankRef {
            timestamp: self.timestamp,
            digest: Some(&self.digest),
        }
    }
}

/// A rank as read from an item: items written before digests were stored have a timestamp and
/// no digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankRef<'a> {
    pub timestamp: i64,
    pub digest: Option<&'a str>,
}

/// How a candidate event compares with the stored event of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing is stored, or the stored event ranks after the candidate: the candidate replaces it.
    Wins,
    /// The stored event is the candidate itself.
    Same,
    /// The stored event ranks before the candidate: the candidate is not stored.
    Loses,
}

impl Verdict {
    /// A write of the candidate may proceed (rewriting the same event changes nothing).
    pub fn may_write(self) -> bool {
        self != Self::Loses
    }
}

/// Compares a candidate with what is stored for its half. A stored half without a digest (an
/// item from before digests were stored) with the same timestamp is replaced, which upgrades it.
pub fn compare(candidate: RankRef<'_>, stored: Option<RankRef<'_>>) -> Verdict {
    let Some(stored) = stored else {
        return Verdict::Wins;
    };
    match stored.timestamp.cmp(&candidate.timestamp) {
        Ordering::Greater => Verdict::Wins,
        Ordering::Less => Verdict::Loses,
        Ordering::Equal => match stored
            .digest
            .map(|d| d.cmp(candidate.digest.unwrap_or_default()))
        {
            None | Some(Ordering::Greater) => Verdict::Wins,
            Some(Ordering::Equal) => Verdict::Same,
            Some(Ordering::Less) => Verdict::Loses,
        },
    }
}

/// Smallest and largest decimal exponents of a number DynamoDB stores: its magnitude is from
/// 1E-130 to 9.99...E+125, with at most 38 significant digits
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number>).
const DYNAMODB_EXPONENTS: std::ops::RangeInclusive<i32> = -130..=125;
const DYNAMODB_SIGNIFICANT_DIGITS: usize = 38;

/// Whether DynamoDB stores `value` as the record writes it (its shortest decimal form, which is
/// what `serde_dynamo` sends): 0, or a finite number within DynamoDB's magnitude and precision.
pub fn storable_number(value: f64) -> bool {
    if value == 0.0 {
        return true;
    }
    if !value.is_finite() {
        return false;
    }
    let text = value.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits: String = format!("{whole}{fraction}");
    let leading = digits.bytes().take_while(|&b| b == b'0').count();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    // The exponent of the first significant digit: d.ddd x 10^exponent.
    let exponent = i32::try_from(whole.len()).unwrap_or(i32::MAX)
        - 1
        - i32::try_from(leading).unwrap_or(i32::MAX);
    DYNAMODB_EXPONENTS.contains(&exponent) && significant <= DYNAMODB_SIGNIFICANT_DIGITS
}

/// The partition key of a request's item.
pub fn request_key(request_id: &str) -> String {
    format!("{REQUEST_KEY_PREFIX}{request_id}")
}

/// The weekly report's marker, `REPORT#<week>`: the reporter's exactly-once ledger and the
/// week's figures as reported, read by later reports and by the maintainer command. It has no
/// `week` attribute, so the week index never lists it.
pub mod report_marker {
    use serde::{Deserialize, Serialize};

    pub const STATUS: &str = "status";
    /// When the claim was taken, epoch milliseconds (the reporter's clock in Lambda).
    pub const CLAIMED_AT: &str = "claimedAt";
    /// Until when the claim protects a send in progress, epoch milliseconds: the claiming
    /// invocation's deadline, which Lambda sets.
    pub const LEASE_UNTIL: &str = "leaseUntil";
    pub const SENT_AT: &str = "sentAt";
    pub const MESSAGE_ID: &str = "messageId";
    /// The [`WeekSummary`] of the report as sent, corrected by later reports.
    pub const SUMMARY: &str = "summary";
    /// `status` while an invocation holds the claim.
    pub const SENDING: &str = "sending";
    /// `status` once SES accepted the email.
    pub const SENT: &str = "sent";
    /// The attribute of a [`WeekSummary`] that names the report that corrected it.
    pub const CORRECTED_BY: &str = "correctedBy";
    /// The attribute of a [`WeekSummary`] that holds its report's pending corrections.
    pub const CORRECTIONS: &str = "corrections";

    /// A week's figures as its report counted them, stored in the week's marker when the report
    /// is sent, so that later reports read them instead of the week's records, and corrected
    /// when requests arrive for the week after its report.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct WeekSummary {
        /// Requests filed under the week (the week index's entries for it) when counted.
        #[serde(default)]
        pub indexed: u64,
        /// What those requests were: the XOR of a 64-bit hash of each one's key
        /// ([`request_set_hash`]). A later report finds the week changed when a request left it
        /// and another arrived, which leaves the count as it was. Absent in markers written
        /// before it was kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub fingerprint: Option<u64>,
        /// The report week whose late-arrival correction these figures are, if any: a
        /// correction applies only over an older one, so a retried correction never undoes a
        /// later report's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub corrected_by: Option<crate::week::WeekId>,
        /// The corrections of earlier weeks that this report made (its late arrivals), stored
        /// with the sent mark in one write, until each is applied to its week's marker: a
        /// correction that fails is applied by a later run, and the late arrivals it carries
        /// are never reported again.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub corrections: Vec<Correction>,
        pub asked: u64,
        pub answered: u64,
        /// Responses whose question never arrived.
        pub incomplete: u64,
        /// Requests that arrived after the week's report was sent, as later reports found.
        #[serde(default)]
        pub late: u64,
        /// The week's content gaps as its report listed them, for later weeks to recognise.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub gaps: Vec<StoredGap>,
    }

    /// A content gap as a week's marker keeps it: what it was asked as, how often, and the
    /// centroid of its questions (its heaviest features, of length 1).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct StoredGap {
        pub representative: String,
        pub asked: u64,
        pub centroid: Vec<(String, f32)>,
    }

    /// An earlier week's figures as a report recounted them (late arrivals).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Correction {
        pub week: crate::week::WeekId,
        pub summary: WeekSummary,
    }

    impl WeekSummary {
        pub fn unanswered(&self) -> u64 {
            self.asked.saturating_sub(self.answered)
        }
    }

    /// The fingerprint of a set of requests: the XOR of the FNV-1a hash of each key, so that it
    /// does not depend on the order they are read in. Stable across versions and platforms.
    pub fn request_set_hash<'a>(keys: impl IntoIterator<Item = &'a str>) -> u64 {
        keys.into_iter().fold(0, |set, key| set ^ key_hash(key))
    }

    /// The 64-bit FNV-1a hash of one request's key.
    pub fn key_hash(key: &str) -> u64 {
        use std::hash::Hasher;
        let mut hasher = fnv::FnvHasher::default();
        hasher.write(key.as_bytes());
        hasher.finish()
    }
}

/// The partition key of the marker that records a week's report as sent.
pub fn report_key(week: WeekId) -> String {
    format!("{REPORT_KEY_PREFIX}{week}")
}

/// What the processor absorbed in a week, counted by processing time: the pipeline-integrity
/// line of that week's report. The item `STATS#<week>` is written only by batches that have
/// something to count (one `UpdateItem` with `ADD`), so ordinary batches cost nothing more.
/// The counts are approximate: a batch that SQS delivers again counts again.
pub mod pipeline_stats {
    use serde::{Deserialize, Serialize};

    use crate::week::WeekId;

    /// Messages sent to the dead-letter queue.
    pub const DEAD_LETTERED: &str = "deadLettered";
    /// Deliveries that added nothing: the same event again, or a rebuilt one that lost.
    pub const DUPLICATES: &str = "duplicates";
    /// Events processed after their week's report was due (Monday 07:00 UTC after the week).
    pub const LATE: &str = "late";

    /// The partition key of a week's counts.
    pub fn key(week: WeekId) -> String {
        format!("{}{week}", super::STATS_KEY_PREFIX)
    }

    /// One week's counts (or one batch's, before they are added up).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PipelineStats {
        #[serde(default)]
        pub dead_lettered: u64,
        #[serde(default)]
        pub duplicates: u64,
        #[serde(default)]
        pub late: u64,
    }

    impl PipelineStats {
        pub fn is_empty(&self) -> bool {
            *self == Self::default()
        }
    }
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
            week: WeekId::of_timestamp_ms(owner_ts)?,
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
    /// merge rules above: each half of the image is written whole if its event does not lose
    /// to the stored one ([`compare`]); the shared attributes follow the stored query, or while
    /// there is none, the stored response. This is the semantics the DynamoDB write implements
    /// with condition expressions.
    pub fn merged(stored: Option<&Self>, image: &Self) -> Self {
        let writes = |half| {
            image.rank(half).is_some_and(|candidate| {
                compare(candidate, stored.and_then(|s| s.rank(half))).may_write()
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
            assert!(storable_number(value), "{value:e}");
        }
        for value in [1e-131, 5e-324, 1e126, f64::NAN, f64::INFINITY] {
            assert!(!storable_number(value), "{value:e}");
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
