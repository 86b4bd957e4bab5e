//! The week's figures, after the sections an owner acts on: the headline with its changes,
//! the trend, the top questions, and the rest condensed to one line each.

use shared_types::MatchType;

use super::format::{count_change, counted, duration, percent, rate_change, thousands};
use super::{BAD, GOOD, History, NEUTRAL, Previous};
use crate::report::aggregate::{QuestionStats, WeekAggregator};
use crate::report::significance;
use crate::report::text::shown_question;

/// Questions listed in "Top questions".
pub(super) const TOP_QUESTIONS: usize = 5;
/// Weeks in the trend, this one included.
pub(crate) const TREND_WEEKS: usize = 8;
/// Sources named in the technologies line.
pub(super) const TOP_SOURCES: usize = 5;
/// Hours named in the busiest-times line.
pub(super) const TOP_HOURS: usize = 3;
/// Fewest timed answers for which a 95th percentile is shown: with fewer, "p95" would be the
/// slowest answer or next to it, and say nothing about the 95th.
pub(super) const MIN_ANSWERS_FOR_P95: u64 = 20;

/// The week in figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub headline: Vec<FigureView>,
    pub trend: Vec<TrendRow>,
    pub top_questions: Vec<QuestionRow>,
    /// How many distinct questions the top ones are the most asked of.
    pub distinct_questions: String,
    pub details: Vec<DetailLine>,
    /// The figures behind the condensed lines, for whoever reads the view.
    pub latency: Option<LatencyView>,
    pub sources: Vec<Share>,
}

impl Figures {
    /// The figures of `week` against the weeks before; the top questions leave out those
    /// `shown` in the sections above.
    pub(super) fn of(week: &WeekAggregator, history: &History, shown: &[String]) -> Self {
        Self {
            headline: headline(week, &history.previous),
            trend: trend(week, history),
            top_questions: top_questions(week, shown),
            distinct_questions: thousands(week.questions.len() as u64),
            details: details(week),
            latency: latency(week),
            sources: sources(week),
        }
    }
}

/// One headline figure with its change against the previous week.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureView {
    pub label: &'static str,
    pub value: String,
    /// `up 49 or 30.6%, beyond noise`; `down 3.4 points, within noise`.
    pub change: String,
    pub colour: &'static str,
}

/// A count and its share of a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub label: String,
    pub count: u64,
    pub share: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRow {
    pub text: String,
    pub count: String,
    pub average_score: String,
}

/// One week of the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRow {
    pub week: String,
    pub asked: String,
    /// Width of the questions bar in percent of the busiest week, 0 to 100.
    pub width: u32,
    /// Useful answers over asked.
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

/// One condensed line of the figures: `Response time`: `median 1.2 s, ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailLine {
    pub label: String,
    pub text: String,
}

fn colour(sign: i8, up_is_good: bool) -> &'static str {
    match (sign, up_is_good) {
        (0, _) => NEUTRAL,
        (s, true) if s > 0 => GOOD,
        (s, false) if s < 0 => GOOD,
        _ => BAD,
    }
}

/// A count's figure: its change is coloured only when a Poisson test says it is unlikely to
/// be noise; `before` is `None` when the week before has no comparable figure.
fn count_figure(
    label: &'static str,
    current: u64,
    before: Option<u64>,
    up_is_good: bool,
) -> FigureView {
    let Some(before) = before else {
        return FigureView {
            label,
            value: thousands(current),
            change: "no comparable figure the week before".to_owned(),
            colour: NEUTRAL,
        };
    };
    let real = significance::count_changed(current, before);
    let sign = (i128::from(current) - i128::from(before)).signum() as i8;
    FigureView {
        label,
        value: thousands(current),
        change: count_change(current, before, real),
        colour: if real {
            colour(sign, up_is_good)
        } else {
            NEUTRAL
        },
    }
}

/// Asked; useful answers as a rate of asked; no useful answer (the gap sections' number); no
/// response.
fn headline(week: &WeekAggregator, previous: &Previous) -> Vec<FigureView> {
    let useful = week.useful();
    let rate = week.answer_rate();
    let (rate_text, rate_colour) = match (rate, previous.useful) {
        (Some(now), Some(before_useful)) if previous.asked > 0 => {
            let before = before_useful as f64 / previous.asked as f64;
            let points = (now - before) * 100.0;
            let real =
                significance::rate_changed((useful, week.asked), (before_useful, previous.asked));
            (
                rate_change(points, real),
                if real {
                    colour(points.signum() as i8, true)
                } else {
                    NEUTRAL
                },
            )
        }
        (Some(_), Some(_)) => ("none the week before".to_owned(), NEUTRAL),
        _ => ("no comparable figure the week before".to_owned(), NEUTRAL),
    };
    vec![
        count_figure("Questions asked", week.asked, Some(previous.asked), true),
        FigureView {
            label: "Useful answers",
            value: rate.map_or_else(|| "n/a".to_owned(), |r| format!("{:.1}%", r * 100.0)),
            change: rate_text,
            colour: rate_colour,
        },
        count_figure(
            "No useful answer",
            week.not_useful(),
            previous.useful.map(|u| previous.asked.saturating_sub(u)),
            false,
        ),
        count_figure(
            "No response",
            week.unanswered(),
            Some(previous.unanswered()),
            false,
        ),
    ]
}

fn trend(week: &WeekAggregator, history: &History) -> Vec<TrendRow> {
    // (week, asked, useful (unknown in markers written before it was kept), not responded to,
    // current)
    let mut weeks: Vec<(String, u64, Option<u64>, u64, bool)> = history
        .weeks
        .iter()
        .take(TREND_WEEKS - 1)
        .map(|(id, s)| (id.to_string(), s.asked, s.useful, s.unanswered(), false))
        .collect();
    if weeks.is_empty() {
        return Vec::new();
    }
    weeks.reverse();
    weeks.push((
        week.week().to_string(),
        week.asked,
        Some(week.useful()),
        week.unanswered(),
        true,
    ));
    let busiest = weeks.iter().map(|w| w.1).max().unwrap_or(0);
    weeks
        .into_iter()
        .map(|(id, asked, useful, unanswered, current)| TrendRow {
            week: id,
            asked: thousands(asked),
            width: if busiest == 0 || asked == 0 {
                0
            } else {
                ((asked * 100).div_ceil(busiest)).clamp(1, 100) as u32
            },
            answer_rate: match useful {
                Some(useful) if asked > 0 => {
                    format!("{:.0}%", useful as f64 * 100.0 / asked as f64)
                }
                _ => "-".to_owned(),
            },
            unanswered: thousands(unanswered),
            current,
        })
        .collect()
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

/// The most asked questions that no gap row above already shows.
fn top_questions(week: &WeekAggregator, shown: &[String]) -> Vec<QuestionRow> {
    ranked(week, |s| s.asked)
        .into_iter()
        .filter(|(key, _)| !shown.contains(key))
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

fn shares(rows: Vec<(String, u64)>, whole: u64) -> Vec<Share> {
    rows.into_iter()
        .map(|(label, count)| Share {
            share: percent(count, whole),
            label,
            count,
        })
        .collect()
}

/// Full, partial and none matches of the answered questions.
fn matches(week: &WeekAggregator) -> Vec<Share> {
    if week.answered == 0 {
        return Vec::new();
    }
    let rows = [
        ("full", MatchType::Full),
        ("partial", MatchType::Partial),
        ("none", MatchType::None),
    ]
    .into_iter()
    .map(|(label, kind)| (label.to_owned(), week.match_count(kind)))
    .collect();
    shares(rows, week.answered)
}

/// The score buckets that hold a score.
fn score_buckets(week: &WeekAggregator) -> Vec<Share> {
    let scored = week.scores_between(0, 100);
    let rows = [(80, 100), (60, 79), (40, 59), (20, 39), (0, 19)]
        .into_iter()
        .map(|(low, high)| (format!("{low}-{high}"), week.scores_between(low, high)))
        .filter(|(_, n)| *n > 0)
        .collect();
    shares(rows, scored)
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
            format!("from {} timed answers", thousands(timed))
        } else {
            format!(
                "from {} timed answers; p95 is shown from {MIN_ANSWERS_FOR_P95} on",
                thousands(timed)
            )
        },
    })
}

/// The sources the bot answered from, most used first.
fn sources(week: &WeekAggregator) -> Vec<Share> {
    let mut sources: Vec<(&String, &u64)> = week.sources.iter().collect();
    sources.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let rows = sources
        .into_iter()
        .take(TOP_SOURCES)
        .map(|(name, count)| (shown_question(name), *count))
        .collect();
    shares(rows, week.answered)
}

/// The rest of the figures, a line each; a line without figures is left out.
fn details(week: &WeekAggregator) -> Vec<DetailLine> {
    let line = |label: &str, text: Option<String>| {
        text.map(|text| DetailLine {
            label: label.to_owned(),
            text,
        })
    };
    [
        line("Matches", matches_line(week)),
        line(
            "Scores",
            Some(listed(&score_buckets(week))).filter(|t| !t.is_empty()),
        ),
        line(
            "Response time",
            latency(week).map(|l| {
                format!(
                    "median {}, p95 {}, slowest {} ({})",
                    l.p50, l.p95, l.max, l.note
                )
            }),
        ),
        line(&format!("Busiest ({})", week.zone().name()), busiest(week)),
        line("Sessions", sessions_line(week)),
        line("Technologies in answers", sources_line(week)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Shares as `full 12 (40.0%), partial 3 (10.0%)`.
fn listed(shares: &[Share]) -> String {
    shares
        .iter()
        .map(|s| format!("{} {} ({})", s.label, thousands(s.count), s.share))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The matches of the answered questions and their median score.
fn matches_line(week: &WeekAggregator) -> Option<String> {
    let matched = matches(week);
    if matched.is_empty() {
        return None;
    }
    let median = week
        .median_score()
        .map_or_else(String::new, |m| format!("; median score {m}"));
    Some(format!("{}{median}", listed(&matched)))
}

/// Distinct named sessions, and the share of questions asked without one.
fn sessions_line(week: &WeekAggregator) -> Option<String> {
    (week.asked > 0).then(|| {
        format!(
            "{}; {} of questions came without one (anonymous)",
            counted(
                week.distinct_sessions() as u64,
                "distinct session",
                "distinct sessions"
            ),
            percent(week.anonymous, week.asked)
        )
    })
}

/// The sources the bot answered from most.
fn sources_line(week: &WeekAggregator) -> Option<String> {
    let sources = sources(week);
    (!sources.is_empty()).then(|| {
        sources
            .iter()
            .map(|s| format!("{} {}", s.label, thousands(s.count)))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The busiest day and hours: `Tuesday (212); 09:00, 14:00 and 10:00`.
fn busiest(week: &WeekAggregator) -> Option<String> {
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let (day, count) = DAYS
        .iter()
        .zip(week.by_weekday)
        .filter(|(_, n)| *n > 0)
        .fold(None, |best: Option<(&str, u64)>, (d, n)| match best {
            Some((_, b)) if b >= n => best,
            _ => Some((d, n)),
        })?;
    let mut hours: Vec<(usize, u64)> = week
        .by_hour
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    hours.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let hours: Vec<String> = hours
        .iter()
        .take(TOP_HOURS)
        .map(|(h, n)| format!("{h:02}:00 ({})", thousands(*n)))
        .collect();
    Some(format!(
        "{day} ({}); hours {}",
        thousands(count),
        hours.join(", ")
    ))
}
