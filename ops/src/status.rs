//! `status`: the daily look at a stage. Queue depth, the dead-letter queue's depth with its
//! oldest message's age and reason, requests stored this week and last week, the last report
//! sent, and each function's live version.

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_types::WeekId;
use shared_types::record::{WEEK_INDEX, WeekLookup, attr, report_key, report_marker};
use shared_types::stage::output;

use crate::Operations;
use crate::dlq::{age, queue_depth};
use crate::error::{OpsError, aws_failed};
use crate::release::Function;

/// Weeks looked back for the last report sent.
const REPORT_WEEKS_BACK: u32 = 8;

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub stage: String,
    pub stack: String,
    pub region: String,
    pub queue: Depth,
    pub dead_letter_queue: DeadLetterStatus,
    pub this_week: WeekCount,
    pub last_week: WeekCount,
    /// The most recent week (of the last 8) whose report was sent.
    pub last_report: Option<SentReport>,
    /// Each function's live version (`make rollback` moves it back).
    pub functions: Vec<FunctionStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunctionStatus {
    pub function: String,
    pub live_version: Option<u64>,
    pub published_versions: Option<usize>,
    /// When the live version was published, and the commit it was built from.
    pub published_at: Option<String>,
    pub commit: Option<String>,
    /// The version `make rollback` would move the alias to, and its commit.
    pub rollback_to: Option<(u64, String)>,
    /// Why the live version is unknown.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Depth {
    /// Waiting to be received.
    pub visible: u64,
    /// Received and not yet deleted: being processed, or waiting for their visibility timeout.
    pub in_flight: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterStatus {
    #[serde(flatten)]
    pub depth: Depth,
    pub oldest: Option<OldestDeadLetter>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OldestDeadLetter {
    pub message_id: String,
    pub age_seconds: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekCount {
    pub week: String,
    /// Requests filed under the week (answered or not).
    pub requests: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SentReport {
    pub week: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
}

impl Operations {
    /// Gathers the stage's status as of `now`.
    pub async fn status(&self, now: DateTime<Utc>) -> Result<Status, OpsError> {
        let (visible, in_flight) =
            queue_depth(&self.sqs, self.stack.output(output::QUEUE_URL)?).await?;
        let dead_letters = self.dead_letters()?;
        let peek = dead_letters.peek(1).await?;
        let oldest = peek.messages.into_iter().next().map(|m| OldestDeadLetter {
            age_seconds: m.sent_at.map_or(0, |t| (now - t).num_seconds().max(0)),
            reason: m.reason_or_redrive().to_owned(),
            message_id: m.message_id,
        });
        // The weeks as the stage files them: in the owner's zone (UTC before the functions
        // were deployed).
        let zone = self
            .live_zone()
            .await
            .unwrap_or(shared_types::week::Tz::UTC);
        let this_week = WeekId::containing_in(now, zone);
        let last_week = this_week.previous();
        let mut functions = Vec::new();
        for function in Function::ALL {
            functions.push(match self.live_version(function).await {
                Ok(live) => FunctionStatus {
                    rollback_to: live.previous().map(|v| (v, live.commit_of(v).to_owned())),
                    function: live.function,
                    live_version: Some(live.live),
                    published_versions: Some(live.published.len()),
                    published_at: live.published_at,
                    commit: live.commit,
                    problem: None,
                },
                Err(e) => FunctionStatus {
                    function: function.to_string(),
                    live_version: None,
                    published_versions: None,
                    published_at: None,
                    commit: None,
                    rollback_to: None,
                    problem: Some(e.to_string()),
                },
            });
        }
        Ok(Status {
            stage: self.stack.stage.clone(),
            stack: self.stack.name.clone(),
            region: self.stack.region.clone(),
            queue: Depth { visible, in_flight },
            dead_letter_queue: DeadLetterStatus {
                depth: Depth {
                    visible: peek.approximate_total,
                    in_flight: peek.approximate_in_flight,
                },
                oldest,
            },
            this_week: self.count_week(this_week).await?,
            last_week: self.count_week(last_week).await?,
            last_report: self.last_report(this_week).await?,
            functions,
        })
    }

    /// How the stage's table finds a week: its stack's `WeekLookup` (a stack deployed before
    /// the parameter existed has the index).
    fn week_lookup(&self) -> Result<WeekLookup, OpsError> {
        match self.stack.parameter("WeekLookup") {
            None => Ok(WeekLookup::Index),
            Some(text) => text
                .parse()
                .map_err(|message: String| OpsError::Usage(message)),
        }
    }

    /// Requests of `week`: a `COUNT` query on the week index (no item is read), or without the
    /// index a scan of the table that counts the items of the week (reads the whole table).
    async fn count_week(&self, week: WeekId) -> Result<WeekCount, OpsError> {
        let table = self.stack.output(output::TABLE_NAME)?;
        let value = AttributeValue::S(week.to_string());
        const STEP: &str = "count the week's requests";
        let counts: Vec<i32> = match self.week_lookup()? {
            WeekLookup::Index => self
                .dynamodb
                .query()
                .table_name(table)
                .index_name(WEEK_INDEX)
                .key_condition_expression("#week = :week")
                .expression_attribute_names("#week", attr::WEEK)
                .expression_attribute_values(":week", value)
                .select(Select::Count)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(aws_failed(STEP))?
                .iter()
                .map(|page| page.count)
                .collect(),
            WeekLookup::Scan => self
                .dynamodb
                .scan()
                .table_name(table)
                .filter_expression("#week = :week")
                .expression_attribute_names("#week", attr::WEEK)
                .expression_attribute_values(":week", value)
                .select(Select::Count)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(aws_failed(STEP))?
                .iter()
                .map(|page| page.count)
                .collect(),
        };
        Ok(WeekCount {
            week: week.to_string(),
            requests: counts.iter().map(|&n| u64::try_from(n).unwrap_or(0)).sum(),
        })
    }

    /// The newest week, from `from` back, whose report marker says sent.
    async fn last_report(&self, from: WeekId) -> Result<Option<SentReport>, OpsError> {
        let table = self.stack.output(output::TABLE_NAME)?;
        let mut week = from;
        for _ in 0..REPORT_WEEKS_BACK {
            let item = self
                .dynamodb
                .get_item()
                .table_name(table)
                .key(attr::PK, AttributeValue::S(report_key(week)))
                .send()
                .await
                .map_err(aws_failed("read a report marker"))?
                .item
                .unwrap_or_default();
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            if text(report_marker::STATUS).as_deref() == Some(report_marker::SENT) {
                return Ok(Some(SentReport {
                    week: week.to_string(),
                    sent_at: item
                        .get(report_marker::SENT_AT)
                        .and_then(|v| v.as_n().ok())
                        .and_then(|n| n.parse().ok())
                        .and_then(DateTime::from_timestamp_millis),
                    message_id: text(report_marker::MESSAGE_ID),
                }));
            }
            week = week.previous();
        }
        Ok(None)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Stage {} ({} in {})",
            self.stage, self.stack, self.region
        )?;
        writeln!(
            f,
            "  event queue        {} waiting, {} in flight",
            self.queue.visible, self.queue.in_flight
        )?;
        write!(f, "{}", self.dead_letter_queue)?;
        writeln!(
            f,
            "  requests stored    {} this week ({}), {} last week ({})",
            self.this_week.requests,
            self.this_week.week,
            self.last_week.requests,
            self.last_week.week
        )?;
        match &self.last_report {
            Some(report) => writeln!(
                f,
                "  last report sent   {} at {}",
                report.week,
                report.sent_at.map_or_else(
                    || "an unknown time".to_owned(),
                    |t| t.format("%Y-%m-%d %H:%M UTC").to_string()
                )
            )?,
            None => writeln!(
                f,
                "  last report sent   none in the last {REPORT_WEEKS_BACK} weeks (cv-analytics backfill --from .. --to ..)"
            )?,
        }
        for function in &self.functions {
            write!(f, "{function}")?;
        }
        Ok(())
    }
}

/// The dead-letter queue's line: its depth, and its oldest message with what to do.
impl std::fmt::Display for DeadLetterStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "  dead-letter queue  {} waiting, {} in flight",
            self.depth.visible, self.depth.in_flight
        )?;
        match &self.oldest {
            Some(oldest) => writeln!(
                f,
                "; oldest {} old: {}\n                     (cv-analytics dlq list, then dlq redrive after a fix)",
                age(oldest.age_seconds),
                oldest.reason
            ),
            None => writeln!(f),
        }
    }
}

/// A function's line: its live version and what it was built from, or why it is unknown.
impl std::fmt::Display for FunctionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.live_version, self.published_versions) {
            (Some(live), Some(published)) => writeln!(
                f,
                "  live version       {} {live} (of {published} published){}, commit {}; {}",
                self.function,
                self.published_at
                    .as_deref()
                    .map_or_else(String::new, |t| format!(", published {t}")),
                self.commit.as_deref().unwrap_or("unknown"),
                self.rollback_to.as_ref().map_or_else(
                    || "nothing to roll back to".to_owned(),
                    |(v, c)| { format!("make rollback moves it to {v} (commit {c})") }
                )
            ),
            _ => writeln!(
                f,
                "  live version       {}: {}",
                self.function,
                self.problem.as_deref().unwrap_or("unknown")
            ),
        }
    }
}
