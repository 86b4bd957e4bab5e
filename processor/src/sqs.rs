//! [`SqsDeadLetterQueue`]: the [`DeadLetterQueue`] on an SQS queue, FIFO or standard.
//!
//! The body is kept verbatim; the reason and the original message id travel as message
//! attributes, so a maintainer can read why and redrive after a fix.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageAttributeValue;

use shared_types::dead_letter::{REASON_ATTRIBUTE, SOURCE_MESSAGE_ID_ATTRIBUTE};

use crate::dead_letter::{DeadLetterQueue, Rejection};
use crate::error::{FailureKind, ServiceFailure};

/// Group used on a FIFO dead-letter queue when the rejected message had none.
const FALLBACK_GROUP_ID: &str = "rejected";

/// Sends rejected messages to one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsDeadLetterQueue {
    client: Client,
    queue_url: String,
}

impl SqsDeadLetterQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    fn is_fifo(&self) -> bool {
        self.queue_url.ends_with(".fifo")
    }
}

fn text_attribute(value: impl Into<String>) -> Result<MessageAttributeValue, ServiceFailure> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| ServiceFailure::new(FailureKind::Permanent, e.to_string()))
}

impl DeadLetterQueue for SqsDeadLetterQueue {
    async fn send(&self, rejection: &Rejection) -> Result<(), ServiceFailure> {
        // SQS refuses an empty body; the reason says it was empty.
        let body = if rejection.body.is_empty() {
            "(empty body)"
        } else {
            &rejection.body
        };
        let mut request = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes(REASON_ATTRIBUTE, text_attribute(rejection.short_reason())?)
            .message_attributes(
                SOURCE_MESSAGE_ID_ATTRIBUTE,
                text_attribute(&rejection.message_id)?,
            );
        if self.is_fifo() {
            // The source message id as deduplication id: a retried send after a partial
            // failure does not put the message in the dead-letter queue twice.
            let group = rejection.group_id.as_deref().unwrap_or(FALLBACK_GROUP_ID);
            request = request
                .message_group_id(group)
                .message_deduplication_id(&rejection.message_id);
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ServiceFailure::from_sdk("SQS SendMessage", e))
    }
}
