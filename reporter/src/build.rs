//! A week's report built, with no side effect: the week read, the weeks already reported
//! looked back at, the gaps found and the email rendered.
//!
//! Each sent report stores its week's figures ([`WeekSummary`]) in the
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
use shared_types::WeekId;
use shared_types::record::report_marker::{Correction, WeekSummary};
use shared_types::week::Tz;
use tracing::info;

use crate::error::ReporterError;
use crate::ledger::ReportLedger;
use crate::report::aggregate::WeekAggregator;
use crate::report::gaps;
use crate::report::render::{RenderedReport, render};
use crate::report::view::{History, LateArrivals, Previous, ReportView, TREND_WEEKS, stored_gaps};
use crate::source::{RecordSource, WeeksRead};

/// How many reported weeks before the one reported are checked for late arrivals. An event can
/// reach the table up to 28 days after it was sent (14 days in the event queue, then 14 in the
/// dead-letter queue before a redrive), so the report of the week it arrives in looks at least
/// 4 weeks back; one more for slack.
pub const LATE_ARRIVAL_WEEKS: usize = 5;

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

/// When the first records of `week` expire, with records that live `ttl_days` (the table's
/// TTL): after that instant, the week's records may be fewer than its report counted.
pub(crate) fn first_expiry(week: WeekId, ttl_days: u32, zone: Tz) -> DateTime<Utc> {
    // A week filed under an earlier zone (UTC by default) may start before it does in `zone`.
    week.start_in(zone).min(week.start()) + chrono::Duration::days(i64::from(ttl_days))
}

/// Reads `week`, looks back at the weeks already reported (their stored figures, and late
/// arrivals: only of those whose records cannot have expired by `now`, with records that live
/// `ttl_days`, so that records the TTL deleted are not taken for requests moving out), and
/// renders the report. Nothing is written.
///
/// The records are read in one pass (two when an earlier week got late arrivals): the week,
/// last week too when its figures were never stored, and the counts of the weeks checked for
/// late arrivals.
pub async fn build_report<S: RecordSource, L: ReportLedger>(
    source: &S,
    ledger: &L,
    week: WeekId,
    now: DateTime<Utc>,
    zone: Tz,
    ttl_days: u32,
) -> Result<BuiltReport, ReporterError> {
    // The weeks of the trend, newest first: one read of their markers.
    let earlier: Vec<WeekId> = std::iter::successors(Some(week.previous()), |w| Some(w.previous()))
        .take(TREND_WEEKS - 1)
        .collect();
    let mut summaries = with_pending_corrections(ledger.summaries(&earlier).await?);
    let Read {
        current,
        previous,
        listed,
        late,
    } = read(source, week, zone, &summaries, |w| {
        now <= first_expiry(w, ttl_days, zone)
    })
    .await?;
    for arrivals in &late {
        summaries.insert(arrivals.week, arrivals.now.clone());
    }
    let history = History {
        previous: summaries
            .get(&week.previous())
            .map_or(previous, Previous::from),
        weeks: earlier
            .iter()
            .filter_map(|w| summaries.get(w).map(|s| (*w, s.clone())))
            .collect(),
        stats: ledger.pipeline_stats(week).await?,
    };
    let found = gaps::find(&current);
    let view = ReportView::assemble(&current, &found, &history, now).with_late_arrivals(&late);
    let summary = week_summary(&current, &found, &listed, &late);
    Ok(BuiltReport {
        rendered: render(&view)?,
        figures: current,
        late,
        summary,
    })
}

/// The week's figures and gaps as its marker keeps them once the report is sent, with the
/// corrections of the earlier weeks that got late arrivals (their figures only: see
/// `Correction`).
fn week_summary(
    current: &WeekAggregator,
    found: &gaps::FoundGaps,
    listed: &WeeksRead,
    late: &[LateArrivals],
) -> WeekSummary {
    let week = current.week();
    WeekSummary {
        fingerprint: Some(listed.fingerprint(week)),
        state_fingerprint: Some(listed.state(week)),
        gaps: stored_gaps(found),
        corrections: late
            .iter()
            .map(|l| Correction {
                week: l.week,
                summary: WeekSummary {
                    gaps: Vec::new(),
                    corrections: Vec::new(),
                    ..l.now.clone()
                },
            })
            .collect(),
        ..current.summary()
    }
}

/// What a report reads of the records.
struct Read {
    /// The week's figures.
    current: WeekAggregator,
    /// Last week's figures, read only when its marker has none.
    previous: Previous,
    /// The weeks read and counted: their requests now.
    listed: WeeksRead,
    /// The reported weeks whose requests changed since their report.
    late: Vec<LateArrivals>,
}

/// Reads `week` (and last week when its marker holds no figures) and counts the last
/// [`LATE_ARRIVAL_WEEKS`] reported weeks that are `whole` (none of their records can have
/// expired) in one pass, then reads again those that changed.
async fn read<S: RecordSource>(
    source: &S,
    week: WeekId,
    zone: Tz,
    summaries: &HashMap<WeekId, WeekSummary>,
    whole: impl Fn(WeekId) -> bool,
) -> Result<Read, ReporterError> {
    let recent: HashMap<WeekId, WeekSummary> =
        std::iter::successors(Some(week.previous()), |w| Some(w.previous()))
            .take(LATE_ARRIVAL_WEEKS)
            .filter(|w| whole(*w))
            .filter_map(|w| summaries.get(&w).map(|s| (w, s.clone())))
            .collect();
    let mut reads = vec![week];
    if !summaries.contains_key(&week.previous()) {
        reads.push(week.previous());
    }
    let mut checked: Vec<WeekId> = recent.keys().copied().collect();
    checked.sort();
    let (mut read, listed) = read_weeks(source, &reads, &checked, zone).await?;
    let previous = read
        .remove(&week.previous())
        .unwrap_or_else(|| WeekAggregator::in_zone(week.previous(), zone));
    Ok(Read {
        current: read
            .remove(&week)
            .unwrap_or_else(|| WeekAggregator::in_zone(week, zone)),
        previous: Previous::of(&previous),
        late: late_arrivals(source, &recent, &listed, zone).await?,
        listed,
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
    zone: Tz,
) -> Result<Vec<LateArrivals>, ReporterError> {
    let mut weeks: Vec<WeekId> = summaries
        .iter()
        .filter(|(week, reported)| listed.changed_since(**week, reported))
        .map(|(week, _)| *week)
        .collect();
    if weeks.is_empty() {
        return Ok(Vec::new());
    }
    weeks.sort();
    let (mut again, read) = read_weeks(source, &weeks, &[], zone).await?;
    let mut late = Vec::new();
    for week in weeks {
        let (Some(reported), Some(figures)) = (summaries.get(&week), again.remove(&week)) else {
            continue;
        };
        // The figures are recounted; the gaps stay those the report listed.
        let mut now = WeekSummary {
            fingerprint: Some(read.fingerprint(week)),
            state_fingerprint: Some(read.state(week)),
            gaps: reported.gaps.clone(),
            ..figures.summary()
        };
        if !read.changed_since(week, reported) {
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
    zone: Tz,
) -> Result<(HashMap<WeekId, WeekAggregator>, WeeksRead), ReporterError> {
    let mut aggregators: HashMap<WeekId, WeekAggregator> = weeks
        .iter()
        .map(|week| (*week, WeekAggregator::in_zone(*week, zone)))
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
