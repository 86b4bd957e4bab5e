//! [`DynamoRecordStore`]: the [`RecordStore`] on a DynamoDB table, one conditional `UpdateItem`
//! per write in every ordinary case.
//!
//! `UpdateItem` creates the item when it is missing and touches only the attributes named, so a
//! query and a response can each write their half without reading first, in either order. The
//! merge rules of [`shared_types::record`] become the update's condition:
//! - each half is written only if what is stored of its kind ranks after it (the condition
//!   compares the stored timestamp and digest with the image's): a lower-ranked event, or the
//!   very same one, is left alone, and the refusal says which, so a redelivery is counted;
//! - a half is written whole: `SET` for what the event has, `REMOVE` for what it lacks;
//! - a query sets the shared attributes (week, session, expiry); a response alone sets them with
//!   `if_not_exists`, which is right unless a different response was stored before without a
//!   query, a case the condition refuses.
//!
//! A refused condition returns the stored item (`ReturnValuesOnConditionCheckFailure=ALL_OLD`,
//! no read units). When what the image still has to write wins against it, the write is sent
//! again knowing whether a query is stored: once more at most, except when another writer
//! changes the item in between. A half that lost, or that is already stored, is done.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use shared_types::record::pipeline_stats::{self, PipelineStats};
use shared_types::record::{Half, PROVISIONAL_UNTIL_QUERY, RankRef, Verdict, attr, compare};
use shared_types::{RequestRecord, WeekId};

use crate::error::{FailureKind, ServiceFailure};
use crate::store::{Merged, RecordStore};

/// Writes of one image before giving up to SQS's retry: each refusal means another writer
/// changed the item between two of them.
const MAX_ATTEMPTS: usize = 4;

type Item = HashMap<String, AttributeValue>;

/// Writes records to one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoRecordStore {
    client: Client,
    table_name: String,
}

impl DynamoRecordStore {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
        }
    }
}

/// What a write assumes about the stored item's query half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoredQuery {
    /// Nothing is known (the first attempt).
    Unknown,
    /// A refused attempt saw a query stored.
    Present,
    /// A refused attempt saw no query stored.
    Absent,
}

/// Which halves of the image a write carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Halves {
    pub(crate) query: bool,
    pub(crate) response: bool,
}

impl Halves {
    /// Every half the image has.
    pub(crate) fn of(image: &RequestRecord) -> Self {
        Self {
            query: image.has_query(),
            response: image.is_answered(),
        }
    }

    fn carried(self) -> impl Iterator<Item = Half> {
        [(self.query, Half::Query), (self.response, Half::Response)]
            .into_iter()
            .filter_map(|(carried, half)| carried.then_some(half))
    }
}

/// The pieces of one `UpdateItem` request.
#[derive(Debug, PartialEq)]
pub(crate) struct MergeUpdate {
    pub(crate) key: AttributeValue,
    pub(crate) expression: String,
    pub(crate) condition: String,
    pub(crate) names: Vec<(String, String)>,
    pub(crate) values: Vec<(String, AttributeValue)>,
}

/// Placeholders for attribute names and the image's values, one of each per attribute, made
/// only when used: DynamoDB refuses a request that defines a placeholder it does not use.
struct Placeholders<'a> {
    item: &'a Item,
    names: Vec<(String, String)>,
    values: Vec<(String, AttributeValue)>,
    by_name: HashMap<&'static str, String>,
    by_value: HashMap<&'static str, String>,
}

impl<'a> Placeholders<'a> {
    fn new(item: &'a Item) -> Self {
        Self {
            item,
            names: Vec::new(),
            values: Vec::new(),
            by_name: HashMap::new(),
            by_value: HashMap::new(),
        }
    }

    /// The placeholder of the attribute's name.
    fn name(&mut self, name: &'static str) -> String {
        if let Some(known) = self.by_name.get(name) {
            return known.clone();
        }
        let n = format!("#a{}", self.names.len());
        self.names.push((n.clone(), name.to_owned()));
        self.by_name.insert(name, n.clone());
        n
    }

    /// The placeholder of the image's value of the attribute, when the image has one.
    fn value(&mut self, name: &'static str) -> Option<String> {
        if let Some(known) = self.by_value.get(name) {
            return Some(known.clone());
        }
        let value = self.item.get(name)?.clone();
        let v = format!(":v{}", self.values.len());
        self.values.push((v.clone(), value));
        self.by_value.insert(name, v.clone());
        Some(v)
    }
}

/// Builds the update that writes `halves` of `image`, assuming `stored_query` of the item: each
/// half whole, behind the condition that it ranks first; the shared attributes as the query's
/// ownership of them says; and, for a response alone, the condition on the stored query.
pub(crate) fn merge_update(
    image: &RequestRecord,
    halves: Halves,
    stored_query: StoredQuery,
) -> Result<MergeUpdate, ServiceFailure> {
    let item: Item = serde_dynamo::to_item(image)
        .map_err(|e| ServiceFailure::new(FailureKind::Permanent, format!("record: {e}")))?;
    let key = item
        .get(attr::PK)
        .cloned()
        .ok_or_else(|| ServiceFailure::new(FailureKind::Permanent, "record has no key"))?;
    let mut p = Placeholders::new(&item);
    let mut clauses = Clauses::default();
    for half in halves.carried() {
        write_half(&mut p, &mut clauses, half)?;
    }
    write_shared(&mut p, &mut clauses, halves, stored_query);
    if !halves.query {
        clauses
            .conditions
            .push(stored_query_condition(&mut p, stored_query));
    }
    let mut expression = format!("SET {}", clauses.set.join(", "));
    if !clauses.remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", clauses.remove.join(", ")));
    }
    Ok(MergeUpdate {
        key,
        expression,
        condition: clauses.conditions.join(" AND "),
        names: p.names,
        values: p.values,
    })
}

/// The clauses of an update, as they are built.
#[derive(Debug, Default)]
struct Clauses {
    set: Vec<String>,
    remove: Vec<String>,
    conditions: Vec<String>,
}

/// A half written whole (`SET` what the event has, `REMOVE` what it lacks), if what is stored
/// of its kind ranks after the image's (see `compare`): the very same event is refused too, so
/// a redelivery is seen (in the refused item, at no read cost) and counted as absorbed.
fn write_half(
    p: &mut Placeholders<'_>,
    clauses: &mut Clauses,
    half: Half,
) -> Result<(), ServiceFailure> {
    for &name in half.attributes() {
        let n = p.name(name);
        match p.value(name) {
            Some(v) => clauses.set.push(format!("{n} = {v}")),
            None => clauses.remove.push(n),
        }
    }
    let (ts_name, digest_name) = half.rank_attributes();
    let (ts, digest) = (p.name(ts_name), p.name(digest_name));
    let (Some(ts_value), Some(digest_value)) = (p.value(ts_name), p.value(digest_name)) else {
        return Err(ServiceFailure::new(
            FailureKind::Permanent,
            "record half without its timestamp or digest",
        ));
    };
    clauses.conditions.push(format!(
        "(attribute_not_exists({ts}) OR {ts} > {ts_value} OR ({ts} = {ts_value} AND \
         (attribute_not_exists({digest}) OR {digest} > {digest_value})))"
    ));
    Ok(())
}

/// The shared attributes (week, session, expiry): set by a query; by a response alone only
/// while no query is stored (`if_not_exists` when that is not known).
fn write_shared(
    p: &mut Placeholders<'_>,
    clauses: &mut Clauses,
    halves: Halves,
    stored_query: StoredQuery,
) {
    let form = if halves.query {
        "{n} = {v}"
    } else {
        match stored_query {
            StoredQuery::Unknown => "{n} = if_not_exists({n}, {v})",
            StoredQuery::Absent => "{n} = {v}",
            StoredQuery::Present => return,
        }
    };
    for &name in &PROVISIONAL_UNTIL_QUERY {
        if let Some(v) = p.value(name) {
            let n = p.name(name);
            clauses.set.push(form.replace("{n}", &n).replace("{v}", &v));
        }
    }
}

/// What a response written alone assumes of the stored query. `if_not_exists` keeps the shared
/// attributes of whoever wrote them: right when that is a query, or when nobody did; refused
/// when it was another response.
fn stored_query_condition(p: &mut Placeholders<'_>, stored_query: StoredQuery) -> String {
    let (query_ts, response_ts) = (p.name(attr::QUERY_TS), p.name(attr::RESPONSE_TS));
    match stored_query {
        StoredQuery::Unknown => {
            format!("(attribute_exists({query_ts}) OR attribute_not_exists({response_ts}))")
        }
        StoredQuery::Absent => format!("attribute_not_exists({query_ts})"),
        StoredQuery::Present => format!("attribute_exists({query_ts})"),
    }
}

/// The rank of the stored event of `half` in a returned item.
fn stored_rank(item: &Item, half: Half) -> Option<RankRef<'_>> {
    let (ts, digest) = half.rank_attributes();
    Some(RankRef {
        timestamp: item.get(ts)?.as_n().ok()?.parse().ok()?,
        digest: item
            .get(digest)
            .and_then(|d| d.as_s().ok())
            .map(String::as_str),
    })
}

/// How many of the `halves` of the image add nothing to `old` (the same event is stored, or a
/// lower-ranked one of its kind).
fn absorbed(image: &RequestRecord, halves: Halves, old: &Item) -> usize {
    halves
        .carried()
        .filter(|&half| {
            image
                .rank(half)
                .is_some_and(|rank| compare(rank, stored_rank(old, half)) != Verdict::Wins)
        })
        .count()
}

/// What is left to write after a refusal that returned `old`: the halves of the image that
/// still rank before what is stored (a half already stored is done), and whether a query is.
pub(crate) fn after_refusal(
    image: &RequestRecord,
    halves: Halves,
    old: &Item,
) -> (Halves, StoredQuery) {
    let still = |carried: bool, half| {
        carried
            && image
                .rank(half)
                .is_some_and(|rank| compare(rank, stored_rank(old, half)) == Verdict::Wins)
    };
    let left = Halves {
        query: still(halves.query, Half::Query),
        response: still(halves.response, Half::Response),
    };
    let stored_query = if old.contains_key(attr::QUERY_TS) {
        StoredQuery::Present
    } else {
        StoredQuery::Absent
    };
    (left, stored_query)
}

/// What one `UpdateItem` came to: applied, or refused (with the stored item, empty when there is
/// none, at no read cost).
enum Sent {
    Applied,
    Refused(Item),
}

impl DynamoRecordStore {
    async fn send(&self, update: MergeUpdate) -> Result<Sent, ServiceFailure> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, update.key)
            .update_expression(update.expression)
            .condition_expression(update.condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, name) in update.names {
            request = request.expression_attribute_names(placeholder, name);
        }
        for (placeholder, value) in update.values {
            request = request.expression_attribute_values(placeholder, value);
        }
        match request.send().await {
            Ok(_) => Ok(Sent::Applied),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                    Ok(Sent::Refused(refused.item().cloned().unwrap_or_default()))
                }
                _ => Err(ServiceFailure::from_sdk("DynamoDB UpdateItem", err)),
            },
        }
    }
}

impl RecordStore for DynamoRecordStore {
    async fn merge(&self, image: &RequestRecord) -> Result<Merged, ServiceFailure> {
        let (mut halves, mut stored_query) = (Halves::of(image), StoredQuery::Unknown);
        let mut merged = Merged::default();
        for _ in 0..MAX_ATTEMPTS {
            match self
                .send(merge_update(image, halves, stored_query)?)
                .await?
            {
                // Every half it carried ranked before what was stored.
                Sent::Applied => return Ok(merged),
                Sent::Refused(old) => {
                    // The halves that do not win are done: absorbed. Those that win are sent
                    // again, and counted on that answer.
                    merged.absorbed += absorbed(image, halves, &old);
                    (halves, stored_query) = after_refusal(image, halves, &old);
                }
            }
            if !halves.query && !halves.response {
                // What is stored ranks first, or is this very event: nothing is left to write.
                return Ok(merged);
            }
        }
        Err(ServiceFailure::new(
            FailureKind::Transient,
            format!("DynamoDB UpdateItem: the item changed under {MAX_ATTEMPTS} writes in a row"),
        ))
    }

    async fn add_stats(
        &self,
        week: WeekId,
        stats: &PipelineStats,
        expires_at: i64,
    ) -> Result<(), ServiceFailure> {
        let count = |n: u64| AttributeValue::N(n.to_string());
        let count_signed = |n: i64| AttributeValue::N(n.to_string());
        self.client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(pipeline_stats::key(week)))
            .update_expression(
                "ADD #dead :dead, #duplicates :duplicates, #late :late SET #expires = :expires",
            )
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":expires", count_signed(expires_at))
            .expression_attribute_names("#dead", pipeline_stats::DEAD_LETTERED)
            .expression_attribute_names("#duplicates", pipeline_stats::DUPLICATES)
            .expression_attribute_names("#late", pipeline_stats::LATE)
            .expression_attribute_values(":dead", count(stats.dead_lettered))
            .expression_attribute_values(":duplicates", count(stats.duplicates))
            .expression_attribute_values(":late", count(stats.late))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ServiceFailure::from_sdk("DynamoDB UpdateItem (pipeline counts)", e))
    }
}

#[cfg(test)]
mod tests {
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
        let image = image(include_str!("../events/single-response.json"));
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
        let image = image(include_str!("../events/single-query.json"));
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
        let mut image = image(include_str!("../events/single-response.json"));
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
        let image = image(include_str!("../events/single-response.json"));
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
}
