//! [`DynamoRecordStore`]: the [`RecordStore`] on a DynamoDB table, one `UpdateItem` per write.
//!
//! `UpdateItem` creates the item when it is missing and sets only the attributes named, so a
//! query and a response can each write their half without reading first, in either order.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use shared_types::RequestRecord;
use shared_types::record::attr;

use crate::error::{FailureKind, ServiceFailure};
use crate::store::{RecordStore, set_only_if_absent};

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

/// The pieces of one `UpdateItem` request.
#[derive(Debug, PartialEq)]
pub struct MergeUpdate {
    pub key: AttributeValue,
    pub expression: String,
    pub names: Vec<(String, String)>,
    pub values: Vec<(String, AttributeValue)>,
}

/// Builds the update that merges `image` into the stored item: `SET #n = :v` for attributes
/// the image owns, `SET #n = if_not_exists(#n, :v)` for the provisional ones.
pub fn merge_update(image: &RequestRecord) -> Result<MergeUpdate, ServiceFailure> {
    let item: std::collections::HashMap<String, AttributeValue> = serde_dynamo::to_item(image)
        .map_err(|e| ServiceFailure::new(FailureKind::Permanent, format!("record: {e}")))?;
    let mut attributes: Vec<(String, AttributeValue)> = item.into_iter().collect();
    attributes.sort_by(|a, b| a.0.cmp(&b.0));

    let mut key = None;
    let mut clauses = Vec::with_capacity(attributes.len());
    let mut names = Vec::with_capacity(attributes.len());
    let mut values = Vec::with_capacity(attributes.len());
    for (name, value) in attributes {
        if name == attr::PK {
            key = Some(value);
            continue;
        }
        let (n, v) = (format!("#a{}", names.len()), format!(":v{}", values.len()));
        clauses.push(if set_only_if_absent(image, &name) {
            format!("{n} = if_not_exists({n}, {v})")
        } else {
            format!("{n} = {v}")
        });
        names.push((n, name));
        values.push((v, value));
    }
    let key =
        key.ok_or_else(|| ServiceFailure::new(FailureKind::Permanent, "record has no key"))?;
    Ok(MergeUpdate {
        key,
        expression: format!("SET {}", clauses.join(", ")),
        names,
        values,
    })
}

impl RecordStore for DynamoRecordStore {
    async fn merge(&self, image: &RequestRecord) -> Result<(), ServiceFailure> {
        let update = merge_update(image)?;
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, update.key)
            .update_expression(update.expression);
        for (placeholder, name) in update.names {
            request = request.expression_attribute_names(placeholder, name);
        }
        for (placeholder, value) in update.values {
            request = request.expression_attribute_values(placeholder, value);
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ServiceFailure::from_sdk("DynamoDB UpdateItem", &e))
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

    #[test]
    fn a_response_alone_sets_week_session_and_expiry_only_if_absent() {
        let update = merge_update(&image(include_str!("../events/single-response.json"))).unwrap();
        assert_eq!(
            update.key,
            AttributeValue::S("REQ#3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55".into())
        );
        for name in ["week", "sessionId", "expiresAt"] {
            let (placeholder, _) = update.names.iter().find(|(_, n)| n == name).unwrap();
            assert!(
                update
                    .expression
                    .contains(&format!("{placeholder} = if_not_exists({placeholder}, ")),
                "{name} in {}",
                update.expression
            );
        }
        assert!(!update.names.iter().any(|(_, n)| n == "pk"));
    }

    #[test]
    fn a_query_sets_every_attribute_it_has() {
        let update = merge_update(&image(include_str!("../events/single-query.json"))).unwrap();
        assert!(
            !update.expression.contains("if_not_exists"),
            "{}",
            update.expression
        );
        assert_eq!(update.names.len(), update.values.len());
    }
}
