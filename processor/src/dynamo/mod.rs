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
use shared_types::record::attr;
use shared_types::record::pipeline_stats::{self, PipelineStats};
use shared_types::{RequestRecord, WeekId};

use crate::error::{FailureKind, ServiceFailure};
use crate::store::{Merged, RecordStore};

mod update;

use update::{Halves, MergeUpdate, StoredQuery, absorbed, after_refusal, merge_update};

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
mod tests;
