//! The analytics events the chatbot sends, exactly as `docs/events.md` describes them,
//! and the validation that decides whether a message body is one.
//!
//! Unknown keys are tolerated (the producer may add some); wrong types, unknown event types,
//! implausible timestamps and sizes far beyond the producer's limits are rejected with a reason
//! that names the field, because such a message can never succeed on a retry.

use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::EventError;

/// Limits on what a plausible event looks like. The producer's own limits are far lower
/// (a question is 10 to 200 characters, a body about 1 KB); these catch the absurd.
pub mod limits {
    /// Largest message body accepted, in bytes.
    pub const MAX_BODY_BYTES: usize = 16 * 1024;
    /// Longest `requestId` (the producer sends 36-character UUIDs).
    pub const MAX_REQUEST_ID_CHARS: usize = 64;
    /// Longest question (the producer sanitises to at most 200 characters).
    pub const MAX_QUERY_CHARS: usize = 1_000;
    /// Longest `sessionId`.
    pub const MAX_SESSION_ID_CHARS: usize = 256;
    /// Longest raw header kept from `metadata` (`userAgent`, `referer`).
    pub const MAX_HEADER_CHARS: usize = 2_048;
    /// Longest `reasoning` text.
    pub const MAX_REASONING_CHARS: usize = 2_000;
    /// Most entries in `sourcesUsed` (the producer sends at most 5).
    pub const MAX_SOURCES: usize = 20;
    /// Longest entry in `sourcesUsed`.
    pub const MAX_SOURCE_CHARS: usize = 200;
    /// Largest `vectorMatches` (the producer sends at most 5).
    pub const MAX_VECTOR_MATCHES: u32 = 100;
    /// Earliest plausible event time: 2020-01-01T00:00:00Z, long before the chatbot existed.
    /// A timestamp in seconds (about 1.7e9) lands in January 1970 and is rejected.
    pub const EARLIEST_TIMESTAMP_MS: i64 = 1_577_836_800_000;
    /// How far in the future (clock skew) an event time may be.
    pub const MAX_FUTURE_SKEW_HOURS: i64 = 24;
    /// Longest plausible duration in `performance`, in milliseconds (one hour).
    pub const MAX_DURATION_MS: f64 = 3_600_000.0;
    /// What a well-formed `requestId` is, as the schema writes it: letters, digits, `-` and
    /// `_`, 1 to [`MAX_REQUEST_ID_CHARS`] of them.
    pub const REQUEST_ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";
    /// The latest timestamp the schema allows: JavaScript's largest exact integer. The parser's
    /// bound is tighter (24 hours after its clock), which a schema cannot say.
    pub const MAX_SCHEMA_TIMESTAMP_MS: i64 = 9_007_199_254_740_991;
    /// Below this magnitude (other than 0) DynamoDB stores no number.
    pub const SMALLEST_STORABLE: f64 = 1e-130;
    /// A question must hold a character that is not white space, as Rust's `char::is_whitespace`
    /// (Unicode's `White_Space`) says. The class is spelled out: a regex's `\s` differs between
    /// engines (JavaScript's has U+FEFF and lacks U+0085) and `\P{White_Space}` is unknown to
    /// some (Python's `re`); the contract test checks it character by character.
    pub const NOT_ONLY_WHITE_SPACE: &str =
        r"[^\t\n\v\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
}

/// The `MessageGroupId` the original producer gives every event: one group for the whole
/// system, which Lambda processes one batch at a time (about 127 requests a second). Still
/// accepted; [`AnalyticsEvent::message_group`] is what docs/events.md recommends.
pub const MESSAGE_GROUP: &str = "analytics";

/// The value the producer sends when a request carries no session header.
pub const ANONYMOUS_SESSION: &str = "anonymous";

/// The session of the synthetic request `cv-analytics verify` sends through a deployed stage
/// after each deploy (a canary): the chatbot never sends it, and the reporter leaves such a
/// request out of every figure, should one outlive its check.
pub const CANARY_SESSION: &str = "cv-analytics-canary";

/// One analytics event: a question arrived, or an answer was produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "eventType", rename_all = "lowercase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(title = "AnalyticsEvent")
)]
pub enum AnalyticsEvent {
    Query(QueryEvent),
    Response(ResponseEvent),
}

/// A question arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(title = "QueryEvent")
)]
pub struct QueryEvent {
    /// A UUID v4, shared with the response.
    #[cfg_attr(feature = "schema", schemars(regex(pattern = limits::REQUEST_ID_PATTERN)))]
    pub request_id: String,
    /// Epoch milliseconds when the event was built.
    #[cfg_attr(feature = "schema", schemars(range(min = limits::EARLIEST_TIMESTAMP_MS, max = limits::MAX_SCHEMA_TIMESTAMP_MS)))]
    pub timestamp: i64,
    /// The session header's value, else `anonymous`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = limits::MAX_SESSION_ID_CHARS)))]
    pub session_id: Option<String>,
    /// The question after sanitising (the chatbot sends 10 to 200 characters).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = limits::MAX_QUERY_CHARS), regex(pattern = limits::NOT_ONLY_WHITE_SPACE)))]
    pub query: String,
    /// Raw request headers; `null` reads as `{}`.
    #[serde(default, deserialize_with = "null_as_default")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<QueryMetadata>"))]
    pub metadata: QueryMetadata,
}

/// Raw request headers of a question; either may be missing, other keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(title = "QueryMetadata")
)]
pub struct QueryMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = limits::MAX_HEADER_CHARS)))]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = limits::MAX_HEADER_CHARS)))]
    pub referer: Option<String>,
}

/// An answer was produced for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(title = "ResponseEvent")
)]
pub struct ResponseEvent {
    /// The query's `requestId`.
    #[cfg_attr(feature = "schema", schemars(regex(pattern = limits::REQUEST_ID_PATTERN)))]
    pub request_id: String,
    /// Epoch milliseconds when the event was built.
    #[cfg_attr(feature = "schema", schemars(range(min = limits::EARLIEST_TIMESTAMP_MS, max = limits::MAX_SCHEMA_TIMESTAMP_MS)))]
    pub timestamp: i64,
    pub match_type: MatchType,
    /// An integer from 0 to 100.
    #[cfg_attr(feature = "schema", schemars(range(max = 100)))]
    pub match_score: u32,
    /// Text made by code, such as `Excellent match: "C#" with 0.91 similarity`.
    #[cfg_attr(feature = "schema", schemars(length(max = limits::MAX_REASONING_CHARS)))]
    pub reasoning: String,
    /// How many CV passages the retrieval returned (the chatbot sends at most 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(max = limits::MAX_VECTOR_MATCHES)))]
    pub vector_matches: Option<u32>,
    /// As in the query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = limits::MAX_SESSION_ID_CHARS)))]
    pub session_id: Option<String>,
    /// What the retrieval found; `null` reads as `{}`.
    #[serde(default, deserialize_with = "null_as_default")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<ResponseMetadata>"))]
    pub metadata: ResponseMetadata,
    /// Not sent today; used when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<Performance>,
}

/// How well the CV matched the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(title = "MatchType")
)]
pub enum MatchType {
    Full,
    Partial,
    None,
}

impl MatchType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Partial => "partial",
            Self::None => "none",
        }
    }
}

/// What the retrieval step found; other keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(title = "ResponseMetadata")
)]
pub struct ResponseMetadata {
    /// The best similarity, from 0 to 1 (and a number DynamoDB stores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 0.0, max = 1.0), extend("not" = storable_only())))]
    pub match_quality: Option<f64>,
    /// The CV sections the answer used (the chatbot sends at most 5).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = limits::MAX_SOURCES), inner(length(max = limits::MAX_SOURCE_CHARS))))]
    pub sources_used: Vec<String>,
}

/// Timings of the answer, in milliseconds (0 to one hour). Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(title = "Performance")
)]
pub struct Performance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 0.0, max = limits::MAX_DURATION_MS), extend("not" = storable_only())))]
    pub total_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 0.0, max = limits::MAX_DURATION_MS), extend("not" = storable_only())))]
    pub llm_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 0.0, max = limits::MAX_DURATION_MS), extend("not" = storable_only())))]
    pub retrieval_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_hit: Option<bool>,
}

impl AnalyticsEvent {
    /// Parses and validates one SQS message body.
    ///
    /// `now` bounds how far in the future a timestamp may be; it comes from the caller so that
    /// the same body always gets the same verdict in tests.
    pub fn parse(body: &str, now: DateTime<Utc>) -> Result<Self, EventError> {
        if body.len() > limits::MAX_BODY_BYTES {
            return Err(EventError::BodyTooLarge {
                bytes: body.len(),
                max: limits::MAX_BODY_BYTES,
            });
        }
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| EventError::NotJson(e.to_string()))?;
        let event_type = match value.as_object() {
            None => return Err(EventError::NotAnObject),
            Some(object) => match object.get("eventType") {
                None | Some(serde_json::Value::Null) => return Err(EventError::MissingEventType),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => return Err(EventError::UnknownEventType(other.to_string())),
            },
        };
        let event = match event_type.as_str() {
            "query" => {
                nested_objects("query", &["metadata"], &value)?;
                Self::Query(typed("query", body)?)
            }
            "response" => {
                nested_objects("response", &["metadata", "performance"], &value)?;
                Self::Response(typed("response", body)?)
            }
            _ => return Err(EventError::UnknownEventType(event_type)),
        };
        event.validate(now)?;
        Ok(event)
    }

    pub fn request_id(&self) -> &str {
        match self {
            Self::Query(q) => &q.request_id,
            Self::Response(r) => &r.request_id,
        }
    }

    pub fn timestamp_ms(&self) -> i64 {
        match self {
            Self::Query(q) => q.timestamp,
            Self::Response(r) => r.timestamp,
        }
    }

    /// The `MessageGroupId` docs/events.md recommends: the event's session, or its request id
    /// when it has none, the anonymous one, or one SQS refuses as a group id (over 128
    /// characters, or any but letters, digits and ASCII punctuation). Every copy of an event
    /// carries the same, so the queue's deduplication (per group, in high-throughput mode)
    /// still sees its retries; the processor needs no order between groups or within one.
    pub fn message_group(&self) -> &str {
        let session = match self {
            Self::Query(q) => q.session_id.as_deref(),
            Self::Response(r) => r.session_id.as_deref(),
        };
        let valid =
            |s: &str| (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        match session {
            Some(s) if s != ANONYMOUS_SESSION && valid(s) => s,
            _ => self.request_id(),
        }
    }

    /// The `MessageDeduplicationId` the producer gives it: `<requestId>-<eventType>-<timestamp>`.
    pub fn deduplication_id(&self) -> String {
        let kind = match self {
            Self::Query(_) => "query",
            Self::Response(_) => "response",
        };
        format!("{}-{kind}-{}", self.request_id(), self.timestamp_ms())
    }

    /// Checks the limits that types alone cannot express.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), EventError> {
        check_request_id(self.request_id())?;
        check_timestamp(self.timestamp_ms(), now)?;
        match self {
            Self::Query(q) => q.validate(),
            Self::Response(r) => r.validate(),
        }
    }
}

impl QueryEvent {
    /// The session, with a missing or empty header read as the producer's `"anonymous"`.
    pub fn session(&self) -> &str {
        session_or_anonymous(self.session_id.as_deref())
    }

    fn validate(&self) -> Result<(), EventError> {
        if self.query.trim().is_empty() {
            return Err(EventError::OutOfRange {
                field: "query",
                value: "an empty string".into(),
                range: "1 to 1000 characters",
            });
        }
        check_len("query", &self.query, limits::MAX_QUERY_CHARS)?;
        check_optional_len("sessionId", &self.session_id, limits::MAX_SESSION_ID_CHARS)?;
        let headers = &self.metadata;
        check_optional_len(
            "metadata.userAgent",
            &headers.user_agent,
            limits::MAX_HEADER_CHARS,
        )?;
        check_optional_len(
            "metadata.referer",
            &headers.referer,
            limits::MAX_HEADER_CHARS,
        )
    }
}

impl ResponseEvent {
    /// The session, with a missing or empty header read as the producer's `"anonymous"`.
    pub fn session(&self) -> &str {
        session_or_anonymous(self.session_id.as_deref())
    }

    fn validate(&self) -> Result<(), EventError> {
        if self.match_score > 100 {
            return Err(out_of_range("matchScore", self.match_score, "0 to 100"));
        }
        if let Some(count) = self.vector_matches
            && count > limits::MAX_VECTOR_MATCHES
        {
            return Err(out_of_range("vectorMatches", count, "0 to 100"));
        }
        check_len("reasoning", &self.reasoning, limits::MAX_REASONING_CHARS)?;
        check_optional_len("sessionId", &self.session_id, limits::MAX_SESSION_ID_CHARS)?;
        if let Some(quality) = self.metadata.match_quality {
            if !(0.0..=1.0).contains(&quality) {
                return Err(out_of_range("metadata.matchQuality", quality, "0 to 1"));
            }
            check_storable("metadata.matchQuality", quality)?;
        }
        let sources = &self.metadata.sources_used;
        if sources.len() > limits::MAX_SOURCES {
            return Err(EventError::TooLong {
                field: "metadata.sourcesUsed",
                len: sources.len(),
                max: limits::MAX_SOURCES,
            });
        }
        for source in sources {
            check_len("metadata.sourcesUsed[]", source, limits::MAX_SOURCE_CHARS)?;
        }
        if let Some(perf) = &self.performance {
            for (field, value) in [
                ("performance.totalTime", perf.total_time),
                ("performance.llmTime", perf.llm_time),
                ("performance.retrievalTime", perf.retrieval_time),
            ] {
                if let Some(ms) = value {
                    if !(0.0..=limits::MAX_DURATION_MS).contains(&ms) {
                        return Err(out_of_range(field, ms, "0 to 3600000 ms"));
                    }
                    check_storable(field, ms)?;
                }
            }
        }
        Ok(())
    }
}

/// What a number must not be for DynamoDB to store it, as a schema says it: strictly between 0
/// and [`limits::SMALLEST_STORABLE`] (the ranges already refuse negative numbers).
#[cfg(feature = "schema")]
fn storable_only() -> serde_json::Value {
    serde_json::json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": limits::SMALLEST_STORABLE})
}

/// The JSON Schema (draft 2020-12) of a message body, derived from these types and their
/// limits: `docs/events.schema.json`. What it cannot say (duplicate keys, a timestamp more than
/// 24 hours ahead, an integer written with a fraction, a body over 16 KB) the parser still
/// refuses.
#[cfg(feature = "schema")]
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    // Each event inlined, its fields beside its `eventType`, so that every reader (the
    // TypeScript generator among them) sees one object per event.
    let mut schema: serde_json::Value = generator.into_root_schema_for::<AnalyticsEvent>().into();
    // What no keyword says, as an annotation a producer reads (validators ignore it).
    schema["x-maxBodyBytes"] = limits::MAX_BODY_BYTES.into();
    // Keys in one order whatever serde_json's features, so that the file never churns.
    schema.sort_all_objects();
    schema
}

/// `docs/events.schema.json` as it must read: [`json_schema`], pretty-printed.
#[cfg(feature = "schema")]
pub fn json_schema_file() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// The typed event, read from the body itself rather than from the parsed value: a JSON object
/// keeps only the last of two equal keys, the typed reader refuses the body (`duplicate field`),
/// so `{"requestId":"a","requestId":"b"}` cannot be read as either.
fn typed<T: DeserializeOwned>(event_type: &'static str, body: &str) -> Result<T, EventError> {
    let mut reader = serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| EventError::InvalidField {
        event_type,
        path: e.path().to_string(),
        message: e.into_inner().to_string(),
    })
}

/// Refuses a nested field of the event that is not an object. serde's derived structs also
/// accept a JSON array, read by position, so `"metadata": ["Mozilla"]` would otherwise become a
/// user agent. A query has no `performance`: there it is an unknown key, and ignored.
fn nested_objects(
    event_type: &'static str,
    fields: &[&str],
    value: &serde_json::Value,
) -> Result<(), EventError> {
    for &field in fields {
        if let Some(nested) = value.get(field)
            && !(nested.is_object() || nested.is_null())
        {
            return Err(EventError::InvalidField {
                event_type,
                path: field.into(),
                message: format!("expected an object, found {nested}")
                    .chars()
                    .take(120)
                    .collect(),
            });
        }
    }
    Ok(())
}

/// Reads `null` as the type's default: `"metadata": null` is empty metadata, as `{}` is.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

fn session_or_anonymous(session: Option<&str>) -> &str {
    match session {
        Some(s) if !s.trim().is_empty() => s,
        _ => ANONYMOUS_SESSION,
    }
}

fn check_request_id(id: &str) -> Result<(), EventError> {
    let well_formed = !id.is_empty()
        && id.len() <= limits::MAX_REQUEST_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        // Keep the reason short even when the id is a megabyte long.
        let shown: String = id.chars().take(80).collect();
        Err(EventError::InvalidRequestId(shown))
    }
}

fn check_timestamp(ms: i64, now: DateTime<Utc>) -> Result<(), EventError> {
    let latest = now + Duration::hours(limits::MAX_FUTURE_SKEW_HOURS);
    if ms < limits::EARLIEST_TIMESTAMP_MS {
        let plausible_seconds = limits::EARLIEST_TIMESTAMP_MS / 1000..=latest.timestamp();
        let why = if plausible_seconds.contains(&ms) {
            "it looks like seconds, not milliseconds"
        } else {
            "before 2020-01-01"
        };
        return Err(EventError::ImplausibleTimestamp { value: ms, why });
    }
    if ms > latest.timestamp_millis() {
        return Err(EventError::ImplausibleTimestamp {
            value: ms,
            why: "more than 24 hours in the future",
        });
    }
    Ok(())
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), EventError> {
    // Count bytes first: a cheap bound that avoids walking a huge string twice.
    if value.len() <= max {
        return Ok(());
    }
    let len = value.chars().count();
    if len <= max {
        Ok(())
    } else {
        Err(EventError::TooLong { field, len, max })
    }
}

fn check_optional_len(
    field: &'static str,
    value: &Option<String>,
    max: usize,
) -> Result<(), EventError> {
    value
        .as_deref()
        .map_or(Ok(()), |v| check_len(field, v, max))
}

/// A number the record stores must be one DynamoDB stores: a number it refuses fails the whole
/// write, and with it the other event of the request merged into the same write.
fn check_storable(field: &'static str, value: f64) -> Result<(), EventError> {
    if crate::record::number::storable_number(value) {
        Ok(())
    } else {
        Err(EventError::NotStorable { field, value })
    }
}

fn out_of_range(field: &'static str, value: impl ToString, range: &'static str) -> EventError {
    EventError::OutOfRange {
        field,
        value: value.to_string(),
        range,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = r#"{"eventType":"query","requestId":"3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55","timestamp":1762607658821,"sessionId":"anonymous","query":"have you any experience with c#?","metadata":{"userAgent":"Mozilla/5.0 (X11; Linux x86_64)","referer":"https://example.dev/cv"}}"#;
    const RESPONSE: &str = r#"{"eventType":"response","requestId":"3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55","timestamp":1762607660433,"matchType":"full","matchScore":91,"reasoning":"Excellent match: \"C#\" with 0.91 similarity","vectorMatches":5,"sessionId":"anonymous","metadata":{"matchQuality":0.91,"sourcesUsed":["C#",".NET","ASP.NET Core","Azure","SQL Server"]}}"#;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-11-10T07:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn parse(body: &str) -> Result<AnalyticsEvent, EventError> {
        AnalyticsEvent::parse(body, now())
    }

    fn with(body: &str, key: &str, value: serde_json::Value) -> String {
        let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
        v[key] = value;
        v.to_string()
    }

    #[test]
    fn an_event_is_grouped_by_its_session_or_else_its_request() {
        let id = "3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55";
        // The examples are anonymous: grouped by request, both halves alike.
        assert_eq!(parse(QUERY).unwrap().message_group(), id);
        assert_eq!(parse(RESPONSE).unwrap().message_group(), id);
        let named = with(QUERY, "sessionId", serde_json::json!("s-42"));
        assert_eq!(parse(&named).unwrap().message_group(), "s-42");
        let mut unnamed: serde_json::Value = serde_json::from_str(RESPONSE).unwrap();
        unnamed.as_object_mut().unwrap().remove("sessionId");
        assert_eq!(parse(&unnamed.to_string()).unwrap().message_group(), id);
    }

    #[test]
    fn accepts_the_producers_query_example() {
        let AnalyticsEvent::Query(q) = parse(QUERY).unwrap() else {
            panic!("not a query")
        };
        assert_eq!(q.request_id, "3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55");
        assert_eq!(q.timestamp, 1_762_607_658_821);
        assert_eq!(q.query, "have you any experience with c#?");
        assert_eq!(
            q.metadata.referer.as_deref(),
            Some("https://example.dev/cv")
        );
    }

    #[test]
    fn accepts_the_producers_response_example() {
        let AnalyticsEvent::Response(r) = parse(RESPONSE).unwrap() else {
            panic!("not a response")
        };
        assert_eq!(r.match_type, MatchType::Full);
        assert_eq!(r.match_score, 91);
        assert_eq!(r.vector_matches, Some(5));
        assert_eq!(r.metadata.match_quality, Some(0.91));
        assert_eq!(r.metadata.sources_used.len(), 5);
        assert_eq!(r.performance, None);
    }

    #[test]
    fn refuses_nested_arrays_that_serde_would_read_by_position() {
        let body = with(QUERY, "metadata", serde_json::json!(["Mozilla", "x"]));
        let error = parse(&body).unwrap_err().to_string();
        assert!(error.contains("metadata: expected an object"), "{error}");
        let body = with(RESPONSE, "performance", serde_json::json!([12.0, 3.0]));
        assert!(
            parse(&body)
                .unwrap_err()
                .to_string()
                .contains("performance")
        );
    }

    #[test]
    fn tolerates_unknown_keys_and_empty_metadata() {
        let body = with(QUERY, "metadata", serde_json::json!({}));
        let body = with(&body, "someFutureKey", serde_json::json!({"a": [1, 2]}));
        assert!(parse(&body).is_ok());
    }

    #[test]
    fn null_metadata_is_empty_metadata() {
        let body = with(QUERY, "metadata", serde_json::Value::Null);
        let AnalyticsEvent::Query(q) = parse(&body).unwrap() else {
            panic!("not a query")
        };
        assert_eq!(q.metadata, QueryMetadata::default());
        let body = with(RESPONSE, "metadata", serde_json::Value::Null);
        let AnalyticsEvent::Response(r) = parse(&body).unwrap() else {
            panic!("not a response")
        };
        assert_eq!(r.metadata, ResponseMetadata::default());
    }

    #[test]
    fn uses_performance_when_present() {
        let body = with(
            RESPONSE,
            "performance",
            serde_json::json!({"totalTime": 812.5, "llmTime": 600, "retrievalTime": 40, "cacheHit": false}),
        );
        let AnalyticsEvent::Response(r) = parse(&body).unwrap() else {
            panic!("not a response")
        };
        let perf = r.performance.unwrap();
        assert_eq!(perf.total_time, Some(812.5));
        assert_eq!(perf.cache_hit, Some(false));
    }

    #[test]
    fn missing_session_reads_as_anonymous() {
        let mut v: serde_json::Value = serde_json::from_str(QUERY).unwrap();
        v.as_object_mut().unwrap().remove("sessionId");
        let AnalyticsEvent::Query(q) = parse(&v.to_string()).unwrap() else {
            panic!("not a query")
        };
        assert_eq!(q.session(), ANONYMOUS_SESSION);
    }

    #[test]
    fn rejections_name_what_is_wrong() {
        let cases = [
            ("not json".to_string(), "body is not JSON"),
            ("[1,2]".to_string(), "not an object"),
            (r#"{"requestId":"a"}"#.to_string(), "missing eventType"),
            (
                with(QUERY, "eventType", "click".into()),
                "unknown eventType \"click\"",
            ),
            (
                with(QUERY, "timestamp", "soon".into()),
                "field timestamp: invalid type",
            ),
            (
                with(QUERY, "timestamp", 1_762_607_658i64.into()),
                "looks like seconds",
            ),
            (
                with(QUERY, "timestamp", (-5i64).into()),
                "before 2020-01-01",
            ),
            (
                with(QUERY, "timestamp", 4_102_444_800_000i64.into()),
                "in the future",
            ),
            (with(QUERY, "requestId", "".into()), "requestId \"\""),
            (with(QUERY, "requestId", "a#b".into()), "requestId \"a#b\""),
            (
                with(QUERY, "query", "x".repeat(5_000).into()),
                "field query is 5000 characters",
            ),
            (
                with(QUERY, "query", "   ".into()),
                "query is an empty string",
            ),
            (
                with(RESPONSE, "matchType", "great".into()),
                "field matchType: unknown variant",
            ),
            (
                with(RESPONSE, "matchScore", 101.into()),
                "matchScore is 101, outside 0 to 100",
            ),
            (
                with(RESPONSE, "matchScore", (-1).into()),
                "field matchScore: invalid value",
            ),
            (
                with(
                    RESPONSE,
                    "metadata",
                    serde_json::json!({"matchQuality": "high"}),
                ),
                "field metadata.matchQuality: invalid type",
            ),
            ("x".repeat(20_000), "body is 20000 bytes"),
            (
                with(
                    RESPONSE,
                    "metadata",
                    serde_json::json!({"matchQuality": 1e-131}),
                ),
                "field metadata.matchQuality is 1e-131, a number DynamoDB cannot store",
            ),
            (
                with(
                    RESPONSE,
                    "performance",
                    serde_json::json!({"llmTime": 5e-324}),
                ),
                "field performance.llmTime is 5e-324, a number DynamoDB cannot store",
            ),
        ];
        for (body, expected) in cases {
            let err = parse(&body).unwrap_err().to_string();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn serialises_back_to_the_producers_format() {
        let event = parse(RESPONSE).unwrap();
        let round: serde_json::Value = serde_json::to_value(&event).unwrap();
        let original: serde_json::Value = serde_json::from_str(RESPONSE).unwrap();
        assert_eq!(round, original);
    }
}
