//! The weekly run: build the report, then send it at most once.
//!
//! Reading and rendering have no side effects ([`crate::build`]), so they come first; the claim
//! in the ledger is taken just before sending (see [`crate::ledger`] for the failure
//! semantics).

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use lambda_runtime::LambdaEvent;
use lambda_support::{ConfigError, Count, Metrics, Settings};
use shared_types::WeekId;
use shared_types::metrics::reporter as names;
use shared_types::record::report_marker::{Correction, WeekSummary};
use shared_types::week::Tz;
use tracing::{error, info, warn};

use crate::aws::dynamo::{DynamoRecordSource, DynamoReportLedger};
use crate::aws::ses::SesMailer;
use crate::build::{BuiltReport, build_report, first_expiry};
use crate::config::Config;
use crate::error::ReporterError;
use crate::invocation::ReportRequest;
use crate::ledger::{Claim, ReportLedger};
use crate::mailer::Mailer;
use crate::report::render::RenderedReport;
use crate::report::view::TREND_WEEKS;
use crate::source::RecordSource;

pub use shared_types::report::{Outcome, ReportSummary};

/// A run's outcome as CloudWatch metrics (see [`shared_types::metrics`]): the records read, 1
/// for the outcome (0 for the others, so every series has a value), and whether the week's
/// report is up to date. [`Outcome::InProgressElsewhere`] is written when the invocation fails
/// with [`ReporterError::ClaimedElsewhere`].
pub fn outcome_metrics(outcome: Outcome, records_read: u64) -> [Count; 8] {
    let is = |name, expected| Count {
        name,
        value: u64::from(outcome == expected),
    };
    let up_to_date = matches!(
        outcome,
        Outcome::Sent | Outcome::AlreadySent | Outcome::EmptyWeekNotSent
    );
    [
        Count {
            name: names::RECORDS_READ,
            value: records_read,
        },
        is(names::SENT, Outcome::Sent),
        is(names::ALREADY_SENT, Outcome::AlreadySent),
        is(names::IN_PROGRESS_ELSEWHERE, Outcome::InProgressElsewhere),
        is(names::EMPTY_WEEK_NOT_SENT, Outcome::EmptyWeekNotSent),
        is(names::DRY_RUNS, Outcome::DryRun),
        is(names::UNCONFIRMED, Outcome::Unconfirmed),
        Count {
            name: names::UP_TO_DATE,
            value: u64::from(up_to_date),
        },
    ]
}

/// The reporter, holding its capabilities.
#[derive(Debug)]
pub struct Reporter<S, L, M> {
    source: S,
    ledger: L,
    mailer: M,
    send_empty_report: bool,
    ttl_days: u32,
    /// The owner's time zone (`REPORT_TIMEZONE`).
    zone: Tz,
}

/// The reporter as deployed: the records table on DynamoDB, the email on SES.
pub type AwsReporter = Reporter<DynamoRecordSource, DynamoReportLedger, SesMailer>;

impl AwsReporter {
    /// The deployed reporter, from its settings (an error names a missing or unusable one) and
    /// the SDK's configuration: one client of each service, made once.
    pub fn from_settings(settings: &Settings, aws: &SdkConfig) -> Result<Self, ConfigError> {
        let config = Config::from_settings(settings)?;
        let dynamodb = aws_sdk_dynamodb::Client::new(aws);
        Ok(Self::new(
            DynamoRecordSource::new(dynamodb.clone(), &config.table_name, config.week_lookup),
            DynamoReportLedger::new(dynamodb, &config.table_name),
            SesMailer::new(
                aws_sdk_sesv2::Client::new(aws),
                &config.sender,
                config.recipients.clone(),
                config.configuration_set.clone(),
            ),
            &config,
        ))
    }
}

impl<S: RecordSource, L: ReportLedger, M: Mailer> Reporter<S, L, M> {
    pub fn new(source: S, ledger: L, mailer: M, config: &Config) -> Self {
        Self {
            source,
            ledger,
            mailer,
            send_empty_report: config.send_empty_report,
            ttl_days: config.ttl_days,
            zone: config.zone,
        }
    }

    pub fn ledger(&self) -> &L {
        &self.ledger
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    pub fn mailer(&self) -> &M {
        &self.mailer
    }

    /// The capabilities back, for a reporter with other settings over the same table and
    /// ledger (a stage whose settings change between two runs).
    pub fn into_parts(self) -> (S, L, M) {
        (self.source, self.ledger, self.mailer)
    }

    /// One invocation by Lambda (the schedule, or a maintainer), at the clock's time: the run,
    /// its deadline Lambda's (the lease of a claim it takes), and its outcome written as
    /// metrics, [`Outcome::InProgressElsewhere`] too when another invocation holds the claim.
    pub async fn invoke(
        &self,
        event: LambdaEvent<serde_json::Value>,
        metrics: &Metrics,
    ) -> Result<ReportSummary, ReporterError> {
        let now = Utc::now();
        let deadline = i64::try_from(event.context.deadline)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(now);
        let request = ReportRequest::from_payload_in(event.payload, now, self.zone)?;
        // Boxed: the run's future is deep enough to overflow the compiler's layout limit
        // inside the runtime's own futures.
        let result = Box::pin(self.run(request, now, deadline)).await;
        match &result {
            Ok(summary) => {
                metrics.emit(now, &outcome_metrics(summary.outcome, summary.records_read))
            }
            Err(ReporterError::ClaimedElsewhere { .. }) => {
                metrics.emit(now, &outcome_metrics(Outcome::InProgressElsewhere, 0));
            }
            Err(_) => {}
        }
        result
    }

    /// Produces the week's report and sends it at most once (unless forced). `now` is the
    /// invocation's clock and `deadline` the instant Lambda ends it: a claim protects the send
    /// until then.
    pub async fn run(
        &self,
        request: ReportRequest,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<ReportSummary, ReporterError> {
        let week = request.week;
        self.refuse_expired(week, now)?;
        if !request.dry_run
            && !request.force
            && let Some(sent) = self.ledger.summaries(&[week]).await?.remove(&week)
        {
            // The daily schedule's other six days: one marker read, no records, and the
            // corrections a failed write left behind.
            info!(week = %week, "report already sent; not reading the week again");
            self.apply_corrections(week, &sent.corrections).await;
            return Ok(ReportSummary::nothing_read(week, Outcome::AlreadySent));
        }
        let BuiltReport {
            figures,
            rendered,
            summary: week_summary,
            ..
        } = build_report(
            &self.source,
            &self.ledger,
            week,
            now,
            self.zone,
            self.ttl_days,
        )
        .await?;
        let mut summary = dry_run_summary(week, &figures, &rendered);
        (summary.outcome, summary.message_id) = self
            .deliver(&request, &rendered, &week_summary, (now, deadline))
            .await?;
        // SES gave a message id: the email with these late arrivals went out, so they are
        // corrected even if the mark did not stick (an unconfirmed week), or the next report
        // would report them again.
        if summary.message_id.is_some() {
            self.apply_corrections(week, &week_summary.corrections)
                .await;
        }
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

    /// A week whose first records may have expired (the table's TTL) is refused rather than
    /// reported short.
    fn refuse_expired(&self, week: WeekId, now: DateTime<Utc>) -> Result<(), ReporterError> {
        let expired = first_expiry(week, self.ttl_days, self.zone);
        if now > expired {
            return Err(ReporterError::WeekExpired {
                week,
                expired,
                ttl_days: self.ttl_days,
            });
        }
        Ok(())
    }

    /// Writes the corrections the report of `week` made to each corrected week's marker, then
    /// forgets them. A failure is logged and left for a later run (the daily schedule's next
    /// day, or the next report, which counts a pending correction as made).
    async fn apply_corrections(&self, week: WeekId, corrections: &[Correction]) {
        if corrections.is_empty() {
            return;
        }
        let mut applied = true;
        for correction in corrections {
            if let Err(error) = self
                .ledger
                .correct(correction.week, &correction.summary, week)
                .await
            {
                warn!(week = %week, corrected = %correction.week, error = %error, "could not correct the week's figures; a later run will");
                applied = false;
            }
        }
        if applied && let Err(error) = self.ledger.clear_corrections(week).await {
            warn!(week = %week, error = %error, "corrections applied but not cleared; a later run clears them");
        }
    }

    /// When a sent marker expires: with the records it sums up (`RECORD_TTL_DAYS` from now), but
    /// not before the last report whose trend shows its week.
    fn marker_expiry(&self, week: WeekId, now: DateTime<Utc>) -> DateTime<Utc> {
        let with_records = now + chrono::Duration::days(i64::from(self.ttl_days));
        let in_trends = week.end_in(self.zone) + chrono::Duration::weeks(TREND_WEEKS as i64 + 1);
        with_records.max(in_trends)
    }

    async fn deliver(
        &self,
        request: &ReportRequest,
        rendered: &RenderedReport,
        week_summary: &WeekSummary,
        (now, deadline): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<(Outcome, Option<String>), ReporterError> {
        if request.dry_run {
            return Ok((Outcome::DryRun, None));
        }
        if week_summary.asked == 0 && !self.send_empty_report {
            return Ok((Outcome::EmptyWeekNotSent, None));
        }
        if let Some(outcome) = self.claim(request, now, deadline).await? {
            return Ok((outcome, None));
        }
        self.send_and_mark(request.week, rendered, week_summary, now)
            .await
    }

    /// Claims the week just before sending: `None` when this invocation may send, or the
    /// outcome of a week it must not send.
    async fn claim(
        &self,
        request: &ReportRequest,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<Option<Outcome>, ReporterError> {
        let week = request.week;
        match self
            .ledger
            .claim(
                week,
                (now, deadline),
                self.marker_expiry(week, now),
                request.force,
            )
            .await?
        {
            Claim::Granted => Ok(None),
            Claim::AlreadySent { sent_at } => {
                info!(week = %week, sent_at = ?sent_at, "report already sent; not sending again");
                Ok(Some(Outcome::AlreadySent))
            }
            Claim::InProgress {
                claimed_at,
                lease_until,
            } => {
                // An error, not a quiet skip: Lambda's retries come back, and find the week sent
                // or, if the claimer died, unconfirmed.
                warn!(week = %week, claimed_at = %claimed_at, lease_until = %lease_until, "another invocation holds this week's claim");
                Err(ReporterError::ClaimedElsewhere {
                    week,
                    claimed_at,
                    lease_until,
                })
            }
            Claim::Unconfirmed { claimed_at } => {
                error!(week = %week, claimed_at = %claimed_at, "an earlier run claimed this week and never confirmed the email: it may have gone out; not sending again (check the inbox, then send it with force)");
                Ok(Some(Outcome::Unconfirmed))
            }
        }
    }

    /// Sends the claimed week's email, then marks the week sent with its figures.
    async fn send_and_mark(
        &self,
        week: WeekId,
        rendered: &RenderedReport,
        week_summary: &WeekSummary,
        now: DateTime<Utc>,
    ) -> Result<(Outcome, Option<String>), ReporterError> {
        let id = match self.mailer.send(rendered).await {
            Ok(id) => id,
            Err(ReporterError::EmailUnconfirmed(failure)) => {
                // SES may have accepted it: the claim stays, so no run sends it again, and the
                // outcome raises the unconfirmed alarm.
                error!(week = %week, error = %failure, "SES's answer was lost: the email may have gone out; the week is unconfirmed (check the inbox, then send it with force)");
                return Ok((Outcome::Unconfirmed, None));
            }
            Err(send_error) => {
                if let Err(release_error) = with_backoff(|| self.ledger.release(week, now)).await {
                    error!(week = %week, error = %release_error, "SES refused the email and the claim could not be released: the week stays unconfirmed until a forced run");
                }
                return Err(send_error);
            }
        };
        let expires = self.marker_expiry(week, now);
        match with_backoff(|| self.ledger.mark_sent(week, now, &id, week_summary, expires)).await {
            Ok(()) => Ok((Outcome::Sent, Some(id))),
            Err(mark_error) => {
                // The email went out and the ledger cannot say so: no scheduled run sends it
                // again (the claim stays), and the outcome raises the unconfirmed alarm.
                error!(week = %week, message_id = %id, error = %mark_error, "email sent but not marked as sent: the week is unconfirmed, and no scheduled run sends it again");
                Ok((Outcome::Unconfirmed, Some(id)))
            }
        }
    }
}

/// Attempts of a ledger write that must stick (the mark after an email went out, the release
/// after SES refused one), and the first wait between two; each next wait doubles. With the
/// SDK's own three attempts, a write is tried 15 times over about 6 seconds.
const LEDGER_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: std::time::Duration = std::time::Duration::from_millis(400);

/// `write`, tried again with backoff while it fails.
async fn with_backoff<F, Fut>(mut write: F) -> Result<(), ReporterError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), ReporterError>>,
{
    let mut wait = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match write().await {
            Ok(()) => return Ok(()),
            Err(error) if attempt >= LEDGER_ATTEMPTS => return Err(error),
            Err(error) => {
                warn!(attempt, error = %error, "ledger write failed; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
        }
    }
}

/// What a run that rendered `week` says of it before (or without) sending it.
fn dry_run_summary(
    week: WeekId,
    figures: &crate::report::aggregate::WeekAggregator,
    rendered: &crate::report::render::RenderedReport,
) -> ReportSummary {
    ReportSummary {
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
    }
}
