//! The weekly run: read the week, look back at the weeks already reported, render, and send
//! once.
//!
//! Reading and rendering have no side effects, so they come first; the claim in the ledger is
//! taken just before sending (see [`crate::ledger`] for the failure semantics).
//!
//! **The weeks before.** Each sent report stores its week's figures ([`WeekSummary`]) in the
//! week's marker, so the changes against last week come from one small item instead of last
//! week's records (read in full only when last week has no stored figures). The last
//! [`LATE_ARRIVAL_WEEKS`] reported weeks are counted again in the same read as the week itself:
//! a week whose requests changed since its report (more of them, fewer, or others: the
//! number and a fingerprint of their keys are compared) got late arrivals (a redriven query,
//! say). Such a week is read again and the email says so. The corrected figures travel with the
//! week's sent mark, in the same write, and are then applied to each week's marker; a failed
//! correction is applied by a later run, and is never reported twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lambda_support::Count;
use shared_types::WeekId;
use shared_types::metrics::reporter as names;
use shared_types::record::report_marker::{Correction, WeekSummary};
use tracing::{error, info, warn};

use crate::config::Config;
use crate::error::ReporterError;
use crate::invocation::ReportRequest;
use crate::ledger::{Claim, ReportLedger};
use crate::mailer::Mailer;
use crate::report::aggregate::WeekAggregator;
use crate::report::gaps::{self, Gap};
use crate::report::render::{RenderedReport, render};
use crate::report::view::{History, LateArrivals, MAX_GAPS, Previous, ReportView, TREND_WEEKS};
use crate::source::{RecordSource, WeeksRead};

/// How many reported weeks before the one reported are checked for late arrivals. An event can
/// reach the table up to 28 days after it was sent (14 days in the event queue, then 14 in the
/// dead-letter queue before a redrive), so the report of the week it arrives in looks at least
/// 4 weeks back; one more for slack.
pub const LATE_ARRIVAL_WEEKS: usize = 5;

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

/// A rendered report, with the figures behind it and the corrections it found.
#[derive(Debug)]
pub struct BuiltReport {
    pub figures: WeekAggregator,
    pub rendered: RenderedReport,
    /// Reported weeks whose requests arrived after their report, with their figures now.
    pub late: Vec<LateArrivals>,
    /// The week's figures and gaps, as its marker keeps them once the report is sent.
    pub summary: WeekSummary,
}

/// Reads `week`, looks back at the weeks already reported (their stored figures, and late
/// arrivals), and renders the report. Nothing is written.
///
/// The records are read in one pass (two when an earlier week got late arrivals): the week,
/// last week too when its figures were never stored, and the counts of the weeks checked for
/// late arrivals.
pub async fn build_report<S: RecordSource, L: ReportLedger>(
    source: &S,
    ledger: &L,
    week: WeekId,
    now: DateTime<Utc>,
) -> Result<BuiltReport, ReporterError> {
    // The weeks of the trend, newest first: one read of their markers.
    let earlier: Vec<WeekId> = std::iter::successors(Some(week.previous()), |w| Some(w.previous()))
        .take(TREND_WEEKS - 1)
        .collect();
    let mut summaries = with_pending_corrections(ledger.summaries(&earlier).await?);
    let recent: HashMap<WeekId, WeekSummary> = earlier
        .iter()
        .take(LATE_ARRIVAL_WEEKS)
        .filter_map(|w| summaries.get(w).map(|s| (*w, s.clone())))
        .collect();
    let mut reads = vec![week];
    if !summaries.contains_key(&week.previous()) {
        reads.push(week.previous());
    }
    let mut checked: Vec<WeekId> = recent.keys().copied().collect();
    checked.sort();
    let (mut read, listed) = read_weeks(source, &reads, &checked).await?;
    let current = read
        .remove(&week)
        .unwrap_or_else(|| WeekAggregator::new(week));

    let late = late_arrivals(source, &recent, &listed).await?;
    for arrivals in &late {
        summaries.insert(arrivals.week, arrivals.now.clone());
    }
    let previous = match (summaries.get(&week.previous()), read.get(&week.previous())) {
        (Some(summary), _) => Previous::from(summary),
        (None, Some(figures)) => Previous::of(figures),
        (None, None) => Previous::of(&WeekAggregator::new(week.previous())),
    };
    let history = History {
        previous,
        weeks: earlier
            .iter()
            .filter_map(|w| summaries.get(w).map(|s| (*w, s.clone())))
            .collect(),
        stats: ledger.pipeline_stats(week).await?,
    };
    let found = gaps::find(&current);
    let view = ReportView::assemble(&current, &found, &history, now).with_late_arrivals(&late);
    let rendered = render(&view)?;
    let summary = WeekSummary {
        fingerprint: Some(listed.fingerprint(week)),
        gaps: found.gaps.iter().take(MAX_GAPS).map(Gap::stored).collect(),
        corrections: late
            .iter()
            .map(|l| Correction {
                week: l.week,
                summary: l.now.clone(),
            })
            .collect(),
        ..current.summary()
    };
    Ok(BuiltReport {
        figures: current,
        rendered,
        late,
        summary,
    })
}

/// The weeks' figures as they stand once every correction their markers carry is applied: a
/// correction that a run could not write to its week's marker is still in the marker of the
/// report that made it, and counts the same.
fn with_pending_corrections(
    mut summaries: HashMap<WeekId, WeekSummary>,
) -> HashMap<WeekId, WeekSummary> {
    let mut pending: Vec<(WeekId, Correction)> = summaries
        .iter()
        .flat_map(|(by, s)| s.corrections.iter().map(|c| (*by, c.clone())))
        .collect();
    pending.sort_by_key(|(by, c)| (*by, c.week));
    for (by, correction) in pending {
        if let Some(target) = summaries.get_mut(&correction.week)
            && target.corrected_by.is_none_or(|done| done < by)
        {
            *target = WeekSummary {
                corrected_by: Some(by),
                gaps: std::mem::take(&mut target.gaps),
                corrections: std::mem::take(&mut target.corrections),
                ..correction.summary
            };
        }
    }
    summaries
}

/// The reported weeks whose requests changed since their report (`listed` says what they hold
/// now: more or fewer of them, or others in their place), read again in one pass.
async fn late_arrivals<S: RecordSource>(
    source: &S,
    summaries: &HashMap<WeekId, WeekSummary>,
    listed: &WeeksRead,
) -> Result<Vec<LateArrivals>, ReporterError> {
    let changed = |week: WeekId, reported: &WeekSummary| {
        listed.count(week) != reported.indexed
            || reported
                .fingerprint
                .is_some_and(|f| f != listed.fingerprint(week))
    };
    let mut weeks: Vec<WeekId> = summaries
        .iter()
        .filter(|(week, reported)| changed(**week, reported))
        .map(|(week, _)| *week)
        .collect();
    if weeks.is_empty() {
        return Ok(Vec::new());
    }
    weeks.sort();
    let (mut again, read) = read_weeks(source, &weeks, &[]).await?;
    let mut late = Vec::new();
    for week in weeks {
        let (Some(reported), Some(figures)) = (summaries.get(&week), again.remove(&week)) else {
            continue;
        };
        // The figures are recounted; the gaps stay those the report listed.
        let mut now = WeekSummary {
            fingerprint: Some(read.fingerprint(week)),
            gaps: reported.gaps.clone(),
            ..figures.summary()
        };
        if now.indexed == reported.indexed && now.fingerprint == reported.fingerprint {
            // Changed back between the two reads.
            continue;
        }
        let arrived = now.indexed.saturating_sub(reported.indexed);
        // A week whose requests were replaced got at least one late arrival.
        now.late = reported.late + arrived.max(1);
        info!(week = %week, arrived, "requests arrived after the week's report");
        late.push(LateArrivals {
            week,
            arrived,
            reported: reported.clone(),
            now,
        });
    }
    Ok(late)
}

/// Aggregates each of `weeks` in one read, and lists the `counted` weeks on the way.
async fn read_weeks<S: RecordSource>(
    source: &S,
    weeks: &[WeekId],
    counted: &[WeekId],
) -> Result<(HashMap<WeekId, WeekAggregator>, WeeksRead), ReporterError> {
    let mut aggregators: HashMap<WeekId, WeekAggregator> = weeks
        .iter()
        .map(|week| (*week, WeekAggregator::new(*week)))
        .collect();
    let read = source
        .read_weeks(weeks, counted, &mut |record| {
            if let Some(aggregator) = aggregators.get_mut(&record.week) {
                aggregator.add(&record);
            }
        })
        .await?;
    Ok((aggregators, read))
}

/// The reporter, holding its capabilities.
#[derive(Debug)]
pub struct Reporter<S, L, M> {
    source: S,
    ledger: L,
    mailer: M,
    send_empty_report: bool,
    ttl_days: u32,
}

impl<S: RecordSource, L: ReportLedger, M: Mailer> Reporter<S, L, M> {
    pub fn new(source: S, ledger: L, mailer: M, config: &Config) -> Self {
        Self {
            source,
            ledger,
            mailer,
            send_empty_report: config.send_empty_report,
            ttl_days: config.ttl_days,
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
        let expired = week.start() + chrono::Duration::days(i64::from(self.ttl_days));
        if now > expired {
            return Err(ReporterError::WeekExpired {
                week,
                expired,
                ttl_days: self.ttl_days,
            });
        }
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
        } = build_report(&self.source, &self.ledger, week, now).await?;
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
        (summary.outcome, summary.message_id) = self
            .deliver(&request, &rendered, &week_summary, (now, deadline))
            .await?;
        if summary.outcome == Outcome::Sent {
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
        let in_trends = week.end() + chrono::Duration::weeks(TREND_WEEKS as i64 + 1);
        with_records.max(in_trends)
    }

    async fn deliver(
        &self,
        request: &ReportRequest,
        rendered: &RenderedReport,
        week_summary: &WeekSummary,
        (now, deadline): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<(Outcome, Option<String>), ReporterError> {
        let week = request.week;
        if request.dry_run {
            return Ok((Outcome::DryRun, None));
        }
        if week_summary.asked == 0 && !self.send_empty_report {
            return Ok((Outcome::EmptyWeekNotSent, None));
        }
        match self
            .ledger
            .claim(week, now, deadline, request.force)
            .await?
        {
            Claim::Granted => {}
            Claim::AlreadySent { sent_at } => {
                info!(week = %week, sent_at = ?sent_at, "report already sent; not sending again");
                return Ok((Outcome::AlreadySent, None));
            }
            Claim::InProgress {
                claimed_at,
                lease_until,
            } => {
                // An error, not a quiet skip: Lambda's retries come back, and find the week sent
                // or, if the claimer died, unconfirmed.
                warn!(week = %week, claimed_at = %claimed_at, lease_until = %lease_until, "another invocation holds this week's claim");
                return Err(ReporterError::ClaimedElsewhere {
                    week,
                    claimed_at,
                    lease_until,
                });
            }
            Claim::Unconfirmed { claimed_at } => {
                error!(week = %week, claimed_at = %claimed_at, "an earlier run claimed this week and never confirmed the email: it may have gone out; not sending again (check the inbox, then send it with force)");
                return Ok((Outcome::Unconfirmed, None));
            }
        }
        let id = match self.mailer.send(rendered).await {
            Ok(id) => id,
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
