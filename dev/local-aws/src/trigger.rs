//! The SQS trigger (Lambda's event source mapping) as a local loop: receive up to 10 messages,
//! hand them to the function as Lambda's SQS event, delete what the function did not report as
//! failed (`batchItemFailures`), leave the rest for their visibility timeout. moto creates the
//! mapping but cannot run a Rust function without Docker; this runs the real binary instead
//! (`sqs-trigger`), so that `cv-analytics verify` can be tested against a deployed stack.

use anyhow::Context as _;
use std::collections::HashMap;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use chrono::{DateTime, Utc};

use crate::runtime_api::{Completion, RuntimeApi};

/// Lambda's SQS event for `messages` received from the queue `queue_arn`.
pub fn lambda_event(messages: Vec<Message>, queue_arn: &str, region: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    for m in messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id;
        record.receipt_handle = m.receipt_handle;
        record.body = m.body;
        record.md5_of_body = m.md5_of_body;
        record.event_source = Some("aws:sqs".into());
        record.event_source_arn = Some(queue_arn.to_owned());
        record.aws_region = Some(region.to_owned());
        record.attributes = m
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect();
        event.records.push(record);
    }
    event
}

/// The message ids a function's answer (JSON) reports as failed (`batchItemFailures`); none
/// when the answer is not a batch response.
pub(crate) fn failed_in_answer(answer: &str) -> Vec<String> {
    serde_json::from_str::<aws_lambda_events::sqs::SqsBatchResponse>(answer)
        .map(|response| crate::failed_ids(&response))
        .unwrap_or_default()
}

/// The deletes of a received batch: every message but those in `failed` (by message id).
pub fn delete_entries(
    handles: &HashMap<String, String>,
    failed: &[&str],
) -> Vec<DeleteMessageBatchRequestEntry> {
    handles
        .iter()
        .filter(|(id, _)| !failed.contains(&id.as_str()))
        .enumerate()
        .filter_map(|(i, (_, handle))| {
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(handle)
                .build()
                .ok()
        })
        .collect()
}

/// When a trigger hands over a batch of event `bodies`: a few seconds after the latest event in
/// it was built (`None` when no body carries a timestamp).
pub fn handed_over_at<'a>(bodies: impl IntoIterator<Item = &'a str>) -> Option<DateTime<Utc>> {
    bodies
        .into_iter()
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok()?["timestamp"].as_i64())
        .max()
        .and_then(DateTime::from_timestamp_millis)
        .map(|latest| latest + chrono::Duration::seconds(5))
}

/// What one pass of the trigger did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub received: usize,
    pub deleted: usize,
    /// The invocation failed as a whole: every message is left for redelivery.
    pub failed_invocation: bool,
}

/// Receives one batch (long-polling up to `wait_seconds`) from `queue_url` and runs it through
/// the function behind `api`, as Lambda's trigger does.
pub async fn pass(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    api: &RuntimeApi,
    wait_seconds: i32,
) -> anyhow::Result<Pass> {
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .context("receive")?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(Pass::default());
    }
    let handles: HashMap<String, String> = messages
        .iter()
        .filter_map(|m| Some((m.message_id.clone()?, m.receipt_handle.clone()?)))
        .collect();
    let queue_arn = queue_arn(sqs, queue_url).await?;
    let region = sqs.config().region().map_or("us-east-1", |r| r.as_ref());
    let event = lambda_event(messages, &queue_arn, region);
    let body = serde_json::to_string(&event)?;
    let received = handles.len();
    let failed = match api.invoke(body) {
        Completion::Response(answer) => failed_in_answer(&answer),
        Completion::Error(_) => {
            return Ok(Pass {
                received,
                deleted: 0,
                failed_invocation: true,
            });
        }
    };
    let failed: Vec<&str> = failed.iter().map(String::as_str).collect();
    let entries = delete_entries(&handles, &failed);
    let deleted = entries.len();
    if deleted > 0 {
        sqs.delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .context("delete")?;
    }
    Ok(Pass {
        received,
        deleted,
        failed_invocation: false,
    })
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> anyhow::Result<String> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .context("queue ARN")?;
    attributes
        .attributes
        .and_then(|mut a| a.remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .with_context(|| format!("{queue_url} has no QueueArn"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_item_failures_are_read_from_the_answer() {
        let answer = r#"{"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-5"}]}"#;
        assert_eq!(failed_in_answer(answer), ["m-2", "m-5"]);
        assert!(failed_in_answer(r#"{"batchItemFailures":[]}"#).is_empty());
        assert!(failed_in_answer("null").is_empty());
    }

    #[test]
    fn failed_messages_are_not_deleted() {
        let handles: HashMap<String, String> = [("m-1", "h-1"), ("m-2", "h-2")]
            .map(|(id, h)| (id.to_owned(), h.to_owned()))
            .into();
        let entries = delete_entries(&handles, &["m-2"]);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].receipt_handle(), "h-1");
    }

    #[test]
    fn a_batch_is_handed_over_after_its_latest_event() {
        let at = handed_over_at([r#"{"timestamp":1000}"#, r#"{"timestamp":3000}"#, "not json"]);
        assert_eq!(at.map(|t| t.timestamp_millis()), Some(8000));
        assert_eq!(handed_over_at(["{}"]), None);
    }

    #[test]
    fn the_event_is_lambdas_sqs_event() {
        let message = Message::builder()
            .message_id("m-1")
            .receipt_handle("h-1")
            .body("{}")
            .attributes(MessageSystemAttributeName::MessageGroupId, "analytics")
            .build();
        let event = lambda_event(vec![message], "arn:aws:sqs:us-east-1:1:q.fifo", "us-east-1");
        let json = serde_json::to_value(&event).unwrap();
        let record = &json["Records"][0];
        assert_eq!(record["messageId"], "m-1");
        assert_eq!(record["eventSource"], "aws:sqs");
        assert_eq!(record["attributes"]["MessageGroupId"], "analytics");
    }
}
