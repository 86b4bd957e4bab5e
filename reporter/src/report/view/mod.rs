//! The report as the templates see it: pre-formatted strings and small rows, no logic left.
//!
//! The order is the owner's: a summary line, what to add to the CV, the bot's own failures
//! apart, then the figures. Lists are capped so that the HTML stays far under Gmail's ~102 KB
//! clipping limit whatever the week holds; the caps are stated in the email.
//!
//! **Definitions**, one set for every section, the footer and docs/reporting.md: a question is
//! *asked* once per request; it got a *useful answer* when matched fully, or partially at a
//! score of at least [`LOW_SCORE`]; otherwise it got *no useful answer*: a `none` match, a
//! weaker partial one, or *no response* at all. The answer rate is useful answers over asked.

use chrono::{DateTime, Utc};
use shared_types::WeekId;
use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::record::report_marker::WeekSummary;

mod figures;
mod format;
mod sections;

pub use figures::{
    DetailLine, FigureView, LatencyView, MIN_ANSWERS_FOR_P95, QuestionRow, Share, TOP_HOURS,
    TOP_QUESTIONS, TOP_SOURCES, TREND_WEEKS, TrendRow,
};
pub use format::{count_change, counted, duration, percent, rate_change, thousands};
pub use sections::{GapCard, MAX_ADD_TO_CV, MAX_MISSED, MissRow, ResolvedRow};

use super::aggregate::{LOW_SCORE, WeekAggregator};
use super::gaps::{self, FoundGaps};
use super::text::{MAX_QUESTION_CHARS, header_safe};

/// Content gaps stored in a week's marker, for later weeks to recognise.
pub const MAX_GAPS: usize = 25;

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
    pub period: String,
    pub is_empty: bool,
    /// One line at the top, also the preheader.
    pub summary: String,
    /// Above everything when the bot stopped responding beyond noise.
    pub banner: Option<String>,
    pub add_to_cv: Vec<GapCard>,
    pub add_to_cv_note: String,
    pub bot_missed: Vec<MissRow>,
    pub bot_missed_note: String,
    pub no_response: Vec<MissRow>,
    pub no_response_note: String,
    pub off_topic: String,
    pub resolved: Vec<ResolvedRow>,
    /// How the questions without a useful answer are shared out among the sections.
    pub breakdown: String,
    pub headline: Vec<FigureView>,
    pub trend: Vec<TrendRow>,
    pub top_questions: Vec<QuestionRow>,
    pub top_questions_note: String,
    pub details: Vec<DetailLine>,
    /// The figures behind the condensed lines, for whoever reads the view.
    pub latency: Option<LatencyView>,
    pub sources: Vec<Share>,
    /// The definitions every section uses, for the footer.
    pub definitions: String,
    /// Questions that were not grouped, a line in the footer; empty when none.
    pub unclustered_note: String,
    pub week_start: String,
    pub week_end: String,
    pub records_read: String,
    pub incomplete: String,
    /// Answers timestamped before their question, left out of the response times; empty when
    /// there were none.
    pub clock_skew_note: String,
    pub generated_at: String,
    pub caps_note: String,
    /// One line per reported week that got late arrivals.
    pub late_arrivals: Vec<String>,
    /// What the pipeline absorbed this week, in one line.
    pub integrity: String,
    /// How many questions had personal data removed; empty when none.
    pub redacted_note: String,
    pub significance_note: String,
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
        let start = id.start();
        let last_day = id.end() - chrono::Duration::days(1);
        let subject = if week.asked == 0 {
            format!("CV Analytics - {id}: no activity")
        } else {
            let things = match found.of(gaps::GapClass::NotInCv).count() {
                0 => "nothing".to_owned(),
                n => thousands(n as u64),
            };
            format!(
                "CV Analytics - {id}: {}, {things} to add to your CV",
                counted(week.asked, "question", "questions"),
            )
        };
        let sections = sections::sections(week, found, history);
        Self {
            week: id.to_string(),
            subject: header_safe(&subject),
            period: format!(
                "{} to {} (UTC)",
                start.format("%a %-d %b %Y"),
                last_day.format("%a %-d %b %Y")
            ),
            is_empty: week.asked == 0,
            summary: sections::summary(week, found),
            banner: sections::banner(week, &history.previous),
            top_questions: figures::top_questions(week, &sections.shown_keys),
            top_questions_note: format!(
                "The most asked of {} distinct questions, but those above.",
                thousands(week.questions.len() as u64)
            ),
            add_to_cv: sections.add_to_cv,
            add_to_cv_note: sections.add_to_cv_note,
            bot_missed: sections.bot_missed,
            bot_missed_note: sections.bot_missed_note,
            no_response: sections.no_response,
            no_response_note: sections.no_response_note,
            off_topic: sections.off_topic,
            resolved: sections.resolved,
            breakdown: sections.breakdown,
            headline: figures::headline(week, &history.previous),
            trend: figures::trend(week, history),
            details: figures::details(week),
            latency: figures::latency(week),
            sources: figures::sources(week),
            definitions: format!(
                "Useful answer: a full match, or a partial one scored {LOW_SCORE} or more; the \
                 answer rate is useful answers over questions asked. No useful answer: a \
                 \"none\" match, a weaker partial one, or no response."
            ),
            unclustered_note: unclustered_note(found),
            week_start: start.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            week_end: id.end().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            records_read: thousands(week.records_read),
            incomplete: thousands(week.incomplete),
            clock_skew_note: clock_skew_note(week),
            generated_at: generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            caps_note: format!(
                "Lists are capped at {MAX_ADD_TO_CV} things to add, {MAX_MISSED} misses, \
                 {MAX_MISSED} without response, {TOP_QUESTIONS} top questions, {TOP_SOURCES} \
                 technologies and {TOP_HOURS} hours; questions at {MAX_QUESTION_CHARS} \
                 characters."
            ),
            late_arrivals: Vec::new(),
            integrity: integrity(week, &history.stats),
            redacted_note: redacted_note(week.redacted),
            significance_note: "A change is \"beyond noise\" (and coloured) when chance \
                alone is unlikely: 95% Wilson intervals for the rate, a Poisson test for counts."
                .to_owned(),
        }
    }

    /// Adds a line for each reported week whose requests changed after its report.
    pub fn with_late_arrivals(mut self, late: &[LateArrivals]) -> Self {
        self.late_arrivals = late.iter().map(late_arrival_line).collect();
        self
    }
}

/// What became of a reported week: more requests (late arrivals), fewer (moved to another
/// week, when their query came), or others in place of some (both at once).
fn late_arrival_line(late: &LateArrivals) -> String {
    let (now, reported) = (&late.now, &late.reported);
    let what = match now.indexed.cmp(&reported.indexed) {
        std::cmp::Ordering::Greater => format!(
            "{} late for {}",
            counted(late.arrived, "request arrived", "requests arrived"),
            late.week
        ),
        std::cmp::Ordering::Less => format!(
            "{} out of {} (a late query filed it under another week)",
            counted(
                reported.indexed - now.indexed,
                "request moved",
                "requests moved"
            ),
            late.week
        ),
        std::cmp::Ordering::Equal => format!(
            "Requests arrived late for {} as others moved out of it",
            late.week
        ),
    };
    format!(
        "{what}: it now has {} questions ({} with a response, {} without); its report counted {}.",
        thousands(now.asked),
        thousands(now.answered),
        thousands(now.unanswered()),
        thousands(reported.asked),
    )
}

fn clock_skew_note(week: &WeekAggregator) -> String {
    match week.negative_latencies {
        0 => String::new(),
        1 => "1 answer was timestamped before its question (clock skew); it is left out of the \
              response times."
            .to_owned(),
        n => format!(
            "{} answers were timestamped before their question (clock skew); they are left out \
             of the response times.",
            thousands(n)
        ),
    }
}

fn unclustered_note(found: &FoundGaps) -> String {
    match found.unclustered {
        0 => String::new(),
        n => format!(
            "{} asked least were not grouped (of the questions without a topic, the {} most \
             asked are).",
            counted(n as u64, "question", "questions"),
            thousands(gaps::MAX_CLUSTERED as u64)
        ),
    }
}

fn integrity(week: &WeekAggregator, stats: &PipelineStats) -> String {
    format!(
        "Pipeline: {} {} got no response; {} late and {} duplicate {} absorbed; {} {} \
         dead-lettered.",
        thousands(week.unanswered()),
        if week.unanswered() == 1 {
            "question"
        } else {
            "questions"
        },
        thousands(stats.late),
        thousands(stats.duplicates),
        if stats.late + stats.duplicates == 1 {
            "delivery"
        } else {
            "deliveries"
        },
        thousands(stats.dead_lettered),
        if stats.dead_lettered == 1 {
            "event"
        } else {
            "events"
        },
    )
}

fn redacted_note(redacted: u64) -> String {
    match redacted {
        0 => String::new(),
        n => format!(
            "{} {} personal data (an e-mail address, a phone, card or IBAN number, a URL with \
             a password) removed before storage.",
            thousands(n),
            if n == 1 {
                "question had"
            } else {
                "questions had"
            }
        ),
    }
}
