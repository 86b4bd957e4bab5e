//! The conditional `UpdateItem` that merges a request's image into the stored item (see the
//! parent module): which halves it carries, its expression and condition, and what a refusal
//! says about the stored item.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use shared_types::RequestRecord;
use shared_types::record::{Half, PROVISIONAL_UNTIL_QUERY, RankRef, Verdict, attr, compare};

use super::Item;
use crate::error::{FailureKind, ServiceFailure};

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
pub(crate) fn absorbed(image: &RequestRecord, halves: Halves, old: &Item) -> usize {
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
