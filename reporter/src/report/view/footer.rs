//! The footer: the definitions, the week's bounds and what was read, what the pipeline
//! absorbed, and the notes that appear only when they have something to say.

use chrono::{DateTime, Utc};
use shared_types::record::pipeline_stats::PipelineStats;

use super::LateArrivals;
use super::figures::{TOP_HOURS, TOP_QUESTIONS, TOP_SOURCES};
use super::format::{counted, thousands};
use super::sections::{MAX_ADD_TO_CV, MAX_MISSED};
use crate::report::aggregate::{LOW_SCORE, WeekAggregator};
use crate::report::gaps::{self, FoundGaps};
use crate::report::text::MAX_QUESTION_CHARS;

/// The footer of the email.
#[derive(Debug, Clone, PartialEq)]
pub struct Footer {
    /// The score from which a partial match is a useful answer, for the definitions.
    pub low_score: u32,
    pub week_start: String,
    pub week_end: String,
    pub records_read: String,
    pub incomplete: String,
    /// Answers timestamped before their question, left out of the response times; empty when
    /// there were none.
    pub clock_skew_note: String,
    pub generated_at: String,
    pub caps: Caps,
    /// One line per reported week that got late arrivals.
    pub late_arrivals: Vec<String>,
    /// What the pipeline absorbed this week, in one line.
    pub integrity: String,
    /// How many questions had personal data removed; empty when none.
    pub redacted_note: String,
    /// Questions that were not grouped; empty when none.
    pub unclustered_note: String,
}

/// The caps of the email's lists, which its footer states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub add_to_cv: usize,
    pub missed: usize,
    pub top_questions: usize,
    pub sources: usize,
    pub hours: usize,
    pub question_chars: usize,
}

impl Footer {
    pub(super) fn of(
        week: &WeekAggregator,
        found: &FoundGaps,
        stats: &PipelineStats,
        generated_at: DateTime<Utc>,
    ) -> Self {
        let id = week.week();
        let zone = week.zone();
        let local =
            |at: DateTime<Utc>, format: &str| at.with_timezone(&zone).format(format).to_string();
        Self {
            low_score: LOW_SCORE,
            week_start: local(id.start_in(zone), "%Y-%m-%d %H:%M:%S %Z"),
            week_end: local(id.end_in(zone), "%Y-%m-%d %H:%M:%S %Z"),
            records_read: thousands(week.records_read),
            incomplete: thousands(week.incomplete),
            clock_skew_note: clock_skew_note(week),
            generated_at: local(generated_at, "%Y-%m-%d %H:%M %Z"),
            caps: Caps {
                add_to_cv: MAX_ADD_TO_CV,
                missed: MAX_MISSED,
                top_questions: TOP_QUESTIONS,
                sources: TOP_SOURCES,
                hours: TOP_HOURS,
                question_chars: MAX_QUESTION_CHARS,
            },
            late_arrivals: Vec::new(),
            integrity: integrity(week, stats),
            redacted_note: redacted_note(week.redacted),
            unclustered_note: unclustered_note(found),
        }
    }
}

/// What became of a reported week: more requests (late arrivals), fewer (moved to another
/// week, when their query came), others in place of some (both at once), or the same ones
/// with late queries joining their answers.
pub(super) fn late_arrival_line(late: &LateArrivals) -> String {
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
        // The same keys: late queries joined answers already filed under the week.
        std::cmp::Ordering::Equal if now.fingerprint == reported.fingerprint => {
            match now.asked.checked_sub(reported.asked).filter(|n| *n > 0) {
                Some(joined) => format!(
                    "{} late for {}, joining answers already filed under it",
                    counted(joined, "question arrived", "questions arrived"),
                    late.week
                ),
                None => format!("Requests of {} changed after its report", late.week),
            }
        }
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
