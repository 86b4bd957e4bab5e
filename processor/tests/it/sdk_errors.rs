//! AWS error responses, deserialised by the real SDK clients, end as the right outcome:
//! throttling and 5xx are retried, a missing table or queue fails the invocation, a refused
//! item goes to the dead-letter queue. The HTTP responses are canned with aws-smithy-mocks.

use crate::support::{bodies, config, failed_ids, fixture, fixture_now, sqs_event};
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_sqs::operation::send_message::SendMessageOutput;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use processor::DynamoRecordStore;
use processor::SqsDeadLetterQueue;
use processor::{Processor, ProcessorError};
use shared_types::dead_letter::REASON_ATTRIBUTE;

const ANSWERED: &str = "REQ#3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55";

fn dynamodb_error(status: u16, error_type: &str) -> HttpResponse {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{error_type}","message":"canned {error_type}"}}"#
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// A processor whose DynamoDB answers `status`/`error_type` for the answered request's item and
/// succeeds for every other item; its dead-letter queue always accepts.
fn processor_failing_with(
    status: u16,
    error_type: &'static str,
) -> Processor<DynamoRecordStore, SqsDeadLetterQueue> {
    let failing = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| {
            r.key()
                .and_then(|k| k.get("pk"))
                .and_then(|v| v.as_s().ok())
                .is_some_and(|pk| pk == ANSWERED)
        })
        .then_http_response(move || dynamodb_error(status, error_type));
    let succeeding = mock!(aws_sdk_dynamodb::Client::update_item)
        .then_output(|| UpdateItemOutput::builder().build());
    let dynamodb = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&failing, &succeeding]
    );
    // The dead-letter queue accepts only a send whose reason carries DynamoDB's error type, so
    // a reason that lost it fails the send and shows up as a retried message.
    let sent = mock!(aws_sdk_sqs::Client::send_message)
        .match_requests(move |r| {
            r.message_attributes()
                .and_then(|a| a.get(REASON_ATTRIBUTE))
                .and_then(|v| v.string_value())
                .is_some_and(|reason| {
                    reason.contains(&format!("UpdateItem: {error_type} (HTTP 400): canned"))
                })
        })
        .then_output(|| SendMessageOutput::builder().message_id("dlq-1").build());
    let sqs = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&sent]);
    Processor::new(
        DynamoRecordStore::new(dynamodb, "table"),
        SqsDeadLetterQueue::new(sqs, "https://sqs.local/dlq.fifo"),
        &config("table", "https://sqs.local/dlq.fifo"),
    )
}

/// The answered request's two messages and one unanswered query, in one batch.
fn batch() -> Vec<String> {
    let mut batch = bodies(&fixture("query-and-response.json"));
    batch.extend(bodies(&fixture("unanswered-query.json")));
    batch
}

#[tokio::test]
async fn throttling_retries_only_the_throttled_requests_messages() {
    for error_type in [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    ] {
        let processor = processor_failing_with(400, error_type);
        let outcome = processor
            .process(sqs_event(&batch(), 0), fixture_now())
            .await
            .unwrap();
        assert_eq!(
            failed_ids(&outcome.response),
            vec!["m-0", "m-1"],
            "{error_type}"
        );
        assert_eq!(outcome.summary.stored, 1, "{error_type}");
        assert_eq!(outcome.summary.rejected, 0, "{error_type}");
    }
}

#[tokio::test]
async fn a_server_error_retries_only_that_requests_messages() {
    let processor = processor_failing_with(500, "InternalServerError");
    let outcome = processor
        .process(sqs_event(&batch(), 0), fixture_now())
        .await
        .unwrap();
    assert_eq!(failed_ids(&outcome.response), vec!["m-0", "m-1"]);
}

#[tokio::test]
async fn a_missing_table_fails_the_invocation() {
    let processor = processor_failing_with(400, "ResourceNotFoundException");
    let result = processor
        .process(sqs_event(&batch(), 0), fixture_now())
        .await;
    let Err(ProcessorError::Unavailable(failure)) = result else {
        panic!("expected the invocation to fail, got {result:?}");
    };
    assert!(
        failure.message.contains("ResourceNotFoundException"),
        "{failure}"
    );
}

#[tokio::test]
async fn a_refused_item_is_dead_lettered_with_dynamodbs_reason_not_retried() {
    let processor = processor_failing_with(400, "ValidationException");
    let outcome = processor
        .process(sqs_event(&batch(), 0), fixture_now())
        .await
        .unwrap();
    assert!(failed_ids(&outcome.response).is_empty());
    assert_eq!(outcome.summary.rejected, 2);
    assert_eq!(outcome.summary.stored, 1);
}
