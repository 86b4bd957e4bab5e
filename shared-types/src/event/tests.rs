//! The parser against the producer's examples and every way a body can be wrong.
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
