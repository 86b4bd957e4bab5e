//! The schema and the parser hold together: `docs/events.schema.json` (derived from the types,
//! which shared-types' own test keeps in step) accepts every event the generators build and
//! refuses what the parser refuses, except what a schema cannot say. That list is short, named
//! and checked from the value itself, never from the disagreement:
//!
//! - duplicate keys: a JSON document keeps the last of two, the parser refuses both;
//! - a timestamp more than 24 hours after the parser's clock: a schema has no clock (it does
//!   refuse anything before 2020, a timestamp in seconds among them);
//! - an integer written with a fraction or an exponent (`91.0`): JSON Schema's `integer` is
//!   any whole number, serde's is an integer literal (a JavaScript producer never writes one).

use std::sync::LazyLock;

use chrono::Duration;
use jsonschema::Validator;
use proptest::prelude::*;
use serde_json::{Value, json};
use shared_types::AnalyticsEvent;
use shared_types::event::limits;

use crate::poison_corpus::{corpus, table};
use crate::support::scenario::request;
use crate::support::{bodies, fixture, fixture_now};

/// The poison bodies a schema cannot refuse, with why (`tests/poison/schema-cannot.tsv`).
fn schema_cannot() -> Vec<(String, String)> {
    table("schema-cannot.tsv")
        .into_iter()
        .map(|row| match row.as_slice() {
            [file, why] => (file.clone(), why.clone()),
            _ => panic!("{row:?} is not a file and why"),
        })
        .collect()
}

static SCHEMA: LazyLock<Validator> = LazyLock::new(|| {
    let text = include_str!("../../../docs/events.schema.json");
    let schema: Value = serde_json::from_str(text).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
});

/// Whether the schema accepts a body serde_json reads; `None` when it reads no JSON document.
fn schema_verdict(body: &str) -> Option<bool> {
    serde_json::from_str::<Value>(body)
        .ok()
        .map(|value| SCHEMA.is_valid(&value))
}

/// Whether the schema accepts a body: one that is no JSON document has nothing to validate.
fn schema_accepts(body: &str) -> bool {
    schema_verdict(body) == Some(true)
}

fn parser_accepts(body: &str) -> bool {
    AnalyticsEvent::parse(body, fixture_now()).is_ok()
}

#[test]
fn every_poison_body_gets_the_same_verdict_from_the_schema_but_the_named_few() {
    let named = schema_cannot();
    let (mut refusals, mut unread, mut refused, mut listed, mut seen) = (0, 0, 0, 0, 0);
    for case in corpus() {
        assert_eq!(parser_accepts(&case.body), case.accept, "{}", case.file);
        let cannot = named.iter().find(|(file, _)| *file == case.file);
        assert!(
            !(case.accept && cannot.is_some()),
            "{} is accepted",
            case.file
        );
        refusals += usize::from(!case.accept);
        seen += usize::from(cannot.is_some());
        let Some(schema) = schema_verdict(&case.body) else {
            // No JSON document to validate: a refusal of the parser's reading (the producer's
            // test gives these to JSON.parse and ajv).
            assert!(!case.accept, "{}: accepted but not JSON", case.file);
            unread += 1;
            continue;
        };
        let expected = case.accept || cannot.is_some();
        assert_eq!(
            schema,
            expected,
            "{}: the schema should {} it{}",
            case.file,
            if expected { "accept" } else { "refuse" },
            cannot
                .map(|(_, why)| format!(" ({why})"))
                .unwrap_or_default()
        );
        refused += usize::from(!case.accept && !schema);
        listed += usize::from(cannot.is_some());
    }
    println!(
        "poison corpus: {refusals} refusals; {unread} are no JSON serde_json reads; of the other {}, \
         the schema refuses {refused} and accepts the {listed} named in schema-cannot.tsv",
        refusals - unread
    );
    assert_eq!(
        seen,
        named.len(),
        "every body schema-cannot.tsv names is in the corpus"
    );
    assert!(
        listed >= 3,
        "the named bodies serde_json reads are checked here"
    );
}

#[test]
fn the_fixtures_get_the_same_verdict_from_the_parser_and_the_schema() {
    let dir = format!("{}/events", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        for body in bodies(&fixture(&name)) {
            assert_eq!(
                parser_accepts(&body),
                schema_accepts(&body),
                "{name}: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} fixture bodies");
}

#[test]
fn a_question_of_white_space_alone_is_refused_by_both_as_rust_counts_white_space() {
    let mut checked = 0;
    for c in (char::MIN..='\u{3100}').chain(['\u{feff}', '\u{1f600}']) {
        let body = json!({
            "eventType": "query", "requestId": "r-1", "timestamp": 1_762_607_658_821_i64,
            "query": format!("{c}{c}"), "metadata": {}
        })
        .to_string();
        let (parser, schema) = (parser_accepts(&body), schema_accepts(&body));
        assert_eq!(parser, !c.is_whitespace(), "{:?}", c);
        assert_eq!(schema, parser, "U+{:04X}", u32::from(c));
        checked += 1;
    }
    assert!(checked > 12_000);
}

/// A field of an event, by its path in the body.
const QUERY_FIELDS: &[&str] = &[
    "eventType",
    "requestId",
    "timestamp",
    "sessionId",
    "query",
    "metadata",
    "metadata.userAgent",
    "metadata.referer",
    "performance",
    "someFutureKey",
];
const RESPONSE_FIELDS: &[&str] = &[
    "eventType",
    "requestId",
    "timestamp",
    "matchType",
    "matchScore",
    "reasoning",
    "vectorMatches",
    "sessionId",
    "metadata",
    "metadata.matchQuality",
    "metadata.sourcesUsed",
    "metadata.sourcesUsed.0",
    "performance",
    "performance.totalTime",
    "performance.llmTime",
    "performance.retrievalTime",
    "performance.cacheHit",
    "someFutureKey",
];
const INTEGER_FIELDS: [&str; 3] = ["timestamp", "matchScore", "vectorMatches"];

/// Values near every limit the contract has, and of every JSON type.
fn value() -> impl Strategy<Value = Value> {
    let now = fixture_now().timestamp_millis();
    let day = 86_400_000;
    let text = |len: usize| Value::from("a".repeat(len));
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..=103).prop_map(Value::from),
        prop::sample::select(vec![
            limits::EARLIEST_TIMESTAMP_MS - 1,
            limits::EARLIEST_TIMESTAMP_MS,
            1_762_607_658,
            now,
            now + day,
            now + day + 1,
            limits::MAX_SCHEMA_TIMESTAMP_MS,
            limits::MAX_SCHEMA_TIMESTAMP_MS + 1,
            i64::MAX,
            i64::MIN,
        ])
        .prop_map(Value::from),
        Just(json!(u64::MAX)),
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.25,
            1.0,
            1.5,
            91.0,
            -0.5,
            1e-131,
            1e-130,
            5e-324,
            3_600_000.0,
            3_600_000.5,
            1.7626e12,
            1e300,
        ])
        .prop_map(Value::from),
        "[A-Za-z0-9_#/ .-]{0,70}".prop_map(Value::from),
        "[ \t\n\u{85}\u{a0}\u{feff}\u{200b}\u{2028}\u{3000}]{1,3}".prop_map(Value::from),
        "\\PC{1,12}".prop_map(Value::from),
        prop::sample::select(vec![
            20, 21, 64, 65, 200, 201, 256, 257, 1000, 1001, 2000, 2001, 2048, 2049
        ])
        .prop_map(text),
        prop::sample::select(vec!["full", "partial", "none", "query", "response", "FULL"])
            .prop_map(Value::from),
        prop::collection::vec("[A-Za-z#.]{0,8}", 0..=22).prop_map(Value::from),
        prop::collection::vec(any::<i32>(), 1..=2).prop_map(Value::from),
        Just(json!({})),
        Just(json!({"userAgent": "x", "totalTime": 1.0, "sourcesUsed": []})),
    ]
}

/// Sets (or, with `None`, removes) the field at `path`; false when its parent is not there.
fn mutate(body: &mut Value, path: &str, value: Option<Value>) -> bool {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut parent = &mut *body;
    for part in parts {
        parent = match parent {
            Value::Object(map) => match map.get_mut(part) {
                Some(child) => child,
                None => return false,
            },
            Value::Array(items) => {
                match part.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(child) => child,
                    None => return false,
                }
            }
            _ => return false,
        };
    }
    match (parent, value) {
        (Value::Object(map), Some(value)) => {
            map.insert(last.to_owned(), value);
        }
        (Value::Object(map), None) => {
            map.remove(last);
        }
        (Value::Array(items), value) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => match value {
                Some(value) => items[i] = value,
                None => {
                    items.remove(i);
                }
            },
            _ => return false,
        },
        _ => return false,
    }
    true
}

/// Which of the named differences a mutation falls under, judged from the value alone.
fn cannot_say(path: &str, value: Option<&Value>) -> Option<&'static str> {
    let number = value.and_then(Value::as_number)?;
    let latest =
        (fixture_now() + Duration::hours(limits::MAX_FUTURE_SKEW_HOURS)).timestamp_millis();
    if INTEGER_FIELDS.contains(&path) && number.is_f64() && number.as_f64()?.fract() == 0.0 {
        return Some("an integer written with a fraction");
    }
    let ahead = number.as_i64().is_some_and(|ms| ms > latest)
        && number.as_i64()? <= limits::MAX_SCHEMA_TIMESTAMP_MS;
    (path == "timestamp" && ahead).then_some("a timestamp more than 24 hours ahead")
}

fn event() -> impl Strategy<Value = AnalyticsEvent> {
    request(0).prop_flat_map(|r| {
        let events: Vec<AnalyticsEvent> = r
            .queries
            .into_iter()
            .map(AnalyticsEvent::Query)
            .chain(r.responses.into_iter().map(AnalyticsEvent::Response))
            .collect();
        prop::sample::select(events)
    })
}

// As many cases as `PROPTEST_CASES` says (`make test`: 1,000; proptest's own default: 256).
proptest! {
    #[test]
    fn every_generated_event_is_accepted_by_the_parser_and_the_schema(event in event()) {
        let body = serde_json::to_string(&event).unwrap();
        prop_assert!(parser_accepts(&body), "{}", body);
        prop_assert!(schema_accepts(&body), "{}", body);
    }

    #[test]
    fn a_changed_field_gets_the_same_verdict_from_the_parser_and_the_schema(
        event in event(),
        field in any::<prop::sample::Index>(),
        value in prop::option::weighted(0.9, value()),
    ) {
        let fields = match event {
            AnalyticsEvent::Query(_) => QUERY_FIELDS,
            AnalyticsEvent::Response(_) => RESPONSE_FIELDS,
        };
        let path = fields[field.index(fields.len())];
        let mut body = serde_json::to_value(&event).unwrap();
        prop_assume!(mutate(&mut body, path, value.clone()));
        let body = body.to_string();
        let (parser, schema) = (parser_accepts(&body), schema_accepts(&body));
        if parser != schema {
            let why = cannot_say(path, value.as_ref());
            prop_assert!(
                why.is_some() && !parser,
                "{path} = {value:?}: the parser {} it, the schema {} it: {body}",
                if parser { "accepts" } else { "refuses" },
                if schema { "accepts" } else { "refuses" },
            );
        }
    }
}
