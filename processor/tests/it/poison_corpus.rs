//! The poison corpus (`tests/poison/`, written by its `make_corpus.py`): every malformed or
//! hostile body, sent between two good messages of another request, is either rejected to the
//! dead-letter queue with a reason or accepted and stored exactly as sent; never a panic, never a
//! failed neighbour, never a retry.

use crate::support::{config, failed_ids, fixture_now, sqs_event};
use processor::Processor;
use processor::fakes::InMemoryDeadLetters;
use processor::fakes::InMemoryRecordStore;
use shared_types::{AnalyticsEvent, RequestRecord};

pub(crate) struct Case {
    pub file: String,
    pub body: String,
    pub accept: bool,
    pub fragment: String,
}

/// The rows of a table in `tests/poison/` (`name.tsv`), its comments and blank lines left out.
pub(crate) fn table(name: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/poison/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

pub(crate) fn corpus() -> Vec<Case> {
    let dir = format!("{}/tests/poison", env!("CARGO_MANIFEST_DIR"));
    table("expected.tsv")
        .into_iter()
        .map(|row| {
            let [file, outcome, fragment @ ..] = row.as_slice() else {
                panic!("{row:?} has no outcome")
            };
            assert!(outcome == "accept" || outcome == "reject", "{row:?}");
            let body = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            Case {
                file: file.clone(),
                body,
                accept: outcome == "accept",
                fragment: fragment.first().cloned().unwrap_or_default(),
            }
        })
        .collect()
}

fn neighbours(n: usize) -> (String, String) {
    let query = format!(
        r#"{{"eventType":"query","requestId":"neighbour-{n}","timestamp":1762607600000,"sessionId":"s","query":"Do you know Rust?","metadata":{{}}}}"#
    );
    let response = format!(
        r#"{{"eventType":"response","requestId":"neighbour-{n}","timestamp":1762607601000,"matchType":"full","matchScore":90,"reasoning":"yes","vectorMatches":2,"sessionId":"s","metadata":{{"sourcesUsed":["Rust"]}}}}"#
    );
    (query, response)
}

#[test]
fn the_corpus_has_at_least_fifty_bodies_of_every_kind() {
    let corpus = corpus();
    assert!(corpus.len() >= 50, "{} bodies", corpus.len());
    assert!(corpus.iter().any(|c| c.accept) && corpus.iter().any(|c| !c.accept));
    assert!(corpus.iter().any(|c| c.body.len() >= 1_000_000));
}

#[tokio::test]
async fn every_poison_body_is_rejected_with_a_reason_or_stored_as_sent() {
    let mut rejected = 0;
    let mut accepted = 0;
    for (n, case) in corpus().into_iter().enumerate() {
        let processor = Processor::new(
            InMemoryRecordStore::new(),
            InMemoryDeadLetters::new(),
            &config("table", "dlq.fifo"),
        );
        let (query, response) = neighbours(n);
        let batch = vec![query.clone(), case.body.clone(), response.clone()];
        let outcome = processor
            .process(sqs_event(&batch, 0), fixture_now())
            .await
            .unwrap_or_else(|e| panic!("{}: the batch failed: {e}", case.file));
        assert!(
            failed_ids(&outcome.response).is_empty(),
            "{}: retried",
            case.file
        );

        // The neighbour is whole, whatever sat between its halves.
        let records = processor.store().records();
        let neighbour = RequestRecord::from_events(
            parse(&query).as_query(),
            parse(&response).as_response(),
            90,
        )
        .unwrap();
        assert_eq!(
            records.get(&neighbour.pk),
            Some(&neighbour),
            "{}",
            case.file
        );

        let dead = processor.dead_letters().sent();
        if case.accept {
            accepted += 1;
            assert!(dead.is_empty(), "{}: rejected: {dead:?}", case.file);
            let event = parse(&case.body);
            let expected =
                RequestRecord::from_events(event.as_query(), event.as_response(), 90).unwrap();
            assert_eq!(records.len(), 2, "{}", case.file);
            assert_eq!(
                records.get(&expected.pk),
                Some(&expected),
                "{}: not stored as sent",
                case.file
            );
        } else {
            rejected += 1;
            assert_eq!(records.len(), 1, "{}: stored {records:?}", case.file);
            assert_eq!(dead.len(), 1, "{}", case.file);
            assert_eq!(dead[0].body, case.body, "{}: body changed", case.file);
            assert_eq!(dead[0].message_id, "m-1");
            let reason = dead[0].short_reason();
            assert!(
                reason
                    .to_lowercase()
                    .contains(&case.fragment.to_lowercase()),
                "{}: the reason {reason:?} does not mention {:?}",
                case.file,
                case.fragment
            );
            assert!(reason.chars().count() <= 1_000, "{}", case.file);
        }
    }
    println!(
        "poison corpus: {rejected} rejected with reasons, {accepted} accepted and stored as sent"
    );
}

fn parse(body: &str) -> AnalyticsEvent {
    AnalyticsEvent::parse(body, fixture_now()).unwrap()
}

trait Halves {
    fn as_query(&self) -> Option<&shared_types::QueryEvent>;
    fn as_response(&self) -> Option<&shared_types::ResponseEvent>;
}

impl Halves for AnalyticsEvent {
    fn as_query(&self) -> Option<&shared_types::QueryEvent> {
        match self {
            AnalyticsEvent::Query(q) => Some(q),
            AnalyticsEvent::Response(_) => None,
        }
    }

    fn as_response(&self) -> Option<&shared_types::ResponseEvent> {
        match self {
            AnalyticsEvent::Response(r) => Some(r),
            AnalyticsEvent::Query(_) => None,
        }
    }
}
