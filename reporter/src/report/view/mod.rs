//! The report as the templates see it: pre-formatted strings and small rows, no logic left.
//!
//! Lists are capped so that the HTML stays far under Gmail's ~102 KB clipping limit whatever
//! the week holds; the caps are stated in the email.

use chrono::{DateTime, Utc};
use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::record::report_marker::{StoredGap, WeekSummary};
use shared_types::{MatchType, WeekId};

mod format;

pub use format::{change, counted, duration, percent, thousands};

use super::aggregate::{QuestionStats, WeekAggregator};
use super::gaps::{self, FoundGaps};
use super::significance;
use super::text::{MAX_QUESTION_CHARS, header_safe, shown_question};

/// Questions listed in "Top questions".
pub const TOP_QUESTIONS: usize = 10;
/// Content gaps listed in "What the CV could not answer" (and stored for later weeks).
pub const MAX_GAPS: usize = 25;
/// Weeks in the trend, this one included.
pub const TREND_WEEKS: usize = 8;
/// Sources listed in "Top technologies".
pub const TOP_SOURCES: usize = 10;
/// Hours listed in "Busiest hours".
pub const TOP_HOURS: usize = 5;
/// Fewest timed answers for which a 95th percentile is shown: with fewer, "p95" would be the
/// slowest answer or next to it, and say nothing about the 95th.
pub const MIN_ANSWERS_FOR_P95: u64 = 20;

const GOOD: &str = "#1b5e20";
const BAD: &str = "#b71c1c";
const NEUTRAL: &str = "#616161";

/// The headline figures of the week before, for the changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Headline {
    pub asked: u64,
    pub answered: u64,
}

impl From<&WeekSummary> for Headline {
    fn from(summary: &WeekSummary) -> Self {
        Self {
            asked: summary.asked,
            answered: summary.answered,
        }
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

impl Headline {
    pub fn of(week: &WeekAggregator) -> Self {
        Self {
            asked: week.asked,
            answered: week.answered,
        }
    }

    fn unanswered(self) -> u64 {
        self.asked - self.answered
    }

    fn rate(self) -> Option<f64> {
        (self.asked > 0).then(|| self.answered as f64 / self.asked as f64)
    }
}

/// One headline figure with its change against the previous week.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureView {
    pub label: &'static str,
    pub value: String,
    pub change: String,
    pub colour: &'static str,
}

/// One row of a bar chart drawn with table cells.
#[derive(Debug, Clone, PartialEq)]
pub struct BarView {
    pub label: String,
    pub count: String,
    pub share: String,
    /// Width of the bar in percent of the widest, 1 to 100 (0 for an empty row).
    pub width: u32,
    pub colour: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRow {
    pub text: String,
    pub count: String,
    pub average_score: String,
}

/// One content gap: a group of questions asked without a useful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct GapRow {
    pub text: String,
    pub asked: String,
    /// "3 phrasings, 2 sessions"
    pub spread: String,
    /// What the bot matched instead, or that nothing in the CV covers it.
    pub nearest: String,
    /// new, rising, persisting
    pub status: &'static str,
    pub status_colour: &'static str,
}

/// A gap of last week that this week's questions no longer make.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRow {
    pub text: String,
    pub full_matches: String,
}

/// One week of the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRow {
    pub week: String,
    pub asked: String,
    /// Width of the questions bar in percent of the busiest week, 0 to 100.
    pub width: u32,
    pub answer_rate: String,
    pub unanswered: String,
    /// The week being reported.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LatencyView {
    pub p50: String,
    /// The 95th percentile, or a dash with fewer than [`MIN_ANSWERS_FOR_P95`] timed answers.
    pub p95: String,
    pub max: String,
    /// How many answers the figures come from, and why p95 is missing when it is.
    pub note: String,
}

/// Everything the templates show.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub week: String,
    pub subject: String,
    pub period: String,
    pub is_empty: bool,
    pub headline: Vec<FigureView>,
    pub matches: Vec<BarView>,
    pub score_buckets: Vec<BarView>,
    pub median_score: Option<String>,
    pub latency: Option<LatencyView>,
    pub top_questions: Vec<QuestionRow>,
    pub top_questions_note: String,
    pub gaps: Vec<GapRow>,
    pub gaps_note: String,
    pub resolved: Vec<ResolvedRow>,
    pub trend: Vec<TrendRow>,
    pub busiest_days: Vec<BarView>,
    pub busiest_hours: Vec<BarView>,
    pub sessions: String,
    pub sources: Vec<BarView>,
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
    /// Last week's headline figures, for the changes.
    pub previous: Headline,
    /// Earlier reported weeks, newest first (last week first), as their markers keep them.
    pub weeks: Vec<(WeekId, WeekSummary)>,
    /// What the processor absorbed during the week.
    pub stats: PipelineStats,
}

impl From<Headline> for History {
    fn from(previous: Headline) -> Self {
        Self {
            previous,
            ..Self::default()
        }
    }
}

impl ReportView {
    /// Builds the view of `week` with what is known of the weeks before (at least last week's
    /// headline), finding its content gaps.
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
        let previous = history.previous;
        let id = week.week();
        let start = id.start();
        let last_day = id.end() - chrono::Duration::days(1);
        let subject = if week.asked == 0 {
            format!("CV Analytics - {id}: no activity")
        } else {
            format!(
                "CV Analytics - {id}: {} questions, {} unanswered",
                thousands(week.asked),
                thousands(week.unanswered())
            )
        };
        Self {
            week: id.to_string(),
            subject: header_safe(&subject),
            period: format!(
                "{} to {} (UTC)",
                start.format("%a %-d %b %Y"),
                last_day.format("%a %-d %b %Y")
            ),
            is_empty: week.asked == 0,
            headline: headline(week, previous),
            matches: match_bars(week),
            score_buckets: score_bars(week),
            median_score: week.median_score().map(|m| m.to_string()),
            latency: latency(week),
            top_questions: top_questions(week),
            top_questions_note: format!(
                "The {} most asked of {} distinct questions.",
                TOP_QUESTIONS.min(week.questions.len()),
                thousands(week.questions.len() as u64)
            ),
            gaps: gap_rows(id, found, history),
            gaps_note: gaps_note(week, found),
            resolved: resolved_rows(week, found, history),
            trend: trend(week, history),
            busiest_days: day_bars(week),
            busiest_hours: hour_bars(week),
            sessions: sessions(week),
            sources: source_bars(week),
            week_start: start.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            week_end: id.end().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            records_read: thousands(week.records_read),
            incomplete: thousands(week.incomplete),
            clock_skew_note: clock_skew_note(week),
            generated_at: generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            caps_note: format!(
                "Lists are capped: top {TOP_QUESTIONS} questions, {MAX_GAPS} content gaps, \
                 {TOP_SOURCES} technologies, {TOP_HOURS} hours; questions are cut at \
                 {MAX_QUESTION_CHARS} characters."
            ),
            late_arrivals: Vec::new(),
            integrity: integrity(week, &history.stats),
            redacted_note: redacted_note(week.redacted),
            significance_note: "Changes are coloured only when they are unlikely to be noise \
                (95% Wilson intervals for the answer rate, a Poisson test for counts); the others \
                are shown plain."
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
        "{what}: it now has {} questions ({} answered, {} unanswered); its report counted {}.",
        thousands(now.asked),
        thousands(now.answered),
        thousands(now.unanswered()),
        thousands(reported.asked),
    )
}

fn colour(sign: i8, up_is_good: bool) -> &'static str {
    match (sign, up_is_good) {
        (0, _) => NEUTRAL,
        (s, true) if s > 0 => GOOD,
        (s, false) if s < 0 => GOOD,
        _ => BAD,
    }
}

fn headline(week: &WeekAggregator, previous: Headline) -> Vec<FigureView> {
    // A count's change is coloured only when a Poisson test says it is unlikely to be noise.
    let figure = |label, current: u64, before: u64, up_is_good| {
        let (change, sign) = change(current, before);
        let real = significance::count_changed(current, before);
        FigureView {
            label,
            value: thousands(current),
            change,
            colour: if real {
                colour(sign, up_is_good)
            } else {
                NEUTRAL
            },
        }
    };
    let rate = week.answer_rate();
    let (rate_change, rate_sign) = match (rate, previous.rate()) {
        (Some(now), Some(before)) => {
            let points = (now - before) * 100.0;
            if points.abs() < 0.05 {
                ("no change".to_owned(), 0)
            } else {
                (format!("{points:+.1} points"), points.signum() as i8)
            }
        }
        _ => ("no figure the week before".to_owned(), 0),
    };
    let rate_real = significance::rate_changed(
        (week.answered, week.asked),
        (previous.answered, previous.asked),
    );
    vec![
        figure("Questions asked", week.asked, previous.asked, true),
        figure("Answered", week.answered, previous.answered, true),
        figure(
            "Unanswered",
            week.unanswered(),
            previous.unanswered(),
            false,
        ),
        FigureView {
            label: "Answer rate",
            value: rate.map_or_else(|| "n/a".to_owned(), |r| format!("{:.1}%", r * 100.0)),
            change: rate_change,
            colour: if rate_real {
                colour(rate_sign, true)
            } else {
                NEUTRAL
            },
        },
    ]
}

fn bars(rows: Vec<(String, u64, &'static str)>, whole: u64) -> Vec<BarView> {
    let widest = rows.iter().map(|r| r.1).max().unwrap_or(0);
    rows.into_iter()
        .map(|(label, count, colour)| BarView {
            label,
            count: thousands(count),
            share: percent(count, whole),
            width: if widest == 0 || count == 0 {
                0
            } else {
                ((count * 100).div_ceil(widest)).clamp(1, 100) as u32
            },
            colour,
        })
        .collect()
}

fn match_bars(week: &WeekAggregator) -> Vec<BarView> {
    if week.answered == 0 {
        return Vec::new();
    }
    let rows = [
        ("Full", MatchType::Full, "#2e7d32"),
        ("Partial", MatchType::Partial, "#f9a825"),
        ("None", MatchType::None, "#c62828"),
    ]
    .into_iter()
    .map(|(label, kind, colour)| (label.to_owned(), week.match_count(kind), colour))
    .collect();
    bars(rows, week.answered)
}

fn score_bars(week: &WeekAggregator) -> Vec<BarView> {
    let scored = week.scores_between(0, 100);
    if scored == 0 {
        return Vec::new();
    }
    let rows = [(0, 19), (20, 39), (40, 59), (60, 79), (80, 100)]
        .into_iter()
        .map(|(low, high)| {
            (
                format!("{low}-{high}"),
                week.scores_between(low, high),
                "#1565c0",
            )
        })
        .collect();
    bars(rows, scored)
}

fn latency(week: &WeekAggregator) -> Option<LatencyView> {
    let timed = week.timed_answers();
    let enough = timed >= MIN_ANSWERS_FOR_P95;
    Some(LatencyView {
        p50: duration(week.latency_quantile_ms(0.5)?),
        p95: if enough {
            duration(week.latency_quantile_ms(0.95)?)
        } else {
            "-".to_owned()
        },
        max: duration(week.latency_max_ms()?),
        note: if enough {
            format!("From {} timed answers.", thousands(timed))
        } else {
            format!(
                "From {} timed answers; p95 is shown from {MIN_ANSWERS_FOR_P95} on.",
                thousands(timed)
            )
        },
    })
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

/// Questions by `key` descending, ties by text, so the order never depends on the read order.
fn ranked(
    week: &WeekAggregator,
    key: impl Fn(&QuestionStats) -> u64,
) -> Vec<(&String, &QuestionStats)> {
    let mut rows: Vec<_> = week.questions.iter().filter(|(_, s)| key(s) > 0).collect();
    rows.sort_by(|a, b| key(b.1).cmp(&key(a.1)).then_with(|| a.0.cmp(b.0)));
    rows
}

fn top_questions(week: &WeekAggregator) -> Vec<QuestionRow> {
    ranked(week, |s| s.asked)
        .into_iter()
        .take(TOP_QUESTIONS)
        .map(|(text, stats)| QuestionRow {
            text: shown_question(stats.shown_spelling().unwrap_or(text)),
            count: thousands(stats.asked),
            average_score: stats
                .average_score()
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.0}")),
        })
        .collect()
}

fn gap_rows(week: WeekId, found: &FoundGaps, history: &History) -> Vec<GapRow> {
    // The gaps of the weeks before, newest first, from last week on: a week without a report
    // (an empty week not sent) counts as a week without gaps.
    let earlier: Vec<Vec<StoredGap>> =
        std::iter::successors(Some(week.previous()), |w| Some(w.previous()))
            .take(history.weeks.len())
            .map(|w| {
                history
                    .weeks
                    .iter()
                    .find(|(id, _)| *id == w)
                    .map(|(_, summary)| summary.gaps.clone())
                    .unwrap_or_default()
            })
            .collect();
    found
        .gaps
        .iter()
        .take(MAX_GAPS)
        .map(|gap| {
            let status = gaps::status(gap, &earlier, &found.vocabulary);
            GapRow {
                text: shown_question(&gap.representative),
                asked: thousands(gap.asked),
                spread: format!(
                    "{} {}, {} {}",
                    thousands(gap.phrasings as u64),
                    if gap.phrasings == 1 {
                        "phrasing"
                    } else {
                        "phrasings"
                    },
                    thousands(gap.sessions as u64),
                    if gap.sessions == 1 {
                        "session"
                    } else {
                        "sessions"
                    },
                ),
                nearest: match (gap.answered_well, gap.nearest.as_deref()) {
                    (0, None) => "nothing in the CV covers this".to_owned(),
                    (0, Some(source)) => format!("nearest match: {}", shown_question(source)),
                    (n, source) => format!(
                        "answered well {} this week{}",
                        counted(n, "other time", "other times"),
                        source
                            .map_or_else(String::new, |s| format!(" (from {})", shown_question(s)))
                    ),
                },
                status: status.label(),
                status_colour: match status {
                    gaps::GapStatus::New => BAD,
                    gaps::GapStatus::Rising => BAD,
                    gaps::GapStatus::Persisting => NEUTRAL,
                },
            }
        })
        .collect()
}

fn resolved_rows(week: &WeekAggregator, found: &FoundGaps, history: &History) -> Vec<ResolvedRow> {
    let Some((id, last)) = history.weeks.first() else {
        return Vec::new();
    };
    if *id != week.week().previous() {
        return Vec::new();
    }
    gaps::resolved(&last.gaps, found, week)
        .into_iter()
        .map(|r| ResolvedRow {
            text: shown_question(&r.representative),
            full_matches: thousands(r.full_matches),
        })
        .collect()
}

fn gaps_note(week: &WeekAggregator, found: &FoundGaps) -> String {
    let distinct = week.questions.values().filter(|s| s.gaps() > 0).count();
    let askings: u64 = week.questions.values().map(QuestionStats::gaps).sum();
    let no_match: u64 = week.questions.values().map(|s| s.no_match).sum();
    let low: u64 = week.questions.values().map(|s| s.low_score).sum();
    let mut note = format!(
        "{} got no useful answer ({} no answer, {} a \"none\" match, {} a partial match \
         scored under {}): {} in {}{}.",
        counted(askings, "asking", "askings"),
        thousands(week.unanswered()),
        thousands(no_match),
        thousands(low),
        super::aggregate::LOW_SCORE,
        counted(distinct as u64, "distinct question", "distinct questions"),
        counted(found.gaps.len() as u64, "gap", "gaps"),
        if found.gaps.len() > MAX_GAPS {
            format!("; the {MAX_GAPS} most asked are listed")
        } else {
            String::new()
        }
    );
    if found.unclustered > 0 {
        note.push_str(&format!(
            " {} questions asked least were not grouped.",
            thousands(found.unclustered as u64)
        ));
    }
    note
}

fn trend(week: &WeekAggregator, history: &History) -> Vec<TrendRow> {
    let mut weeks: Vec<(String, u64, u64, bool)> = history
        .weeks
        .iter()
        .take(TREND_WEEKS - 1)
        .map(|(id, s)| (id.to_string(), s.asked, s.answered, false))
        .collect();
    if weeks.is_empty() {
        return Vec::new();
    }
    weeks.reverse();
    weeks.push((week.week().to_string(), week.asked, week.answered, true));
    let busiest = weeks.iter().map(|w| w.1).max().unwrap_or(0);
    weeks
        .into_iter()
        .map(|(id, asked, answered, current)| TrendRow {
            week: id,
            asked: thousands(asked),
            width: if busiest == 0 || asked == 0 {
                0
            } else {
                ((asked * 100).div_ceil(busiest)).clamp(1, 100) as u32
            },
            answer_rate: if asked == 0 {
                "-".to_owned()
            } else {
                format!("{:.0}%", answered as f64 * 100.0 / asked as f64)
            },
            unanswered: thousands(asked.saturating_sub(answered)),
            current,
        })
        .collect()
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

fn day_bars(week: &WeekAggregator) -> Vec<BarView> {
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    if week.asked == 0 {
        return Vec::new();
    }
    let rows = DAYS
        .iter()
        .zip(week.by_weekday)
        .map(|(day, count)| ((*day).to_owned(), count, "#6a1b9a"))
        .collect();
    bars(rows, week.asked)
}

fn hour_bars(week: &WeekAggregator) -> Vec<BarView> {
    let mut hours: Vec<(usize, u64)> = week
        .by_hour
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    hours.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    hours.truncate(TOP_HOURS);
    let rows = hours
        .into_iter()
        .map(|(hour, count)| (format!("{hour:02}:00-{hour:02}:59"), count, "#00838f"))
        .collect();
    bars(rows, week.asked)
}

fn sessions(week: &WeekAggregator) -> String {
    if week.asked == 0 {
        return String::new();
    }
    format!(
        "{} distinct sessions; {} of questions came without a session (anonymous).",
        thousands(week.distinct_sessions() as u64),
        percent(week.anonymous, week.asked)
    )
}

fn source_bars(week: &WeekAggregator) -> Vec<BarView> {
    let mut sources: Vec<(&String, &u64)> = week.sources.iter().collect();
    sources.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let rows = sources
        .into_iter()
        .take(TOP_SOURCES)
        .map(|(name, count)| (shown_question(name), *count, "#4e342e"))
        .collect();
    bars(rows, week.answered)
}
