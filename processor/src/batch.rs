//! Turning an SQS batch into work: each body parsed and validated, poison set aside with its
//! reason, and the events of one request folded into one draft, so that a query and its
//! response in the same batch cost one write, and duplicates in a batch cost nothing extra.

use std::collections::HashMap;

use aws_lambda_events::sqs::SqsMessage;
use chrono::{DateTime, Utc};
use shared_types::record::EventRank;
use shared_types::week::Tz;
use shared_types::{AnalyticsEvent, QueryEvent, RequestRecord, ResponseEvent, WeekId};

use crate::dead_letter::Rejection;
use crate::error::ProcessorError;

/// The SQS system attribute that holds a FIFO message's group.
const MESSAGE_GROUP_ID: &str = "MessageGroupId";

/// One SQS message, as much of it as its outcome needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SourceMessage {
    pub id: String,
    pub body: String,
    pub group_id: Option<String>,
}

impl SourceMessage {
    /// This message, rejected for `reason`.
    pub(crate) fn reject(self, reason: impl Into<String>) -> Rejection {
        Rejection {
            message_id: self.id,
            body: self.body,
            group_id: self.group_id,
            reason: reason.into(),
        }
    }
}

/// What one batch knows about one request: its query, its response, or both.
#[derive(Debug)]
pub(crate) struct RequestDraft {
    pub request_id: String,
    query: Option<QueryEvent>,
    response: Option<ResponseEvent>,
    /// Every message that contributed; they share the fate of the draft's write.
    pub messages: Vec<SourceMessage>,
    /// Each message's event and whether it was late, in the same order: what
    /// [`RequestDraft::singles`] writes one by one.
    events: Vec<(AnalyticsEvent, bool)>,
    /// Messages whose event was already in the draft, or lost to another of its kind.
    pub absorbed: usize,
    /// Messages whose event's week had its report due already (see `WeekId::report_due`).
    pub late: usize,
}

impl RequestDraft {
    fn new(request_id: String) -> Self {
        Self {
            request_id,
            query: None,
            response: None,
            messages: Vec::new(),
            events: Vec::new(),
            absorbed: 0,
            late: 0,
        }
    }

    fn add(&mut self, event: AnalyticsEvent, message: SourceMessage, late: bool) {
        let had = match event.clone() {
            AnalyticsEvent::Query(q) => keep_lowest_rank(&mut self.query, q, QueryEvent::rank),
            AnalyticsEvent::Response(r) => {
                keep_lowest_rank(&mut self.response, r, ResponseEvent::rank)
            }
        };
        // One event of each kind is kept: every further one is absorbed.
        self.absorbed += usize::from(had);
        self.late += usize::from(late);
        self.messages.push(message);
        self.events.push((event, late));
    }

    /// One draft per message, each with its own event alone: when DynamoDB refuses the merged
    /// write as permanent, each event is written on its own, so that only the one it refuses
    /// is dead-lettered (a valid query is not lost with a bad response).
    pub(crate) fn singles(self) -> Vec<RequestDraft> {
        self.messages
            .into_iter()
            .zip(self.events)
            .map(|(message, (event, late))| {
                let mut single = RequestDraft::new(self.request_id.clone());
                single.add(event, message, late);
                single
            })
            .collect()
    }

    /// The record this draft writes.
    pub(crate) fn image(&self, ttl_days: u32, zone: Tz) -> Option<RequestRecord> {
        RequestRecord::from_events_in(self.query.as_ref(), self.response.as_ref(), ttl_days, zone)
    }
}

/// A batch, sorted into writes and rejections.
#[derive(Debug, Default)]
pub(crate) struct ParsedBatch {
    pub received: usize,
    pub drafts: Vec<RequestDraft>,
    pub rejections: Vec<Rejection>,
}

impl ParsedBatch {
    /// Accepted events that ride on another event's write (same request, same batch).
    pub(crate) fn merged_in_batch(&self) -> usize {
        let accepted: usize = self.drafts.iter().map(|d| d.messages.len()).sum();
        accepted - self.drafts.len()
    }
}

/// Parses every message of a batch. Only a record without a message id fails the whole batch:
/// without an id its outcome cannot be reported to SQS.
pub(crate) fn parse_batch(
    records: Vec<SqsMessage>,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<ParsedBatch, ProcessorError> {
    let mut batch = ParsedBatch {
        received: records.len(),
        ..ParsedBatch::default()
    };
    let mut by_request: HashMap<String, usize> = HashMap::new();
    for mut record in records {
        let id = record
            .message_id
            .take()
            .ok_or(ProcessorError::RecordWithoutId)?;
        let message = SourceMessage {
            id,
            group_id: record.attributes.remove(MESSAGE_GROUP_ID),
            body: record.body.take().unwrap_or_default(),
        };
        let event = match AnalyticsEvent::parse(&message.body, now) {
            Ok(event) => event,
            Err(reason) => {
                batch.rejections.push(message.reject(reason.to_string()));
                continue;
            }
        };
        let due = WeekId::of_timestamp_ms_in(event.timestamp_ms(), zone)
            .map(|week| week.report_due_in(zone));
        let request_id = event.request_id().to_owned();
        let index = *by_request.entry(request_id.clone()).or_insert_with(|| {
            batch.drafts.push(RequestDraft::new(request_id));
            batch.drafts.len() - 1
        });
        batch.drafts[index].add(event, message, due.is_some_and(|due| now >= due));
    }
    Ok(batch)
}

/// Keeps one of two events of the same kind for the same request: the one of lowest
/// [`EventRank`], the rule the stored item follows too (`shared_types::record`), so folding in a
/// batch and merging across batches keep the same event whatever the order.
/// Returns whether the slot held an event already.
fn keep_lowest_rank<T>(slot: &mut Option<T>, candidate: T, rank: impl Fn(&T) -> EventRank) -> bool {
    let (had, replace) = match slot {
        None => (false, true),
        Some(existing) => (true, rank(&candidate) < rank(existing)),
    };
    if replace {
        *slot = Some(candidate);
    }
    had
}
