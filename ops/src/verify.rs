//! `verify`: one synthetic question and answer through the deployed stage, the way the chatbot
//! sends them, after every deploy.
//!
//! The pair goes into the real event queue (a canary: session [`CANARY_SESSION`], which the
//! reporter leaves out of every figure); the check waits for the processor to store the merged
//! record, checks what it holds, deletes it, and checks that the dead-letter queue did not grow
//! meanwhile. A stage passes only if the trigger, the function's live version, its role and the
//! table work together.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_types::event::{CANARY_SESSION, MESSAGE_GROUP, QueryMetadata, ResponseMetadata};
use shared_types::record::{attr, request_key};
use shared_types::{AnalyticsEvent, MatchType, QueryEvent, ResponseEvent, WeekId};

use crate::Operations;
use crate::dlq::queue_depth;
use crate::error::{OpsError, aws_failed};

/// The canary's question, as a maintainer reading the table would recognise it.
const QUESTION: &str = "cv-analytics verify: post-deploy check";
/// The canary's answer: a full match with a score no real answer is likely to share.
const SCORE: u32 = 77;
const LATENCY_MS: i64 = 1_234;

/// What a passing check saw.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    pub request_id: String,
    pub week: String,
    /// From sending the pair to finding the merged record.
    pub stored_after_ms: u64,
    /// The dead-letter queue's messages (visible and in flight), before and after.
    pub dead_letters: u64,
}

/// The synthetic pair for `request_id`, asked at `now`.
pub fn canary(request_id: &str, now: DateTime<Utc>) -> [AnalyticsEvent; 2] {
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

/// What is wrong with the stored item, if anything: both halves merged, in the query's week.
pub fn check_record(
    item: &HashMap<String, AttributeValue>,
    week: WeekId,
    asked_ms: i64,
) -> Result<(), String> {
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
    let wrong: Vec<String> = expected
        .into_iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name} is {got:?}, not {want:?}"))
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

impl Operations {
    /// Sends the canary pair for `request_id` and waits up to `timeout` for its merged record.
    pub async fn verify(
        &self,
        request_id: &str,
        now: DateTime<Utc>,
        timeout: Duration,
    ) -> Result<Verified, OpsError> {
        let queue = self.stack.output("QueueUrl")?;
        let dead_letter_queue = self.stack.output("DeadLetterQueueUrl")?;
        let table = self.stack.output("TableName")?;
        let (visible, in_flight) = queue_depth(&self.sqs, dead_letter_queue).await?;
        let dead_letters = visible + in_flight;

        let pair = canary(request_id, now);
        for event in &pair {
            let body = serde_json::to_string(event).map_err(|e| OpsError::Usage(e.to_string()))?;
            self.sqs
                .send_message()
                .queue_url(queue)
                .message_group_id(MESSAGE_GROUP)
                .message_deduplication_id(event.deduplication_id())
                .message_body(body)
                .send()
                .await
                .map_err(aws_failed("send the canary events"))?;
        }
        let sent = Instant::now();
        let week = WeekId::containing(now);
        let key = request_key(request_id);
        let failed = |message: String| OpsError::Verify {
            stage: self.stack.stage.clone(),
            request_id: request_id.to_owned(),
            message,
        };

        let mut last_seen = None;
        let stored_after = loop {
            let item = self
                .dynamodb
                .get_item()
                .table_name(table)
                .key(attr::PK, AttributeValue::S(key.clone()))
                .consistent_read(true)
                .send()
                .await
                .map_err(aws_failed("read the canary's record"))?
                .item;
            if let Some(item) = item {
                match check_record(&item, week, now.timestamp_millis()) {
                    Ok(()) => break sent.elapsed(),
                    Err(wrong) => last_seen = Some(wrong),
                }
            }
            if sent.elapsed() >= timeout {
                let seen = last_seen.map_or_else(
                    || "no record was stored".to_owned(),
                    |wrong| format!("the record is not merged: {wrong}"),
                );
                return Err(failed(format!(
                    "{seen} within {} s of sending the pair",
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };

        self.dynamodb
            .delete_item()
            .table_name(table)
            .key(attr::PK, AttributeValue::S(key))
            .send()
            .await
            .map_err(aws_failed("delete the canary's record"))?;

        let (visible, in_flight) = queue_depth(&self.sqs, dead_letter_queue).await?;
        if visible + in_flight != dead_letters {
            return Err(failed(format!(
                "the dead-letter queue went from {dead_letters} to {} messages meanwhile \
                 (cv-analytics dlq list shows why)",
                visible + in_flight
            )));
        }
        Ok(Verified {
            request_id: request_id.to_owned(),
            week: week.to_string(),
            stored_after_ms: u64::try_from(stored_after.as_millis()).unwrap_or(u64::MAX),
            dead_letters,
        })
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
        assert_eq!(check_record(&item, week, now.timestamp_millis()), Ok(()));

        // Only the query stored: not merged yet, and the check says what is missing.
        let half = shared_types::RequestRecord::from_events(Some(q), None, 90).unwrap();
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&half).unwrap();
        let wrong = check_record(&item, week, now.timestamp_millis()).unwrap_err();
        assert!(wrong.contains("matchType is None"), "{wrong}");
    }
}
