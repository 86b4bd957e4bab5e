//! The reporter's DynamoDB adapters: [`DynamoRecordSource`] reads a week through the week
//! index, [`DynamoReportLedger`] keeps the sent markers in the same table.
//!
//! The index projects keys only (see `shared_types::record`), so a week is read as a paginated
//! `Query` for the keys followed by `BatchGetItem` of up to 100 items at a time, projected to
//! the attributes the report uses. Never a `Scan`.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnValuesOnConditionCheckFailure,
};
use chrono::{DateTime, Utc};
use shared_types::record::{WEEK_INDEX, attr, report_key};
use shared_types::{RequestRecord, WeekId};

use crate::error::ReporterError;
use crate::ledger::{CLAIM_LEASE_SECONDS, Claim, ReportLedger};
use crate::source::RecordSource;

/// `BatchGetItem` takes at most 100 keys.
const BATCH_GET_LIMIT: usize = 100;
/// Attempts for keys that `BatchGetItem` leaves unprocessed (throttling), with backoff.
const UNPROCESSED_ATTEMPTS: u32 = 8;

/// The attributes the report reads: all but the raw headers and the reasoning text.
const REPORT_ATTRIBUTES: [&str; 16] = [
    attr::PK,
    attr::WEEK,
    attr::EXPIRES_AT,
    attr::SESSION_ID,
    attr::QUERY_TS,
    attr::QUERY,
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

/// Reads a week's records from the table.
#[derive(Debug, Clone)]
pub struct DynamoRecordSource {
    client: Client,
    table_name: String,
}

impl DynamoRecordSource {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
        }
    }

    /// Fetches the items of up to 100 keys, retrying the unprocessed ones.
    async fn fetch(
        &self,
        keys: Vec<Item>,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<u64, ReporterError> {
        let names: HashMap<String, String> = REPORT_ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(i, name)| (format!("#a{i}"), (*name).to_owned()))
            .collect();
        let projection = (0..REPORT_ATTRIBUTES.len())
            .map(|i| format!("#a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut pending = keys;
        let mut passed = 0;
        for attempt in 0..UNPROCESSED_ATTEMPTS {
            if pending.is_empty() {
                return Ok(passed);
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .projection_expression(&projection)
                .set_expression_attribute_names(Some(names.clone()))
                .build()
                .map_err(|e| ReporterError::Aws {
                    operation: "DynamoDB BatchGetItem",
                    message: e.to_string(),
                })?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table_name, request)
                .send()
                .await
                .map_err(|e| ReporterError::aws("DynamoDB BatchGetItem", &e))?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(&self.table_name))
                .unwrap_or_default()
            {
                sink(record_from(item)?);
                passed += 1;
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table_name))
                .map(|k| k.keys)
                .unwrap_or_default();
        }
        if pending.is_empty() {
            Ok(passed)
        } else {
            Err(ReporterError::Aws {
                operation: "DynamoDB BatchGetItem",
                message: format!(
                    "{} keys still unprocessed after {UNPROCESSED_ATTEMPTS} attempts",
                    pending.len()
                ),
            })
        }
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

impl RecordSource for DynamoRecordSource {
    async fn read_week(
        &self,
        week: WeekId,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<u64, ReporterError> {
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
        let mut passed = 0;
        let mut keys: Vec<Item> = Vec::with_capacity(BATCH_GET_LIMIT);
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ReporterError::aws("DynamoDB Query", &e))?;
            for item in page.items.unwrap_or_default() {
                let Some(pk) = item.get(attr::PK).cloned() else {
                    continue;
                };
                keys.push(HashMap::from([(attr::PK.to_owned(), pk)]));
                if keys.len() == BATCH_GET_LIMIT {
                    passed += self.fetch(std::mem::take(&mut keys), sink).await?;
                }
            }
        }
        if !keys.is_empty() {
            passed += self.fetch(keys, sink).await?;
        }
        Ok(passed)
    }
}

// The marker's attributes: see `shared_types::record::report_marker`.
use shared_types::record::report_marker::{CLAIMED_AT, MESSAGE_ID, SENDING, SENT, SENT_AT, STATUS};

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

impl ReportLedger for DynamoReportLedger {
    async fn claim(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, ReporterError> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table_name)
            .item(attr::PK, AttributeValue::S(report_key(week)))
            .item(STATUS, AttributeValue::S(SENDING.into()))
            .item(
                CLAIMED_AT,
                AttributeValue::N(now.timestamp_millis().to_string()),
            );
        if !force {
            let stale = now - chrono::Duration::seconds(CLAIM_LEASE_SECONDS);
            request = request
                .condition_expression(
                    "attribute_not_exists(#pk) OR (#status = :sending AND #claimed < :stale)",
                )
                .expression_attribute_names("#pk", attr::PK)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_names("#claimed", CLAIMED_AT)
                .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
                .expression_attribute_values(
                    ":stale",
                    AttributeValue::N(stale.timestamp_millis().to_string()),
                )
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
                    Ok(if status == Some(SENT) {
                        Claim::AlreadySent {
                            sent_at: millis(old.get(SENT_AT)),
                        }
                    } else {
                        Claim::InProgress {
                            claimed_at: millis(old.get(CLAIMED_AT)).unwrap_or(now),
                        }
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
    ) -> Result<(), ReporterError> {
        self.client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .update_expression("SET #status = :sent, #sent_at = :now, #message = :id")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#sent_at", SENT_AT)
            .expression_attribute_names("#message", MESSAGE_ID)
            .expression_attribute_values(":sent", AttributeValue::S(SENT.into()))
            .expression_attribute_values(
                ":now",
                AttributeValue::N(now.timestamp_millis().to_string()),
            )
            .expression_attribute_values(":id", AttributeValue::S(message_id.into()))
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
            .expression_attribute_values(
                ":claimed",
                AttributeValue::N(claimed_at.timestamp_millis().to_string()),
            )
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
}
