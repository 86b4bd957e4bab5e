//! `verify`: one synthetic question and answer through the deployed stage, the way the chatbot
//! sends them, after every deploy.
//!
//! The pair goes into the real event queue (a canary: session [`CANARY_SESSION`], which the
//! reporter leaves out of every figure); the check waits for the processor to store the merged
//! record, checks what it holds, deletes it, and checks that the dead-letter queue did not grow
//! meanwhile. A stage passes only if the trigger, the function's live version, its role and the
//! table work together.

use shared_types::stage::output;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_types::event::{CANARY_SESSION, QueryMetadata, ResponseMetadata};
use shared_types::record::{attr, request_key};
use shared_types::{AnalyticsEvent, MatchType, QueryEvent, ResponseEvent, WeekId};

use crate::Operations;
use crate::dlq::queue_depth;
use crate::email::EmailReadiness;
use crate::error::{OpsError, aws_failed};
use crate::release::Function;

/// The canary's question, as a maintainer reading the table would recognise it.
const QUESTION: &str = "cv-analytics verify: post-deploy check";
/// The canary's answer: a full match with a score no real answer is likely to share.
const SCORE: u32 = 77;
const LATENCY_MS: i64 = 1_234;

/// What a failed step of the check saw, in words.
struct Failed(String);

/// The queue's trigger of the processor, once it has settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Enabled,
    Disabled,
}

/// What a passing check saw.
#[derive(Debug, Clone, Serialize)]
pub struct Canary {
    pub request_id: String,
    pub week: String,
    /// From sending the pair to finding the merged record.
    pub stored_after_ms: u64,
    /// The dead-letter queue's messages (visible and in flight), before and after.
    pub dead_letters: u64,
}

/// What `verify` checked: the canary through the stage, and SES for the weekly email.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// The stage's stack.
    #[serde(skip)]
    pub stack: String,
    pub canary: Canary,
    /// `None` when SES was left out (a deploy of the processor alone).
    pub email: Option<EmailReadiness>,
}

impl Checked {
    /// The check's refusal when SES would not send the weekly email.
    pub fn refusal(&self) -> Option<OpsError> {
        let problems = &self.email.as_ref()?.problems;
        (!problems.is_empty()).then(|| OpsError::Refused {
            step: "check that SES will send the weekly email",
            message: problems.join("; "),
        })
    }
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.canary;
        writeln!(
            f,
            "verified {}: canary {} stored and merged in {:.1} s (week {}), deleted; \
             dead-letter queue unchanged ({} messages)",
            self.stack,
            v.request_id,
            v.stored_after_ms as f64 / 1000.0,
            v.week,
            v.dead_letters,
        )?;
        match &self.email {
            Some(email) => write!(f, "{email}"),
            None => Ok(()),
        }
    }
}

/// The synthetic pair for `request_id`, asked at `now`.
pub(crate) fn canary(request_id: &str, now: DateTime<Utc>) -> [AnalyticsEvent; 2] {
    let asked = now.timestamp_millis();
    [
        AnalyticsEvent::Query(QueryEvent {
            request_id: request_id.to_owned(),
            timestamp: asked,
            session_id: Some(CANARY_SESSION.to_owned()),
            query: QUESTION.to_owned(),
            metadata: QueryMetadata::default(),
        }),
        AnalyticsEvent::Response(ResponseEvent {
            request_id: request_id.to_owned(),
            timestamp: asked + LATENCY_MS,
            match_type: MatchType::Full,
            match_score: SCORE,
            reasoning: "cv-analytics verify".to_owned(),
            vector_matches: Some(1),
            session_id: Some(CANARY_SESSION.to_owned()),
            metadata: ResponseMetadata {
                match_quality: Some(f64::from(SCORE) / 100.0),
                sources_used: vec!["cv-analytics".to_owned()],
            },
            performance: None,
        }),
    ]
}

/// What is wrong with the stored item (nothing, when both halves are merged in the query's
/// week): one line per attribute that is not what the canary sent.
pub(crate) fn problems(
    item: &HashMap<String, AttributeValue>,
    week: WeekId,
    asked_ms: i64,
) -> Vec<String> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
    };
    let expected = [
        (attr::WEEK, text(attr::WEEK), Some(week.to_string())),
        (
            attr::SESSION_ID,
            text(attr::SESSION_ID),
            Some(CANARY_SESSION.to_owned()),
        ),
        (attr::QUERY, text(attr::QUERY), Some(QUESTION.to_owned())),
        (
            attr::MATCH_TYPE,
            text(attr::MATCH_TYPE),
            Some(MatchType::Full.as_str().to_owned()),
        ),
        (
            attr::QUERY_TS,
            number(attr::QUERY_TS).map(|n| n.to_string()),
            Some(asked_ms.to_string()),
        ),
        (
            attr::MATCH_SCORE,
            number(attr::MATCH_SCORE).map(|n| n.to_string()),
            Some(SCORE.to_string()),
        ),
    ];
    expected
        .into_iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name} is {got:?}, not {want:?}"))
        .collect()
}

impl Operations {
    /// The post-deploy check: the canary (see [`Operations::verify`]), then, unless `email` is
    /// false (a deploy of the processor alone), whether SES will send the weekly email; what
    /// stops the email fails the check, after it is shown.
    pub async fn check(
        &self,
        request_id: &str,
        now: DateTime<Utc>,
        timeout: Duration,
        email: bool,
    ) -> Result<Checked, OpsError> {
        let canary = self.verify(request_id, now, timeout).await?;
        let email = match email {
            true => Some(self.email_readiness().await?),
            false => None,
        };
        Ok(Checked {
            stack: self.stack.name.clone(),
            canary,
            email,
        })
    }

    /// Sends the canary pair for `request_id` through the stage's queue, waits up to `timeout`
    /// for its merged record, deletes it, and checks that nothing reached the dead-letter queue
    /// meanwhile.
    pub async fn verify(
        &self,
        request_id: &str,
        now: DateTime<Utc>,
        timeout: Duration,
    ) -> Result<Canary, OpsError> {
        let dead_letter_queue = self.stack.output(output::DEAD_LETTER_QUEUE_URL)?;
        let dead_letters = self.depth(dead_letter_queue).await?;
        // A trigger created a moment ago may still be Creating or Enabling: wait for it, so
        // that a slow start is not a failed deploy.
        let trigger = match self.wait_for_trigger(timeout).await? {
            Ok(trigger) => trigger,
            Err(Failed(message)) => return Err(self.canary_failed(request_id, message).await),
        };
        // The processor files the canary under the week of its query in the owner's zone.
        let zone = self.live_zone().await?;
        self.send_canary(request_id, now).await?;
        let sent = Instant::now();
        let week = WeekId::containing_in(now, zone);
        if let Err(Failed(message)) = self.wait_for_record(request_id, week, now, timeout).await? {
            let message = match trigger {
                Trigger::Enabled => message,
                Trigger::Disabled => {
                    format!(
                        "{message}; the queue's trigger is Disabled (EVENT_SOURCE_ENABLED=false?)"
                    )
                }
            };
            return Err(self.canary_failed(request_id, message).await);
        }
        let stored_after = sent.elapsed();
        self.delete_record(request_id).await?;
        let after = self.depth(dead_letter_queue).await?;
        if after != dead_letters {
            let message = format!(
                "the dead-letter queue went from {dead_letters} to {after} messages meanwhile \
                 (cv-analytics dlq list shows why)"
            );
            return Err(self.canary_failed(request_id, message).await);
        }
        Ok(Canary {
            request_id: request_id.to_owned(),
            week: week.to_string(),
            stored_after_ms: u64::try_from(stored_after.as_millis()).unwrap_or(u64::MAX),
            dead_letters,
        })
    }

    /// The check failed for `request_id`: what was seen, where to look, what to do. A
    /// rollback is advised only when the processor has a version to go back to; on a first
    /// deploy there is none.
    async fn canary_failed(&self, request_id: &str, message: String) -> OpsError {
        let stage = &self.stack.stage;
        let remedy = match self.live_version(Function::Processor).await {
            Ok(live) => match live.previous() {
                Some(previous) => format!(
                    "make rollback FUNCTION=processor STAGE={stage} puts version {previous} back"
                ),
                None => format!(
                    "version {} is the processor's first, so there is nothing to roll back to: \
                     fix what the message and the logs say and run make deploy STAGE={stage} \
                     again (make verify STAGE={stage} checks again without deploying), or make \
                     destroy STAGE={stage} to remove the stage",
                    live.live
                ),
            },
            Err(e) => format!(
                "make rollback FUNCTION=processor STAGE={stage} puts the previous version back, \
                 if there is one ({e})"
            ),
        };
        OpsError::Verify {
            stage: stage.clone(),
            request_id: request_id.to_owned(),
            message,
            remedy,
        }
    }

    /// Waits up to `timeout` until the queue's trigger of the processor reports
    /// `Enabled` (or `Disabled`, a setting rather than a slow start: the canary is sent
    /// anyway, and its failure says so).
    async fn wait_for_trigger(
        &self,
        timeout: Duration,
    ) -> Result<Result<Trigger, Failed>, OpsError> {
        let queue = self.stack.output(output::QUEUE_ARN)?;
        let name = self.function_name(Function::Processor)?;
        let started = Instant::now();
        loop {
            let mappings = self
                .lambda
                .list_event_source_mappings()
                .event_source_arn(queue)
                .send()
                .await
                .map_err(aws_failed("read the queue's trigger"))?
                .event_source_mappings
                .unwrap_or_default();
            let states: Vec<String> = mappings
                .iter()
                // The trigger invokes the live alias; an ARN may name it or the version it
                // points at (the emulator resolves it): any qualifier of the processor.
                .filter(|m| {
                    m.function_arn.as_deref().is_some_and(|arn| {
                        arn.ends_with(&format!(":function:{name}"))
                            || arn.contains(&format!(":function:{name}:"))
                    })
                })
                .filter_map(|m| m.state.clone())
                .collect();
            if states.iter().any(|s| s == "Enabled") {
                return Ok(Ok(Trigger::Enabled));
            }
            if states.iter().any(|s| s == "Disabled") {
                return Ok(Ok(Trigger::Disabled));
            }
            if started.elapsed() >= timeout {
                let seen = if states.is_empty() {
                    "there is no trigger from the queue".to_owned()
                } else {
                    format!("the queue's trigger is {}", states.join(", "))
                };
                return Ok(Err(Failed(format!(
                    "{seen} after {} s, not Enabled",
                    timeout.as_secs()
                ))));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Messages in a queue, visible and in flight.
    async fn depth(&self, queue_url: &str) -> Result<u64, OpsError> {
        let (visible, in_flight) = queue_depth(&self.sqs, queue_url).await?;
        Ok(visible + in_flight)
    }

    /// The canary's query and response, as the producer sends them.
    async fn send_canary(&self, request_id: &str, now: DateTime<Utc>) -> Result<(), OpsError> {
        let queue = self.stack.output(output::QUEUE_URL)?;
        for event in &canary(request_id, now) {
            let body = serde_json::to_string(event).map_err(|e| OpsError::Usage(e.to_string()))?;
            self.sqs
                .send_message()
                .queue_url(queue)
                .message_group_id(event.message_group())
                .message_deduplication_id(event.deduplication_id())
                .message_body(body)
                .send()
                .await
                .map_err(aws_failed("send the canary events"))?;
        }
        Ok(())
    }

    /// Reads the canary's record every half second until it is merged, or fails with what was
    /// seen once `timeout` passes.
    async fn wait_for_record(
        &self,
        request_id: &str,
        week: WeekId,
        now: DateTime<Utc>,
        timeout: Duration,
    ) -> Result<Result<(), Failed>, OpsError> {
        let table = self.stack.output(output::TABLE_NAME)?;
        let started = Instant::now();
        let mut last_seen = None;
        loop {
            let item = self
                .dynamodb
                .get_item()
                .table_name(table)
                .key(attr::PK, AttributeValue::S(request_key(request_id)))
                .consistent_read(true)
                .send()
                .await
                .map_err(aws_failed("read the canary's record"))?
                .item;
            if let Some(item) = item {
                let wrong = problems(&item, week, now.timestamp_millis());
                if wrong.is_empty() {
                    return Ok(Ok(()));
                }
                last_seen = Some(wrong.join("; "));
            }
            if started.elapsed() >= timeout {
                let seen = last_seen.map_or_else(
                    || "no record was stored".to_owned(),
                    |wrong| format!("the record is not merged: {wrong}"),
                );
                return Ok(Err(Failed(format!(
                    "{seen} within {} s of sending the pair",
                    timeout.as_secs()
                ))));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn delete_record(&self, request_id: &str) -> Result<(), OpsError> {
        self.dynamodb
            .delete_item()
            .table_name(self.stack.output(output::TABLE_NAME)?)
            .key(attr::PK, AttributeValue::S(request_key(request_id)))
            .send()
            .await
            .map_err(aws_failed("delete the canary's record"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canary_is_valid_and_its_merged_record_passes_the_check() {
        let now = DateTime::parse_from_rfc3339("2025-11-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let id = "3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55";
        let [query, response] = canary(id, now);
        for event in [&query, &response] {
            let body = serde_json::to_string(event).unwrap();
            assert_eq!(&AnalyticsEvent::parse(&body, now).unwrap(), event);
        }
        let (AnalyticsEvent::Query(q), AnalyticsEvent::Response(r)) = (&query, &response) else {
            panic!("a query and a response");
        };
        let record = shared_types::RequestRecord::from_events(Some(q), Some(r), 90).unwrap();
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&record).unwrap();
        let week = WeekId::containing(now);
        assert!(problems(&item, week, now.timestamp_millis()).is_empty());

        // Only the query stored: not merged yet, and the check says what is missing.
        let half = shared_types::RequestRecord::from_events(Some(q), None, 90).unwrap();
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&half).unwrap();
        let wrong = problems(&item, week, now.timestamp_millis()).join("; ");
        assert!(wrong.contains("matchType is None"), "{wrong}");
    }
}
