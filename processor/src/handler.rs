//! The batch handler: every message of an SQS batch ends stored, dead-lettered or retried.
//!
//! - Accepted events are folded per request ([`crate::batch`]) and written concurrently, at
//!   most `write_concurrency` at a time, one write request per request.
//! - Poison messages go to the dead-letter queue with their reason and are *not* reported as
//!   failures, so Lambda deletes them from the source queue: on a FIFO queue with a single
//!   message group, a retried poison message would hold up every message behind it.
//! - A transient failure becomes that message's batch item failure, so SQS retries just it.
//!   Reporting failures out of order is safe here because the merge is order-independent.
//! - Only a failure that no message can survive (missing table, denied access) fails the whole
//!   invocation.

use aws_config::SdkConfig;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};
use lambda_runtime::LambdaEvent;
use lambda_support::{ConfigError, Count, Metrics, Settings};
use shared_types::WeekId;
use shared_types::metrics::processor as names;
use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::week::Tz;
use tracing::{error, info, warn};

use crate::batch::{RequestDraft, parse_batch};
use crate::config::Config;
use crate::dead_letter::{DeadLetterQueue, Rejection};
use crate::dynamo::DynamoRecordStore;
use crate::error::{FailureKind, ProcessorError, ServiceFailure};
use crate::sqs::SqsDeadLetterQueue;
use crate::store::{Merged, RecordStore};

/// What happened to one batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// Messages in the batch.
    pub received: usize,
    /// Requests written (a request's query and response in one batch make one write).
    pub stored: usize,
    /// Accepted messages that rode on another message's write.
    pub merged_in_batch: usize,
    /// Messages sent to the dead-letter queue.
    pub rejected: usize,
    /// Messages reported as batch item failures, for SQS to deliver again.
    pub retried: usize,
    /// Deliveries that added nothing (the same event again, or a rebuilt one that lost), in the
    /// batch or against what was stored.
    pub duplicates: usize,
    /// Stored events whose week's report was already due.
    pub late: usize,
}

impl BatchSummary {
    /// What the week's pipeline counts gain from this batch.
    pub fn pipeline_stats(&self) -> PipelineStats {
        PipelineStats {
            dead_lettered: self.rejected as u64,
            duplicates: self.duplicates as u64,
            late: self.late as u64,
        }
    }

    /// The counts as CloudWatch metrics (see [`shared_types::metrics`]).
    pub fn metrics(&self) -> [Count; 7] {
        let count = |name, value: usize| Count {
            name,
            value: value as u64,
        };
        [
            count(names::EVENTS_RECEIVED, self.received),
            count(names::REQUESTS_STORED, self.stored),
            count(names::MERGED_IN_BATCH, self.merged_in_batch),
            count(names::REJECTED_TO_DEAD_LETTER_QUEUE, self.rejected),
            count(names::RETRIED, self.retried),
            count(names::DUPLICATES_ABSORBED, self.duplicates),
            count(names::LATE_DELIVERIES, self.late),
        ]
    }
}

/// The response for Lambda, and the counts behind it.
#[derive(Debug)]
pub struct BatchOutcome {
    pub response: SqsBatchResponse,
    pub summary: BatchSummary,
}

/// Where a batch's messages stand as its writes come back.
struct Settled {
    summary: BatchSummary,
    /// Messages to report as batch item failures.
    retry: Vec<String>,
    /// Messages to send to the dead-letter queue.
    rejections: Vec<Rejection>,
}

impl Settled {
    /// Files a draft's messages by the result of its write: stored, retried (transient), or
    /// rejected (permanent). A fatal failure fails the invocation.
    fn write(
        &mut self,
        draft: RequestDraft,
        result: Result<Merged, ServiceFailure>,
    ) -> Result<(), ProcessorError> {
        match result {
            Ok(merged) => {
                self.summary.stored += 1;
                self.summary.duplicates += merged.absorbed;
                self.summary.late += draft.late;
            }
            Err(failure) => match failure.kind {
                FailureKind::Fatal => return Err(ProcessorError::Unavailable(failure)),
                FailureKind::Transient => {
                    for message in draft.messages {
                        warn!(message_id = %message.id, request_id = %draft.request_id, reason = %failure, "write failed; SQS will retry the message");
                        self.retry.push(message.id);
                    }
                }
                FailureKind::Permanent => {
                    let reason = format!("DynamoDB refused the record: {failure}");
                    self.rejections
                        .extend(draft.messages.into_iter().map(|m| m.reject(&reason)));
                }
            },
        }
        Ok(())
    }
}

/// The processor, holding its capabilities and settings.
#[derive(Debug)]
pub struct Processor<S, D> {
    store: S,
    dead_letters: D,
    ttl_days: u32,
    write_concurrency: usize,
    zone: Tz,
}

/// The processor as deployed: the records table and the dead-letter queue on AWS.
pub type AwsProcessor = Processor<DynamoRecordStore, SqsDeadLetterQueue>;

impl AwsProcessor {
    /// The deployed processor, from its settings (an error names a missing or unusable one)
    /// and the SDK's configuration: one client of each service, made once.
    pub fn from_settings(settings: &Settings, aws: &SdkConfig) -> Result<Self, ConfigError> {
        let config = Config::from_settings(settings)?;
        let store = DynamoRecordStore::new(aws_sdk_dynamodb::Client::new(aws), &config.table_name);
        let dead_letters =
            SqsDeadLetterQueue::new(aws_sdk_sqs::Client::new(aws), &config.dead_letter_queue_url);
        Ok(Self::new(store, dead_letters, &config))
    }
}

impl<S: RecordStore, D: DeadLetterQueue> Processor<S, D> {
    pub fn new(store: S, dead_letters: D, config: &Config) -> Self {
        Self {
            store,
            dead_letters,
            ttl_days: config.ttl_days,
            zone: config.zone,
            write_concurrency: config.write_concurrency.max(1),
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn dead_letters(&self) -> &D {
        &self.dead_letters
    }

    /// The capabilities back, for a processor with other settings over the same table (a
    /// stage whose settings change between two batches).
    pub fn into_parts(self) -> (S, D) {
        (self.store, self.dead_letters)
    }

    /// One invocation by Lambda's SQS trigger, at the clock's time: the batch processed and
    /// its counts written as metrics; the messages to retry, or the failure of the whole batch.
    pub async fn invoke(
        &self,
        event: LambdaEvent<SqsEvent>,
        metrics: &Metrics,
    ) -> Result<SqsBatchResponse, ProcessorError> {
        let now = Utc::now();
        let outcome = self.process(event.payload, now).await?;
        metrics.emit(now, &outcome.summary.metrics());
        Ok(outcome.response)
    }

    /// Processes one SQS batch. `now` bounds plausible event times.
    ///
    /// The stages: parse the batch and fold each request's events into one draft; write the
    /// drafts; dead-letter what was refused; add the week's pipeline counts; answer Lambda with
    /// the messages to retry.
    pub async fn process(
        &self,
        event: SqsEvent,
        now: DateTime<Utc>,
    ) -> Result<BatchOutcome, ProcessorError> {
        let batch = parse_batch(event.records, now, self.zone)?;
        let mut settled = Settled {
            summary: BatchSummary {
                received: batch.received,
                merged_in_batch: batch.merged_in_batch(),
                duplicates: batch.drafts.iter().map(|d| d.absorbed).sum(),
                ..BatchSummary::default()
            },
            retry: Vec::new(),
            rejections: batch.rejections,
        };
        self.write_all(batch.drafts, &mut settled).await?;
        self.dead_letter_all(&mut settled).await?;
        settled.summary.retried = settled.retry.len();
        self.add_stats(&settled.summary, now).await;
        let summary = settled.summary;
        info!(
            received = summary.received,
            stored = summary.stored,
            merged_in_batch = summary.merged_in_batch,
            rejected = summary.rejected,
            retried = summary.retried,
            duplicates = summary.duplicates,
            late = summary.late,
            "batch processed"
        );
        Ok(BatchOutcome {
            response: batch_response(settled.retry),
            summary,
        })
    }

    /// Writes the drafts, at most `write_concurrency` at a time, and files each by its result.
    async fn write_all(
        &self,
        drafts: Vec<RequestDraft>,
        settled: &mut Settled,
    ) -> Result<(), ProcessorError> {
        let writes: Vec<_> = stream::iter(drafts)
            .map(|draft| self.write(draft))
            .buffer_unordered(self.write_concurrency)
            .collect()
            .await;
        for (draft, result) in writes {
            match result {
                // One event of the request is refused for good: each is written on its own, so
                // that only the refused one is dead-lettered.
                Err(failure)
                    if failure.kind == FailureKind::Permanent && draft.messages.len() > 1 =>
                {
                    warn!(request_id = %draft.request_id, reason = %failure, "merged write refused; writing each event on its own");
                    // The singles' writes count what they absorb themselves.
                    settled.summary.duplicates -= draft.absorbed;
                    for single in draft.singles() {
                        let (single, result) = self.write(single).await;
                        settled.write(single, result)?;
                    }
                }
                result => settled.write(draft, result)?,
            }
        }
        Ok(())
    }

    /// Sends every rejection to the dead-letter queue; a failed send leaves its message for SQS
    /// to retry.
    async fn dead_letter_all(&self, settled: &mut Settled) -> Result<(), ProcessorError> {
        let sends: Vec<_> = stream::iter(std::mem::take(&mut settled.rejections))
            .map(|rejection| self.dead_letter(rejection))
            .buffer_unordered(self.write_concurrency)
            .collect()
            .await;
        for (rejection, result) in sends {
            match result {
                Ok(()) => {
                    warn!(message_id = %rejection.message_id, reason = %rejection.short_reason(), "rejected to the dead-letter queue");
                    settled.summary.rejected += 1;
                }
                Err(failure) if failure.kind == FailureKind::Fatal => {
                    return Err(ProcessorError::Unavailable(failure));
                }
                Err(failure) => {
                    // The message stays in the source queue; after the queue's maxReceiveCount
                    // its redrive policy moves it to the dead-letter queue anyway.
                    error!(message_id = %rejection.message_id, reason = %rejection.short_reason(), error = %failure, "could not dead-letter the message; SQS will retry it");
                    settled.retry.push(rejection.message_id);
                }
            }
        }
        Ok(())
    }

    /// The week's integrity counts: one more write, only for batches with something to count.
    /// A failure here loses counts, never events. They live as long as the records of their
    /// week.
    async fn add_stats(&self, summary: &BatchSummary, now: DateTime<Utc>) {
        let stats = summary.pipeline_stats();
        if stats.is_empty() {
            return;
        }
        let week = WeekId::containing_in(now, self.zone);
        let expires_at =
            (week.end_in(self.zone) + chrono::Duration::days(i64::from(self.ttl_days))).timestamp();
        if let Err(failure) = self.store.add_stats(week, &stats, expires_at).await {
            warn!(error = %failure, "could not add to the week's pipeline counts");
        }
    }

    async fn write(&self, draft: RequestDraft) -> (RequestDraft, Result<Merged, ServiceFailure>) {
        let result = match draft.image(self.ttl_days, self.zone) {
            Some(image) => self.store.merge(&image).await,
            None => Err(ServiceFailure::new(
                FailureKind::Permanent,
                "no record can be built from these events",
            )),
        };
        (draft, result)
    }

    async fn dead_letter(&self, rejection: Rejection) -> (Rejection, Result<(), ServiceFailure>) {
        let result = self.dead_letters.send(&rejection).await;
        (rejection, result)
    }
}

/// Lambda's answer: the messages SQS is to deliver again (a partial batch response).
fn batch_response(retry: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = retry
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
