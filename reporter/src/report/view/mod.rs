//! The report as the templates see it: pre-formatted strings and small rows, nested as the
//! email's parts are (the header, the [`Sections`] an owner acts on, the [`Figures`], the
//! [`Footer`]); the email's fixed wording is the templates' own.
//!
//! The order is the owner's: a summary line, what to add to the CV, the bot's own failures
//! apart, then the figures. Lists are capped so that the HTML stays far under Gmail's ~102 KB
//! clipping limit whatever the week holds; the caps are stated in the email.
//!
//! **Definitions**, one set for every section, the footer and docs/reporting.md: a question is
//! *asked* once per request; it got a *useful answer* when matched fully, or partially at a
//! score of at least [`LOW_SCORE`](crate::report::aggregate::LOW_SCORE); otherwise it got *no useful answer*: a `none` match, a
//! weaker partial one, or *no response* at all. The answer rate is useful answers over asked.

use chrono::{DateTime, Utc};
use shared_types::WeekId;
use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::record::report_marker::WeekSummary;

mod figures;
mod footer;
mod format;
mod sections;

pub(crate) use figures::TREND_WEEKS;
pub use figures::{DetailLine, FigureView, Figures, LatencyView, QuestionRow, Share, TrendRow};
pub use footer::{Caps, Footer};
pub use format::{count_change, counted, duration, rate_change, thousands};
pub(crate) use sections::stored_gaps;
pub use sections::{GapCard, Listing, MissRow, ResolvedRow, Sections};

use super::aggregate::WeekAggregator;
use super::gaps::{self, FoundGaps};
use super::text::header_safe;

const GOOD: &str = "#1b5e20";
const BAD: &str = "#b71c1c";
const NEUTRAL: &str = "#57606a";

/// The figures of the week before, for the changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Previous {
    pub asked: u64,
    pub answered: u64,
    /// Useful answers; `None` from a marker written before they were kept.
    pub useful: Option<u64>,
}

impl From<&WeekSummary> for Previous {
    fn from(summary: &WeekSummary) -> Self {
        Self {
            asked: summary.asked,
            answered: summary.answered,
            useful: summary.useful,
        }
    }
}

impl Previous {
    pub fn of(week: &WeekAggregator) -> Self {
        Self {
            asked: week.asked,
            answered: week.answered,
            useful: Some(week.useful()),
        }
    }

    fn unanswered(self) -> u64 {
        self.asked.saturating_sub(self.answered)
    }
}

/// A reported week that got requests after its report was sent.
#[derive(Debug, Clone, PartialEq)]
pub struct LateArrivals {
    pub week: WeekId,
    /// Requests filed under the week now that its report did not count.
    pub arrived: u64,
    /// The figures as reported (and corrected before).
    pub reported: WeekSummary,
    /// The figures now, to be stored once this report is sent.
    pub now: WeekSummary,
}

/// Everything the templates show, in the order they show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub week: String,
    pub subject: String,
    /// The week's first and last day: `Mon 10 Nov to Sun 16 Nov 2025`, both years when they
    /// differ (`Mon 29 Dec 2025 to Sun 4 Jan 2026`).
    pub period: String,
    /// The owner's time zone, whose clocks the week, its days and hours are read on.
    pub zone: String,
    pub is_empty: bool,
    /// One line at the top, also the preheader.
    pub summary: String,
    /// Above everything when the bot stopped responding beyond noise.
    pub banner: Option<String>,
    /// What to add to the CV, what the bot missed, what got no response, off-topic, resolved.
    pub gaps: Sections,
    pub figures: Figures,
    pub footer: Footer,
}

/// What a report knows of the weeks before it, and of the pipeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Last week's figures, for the changes.
    pub previous: Previous,
    /// Earlier reported weeks, newest first (last week first), as their markers keep them.
    pub weeks: Vec<(WeekId, WeekSummary)>,
    /// What the processor absorbed during the week.
    pub stats: PipelineStats,
}

impl From<Previous> for History {
    fn from(previous: Previous) -> Self {
        Self {
            previous,
            ..Self::default()
        }
    }
}

impl ReportView {
    /// Builds the view of `week` with what is known of the weeks before (at least last week's
    /// figures), finding its content gaps.
    pub fn build(
        week: &WeekAggregator,
        history: impl Into<History>,
        generated_at: DateTime<Utc>,
    ) -> Self {
        Self::assemble(week, &gaps::find(week), &history.into(), generated_at)
    }

    /// Builds the view of `week` from its content gaps and its history.
    pub fn assemble(
        week: &WeekAggregator,
        found: &FoundGaps,
        history: &History,
        generated_at: DateTime<Utc>,
    ) -> Self {
        let id = week.week();
        let zone = week.zone();
        let first_day = id.start_in(zone).with_timezone(&zone);
        let last_day = (id.end_in(zone) - chrono::Duration::hours(1)).with_timezone(&zone);
        let gaps = Sections::of(week, found, history);
        Self {
            week: id.to_string(),
            subject: header_safe(&subject(week, found)),
            period: period(first_day.date_naive(), last_day.date_naive()),
            zone: zone.name().to_owned(),
            is_empty: week.asked == 0,
            summary: sections::summary(week, found),
            banner: sections::banner(week, &history.previous),
            figures: Figures::of(week, history, &gaps.shown_keys),
            footer: Footer::of(week, found, &history.stats, generated_at),
            gaps,
        }
    }

    /// Adds a line for each reported week whose requests changed after its report.
    pub(crate) fn with_late_arrivals(mut self, late: &[LateArrivals]) -> Self {
        self.footer.late_arrivals = late.iter().map(footer::late_arrival_line).collect();
        self
    }
}

/// The email's subject: the week, its questions and the things to add.
fn subject(week: &WeekAggregator, found: &FoundGaps) -> String {
    let id = week.week();
    if week.asked == 0 {
        return format!("CV Analytics - {id}: no activity");
    }
    let things = match found.of(gaps::GapClass::NotInCv).count() {
        0 => "nothing".to_owned(),
        n => thousands(n as u64),
    };
    format!(
        "CV Analytics - {id}: {}, {things} to add to your CV",
        counted(week.asked, "question", "questions"),
    )
}

/// `Mon 10 Nov to Sun 16 Nov 2025`: the first day's year only when it is not the last's.
fn period(first: chrono::NaiveDate, last: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let first_format = if first.year() == last.year() {
        "%a %-d %b"
    } else {
        "%a %-d %b %Y"
    };
    format!(
        "{} to {}",
        first.format(first_format),
        last.format("%a %-d %b %Y")
    )
}
