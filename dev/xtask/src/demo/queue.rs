//! The event queue of the demo, fed as the producer feeds it and drained as Lambda's SQS
//! trigger drains it into the processor's handler; and the recovery after a fault run's outage.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use indicatif::{ProgressBar, ProgressStyle};
use local_aws::faults::{FaultCounts, FaultyHttpClient};
use local_aws::trigger::{delete_entries, handed_over_at, lambda_event};
use ops::DeadLetters;

use processor::{DynamoRecordStore, SqsDeadLetterQueue};

use super::workload::{OutgoingMessage, Workload};

/// The processor the demo drains into: on the stack's table and dead-letter queue.
pub(super) type DemoProcessor = processor::Processor<DynamoRecordStore, SqsDeadLetterQueue>;

/// What the faults did, and how the pipeline recovered.
#[derive(Debug, Clone, Copy)]
pub struct FaultReport {
    pub injected: FaultCounts,
    /// Messages the processor reported as failed, for SQS to deliver again.
    pub retried: usize,
    /// Messages SQS moved to the dead-letter queue after the queue's 5 failed receives.
    pub dead_lettered_by_sqs: usize,
    /// Messages moved back from the dead-letter queue after the outage (poison included,
    /// which the processor rejects again).
    pub redriven: usize,
}

/// Messages sent before the queue is drained again. Small waves keep the emulator's queue
/// short: its send and receive get slower with every message waiting (10 was the fastest of
/// 10, 20 and 50 on 600 questions).
const WAVE: usize = 10;

#[derive(Debug, Default)]
pub(super) struct DrainCounts {
    pub(super) batches: usize,
    pub(super) deliveries: usize,
    pub(super) redelivered: usize,
    pub(super) rejected: usize,
}

/// The event queue, fed like the producer feeds it and drained like Lambda drains it.
pub(super) struct QueueDrain<'a> {
    pub(super) sqs: &'a aws_sdk_sqs::Client,
    pub(super) queue_url: &'a str,
    pub(super) queue_arn: &'a str,
}

impl QueueDrain<'_> {
    /// Sends up to 10 messages with their group and deduplication ids.
    async fn send(&self, chunk: &[OutgoingMessage]) -> anyhow::Result<()> {
        let entries: Vec<SendMessageBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .message_body(&m.body)
                    .message_group_id(&m.group_id)
                    .message_deduplication_id(&m.deduplication_id)
                    .build()
                    .ok()
            })
            .collect();
        let sent = self
            .sqs
            .send_message_batch()
            .queue_url(self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .context("send events")?;
        anyhow::ensure!(
            sent.failed.is_empty(),
            "send events: {} entries refused",
            sent.failed.len()
        );
        Ok(())
    }

    /// Receives batches of up to 10 into the processor's handler until the queue is empty:
    /// what succeeds is deleted, failures are left for redelivery (made visible at once rather
    /// than after the visibility timeout, so the demo does not sit waiting).
    async fn drain<S, D>(
        &self,
        processor: &processor::Processor<S, D>,
        now: chrono::DateTime<chrono::Utc>,
        counts: &mut DrainCounts,
    ) -> anyhow::Result<()>
    where
        S: processor::RecordStore,
        D: processor::DeadLetterQueue,
    {
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(self.queue_url)
                .max_number_of_messages(10)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .context("receive events")?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return Ok(());
            }
            let handles: HashMap<String, String> = messages
                .iter()
                .filter_map(|m| Some((m.message_id.clone()?, m.receipt_handle.clone()?)))
                .collect();
            let event = lambda_event(messages, self.queue_arn, "us-east-1");
            counts.batches += 1;
            counts.deliveries += event.records.len();
            // The processor sees a batch a few seconds after its latest event was built (never
            // after `now`): weeks' pipeline counts fall in the weeks the traffic happened.
            let batch_now = handed_over_at(event.records.iter().filter_map(|r| r.body.as_deref()))
                .map_or(now, |t| t.min(now));
            let outcome = processor.process(event, batch_now).await?;
            let failed_ids: Vec<&str> = outcome
                .response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.as_str())
                .collect();
            counts.redelivered += failed_ids.len();
            counts.rejected += outcome.summary.rejected;
            self.settle(&handles, &failed_ids).await?;
        }
    }

    /// As Lambda settles a batch: what succeeded is deleted, and the failures are made visible
    /// again at once.
    async fn settle(
        &self,
        handles: &HashMap<String, String>,
        failed_ids: &[&str],
    ) -> anyhow::Result<()> {
        let entries = delete_entries(handles, failed_ids);
        if !entries.is_empty() {
            self.sqs
                .delete_message_batch()
                .queue_url(self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .context("delete processed events")?;
        }
        for (id, handle) in handles {
            if failed_ids.contains(&id.as_str()) {
                self.sqs
                    .change_message_visibility()
                    .queue_url(self.queue_url)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .context("release a failed event")?;
            }
        }
        Ok(())
    }
}

fn bar(progress: bool, length: usize, message: &'static str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length as u64).with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{msg:>28} [{bar:40}] {pos}/{len} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Sends the workload as the producer does, through the SQS API, and drains the queue as
/// Lambda's event source mapping would, in waves: traffic arrives while the processor runs (and
/// the emulator's queue operations slow down as a queue grows).
pub(super) async fn ingest(
    queue: &QueueDrain<'_>,
    processor: &DemoProcessor,
    workload: &Workload,
    now: chrono::DateTime<chrono::Utc>,
    progress: bool,
) -> anyhow::Result<DrainCounts> {
    let progress = bar(
        progress,
        workload.messages.len(),
        "events sent and processed",
    );
    let mut counts = DrainCounts::default();
    for wave in workload.messages.chunks(WAVE) {
        for chunk in wave.chunks(10) {
            queue.send(chunk).await?;
        }
        queue.drain(processor, now, &mut counts).await?;
        progress.inc(wave.len() as u64);
    }
    progress.finish();
    Ok(counts)
}

/// After the outage of a fault run (`faulty`): the faults stop, what SQS gave up on is moved back from the dead-letter
/// queue with the maintainer command's redrive, and processed again.
pub(super) async fn recover(
    faulty: Option<&FaultyHttpClient>,
    dead_letters: &DeadLetters,
    queue: &QueueDrain<'_>,
    processor: &DemoProcessor,
    now: chrono::DateTime<chrono::Utc>,
    counts: &mut DrainCounts,
) -> anyhow::Result<Option<FaultReport>> {
    let Some(client) = faulty else {
        return Ok(None);
    };
    client.heal();
    let (retried, rejected) = (counts.redelivered, counts.rejected);
    let (in_dead_letter_queue, _) = dead_letters.depth().await?;
    let redrive = dead_letters.redrive(false, |_| ()).await?;
    queue.drain(processor, now, counts).await?;
    Ok(Some(FaultReport {
        injected: client.counts(),
        retried,
        // The queue holds what the processor rejected and what SQS gave up on.
        dead_lettered_by_sqs: (in_dead_letter_queue as usize).saturating_sub(rejected),
        redriven: redrive.moved,
    }))
}
