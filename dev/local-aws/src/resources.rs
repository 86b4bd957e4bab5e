//! The project's resources in an emulator: the records table as the stack lays it out, FIFO
//! queues, an SES identity, the production stack itself; and the records read back.

use std::time::Duration;

use anyhow::Context as _;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use shared_types::record::{WEEK_INDEX, WeekLookup, attr};

/// Creates the records table as the stack lays it out for `lookup`: `pk` hash key, on-demand,
/// and for [`WeekLookup::Index`] the `week-index` global secondary index projecting keys only.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, lookup: WeekLookup) {
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .expect("key schema element")
    };
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("key schema element")
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(attr::PK))
        .key_schema(key(attr::PK, KeyType::Hash));
    if lookup == WeekLookup::Index {
        request = request
            .attribute_definitions(string_attribute(attr::WEEK))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(WEEK_INDEX)
                    .key_schema(key(attr::WEEK, KeyType::Hash))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::Include)
                            .non_key_attributes(attr::QUERY_TS)
                            .build(),
                    )
                    .build()
                    .expect("index definition"),
            );
    }
    request.send().await.expect("table created");
}

/// Creates a FIFO queue and returns its URL.
pub async fn create_fifo_queue(client: &aws_sdk_sqs::Client, name: &str) -> String {
    client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("queue created")
        .queue_url
        .expect("queue url")
}

/// Verifies an SES identity so that it may send.
pub async fn create_email_identity(client: &aws_sdk_sesv2::Client, address: &str) {
    client
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
        .expect("email identity created");
}

/// Every request record in `table`, by partition key (other items, such as report markers, are
/// left out). A Scan: fine for tests and the demo, never used by the functions.
pub async fn scan_request_records(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> std::collections::BTreeMap<String, shared_types::RequestRecord> {
    let mut records = std::collections::BTreeMap::new();
    let mut pages = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        let item = item.expect("scan the records table");
        let is_request = item
            .get(attr::PK)
            .and_then(|v| v.as_s().ok())
            .is_some_and(|pk| pk.starts_with(shared_types::record::REQUEST_KEY_PREFIX));
        if is_request {
            let record: shared_types::RequestRecord =
                serde_dynamo::from_item(item).expect("a stored record reads back");
            records.insert(record.pk.clone(), record);
        }
    }
    records
}

/// Stores `records` in `table` as the processor leaves them (one item each, the record's
/// attributes), in batches of 25 (`BatchWriteItem`'s limit).
pub async fn put_records(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    records: &[shared_types::RequestRecord],
) {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    for chunk in records.chunks(25) {
        let writes: Vec<WriteRequest> = chunk
            .iter()
            .map(|record| {
                let item = serde_dynamo::to_item(record).expect("a record serialises");
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("a put request"),
                    )
                    .build()
            })
            .collect();
        let mut pending = std::collections::HashMap::from([(table.to_owned(), writes)]);
        while !pending.is_empty() {
            let written = client
                .batch_write_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .expect("records written");
            pending = written.unprocessed_items.unwrap_or_default();
            pending.retain(|_, w| !w.is_empty());
        }
    }
}

/// The production template, exactly as `make deploy` deploys it.
const STACK_TEMPLATE: &str = include_str!("../../../infrastructure/stack.yaml");

/// Deploys `infrastructure/stack.yaml` as stack `cv-analytics-<stage>` and returns its outputs.
pub async fn deploy_stack(
    cloudformation: &aws_sdk_cloudformation::Client,
    stage: &str,
    sender: &str,
    visibility_timeout_seconds: u32,
    lookup: WeekLookup,
) -> anyhow::Result<std::collections::HashMap<String, String>> {
    use aws_sdk_cloudformation::types::{Capability, Parameter};
    let name = shared_types::stage::stack_name(stage);
    let parameter = |k: &str, v: String| {
        Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    cloudformation
        .create_stack()
        .stack_name(&name)
        .template_body(STACK_TEMPLATE)
        .capabilities(Capability::CapabilityNamedIam)
        .parameters(parameter("Stage", stage.into()))
        .parameters(parameter(
            "QueueVisibilityTimeoutSeconds",
            visibility_timeout_seconds.to_string(),
        ))
        .parameters(parameter("ReportSender", sender.into()))
        .parameters(parameter("WeekLookup", lookup.to_string()))
        .send()
        .await
        .context("create the stack")?;
    stack_outputs(cloudformation, &name).await
}

/// The outputs of the stack `name` once it is created (within 60 s).
async fn stack_outputs(
    cloudformation: &aws_sdk_cloudformation::Client,
    name: &str,
) -> anyhow::Result<std::collections::HashMap<String, String>> {
    use aws_sdk_cloudformation::types::StackStatus;
    for _ in 0..600 {
        let described = cloudformation
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .context("describe the stack")?;
        let Some(stack) = described.stacks.and_then(|s| s.into_iter().next()) else {
            break;
        };
        match stack.stack_status {
            Some(StackStatus::CreateComplete) => {
                return Ok(stack
                    .outputs
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|o| Some((o.output_key?, o.output_value?)))
                    .collect());
            }
            Some(StackStatus::CreateInProgress) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => {
                anyhow::bail!(
                    "stack ended {other:?}: {}",
                    stack.stack_status_reason.unwrap_or_default()
                );
            }
        }
    }
    anyhow::bail!("the stack did not complete in 60 s")
}
