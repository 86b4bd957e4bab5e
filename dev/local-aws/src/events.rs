//! SQS events as Lambda delivers them to the processor, and what its answer says.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

/// An SQS event for the processor holding `bodies`, with message ids `m-<first_id>`, `m-<first_id
/// + 1>`, ... and the producer's message group, as Lambda's event source mapping delivers them.
pub fn sqs_event(bodies: &[String], first_id: usize) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut message = aws_lambda_events::sqs::SqsMessage::default();
            message.message_id = Some(format!("m-{}", first_id + i));
            message.body = Some(body.clone());
            message
                .attributes
                .insert("MessageGroupId".into(), "analytics".into());
            message
        })
        .collect();
    event
}

/// The message ids an answer reports as failed (`batchItemFailures`).
pub fn failed_ids(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}
