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

pub mod limits;
#[cfg(feature = "schema")]
mod schema;

#[cfg(feature = "schema")]
use schema::storable_only;
#[cfg(feature = "schema")]
pub use schema::{json_schema, json_schema_file};

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
mod tests;
