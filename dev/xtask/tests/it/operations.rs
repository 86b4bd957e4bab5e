//! The maintainer command against moto with the project's own `infrastructure/stack.yaml`
//! deployed: status equals what was seeded; dead letters listed, shown and redriven, also after
//! a redrive interrupted halfway; and the binary itself, as docs/operations.md
//! uses it. (Backfill invokes the deployed reporter function: `reporter/tests/backfill.rs` runs
//! it against the real reporter binary.)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_sqs::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sqs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sqs::error::BoxError;
use chrono::{DateTime, Duration, Utc};
use local_aws::{Moto, deploy_stack, scan_request_records, sqs_event};
use ops::{Operations, Stack};
use processor::DynamoRecordStore;
use processor::RecordStore;
use processor::SqsDeadLetterQueue;
use shared_types::record::WeekLookup;
use shared_types::{AnalyticsEvent, RequestRecord, WeekId};

const SENDER: &str = "reports@example.dev";

struct Stage {
    moto: Moto,
    sdk: aws_config::SdkConfig,
    ops: Operations,
}

async fn deployed() -> Stage {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    deploy_stack(&cloudformation, "dev", SENDER, 180, WeekLookup::default())
        .await
        .unwrap();
    let ops = Operations::connect(&sdk, "dev").await.unwrap();
    Stage { moto, sdk, ops }
}

fn query(id: &str, at: DateTime<Utc>) -> String {
    format!(
        r#"{{"eventType":"query","requestId":"{id}","timestamp":{},"sessionId":"s","query":"Do you know Rust?","metadata":{{}}}}"#,
        at.timestamp_millis()
    )
}

fn record(id: &str, at: DateTime<Utc>) -> RequestRecord {
    let AnalyticsEvent::Query(q) = AnalyticsEvent::parse(&query(id, at), at).unwrap() else {
        unreachable!()
    };
    RequestRecord::from_events(Some(&q), None, 90).unwrap()
}

async fn store(stage: &Stage, records: &[RequestRecord]) {
    let table = stage.ops.stack.output("TableName").unwrap();
    let store = DynamoRecordStore::new(stage.ops.dynamodb.clone(), table);
    for r in records {
        store.merge(r).await.unwrap();
    }
}

/// The deployed processor's code path, with the stage's table and dead-letter queue, one call
/// at a time: moto can lose one of several messages sent to a FIFO queue at the same moment.
fn processor(ops: &Operations) -> processor::Processor<DynamoRecordStore, SqsDeadLetterQueue> {
    let table = ops.stack.output("TableName").unwrap();
    let dlq = ops.stack.output("DeadLetterQueueUrl").unwrap();
    processor::Processor::new(
        DynamoRecordStore::new(ops.dynamodb.clone(), table),
        SqsDeadLetterQueue::new(ops.sqs.clone(), dlq),
        &processor::Config {
            table_name: table.into(),
            dead_letter_queue_url: dlq.into(),
            ttl_days: 90,
            zone: shared_types::week::Tz::UTC,
            write_concurrency: 1,
        },
    )
}

/// Receives everything in the event queue into the processor, deleting what succeeds.
async fn drain(ops: &Operations, now: DateTime<Utc>) -> Vec<String> {
    let url = ops.stack.output("QueueUrl").unwrap();
    let processor = processor(ops);
    let mut bodies = Vec::new();
    loop {
        let received = ops
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        let batch: Vec<String> = messages.iter().map(|m| m.body.clone().unwrap()).collect();
        // As Lambda hands them over: with their SQS message ids.
        let mut event = sqs_event(&batch, 0);
        for (record, message) in event.records.iter_mut().zip(&messages) {
            record.message_id.clone_from(&message.message_id);
        }
        let outcome = processor.process(event, now).await.unwrap();
        assert!(outcome.response.batch_item_failures.is_empty());
        for m in &messages {
            ops.sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .send()
                .await
                .unwrap();
        }
        bodies.extend(batch);
    }
}

async fn send(stage: &Stage, url_output: &'static str, bodies: &[String]) {
    let url = stage.ops.stack.output(url_output).unwrap();
    for (i, body) in bodies.iter().enumerate() {
        stage
            .ops
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_group_id("analytics")
            .message_deduplication_id(format!("seed-{i}"))
            .send()
            .await
            .unwrap();
    }
}

/// Marks `week`'s report as sent, as the reporter does.
async fn mark_sent(stage: &Stage, week: WeekId, at: DateTime<Utc>) {
    use aws_sdk_dynamodb::types::AttributeValue;
    use shared_types::record::report_marker::{MESSAGE_ID, SENT, SENT_AT, STATUS};
    stage
        .ops
        .dynamodb
        .put_item()
        .table_name(stage.ops.stack.output("TableName").unwrap())
        .item(
            "pk",
            AttributeValue::S(shared_types::record::report_key(week)),
        )
        .item(STATUS, AttributeValue::S(SENT.into()))
        .item(
            SENT_AT,
            AttributeValue::N(at.timestamp_millis().to_string()),
        )
        .item(MESSAGE_ID, AttributeValue::S("message-1".into()))
        .send()
        .await
        .unwrap();
}

/// Runs the built command against the emulator and returns (success, stdout, stderr).
fn command(moto: &Moto, args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(local_aws::runtime_api::workspace_binary(
        "cv-analytics",
        "ops",
    ))
    .args(args)
    .envs(moto.client_env())
    .env_remove("STAGE")
    .output()
    .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn status_shows_what_was_seeded() {
    let stage = deployed().await;
    let now = Utc::now();
    let this_week = WeekId::containing(now);
    let last_week = this_week.previous();
    // 5 requests this week and 3 last week; 2 messages waiting; 2 poison messages rejected by
    // the processor; last week's report sent.
    let mut records: Vec<_> = (0..5)
        .map(|i| record(&format!("now-{i}"), this_week.start()))
        .collect();
    records.extend((0..3).map(|i| {
        record(
            &format!("before-{i}"),
            last_week.start() + Duration::hours(1),
        )
    }));
    store(&stage, &records).await;
    send(
        &stage,
        "QueueUrl",
        &[query("waiting-1", now), query("waiting-2", now)],
    )
    .await;
    let poison = [
        "not json".to_string(),
        r#"{"eventType":"click"}"#.to_string(),
    ];
    processor(&stage.ops)
        .process(sqs_event(&poison, 0), now)
        .await
        .unwrap();
    mark_sent(&stage, last_week, now).await;

    let status = stage.ops.status(now).await.unwrap();
    assert_eq!(status.stack, "cv-analytics-dev");
    assert_eq!((status.queue.visible, status.queue.in_flight), (2, 0));
    assert_eq!(status.dead_letter_queue.depth.visible, 2);
    let oldest = status.dead_letter_queue.oldest.as_ref().unwrap();
    // The processor dead-letters a batch's poison concurrently: either may be the oldest.
    assert!(
        oldest.reason.contains("not JSON") || oldest.reason.contains("\"click\""),
        "{}",
        oldest.reason
    );
    assert!(oldest.age_seconds < 600);
    assert_eq!(
        (status.this_week.requests, status.last_week.requests),
        (5, 3)
    );
    assert_eq!(status.this_week.week, this_week.to_string());
    let report = status.last_report.as_ref().unwrap();
    assert_eq!(report.week, last_week.to_string());
    assert!(report.sent_at.is_some() && report.message_id.is_some());

    // The binary shows the same, as text and as JSON.
    let (ok, text, _) = command(&stage.moto, &["status"]);
    assert!(ok);
    assert!(
        text.contains("5 this week") && text.contains("3 last week"),
        "{text}"
    );
    assert!(
        text.contains(&format!("last report sent   {last_week}")),
        "{text}"
    );
    let (ok, json, _) = command(&stage.moto, &["status", "--json", "--stage", "dev"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["this_week"]["requests"], 5);
    assert_eq!(json["dead_letter_queue"]["visible"], 2);
    assert_eq!(json["last_report"]["week"], last_week.to_string());
}

#[tokio::test]
async fn dead_letters_are_listed_shown_and_redriven() {
    let stage = deployed().await;
    let now = Utc::now();
    let poison = [
        "not json".to_string(),
        r#"{"eventType":"click","requestId":"a"}"#.to_string(),
        query("seconds", now).replace(
            &now.timestamp_millis().to_string(),
            &now.timestamp().to_string(),
        ),
    ];
    processor(&stage.ops)
        .process(sqs_event(&poison, 0), now)
        .await
        .unwrap();
    let dead_letters = stage.ops.dead_letters().unwrap();

    let peek = dead_letters.peek(10).await.unwrap();
    assert_eq!(peek.approximate_total, 3);
    let reasons: Vec<&str> = peek
        .messages
        .iter()
        .map(|m| m.reason_or_redrive())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("not JSON")));
    assert!(reasons.iter().any(|r| r.contains("click")));
    assert!(reasons.iter().any(|r| r.contains("seconds")));
    assert!(
        peek.messages
            .iter()
            .all(|m| m.group_id.as_deref() == Some("analytics"))
    );
    // A look changes nothing: everything is visible again.
    assert_eq!(dead_letters.depth().await.unwrap(), (3, 0));

    let id = peek.messages[0].message_id.clone();
    let shown = dead_letters.show(&id).await.unwrap().unwrap();
    assert_eq!(shown.body, peek.messages[0].body);
    let (ok, text, _) = command(&stage.moto, &["dlq", "show", &id]);
    assert!(
        ok && text.contains(&shown.body) && text.contains("reason"),
        "{text}"
    );
    let (ok, text, _) = command(&stage.moto, &["dlq", "list"]);
    assert!(
        ok && text.contains("3 waiting") && text.contains("not JSON"),
        "{text}"
    );

    let (ok, text, _) = command(&stage.moto, &["dlq", "redrive", "--dry-run"]);
    assert!(ok && text.contains("3 messages would move"), "{text}");
    assert_eq!(dead_letters.depth().await.unwrap(), (3, 0));

    let (ok, json, _) = command(&stage.moto, &["dlq", "redrive", "--json"]);
    assert!(ok);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["moved"], 3);
    assert_eq!(dead_letters.depth().await.unwrap(), (0, 0));
    // Back in the event queue, in the producer's group; still poison, so the processor sends
    // them back with their reasons.
    let mut redriven = drain(&stage.ops, now).await;
    redriven.sort();
    let mut expected = poison.to_vec();
    expected.sort();
    assert_eq!(redriven, expected);
    assert_eq!(dead_letters.depth().await.unwrap(), (3, 0));
}

/// Fails every `DeleteMessageBatch` after the first `allowed` ones.
#[derive(Debug, Clone)]
struct FailDeletes {
    allowed: usize,
    seen: Arc<AtomicUsize>,
}

impl Intercept for FailDeletes {
    fn name(&self) -> &'static str {
        "FailDeletes"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let is_delete = local_aws::wire::operation(cfg) == "DeleteMessageBatch";
        if is_delete && self.seen.fetch_add(1, Ordering::SeqCst) >= self.allowed {
            return Err("the connection dropped (injected)".into());
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_redrive_interrupted_halfway_loses_and_duplicates_nothing() {
    let stage = deployed().await;
    let now = Utc::now();
    // 25 good events SQS gave up on (an outage): in the dead-letter queue, no reason attached.
    let bodies: Vec<String> = (0..25).map(|i| query(&format!("lost-{i}"), now)).collect();
    send(&stage, "DeadLetterQueueUrl", &bodies).await;

    // The first batch moves; the second batch is sent but its delete fails.
    let failing = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&stage.sdk)
            .interceptor(FailDeletes {
                allowed: 1,
                seen: Arc::default(),
            })
            .build(),
    );
    let ops = Operations::with_clients(stage.ops.stack.clone(), &stage.sdk);
    let interrupted = ops::DeadLetters::new(
        failing,
        ops.stack.output("DeadLetterQueueUrl").unwrap(),
        ops.stack.output("QueueUrl").unwrap(),
    );
    let error = interrupted.redrive(false, |_| ()).await.unwrap_err();
    assert!(error.to_string().contains("harmless"), "{error}");
    let dead_letters = stage.ops.dead_letters().unwrap();
    // 10 moved; 10 more are in both queues; 5 not touched. Nothing is lost.
    assert_eq!(dead_letters.depth().await.unwrap(), (15, 0));

    // Run again: the 10 sent twice are deduplicated by their redrive ids.
    let report = dead_letters.redrive(false, |_| ()).await.unwrap();
    assert_eq!(report.moved, 15);
    assert_eq!(dead_letters.depth().await.unwrap(), (0, 0));
    let delivered = drain(&stage.ops, now).await;
    assert_eq!(delivered.len(), 25, "nothing lost, nothing duplicated");
    let mut unique = delivered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 25);
    let table = stage.ops.stack.output("TableName").unwrap();
    let stored: BTreeMap<_, _> = scan_request_records(&stage.ops.dynamodb, table).await;
    assert_eq!(stored.len(), 25);
}

#[tokio::test]
async fn errors_say_what_to_do_next() {
    let moto = Moto::start();
    let (ok, _, stderr) = command(&moto, &["--stage", "prod", "status"]);
    assert!(!ok);
    assert!(
        stderr.contains(
            "the stack cv-analytics-prod was not found in us-east-1: run make deploy STAGE=prod"
        ),
        "{stderr}"
    );
    let sdk = moto.sdk_config().await;
    deploy_stack(
        &aws_sdk_cloudformation::Client::new(&sdk),
        "dev",
        SENDER,
        180,
        WeekLookup::Index,
    )
    .await
    .unwrap();
    let (ok, _, stderr) = command(
        &moto,
        &["backfill", "--from", "2025-W46", "--to", "2025-W40"],
    );
    assert!(
        !ok && stderr.contains("give the earlier week first"),
        "{stderr}"
    );
    let stack = Stack::find(
        &aws_sdk_cloudformation::Client::new(&sdk),
        "dev",
        "us-east-1",
    )
    .await
    .unwrap();
    assert_eq!(stack.parameter("ReportSender"), Some(SENDER));
}

/// The queue's depth once it reads `expected`, or what it reads after 5 s: moto's counts can lag
/// just-sent messages for a moment.
async fn settled_depth(dead_letters: &ops::DeadLetters, expected: (u64, u64)) -> (u64, u64) {
    let mut depth = dead_letters.depth().await.unwrap();
    for _ in 0..50 {
        if depth == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        depth = dead_letters.depth().await.unwrap();
    }
    depth
}

/// Counts the `ReceiveMessage` requests sent without long polling.
#[derive(Debug, Clone, Default)]
struct ShortPolls {
    receives: Arc<AtomicUsize>,
    short: Arc<AtomicUsize>,
}

impl Intercept for ShortPolls {
    fn name(&self) -> &'static str {
        "ShortPolls"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_sqs::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(receive) = context
            .input()
            .downcast_ref::<aws_sdk_sqs::operation::receive_message::ReceiveMessageInput>(
        ) {
            self.receives.fetch_add(1, Ordering::SeqCst);
            if receive.wait_time_seconds.unwrap_or(0) == 0 {
                self.short.fetch_add(1, Ordering::SeqCst);
            }
        }
        Ok(())
    }
}

/// With the processor's trigger live, redriven poison comes straight back to the dead-letter
/// queue. The redrive moves what the queue held when it started, recognises its own copies
/// coming back, and stops: nothing cycles. Every receive long-polls.
#[tokio::test]
async fn a_redrive_with_the_trigger_live_moves_what_was_there_once_and_stops() {
    let stage = deployed().await;
    let now = Utc::now();
    let poison: Vec<String> = (0..12)
        .map(|i| format!(r#"{{"eventType":"click","requestId":"p-{i}"}}"#))
        .collect();
    processor(&stage.ops)
        .process(sqs_event(&poison, 0), now)
        .await
        .unwrap();
    let polls = ShortPolls::default();
    let watched = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&stage.sdk)
            .interceptor(polls.clone())
            .build(),
    );
    let dead_letters = ops::DeadLetters::new(
        watched,
        stage.ops.stack.output("DeadLetterQueueUrl").unwrap(),
        stage.ops.stack.output("QueueUrl").unwrap(),
    );
    assert_eq!(settled_depth(&dead_letters, (12, 0)).await, (12, 0));

    // The trigger: the processor takes whatever reaches the event queue, all the time.
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let trigger = {
        let (ops, running) = (stage.ops.clone(), running.clone());
        tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                drain(&ops, now).await;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        dead_letters.redrive(false, |_| ()),
    )
    .await
    .expect("the redrive ends")
    .unwrap();
    // Stopped between two drains, so that no message is left half-processed in flight.
    running.store(false, Ordering::SeqCst);
    trigger.await.unwrap();
    assert_eq!(report.held_at_start, 12);
    assert_eq!(report.moved, 12, "{report:?}");
    // What came back is there, with its reason again; nothing was moved twice.
    drain(&stage.ops, now).await;
    assert_eq!(settled_depth(&dead_letters, (12, 0)).await, (12, 0));
    let peek = dead_letters.peek(12).await.unwrap();
    assert!(
        peek.messages
            .iter()
            .all(|m| m.reason.as_deref().is_some_and(|r| r.contains("click")))
    );
    assert!(polls.receives.load(Ordering::SeqCst) > 0);
    assert_eq!(
        polls.short.load(Ordering::SeqCst),
        0,
        "every receive long-polls"
    );
}

/// A `SendMessageBatch` that SQS refuses shows SQS's own error, and moves nothing.
#[tokio::test]
async fn a_refused_send_shows_sqs_error_and_moves_nothing() {
    let stage = deployed().await;
    let now = Utc::now();
    let bodies: Vec<String> = (0..3).map(|i| query(&format!("kept-{i}"), now)).collect();
    send(&stage, "DeadLetterQueueUrl", &bodies).await;
    stage
        .ops
        .sqs
        .delete_queue()
        .queue_url(stage.ops.stack.output("QueueUrl").unwrap())
        .send()
        .await
        .unwrap();
    let dead_letters = stage.ops.dead_letters().unwrap();
    let error = dead_letters
        .redrive(false, |_| ())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("send to the source queue"), "{error}");
    assert!(
        error.contains("NonExistentQueue") || error.contains("QueueDoesNotExist"),
        "{error}"
    );
    assert_eq!(dead_letters.depth().await.unwrap(), (3, 0));
}
