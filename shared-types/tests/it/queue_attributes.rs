//! The queue attributes of an event (`shared-types/tests/queue-attributes.json`), which the
//! producer's own test reads too: both sides name an event on the queue the same way.

use serde::Deserialize;
use shared_types::AnalyticsEvent;

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    case: String,
    event: AnalyticsEvent,
    message_group_id: String,
    message_deduplication_id: String,
}

#[test]
fn every_event_gets_the_group_and_deduplication_id_the_cases_give() {
    let cases: Cases = serde_json::from_str(include_str!("../queue-attributes.json")).unwrap();
    assert!(cases.cases.len() >= 8);
    for case in cases.cases {
        assert_eq!(
            case.event.message_group(),
            case.message_group_id,
            "{}",
            case.case
        );
        assert_eq!(
            case.event.deduplication_id(),
            case.message_deduplication_id,
            "{}",
            case.case
        );
    }
}
