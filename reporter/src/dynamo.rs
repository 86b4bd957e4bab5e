//! The reporter's DynamoDB adapters: [`DynamoRecordSource`] reads weeks of records the way the
//! table is laid out ([`WeekLookup`]), [`DynamoReportLedger`] keeps the sent markers in the same
//! table.
//!
//! - [`WeekLookup::Scan`]: one parallel `Scan` of [`SCAN_SEGMENTS`] segments, filtered on the
//!   weeks asked for and projected to the attributes the report uses. DynamoDB charges the
//!   whole table whatever the filter keeps, so a report asks for all its weeks in one read.
//! - [`WeekLookup::Index`]: the index projects keys only, so each week is a paginated `Query`
//!   for the keys followed by `BatchGetItem` of up to 100 items at a time, projected; a week
//!   only counted is a `Query` of its keys (the index holds keys only: the read units of a
//!   `COUNT` query, and the keys give the week's fingerprint).

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnValuesOnConditionCheckFailure,
};
use chrono::{DateTime, Utc};
use shared_types::record::pipeline_stats::{self, PipelineStats};
use shared_types::record::report_marker::WeekSummary;
use shared_types::record::{REPORT_KEY_PREFIX, WEEK_INDEX, WeekLookup, attr, report_key};
use shared_types::{RequestRecord, WeekId};

use lambda_support::{FailureKind, ServiceFailure};

use crate::error::ReporterError;
use crate::ledger::{Claim, ReportLedger};
use crate::source::{RecordSource, WeeksRead};

/// How long a claim written before claims carried their lease protects a send: Lambda's
/// longest timeout (15 minutes).
const LEGACY_CLAIM_LEASE_SECONDS: i64 = 900;

/// Segments of a parallel scan, read at once. DynamoDB advises about one per 2 GB of table;
/// eight keep a table of a few GB within a couple of minutes and cost nothing extra on a small
/// one (a segment of an empty range is one request).
pub const SCAN_SEGMENTS: i32 = 8;

/// `BatchGetItem` takes at most 100 keys.
const BATCH_GET_LIMIT: usize = 100;
/// Attempts for keys that `BatchGetItem` leaves unprocessed (throttling), with backoff.
const UNPROCESSED_ATTEMPTS: u32 = 8;

/// The attributes the report reads: all but the headers and the reasoning text.
const REPORT_ATTRIBUTES: [&str; 17] = [
    attr::PK,
    attr::WEEK,
    attr::EXPIRES_AT,
    attr::SESSION_ID,
    attr::QUERY_TS,
    attr::QUERY,
    attr::REDACTIONS,
    attr::RESPONSE_TS,
    attr::MATCH_TYPE,
    attr::MATCH_SCORE,
    attr::VECTOR_MATCHES,
    attr::MATCH_QUALITY,
    attr::SOURCES_USED,
    attr::TOTAL_TIME_MS,
    attr::LLM_TIME_MS,
    attr::RETRIEVAL_TIME_MS,
    attr::CACHE_HIT,
];

type Item = HashMap<String, AttributeValue>;

/// Reads weeks of records from the table.
#[derive(Debug, Clone)]
pub struct DynamoRecordSource {
    client: Client,
    table_name: String,
    lookup: WeekLookup,
}

impl DynamoRecordSource {
    pub fn new(client: Client, table_name: impl Into<String>, lookup: WeekLookup) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            lookup,
        }
    }

    /// The projection of [`REPORT_ATTRIBUTES`]: the expression and its names.
    fn projection() -> (String, HashMap<String, String>) {
        let names: HashMap<String, String> = REPORT_ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(i, name)| (format!("#a{i}"), (*name).to_owned()))
            .collect();
        let projection = (0..REPORT_ATTRIBUTES.len())
            .map(|i| format!("#a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        (projection, names)
    }

    /// Fetches the items of up to 100 keys, retrying the unprocessed ones.
    async fn fetch(
        &self,
        keys: Vec<Item>,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<u64, ReporterError> {
        let (projection, names) = Self::projection();
        let mut passed = 0;
        batch_get(
            &self.client,
            &self.table_name,
            keys,
            (&projection, &names),
            &mut |item| {
                sink(record_from(item)?);
                passed += 1;
                Ok(())
            },
        )
        .await?;
        Ok(passed)
    }
}

/// `BatchGetItem` of up to 100 `keys` of `table`, projected, with the keys DynamoDB leaves
/// unprocessed (throttling) asked again with backoff; each item found goes to `sink`.
async fn batch_get(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
    (projection, names): (&str, &HashMap<String, String>),
    sink: &mut (dyn FnMut(Item) -> Result<(), ReporterError> + Send),
) -> Result<(), ReporterError> {
    let mut pending = keys;
    for attempt in 0..UNPROCESSED_ATTEMPTS {
        if pending.is_empty() {
            return Ok(());
        }
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
        }
        let request = KeysAndAttributes::builder()
            .set_keys(Some(std::mem::take(&mut pending)))
            .projection_expression(projection)
            .set_expression_attribute_names(Some(names.clone()))
            .build()
            .map_err(|e| ReporterError::request("DynamoDB BatchGetItem", e))?;
        let output = client
            .batch_get_item()
            .request_items(table, request)
            .send()
            .await
            .map_err(|e| ReporterError::aws("DynamoDB BatchGetItem", &e))?;
        for item in output
            .responses
            .and_then(|mut r| r.remove(table))
            .unwrap_or_default()
        {
            sink(item)?;
        }
        pending = output
            .unprocessed_keys
            .and_then(|mut u| u.remove(table))
            .map(|k| k.keys)
            .unwrap_or_default();
    }
    if pending.is_empty() {
        Ok(())
    } else {
        // Throttling that outlasted the backoff: a later run may succeed.
        Err(ReporterError::Aws(ServiceFailure::new(
            FailureKind::Transient,
            format!(
                "DynamoDB BatchGetItem: {} keys still unprocessed after {UNPROCESSED_ATTEMPTS} attempts",
                pending.len()
            ),
        )))
    }
}

fn record_from(item: Item) -> Result<RequestRecord, ReporterError> {
    let key = item
        .get(attr::PK)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    serde_dynamo::from_item(item).map_err(|e| ReporterError::Record {
        key,
        message: e.to_string(),
    })
}

impl DynamoRecordSource {
    /// One parallel scan, filtered on every week asked for or counted.
    async fn scan(
        &self,
        weeks: &[WeekId],
        counted: &[WeekId],
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<WeeksRead, ReporterError> {
        let mut read = WeeksRead::starting(weeks, counted);
        if read.counts.is_empty() {
            return Ok(read);
        }
        let (projection, mut names) = Self::projection();
        names.insert("#week".to_owned(), attr::WEEK.to_owned());
        let values: HashMap<String, AttributeValue> = read
            .counts
            .keys()
            .enumerate()
            .map(|(i, week)| (format!(":w{i}"), AttributeValue::S(week.to_string())))
            .collect();
        let filter = format!(
            "#week IN ({})",
            (0..values.len())
                .map(|i| format!(":w{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let segments = (0..SCAN_SEGMENTS).map(|segment| {
            let pages = self
                .client
                .scan()
                .table_name(&self.table_name)
                .segment(segment)
                .total_segments(SCAN_SEGMENTS)
                .filter_expression(&filter)
                .projection_expression(&projection)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .into_paginator()
                .send();
            Box::pin(futures::stream::unfold(pages, |mut pages| async move {
                pages.next().await.map(|page| (page, pages))
            }))
        });
        let mut pages = futures::stream::select_all(segments);
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ReporterError::aws("DynamoDB Scan", &e))?;
            for item in page.items.unwrap_or_default() {
                let Some(week) = item
                    .get(attr::WEEK)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|w| w.parse::<WeekId>().ok())
                else {
                    continue;
                };
                let pk = item.get(attr::PK).and_then(|v| v.as_s().ok());
                read.list(week, pk.map_or("", String::as_str));
                if weeks.contains(&week) {
                    sink(record_from(item)?);
                    read.passed += 1;
                }
            }
        }
        Ok(read)
    }

    /// One week through the index: its keys (listed in `read`), then the items.
    async fn query_week(
        &self,
        week: WeekId,
        read: &mut WeeksRead,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<(), ReporterError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table_name)
            .index_name(WEEK_INDEX)
            .key_condition_expression("#week = :week")
            .expression_attribute_names("#week", attr::WEEK)
            .expression_attribute_values(":week", AttributeValue::S(week.to_string()))
            .into_paginator()
            .send();
        let mut keys: Vec<Item> = Vec::with_capacity(BATCH_GET_LIMIT);
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ReporterError::aws("DynamoDB Query", &e))?;
            for item in page.items.unwrap_or_default() {
                let Some(pk) = item.get(attr::PK).cloned() else {
                    continue;
                };
                read.list(week, pk.as_s().map_or("", String::as_str));
                keys.push(HashMap::from([(attr::PK.to_owned(), pk)]));
                if keys.len() == BATCH_GET_LIMIT {
                    read.passed += self.fetch(std::mem::take(&mut keys), sink).await?;
                }
            }
        }
        if !keys.is_empty() {
            read.passed += self.fetch(keys, sink).await?;
        }
        Ok(())
    }

    /// The keys the index holds for `week`, listed in a read of their own (their number and
    /// fingerprint). The index projects keys only, so this reads what a `COUNT` query would,
    /// at the same read units.
    async fn list_week(&self, week: WeekId) -> Result<WeeksRead, ReporterError> {
        let mut read = WeeksRead::starting(&[], &[week]);
        let mut pages = self
            .client
            .query()
            .table_name(&self.table_name)
            .index_name(WEEK_INDEX)
            .key_condition_expression("#week = :week")
            .expression_attribute_names("#week", attr::WEEK)
            .expression_attribute_values(":week", AttributeValue::S(week.to_string()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ReporterError::aws("DynamoDB Query (keys)", &e))?;
            for item in page.items.unwrap_or_default() {
                if let Some(pk) = item.get(attr::PK).and_then(|v| v.as_s().ok()) {
                    read.list(week, pk);
                }
            }
        }
        Ok(read)
    }
}

impl RecordSource for DynamoRecordSource {
    async fn read_weeks(
        &self,
        weeks: &[WeekId],
        counted: &[WeekId],
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<WeeksRead, ReporterError> {
        match self.lookup {
            WeekLookup::Scan => self.scan(weeks, counted, sink).await,
            WeekLookup::Index => {
                let mut read = WeeksRead::starting(weeks, &[]);
                for week in weeks {
                    self.query_week(*week, &mut read, sink).await?;
                }
                let only_counted: Vec<WeekId> = counted
                    .iter()
                    .filter(|w| !weeks.contains(w))
                    .copied()
                    .collect();
                let listed = futures::future::try_join_all(
                    only_counted.iter().map(|week| self.list_week(*week)),
                )
                .await?;
                for other in listed {
                    read.counts.extend(other.counts);
                    read.fingerprints.extend(other.fingerprints);
                }
                Ok(read)
            }
        }
    }
}

// The marker's attributes: see `shared_types::record::report_marker`.
use shared_types::record::report_marker::{
    CLAIMED_AT, CORRECTED_BY, CORRECTIONS, LEASE_UNTIL, MESSAGE_ID, SENDING, SENT, SENT_AT, STATUS,
    SUMMARY,
};

/// Keeps the sent markers in the records table.
#[derive(Debug, Clone)]
pub struct DynamoReportLedger {
    client: Client,
    table_name: String,
}

impl DynamoReportLedger {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
        }
    }
}

fn millis(value: Option<&AttributeValue>) -> Option<DateTime<Utc>> {
    let ms = value?.as_n().ok()?.parse::<i64>().ok()?;
    DateTime::from_timestamp_millis(ms)
}

fn epoch_millis(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp_millis().to_string())
}

fn summary_value(summary: &WeekSummary) -> Result<AttributeValue, ReporterError> {
    serde_dynamo::to_attribute_value(summary).map_err(|e| {
        ReporterError::request(
            "DynamoDB (report marker)",
            format!("the week's summary: {e}"),
        )
    })
}

impl ReportLedger for DynamoReportLedger {
    async fn claim(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, ReporterError> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table_name)
            .item(attr::PK, AttributeValue::S(report_key(week)))
            .item(STATUS, AttributeValue::S(SENDING.into()))
            .item(CLAIMED_AT, epoch_millis(now))
            .item(LEASE_UNTIL, epoch_millis(lease_until));
        if !force {
            // Only a week without a marker: a claim is never taken over (see `crate::ledger`).
            request = request
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", attr::PK)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        match request.send().await {
            Ok(_) => Ok(Claim::Granted),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let old = failed.item().cloned().unwrap_or_default();
                    let status = old
                        .get(STATUS)
                        .and_then(|v| v.as_s().ok())
                        .map(String::as_str);
                    if status == Some(SENT) {
                        return Ok(Claim::AlreadySent {
                            sent_at: millis(old.get(SENT_AT)),
                        });
                    }
                    let claimed_at = millis(old.get(CLAIMED_AT)).unwrap_or(now);
                    let lease_until = millis(old.get(LEASE_UNTIL)).unwrap_or_else(|| {
                        claimed_at + chrono::Duration::seconds(LEGACY_CLAIM_LEASE_SECONDS)
                    });
                    Ok(if lease_until >= now {
                        Claim::InProgress {
                            claimed_at,
                            lease_until,
                        }
                    } else {
                        Claim::Unconfirmed { claimed_at }
                    })
                }
                _ => Err(ReporterError::aws("DynamoDB PutItem (report marker)", &err)),
            },
        }
    }

    async fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
        summary: &WeekSummary,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ReporterError> {
        self.client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .update_expression(
                "SET #status = :sent, #sent_at = :now, #message = :id, #summary = :summary, \
                 #expires = :expires REMOVE #lease",
            )
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(
                ":expires",
                AttributeValue::N(expires_at.timestamp().to_string()),
            )
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#sent_at", SENT_AT)
            .expression_attribute_names("#message", MESSAGE_ID)
            .expression_attribute_names("#summary", SUMMARY)
            .expression_attribute_names("#lease", LEASE_UNTIL)
            .expression_attribute_values(":sent", AttributeValue::S(SENT.into()))
            .expression_attribute_values(":now", epoch_millis(now))
            .expression_attribute_values(":id", AttributeValue::S(message_id.into()))
            .expression_attribute_values(":summary", summary_value(summary)?)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ReporterError::aws("DynamoDB UpdateItem (report marker)", &e))
    }

    async fn release(&self, week: WeekId, claimed_at: DateTime<Utc>) -> Result<(), ReporterError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .condition_expression("#status = :sending AND #claimed = :claimed")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#claimed", CLAIMED_AT)
            .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
            .expression_attribute_values(":claimed", epoch_millis(claimed_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Someone else's claim or a sent marker: not ours to remove.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(ReporterError::aws(
                "DynamoDB DeleteItem (report marker)",
                &err,
            )),
        }
    }

    async fn summaries(
        &self,
        weeks: &[WeekId],
    ) -> Result<HashMap<WeekId, WeekSummary>, ReporterError> {
        let keys = weeks
            .iter()
            .map(|week| {
                HashMap::from([(attr::PK.to_owned(), AttributeValue::S(report_key(*week)))])
            })
            .collect();
        let names = HashMap::from([
            ("#pk".to_owned(), attr::PK.to_owned()),
            ("#status".to_owned(), STATUS.to_owned()),
            ("#summary".to_owned(), SUMMARY.to_owned()),
        ]);
        let mut found = HashMap::new();
        batch_get(
            &self.client,
            &self.table_name,
            keys,
            ("#pk, #status, #summary", &names),
            &mut |item| {
                let sent = item
                    .get(STATUS)
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some(SENT);
                let week = item
                    .get(attr::PK)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|pk| pk.strip_prefix(REPORT_KEY_PREFIX))
                    .and_then(|w| w.parse::<WeekId>().ok());
                let summary = item
                    .get(SUMMARY)
                    .and_then(|v| serde_dynamo::from_attribute_value(v.clone()).ok());
                if let (true, Some(week), Some(summary)) = (sent, week, summary) {
                    found.insert(week, summary);
                }
                Ok(())
            },
        )
        .await?;
        Ok(found)
    }

    async fn pipeline_stats(&self, week: WeekId) -> Result<PipelineStats, ReporterError> {
        let key = pipeline_stats::key(week);
        let names = HashMap::from([
            ("#pk".to_owned(), attr::PK.to_owned()),
            ("#d".to_owned(), pipeline_stats::DEAD_LETTERED.to_owned()),
            ("#u".to_owned(), pipeline_stats::DUPLICATES.to_owned()),
            ("#l".to_owned(), pipeline_stats::LATE.to_owned()),
        ]);
        let mut stats = PipelineStats::default();
        batch_get(
            &self.client,
            &self.table_name,
            vec![HashMap::from([(
                attr::PK.to_owned(),
                AttributeValue::S(key),
            )])],
            ("#pk, #d, #u, #l", &names),
            &mut |item| {
                stats = serde_dynamo::from_item(item)
                    .map_err(|e| ReporterError::request("DynamoDB (pipeline counts)", e))?;
                Ok(())
            },
        )
        .await?;
        Ok(stats)
    }

    async fn correct(
        &self,
        week: WeekId,
        summary: &WeekSummary,
        by: WeekId,
    ) -> Result<(), ReporterError> {
        // The figures, attribute by attribute: the marker's own gaps and pending corrections
        // (absent from a correction, so never named here) stay as they are.
        let figures = WeekSummary {
            corrected_by: Some(by),
            gaps: Vec::new(),
            corrections: Vec::new(),
            ..summary.clone()
        };
        let AttributeValue::M(fields) = summary_value(&figures)? else {
            return Err(ReporterError::request(
                "DynamoDB (report marker)",
                "a week's summary is not a map",
            ));
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .condition_expression(
                "#status = :sent AND (attribute_not_exists(#summary.#by) OR #summary.#by < :by)",
            )
            .expression_attribute_names("#summary", SUMMARY)
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#by", CORRECTED_BY)
            .expression_attribute_values(":by", AttributeValue::S(by.to_string()))
            .expression_attribute_values(":sent", AttributeValue::S(SENT.into()));
        let mut sets = Vec::new();
        for (i, (name, value)) in fields.into_iter().enumerate() {
            if name == CORRECTED_BY {
                sets.push("#summary.#by = :by".to_owned());
                continue;
            }
            sets.push(format!("#summary.#f{i} = :f{i}"));
            request = request
                .expression_attribute_names(format!("#f{i}"), name)
                .expression_attribute_values(format!(":f{i}"), value);
        }
        match request
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Not sent (a forced resend is under way, or the marker expired), or corrected by
            // this report or a later one already: nothing to do.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(ReporterError::aws(
                "DynamoDB UpdateItem (report marker summary)",
                &err,
            )),
        }
    }

    async fn clear_corrections(&self, week: WeekId) -> Result<(), ReporterError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .update_expression("REMOVE #summary.#corrections")
            .condition_expression("#status = :sent")
            .expression_attribute_names("#summary", SUMMARY)
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#corrections", CORRECTIONS)
            .expression_attribute_values(":sent", AttributeValue::S(SENT.into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(ReporterError::aws(
                "DynamoDB UpdateItem (report marker corrections)",
                &err,
            )),
        }
    }
}
