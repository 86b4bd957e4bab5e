//! The weekly run: read the week (and the week before, for the changes), render, and send once.
//!
//! Reading and rendering have no side effects, so they come first; the claim in the ledger is
//! taken just before sending (see [`crate::ledger`] for the failure semantics).

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_types::WeekId;
use shared_types::metrics::{Count, reporter as names};
use tracing::{error, info, warn};

use crate::aggregate::WeekAggregator;
use crate::config::Config;
use crate::error::ReporterError;
use crate::invocation::ReportRequest;
use crate::ledger::{Claim, ReportLedger};
use crate::mailer::Mailer;
use crate::render::{RenderedReport, render};
use crate::source::RecordSource;
use crate::view::{Headline, ReportView};

/// What became of the week's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Sent,
    DryRun,
    AlreadySent,
    InProgressElsewhere,
    EmptyWeekNotSent,
}

/// The Lambda's answer: the outcome and the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    pub week: String,
    pub outcome: Outcome,
    pub subject: String,
    pub records_read: u64,
    pub asked: u64,
    pub answered: u64,
    pub unanswered: u64,
    pub html_bytes: usize,
    pub text_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl ReportSummary {
    /// The outcome as CloudWatch metrics (see [`shared_types::metrics`]): the records read, and
    /// 1 for what became of the email (0 for the other outcomes, so every series has a value).
    pub fn metrics(&self) -> [Count; 6] {
        let outcome = |name, outcome| Count {
            name,
            value: u64::from(self.outcome == outcome),
        };
        [
            Count {
                name: names::RECORDS_READ,
                value: self.records_read,
            },
            outcome(names::SENT, Outcome::Sent),
            outcome(names::ALREADY_SENT, Outcome::AlreadySent),
            outcome(names::IN_PROGRESS_ELSEWHERE, Outcome::InProgressElsewhere),
            outcome(names::EMPTY_WEEK_NOT_SENT, Outcome::EmptyWeekNotSent),
            outcome(names::DRY_RUNS, Outcome::DryRun),
        ]
    }
}

/// Reads `week` and the week before it, and renders the report.
pub async fn build_report<S: RecordSource>(
    source: &S,
    week: WeekId,
    now: DateTime<Utc>,
) -> Result<(WeekAggregator, RenderedReport), ReporterError> {
    let current = read_week(source, week).await?;
    let previous = read_week(source, week.previous()).await?;
    let view = ReportView::build(&current, Headline::of(&previous), now);
    let rendered = render(&view)?;
    Ok((current, rendered))
}

async fn read_week<S: RecordSource>(
    source: &S,
    week: WeekId,
) -> Result<WeekAggregator, ReporterError> {
    let mut aggregator = WeekAggregator::new(week);
    source
        .read_week(week, &mut |record| aggregator.add(&record))
        .await?;
    Ok(aggregator)
}

/// The reporter, holding its capabilities.
#[derive(Debug)]
pub struct Reporter<S, L, M> {
    source: S,
    ledger: L,
    mailer: M,
    send_empty_report: bool,
}

impl<S: RecordSource, L: ReportLedger, M: Mailer> Reporter<S, L, M> {
    pub fn new(source: S, ledger: L, mailer: M, config: &Config) -> Self {
        Self {
            source,
            ledger,
            mailer,
            send_empty_report: config.send_empty_report,
        }
    }

    pub fn ledger(&self) -> &L {
        &self.ledger
    }

    pub fn mailer(&self) -> &M {
        &self.mailer
    }

    /// Produces the week's report and sends it at most once (unless forced).
    pub async fn run(
        &self,
        request: ReportRequest,
        now: DateTime<Utc>,
    ) -> Result<ReportSummary, ReporterError> {
        let week = request.week;
        let (figures, rendered) = build_report(&self.source, week, now).await?;
        let mut summary = ReportSummary {
            week: week.to_string(),
            outcome: Outcome::DryRun,
            subject: rendered.subject.clone(),
            records_read: figures.records_read,
            asked: figures.asked,
            answered: figures.answered,
            unanswered: figures.unanswered(),
            html_bytes: rendered.html.len(),
            text_bytes: rendered.text.len(),
            message_id: None,
        };
        (summary.outcome, summary.message_id) =
            self.deliver(&request, &rendered, &figures, now).await?;
        info!(
            week = %week,
            outcome = ?summary.outcome,
            records_read = summary.records_read,
            asked = summary.asked,
            answered = summary.answered,
            html_bytes = summary.html_bytes,
            "weekly report"
        );
        Ok(summary)
    }

    async fn deliver(
        &self,
        request: &ReportRequest,
        rendered: &RenderedReport,
        figures: &WeekAggregator,
        now: DateTime<Utc>,
    ) -> Result<(Outcome, Option<String>), ReporterError> {
        let week = request.week;
        if request.dry_run {
            return Ok((Outcome::DryRun, None));
        }
        if figures.asked == 0 && !self.send_empty_report {
            return Ok((Outcome::EmptyWeekNotSent, None));
        }
        match self.ledger.claim(week, now, request.force).await? {
            Claim::Granted => {}
            Claim::AlreadySent { sent_at } => {
                info!(week = %week, sent_at = ?sent_at, "report already sent; not sending again");
                return Ok((Outcome::AlreadySent, None));
            }
            Claim::InProgress { claimed_at } => {
                warn!(week = %week, claimed_at = %claimed_at, "another invocation is sending this week's report");
                return Ok((Outcome::InProgressElsewhere, None));
            }
        }
        let id = match self.mailer.send(rendered).await {
            Ok(id) => id,
            Err(send_error) => {
                if let Err(release_error) = self.ledger.release(week, now).await {
                    error!(week = %week, error = %release_error, "could not release the claim; a retry can send after the lease");
                }
                return Err(send_error);
            }
        };
        if let Err(mark_error) = self.ledger.mark_sent(week, now, &id).await {
            // The email went out: report success, and say that a retry after the lease could
            // send it again.
            error!(week = %week, message_id = %id, error = %mark_error, "email sent but not marked as sent");
        }
        Ok((Outcome::Sent, Some(id)))
    }
}
