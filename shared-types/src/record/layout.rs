//! Where things are in the table: the item kinds' key prefixes and key builders, the attribute
//! names, which half of a request's item owns which attribute, how a week's requests are found,
//! and how long a record lives.

use crate::week::WeekId;

/// Prefix of the partition key of a request's item.
pub const REQUEST_KEY_PREFIX: &str = "REQ#";

/// Prefix of the partition key of a week's report marker (see the reporter). Marker items have
/// no `week` attribute, so they never appear in the week index.
pub const REPORT_KEY_PREFIX: &str = "REPORT#";

/// Prefix of the partition key of a week's pipeline counts (see [`super::pipeline_stats`]). Like the
/// report markers, these items have no `week` attribute and stay out of the week index.
pub(crate) const STATS_KEY_PREFIX: &str = "STATS#";

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
pub(crate) const QUERY_HALF: [&str; 8] = [
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
pub(crate) const RESPONSE_HALF: [&str; 12] = [
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

/// The partition key of a request's item.
pub fn request_key(request_id: &str) -> String {
    format!("{REQUEST_KEY_PREFIX}{request_id}")
}

/// The partition key of the marker that records a week's report as sent.
pub fn report_key(week: WeekId) -> String {
    format!("{REPORT_KEY_PREFIX}{week}")
}
