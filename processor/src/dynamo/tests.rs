//! The merge update's expressions and conditions, and what a refusal says.
use super::*;
use shared_types::AnalyticsEvent;

/// The record that the first message of an SQS fixture makes on its own.
fn image(fixture: &str) -> RequestRecord {
    let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_str(fixture).unwrap();
    let body = event.records[0].body.clone().unwrap();
    let now = chrono::DateTime::from_timestamp_millis(1_762_610_000_000).unwrap();
    match AnalyticsEvent::parse(&body, now).unwrap() {
        AnalyticsEvent::Query(q) => RequestRecord::from_events(Some(&q), None, 90),
        AnalyticsEvent::Response(r) => RequestRecord::from_events(None, Some(&r), 90),
    }
    .unwrap()
}

fn placeholder<'a>(update: &'a MergeUpdate, name: &str) -> &'a str {
    &update.names.iter().find(|(_, n)| n == name).unwrap().0
}

#[test]
fn a_response_alone_sets_week_session_and_expiry_only_if_absent() {
    let image = image(include_str!("../../events/single-response.json"));
    let update = merge_update(&image, Halves::of(&image), StoredQuery::Unknown).unwrap();
    assert_eq!(
        update.key,
        AttributeValue::S("REQ#3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55".into())
    );
    for name in ["week", "sessionId", "expiresAt"] {
        let n = placeholder(&update, name);
        assert!(
            update
                .expression
                .contains(&format!("{n} = if_not_exists({n}, ")),
            "{name} in {}",
            update.expression
        );
    }
    assert!(!update.names.iter().any(|(_, n)| n == "pk"));
    // Refused when another response set them without a query.
    let (q, r) = (
        placeholder(&update, "queryTs"),
        placeholder(&update, "responseTs"),
    );
    assert!(
        update.condition.ends_with(&format!(
            "(attribute_exists({q}) OR attribute_not_exists({r}))"
        )),
        "{}",
        update.condition
    );
}

#[test]
fn a_query_sets_its_half_whole_and_the_shared_attributes() {
    let image = image(include_str!("../../events/single-query.json"));
    let update = merge_update(&image, Halves::of(&image), StoredQuery::Unknown).unwrap();
    assert!(
        !update.expression.contains("if_not_exists"),
        "{}",
        update.expression
    );
    for name in ["queryTs", "queryDigest", "query", "week", "sessionId"] {
        let n = placeholder(&update, name);
        assert!(update.expression.contains(&format!("{n} = :v")), "{name}");
    }
    let ts = placeholder(&update, "queryTs");
    assert!(
        update
            .condition
            .starts_with(&format!("(attribute_not_exists({ts}) OR {ts} > :v")),
        "{}",
        update.condition
    );
    // A question without personal data has no redaction count, and the raw user agent that
    // earlier versions stored goes.
    let removed: Vec<&str> = update
        .expression
        .split_once(" REMOVE ")
        .map(|(_, r)| r.split(", ").collect())
        .unwrap_or_default();
    let names: Vec<&str> = removed
        .iter()
        .map(|p| {
            update
                .names
                .iter()
                .find(|(n, _)| n == p)
                .unwrap()
                .1
                .as_str()
        })
        .collect();
    assert_eq!(names, ["redactions", "userAgent"], "{}", update.expression);
}

#[test]
fn what_an_event_lacks_is_removed_so_two_events_never_mix() {
    let mut image = image(include_str!("../../events/single-response.json"));
    image.vector_matches = None;
    let update = merge_update(&image, Halves::of(&image), StoredQuery::Absent).unwrap();
    let removed = placeholder(&update, "vectorMatches");
    let (_, tail) = update.expression.split_once(" REMOVE ").unwrap();
    assert!(
        tail.split(", ").any(|n| n == removed),
        "{}",
        update.expression
    );
    // Knowing that no query is stored, the response's own shared attributes are set.
    let week = placeholder(&update, "week");
    assert!(update.expression.contains(&format!("{week} = :v")));
    assert!(!update.expression.contains("if_not_exists"));
}

#[test]
fn a_refusal_leaves_only_the_halves_that_still_win() {
    let image = image(include_str!("../../events/single-response.json"));
    let halves = Halves::of(&image);
    let n = |v: i64| AttributeValue::N(v.to_string());
    let s = |v: &str| AttributeValue::S(v.into());
    let ts = image.response_ts.unwrap();
    let digest = image.response_digest.clone().unwrap();

    let same: Item = [
        (attr::RESPONSE_TS.into(), n(ts)),
        (attr::RESPONSE_DIGEST.into(), s(&digest)),
    ]
    .into();
    assert_eq!(
        after_refusal(&image, halves, &same),
        (
            Halves {
                query: false,
                response: false
            },
            StoredQuery::Absent
        )
    );
    let later: Item = [
        (attr::RESPONSE_TS.into(), n(ts + 1)),
        (attr::QUERY_TS.into(), n(ts - 1)),
    ]
    .into();
    assert_eq!(
        after_refusal(&image, halves, &later),
        (halves, StoredQuery::Present)
    );
    let earlier: Item = [(attr::RESPONSE_TS.into(), n(ts - 1))].into();
    assert!(!after_refusal(&image, halves, &earlier).0.response);
}
