//! The dead-letter queue: what is in it, and moving it back to the source queue after a fix.
//!
//! Reading a queue means receiving: [`DeadLetters::peek`] receives with a short visibility
//! timeout and then makes every message visible again, so a look changes nothing but the
//! messages' receive counts. On a FIFO queue SQS lends at most the in-flight messages of a group
//! it has handed out and holds the rest of that group back until they are deleted or released,
//! so a look at a single-group FIFO queue sees its first messages only; the total comes from the
//! queue's attributes.
//!
//! [`DeadLetters::redrive`] never loses a message: each one is sent to the source queue first
//! and deleted from the dead-letter queue only once SQS has accepted the copy. A redrive that
//! stops between the two leaves the message in both queues; the copy has the deduplication id
//! `redrive-<dead-letter message id>`, so a second redrive within SQS's five-minute window is
//! deduplicated, and after that the processor's idempotent merge absorbs the duplicate.
//!
//! A redrive moves at most what the queue held when it started. With the processor's trigger
//! live, a message that is still poison comes straight back (the processor dead-letters it with
//! `sourceMessageId` = the copy's id; SQS's own redrive keeps the copy's id): a message that is
//! one of this redrive's copies is left where it is and ends the redrive, so nothing cycles.
//!
//! Every receive that could decide "the queue is empty" long-polls (`WaitTimeSeconds`): a short
//! poll samples only some of SQS's servers and can answer nothing while messages wait.

use std::collections::{HashMap, HashSet};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_types::dead_letter::{REASON_ATTRIBUTE, SOURCE_MESSAGE_ID_ATTRIBUTE};

use crate::error::{OpsError, aws_failed};

mod text;

pub(crate) use text::age;

/// Seconds a looked-at or moving message stays hidden from other readers.
const HOLD_SECONDS: i32 = 60;
/// Long polling: how long a receive waits for a message before answering none.
const WAIT_SECONDS: i32 = 2;

/// A message in the dead-letter queue.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    /// The producer's message group, kept by the processor and by SQS's redrive policy.
    pub group_id: Option<String>,
    /// Why the processor rejected it; `None` when SQS moved it after too many receives.
    pub reason: Option<String>,
    /// The id the message had in the source queue, when the processor rejected it.
    pub source_message_id: Option<String>,
    /// When it was sent to the queue it is in.
    pub sent_at: Option<DateTime<Utc>>,
    /// Times it has been received from the dead-letter queue (looks included).
    pub receive_count: u32,
    #[serde(skip)]
    receipt_handle: String,
    #[serde(skip)]
    attributes: HashMap<String, MessageAttributeValue>,
}

/// What a `SendMessageBatch` of copies came to.
#[derive(Debug, Default)]
struct SentCopies {
    /// Dead-letter message id to the id of its copy in the source queue.
    accepted: HashMap<String, String>,
    /// (dead-letter message id, SQS's error code, its message).
    refused: Vec<(String, String, String)>,
}

impl DeadLetter {
    /// Whether this is one of `copies` come back: dead-lettered by the processor again (its
    /// source message id is the copy's), or moved back by SQS's redrive policy (same id).
    fn is_copy_of(&self, copies: &HashSet<String>) -> bool {
        copies.contains(&self.message_id)
            || self
                .source_message_id
                .as_ref()
                .is_some_and(|source| copies.contains(source))
    }

    fn from_message(message: Message) -> Option<Self> {
        let system = message.attributes.unwrap_or_default();
        let attributes = message.message_attributes.unwrap_or_default();
        let text = |name: &str| attributes.get(name).and_then(|v| v.string_value.clone());
        Some(Self {
            reason: text(REASON_ATTRIBUTE),
            source_message_id: text(SOURCE_MESSAGE_ID_ATTRIBUTE),
            group_id: system
                .get(&MessageSystemAttributeName::MessageGroupId)
                .cloned(),
            sent_at: system
                .get(&MessageSystemAttributeName::SentTimestamp)
                .and_then(|ms| ms.parse().ok())
                .and_then(DateTime::from_timestamp_millis),
            receive_count: system
                .get(&MessageSystemAttributeName::ApproximateReceiveCount)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            message_id: message.message_id?,
            receipt_handle: message.receipt_handle?,
            body: message.body.unwrap_or_default(),
            attributes,
        })
    }

    /// The reason, or what it means that there is none.
    pub fn reason_or_redrive(&self) -> &str {
        self.reason.as_deref().unwrap_or(
            "no reason attached: SQS moved it after the queue's maxReceiveCount of failed receives",
        )
    }
}

/// What a look at the queue saw.
#[derive(Debug, Clone, Serialize)]
pub struct Peek {
    /// The queue's own count of visible messages (approximate, as SQS keeps it).
    pub approximate_total: u64,
    /// Messages in flight elsewhere (being redriven or looked at).
    pub approximate_in_flight: u64,
    pub messages: Vec<DeadLetter>,
    /// When the look was taken: the messages' ages are counted to it.
    #[serde(skip)]
    pub looked_at: DateTime<Utc>,
}

/// What a redrive did.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct RedriveReport {
    /// Sent to the source queue and deleted from the dead-letter queue.
    pub moved: usize,
    /// With `--dry-run`: what would have moved (the queue's own count).
    pub would_move: u64,
    /// What the queue held when the redrive started (the most it moves).
    pub held_at_start: u64,
    /// Copies this redrive sent that were back in the dead-letter queue (still poison), left
    /// there.
    pub came_back: usize,
    pub dry_run: bool,
}

/// A dead-letter queue and the source queue it drains into.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    sqs: Client,
    dead_letter_url: String,
    source_url: String,
}

impl DeadLetters {
    pub fn new(sqs: Client, dead_letter_url: &str, source_url: &str) -> Self {
        Self {
            sqs,
            dead_letter_url: dead_letter_url.to_owned(),
            source_url: source_url.to_owned(),
        }
    }

    /// The queue's approximate (visible, in flight) message counts.
    pub async fn depth(&self) -> Result<(u64, u64), OpsError> {
        queue_depth(&self.sqs, &self.dead_letter_url).await
    }

    /// Up to `limit` messages, released again afterwards.
    pub async fn peek(&self, limit: usize) -> Result<Peek, OpsError> {
        let (approximate_total, approximate_in_flight) = self.depth().await?;
        let mut messages: Vec<DeadLetter> = Vec::new();
        while messages.len() < limit {
            let batch = self.receive(limit - messages.len()).await?;
            if batch.is_empty() {
                break;
            }
            messages.extend(batch);
        }
        self.release(&messages).await?;
        Ok(Peek {
            approximate_total,
            approximate_in_flight,
            messages,
            looked_at: Utc::now(),
        })
    }

    /// The message with `message_id`, if a look can reach it.
    pub async fn show(&self, message_id: &str) -> Result<Option<DeadLetter>, OpsError> {
        let peek = self.peek(usize::MAX).await?;
        Ok(peek
            .messages
            .into_iter()
            .find(|m| m.message_id == message_id))
    }

    /// Moves the messages the queue holds now back to the source queue (see the module
    /// documentation), calling `progress` with the number moved so far after each batch.
    pub async fn redrive(
        &self,
        dry_run: bool,
        mut progress: impl FnMut(usize),
    ) -> Result<RedriveReport, OpsError> {
        let (visible, in_flight) = self.depth().await?;
        let held = visible + in_flight;
        if dry_run {
            return Ok(RedriveReport {
                would_move: held,
                held_at_start: held,
                dry_run,
                ..RedriveReport::default()
            });
        }
        let mut report = RedriveReport {
            held_at_start: held,
            ..RedriveReport::default()
        };
        // The ids of the copies sent so far, as the source queue knows them.
        let mut copies: HashSet<String> = HashSet::new();
        while (report.moved as u64) < held {
            let left = usize::try_from(held - report.moved as u64).unwrap_or(usize::MAX);
            let batch = self.receive(left.min(10)).await?;
            if batch.is_empty() {
                break;
            }
            let (returned, batch): (Vec<DeadLetter>, Vec<DeadLetter>) =
                batch.into_iter().partition(|m| m.is_copy_of(&copies));
            if !returned.is_empty() {
                // Everything before them in the queue has been moved: stop here.
                report.came_back += returned.len();
                self.release(&returned).await?;
                self.release(&batch).await?;
                break;
            }
            self.move_batch(&batch, &mut copies, &mut report).await?;
            progress(report.moved);
        }
        Ok(report)
    }

    /// Sends one batch to the source queue, then deletes what was accepted; what was not is
    /// released again, and a refusal ends the redrive.
    async fn move_batch(
        &self,
        batch: &[DeadLetter],
        copies: &mut HashSet<String>,
        report: &mut RedriveReport,
    ) -> Result<(), OpsError> {
        let sent = match self.send_to_source(batch).await {
            Ok(sent) => sent,
            Err(e) => {
                self.release(batch).await?;
                return Err(e);
            }
        };
        let (moved, unsent): (Vec<&DeadLetter>, Vec<&DeadLetter>) = batch
            .iter()
            .partition(|m| sent.accepted.contains_key(&m.message_id));
        if let Err(e) = self.delete(&moved).await {
            // Visible again at once, so that the next redrive finds them (on a FIFO queue
            // they would otherwise hold back their whole group for the hold time).
            let copies: Vec<DeadLetter> = moved.iter().map(|m| (*m).clone()).collect();
            let _ = self.release(&copies).await;
            return Err(e);
        }
        copies.extend(sent.accepted.into_values());
        report.moved += moved.len();
        if let Some((id, code, message)) = sent.refused.first() {
            let unsent: Vec<DeadLetter> = unsent.iter().map(|m| (*m).clone()).collect();
            self.release(&unsent).await?;
            return Err(OpsError::Refused {
                step: "send to the source queue",
                message: format!(
                    "SQS refused {} of {} messages (first, {id}: {code}: {message}); {} \
                     moved before it; the refused ones are still in the dead-letter queue",
                    sent.refused.len(),
                    batch.len(),
                    report.moved
                ),
            });
        }
        Ok(())
    }

    async fn receive(&self, max: usize) -> Result<Vec<DeadLetter>, OpsError> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.dead_letter_url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .visibility_timeout(HOLD_SECONDS)
            .wait_time_seconds(WAIT_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(aws_failed("read the dead-letter queue"))?;
        Ok(received
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(DeadLetter::from_message)
            .collect())
    }

    /// Sends copies to the source queue; says which SQS accepted (with the copies' ids) and
    /// which it refused (with its error code and message). A request refused whole is an error.
    async fn send_to_source(&self, batch: &[DeadLetter]) -> Result<SentCopies, OpsError> {
        let fifo = self.source_url.ends_with(".fifo");
        let entries: Vec<SendMessageBatchRequestEntry> = batch
            .iter()
            .filter_map(|m| {
                // The processor's own notes are not part of the message.
                let attributes: HashMap<String, MessageAttributeValue> = m
                    .attributes
                    .iter()
                    .filter(|(k, _)| {
                        k.as_str() != REASON_ATTRIBUTE && k.as_str() != SOURCE_MESSAGE_ID_ATTRIBUTE
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(&m.message_id)
                    .message_body(&m.body)
                    .set_message_attributes((!attributes.is_empty()).then_some(attributes));
                if fifo {
                    entry = entry
                        .message_group_id(m.group_id.as_deref().unwrap_or("redriven"))
                        .message_deduplication_id(format!("redrive-{}", m.message_id));
                }
                entry.build().ok()
            })
            .collect();
        let output = self
            .sqs
            .send_message_batch()
            .queue_url(&self.source_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(aws_failed(
                "send to the source queue (nothing was moved from this batch; the messages are still in the dead-letter queue)",
            ))?;
        Ok(SentCopies {
            accepted: output
                .successful
                .into_iter()
                .map(|s| (s.id, s.message_id))
                .collect(),
            refused: output
                .failed
                .into_iter()
                .map(|f| (f.id, f.code, f.message.unwrap_or_default()))
                .collect(),
        })
    }

    async fn delete(&self, messages: &[&DeadLetter]) -> Result<(), OpsError> {
        if messages.is_empty() {
            return Ok(());
        }
        let entries = messages
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("d{i}"))
                    .receipt_handle(&m.receipt_handle)
                    .build()
                    .ok()
            })
            .collect();
        let output = self
            .sqs
            .delete_message_batch()
            .queue_url(&self.dead_letter_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(aws_failed(
                "delete redriven messages from the dead-letter queue \
                 (they are in the source queue too; processing them twice is harmless)",
            ))?;
        if output.failed.is_empty() {
            Ok(())
        } else {
            Err(OpsError::Refused {
                step: "delete redriven messages from the dead-letter queue",
                message: format!(
                    "{} deletes refused; those messages are in both queues (harmless: \
                     processing is idempotent); run the redrive again to finish",
                    output.failed.len()
                ),
            })
        }
    }

    async fn release(&self, messages: &[DeadLetter]) -> Result<(), OpsError> {
        for chunk in messages.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(format!("v{i}"))
                        .receipt_handle(&m.receipt_handle)
                        .visibility_timeout(0)
                        .build()
                        .ok()
                })
                .collect();
            self.sqs
                .change_message_visibility_batch()
                .queue_url(&self.dead_letter_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(aws_failed("release looked-at messages"))?;
        }
        Ok(())
    }
}

/// A queue's approximate (visible, in flight) message counts.
pub(crate) async fn queue_depth(sqs: &Client, queue_url: &str) -> Result<(u64, u64), OpsError> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(aws_failed("read the queue's attributes"))?
        .attributes
        .unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        count(QueueAttributeName::ApproximateNumberOfMessages),
        count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}
