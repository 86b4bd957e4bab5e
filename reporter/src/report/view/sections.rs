//! The sections an owner acts on: what to add to the CV, what the bot missed, what got no
//! response, what was off-topic, and what was resolved; the summary line above them and the
//! banner when the bot stopped responding.

use shared_types::WeekId;
use shared_types::record::report_marker::StoredGap;

use super::format::{counted, percent, thousands};
use super::{BAD, History, NEUTRAL, Previous};
use crate::report::aggregate::WeekAggregator;
use crate::report::gaps::{self, FoundGaps, Gap, GapClass, GapStatus};
use crate::report::significance;
use crate::report::text::shown_question;

/// Things to add to the CV shown as cards; the others are counted under them.
pub(super) const MAX_ADD_TO_CV: usize = 8;
/// Rows of "the bot missed answers the CV has", and of "no response", shown each.
pub(super) const MAX_MISSED: usize = 5;
/// Off-topic questions quoted.
const OFF_TOPIC_EXAMPLES: usize = 3;

/// One thing recruiters asked that the CV does not answer.
#[derive(Debug, Clone, PartialEq)]
pub struct GapCard {
    /// `Salary expectations`, `COBOL`.
    pub label: String,
    /// `asked 21 times in 5 phrasings by 4 sessions`, `asked 3 times, anonymously`.
    pub asked: String,
    pub status: &'static str,
    pub status_colour: &'static str,
    /// Two or three of its questions as asked (scrubbed before storage), most asked first.
    pub examples: Vec<String>,
    /// What to add: `state a range, or how you prefer to discuss it`; `say whether you have
    /// worked with COBOL, and how much`.
    pub suggestion: String,
    /// What the bot found when it looked: nothing, or the nearest (weak) match.
    pub evidence: String,
}

/// One row of the bot's own failures (answered well at other times, or not responded to).
#[derive(Debug, Clone, PartialEq)]
pub struct MissRow {
    pub label: String,
    pub asked: String,
    pub detail: String,
}

/// A gap of last week that this week's questions no longer make.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRow {
    pub text: String,
    pub full_matches: String,
}

/// The rows a section shows, and a line for what its cap left out (empty when nothing was).
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    pub rows: Vec<T>,
    pub note: String,
}

/// The gaps shown in the email, most asked first: its "Add to your CV" cards, then the rows
/// of the bot's misses and of the questions without a response.
fn shown(found: &FoundGaps) -> impl Iterator<Item = &Gap> {
    found
        .of(GapClass::NotInCv)
        .take(MAX_ADD_TO_CV)
        .chain(found.of(GapClass::BotMissed).take(MAX_MISSED))
        .chain(found.of(GapClass::NoResponse).take(MAX_MISSED))
}

/// The gaps a week's marker keeps for later weeks to recognise, as many as
/// [`FoundGaps::stored`] keeps: every gap the email showed (so a card shown is next week's
/// "also last week", never "new" again), then the most asked of the others; in the order of
/// `found` (most asked first); each with its texts bounded ([`StoredGap::bounded`]).
pub(crate) fn stored_gaps(found: &FoundGaps) -> Vec<StoredGap> {
    let cap = found.stored().len();
    let mut kept: Vec<bool> = found
        .gaps
        .iter()
        .map(|gap| shown(found).any(|s| std::ptr::eq(s, gap)))
        .collect();
    let mut room = cap.saturating_sub(kept.iter().filter(|k| **k).count());
    for keep in &mut kept {
        if room > 0 && !*keep {
            *keep = true;
            room -= 1;
        }
    }
    found
        .gaps
        .iter()
        .zip(kept)
        .filter(|(_, keep)| *keep)
        .map(|(gap, _)| gap.stored().bounded())
        .collect()
}

/// The gap sections of the email.
#[derive(Debug, Clone, PartialEq)]
pub struct Sections {
    pub add_to_cv: Listing<GapCard>,
    pub bot_missed: Listing<MissRow>,
    pub no_response: Listing<MissRow>,
    /// One line: how many were off-topic, and three of them; empty when none.
    pub off_topic: String,
    pub resolved: Vec<ResolvedRow>,
    /// How the week's questions without a useful answer are shared out among the sections.
    pub breakdown: String,
    /// The normalised questions of every row shown, which the top questions do not repeat.
    pub(super) shown_keys: Vec<String>,
}

impl Sections {
    /// The sections of `week`, its gaps `found`, against what is known of the weeks before.
    pub(super) fn of(week: &WeekAggregator, found: &FoundGaps, history: &History) -> Self {
        let earlier = earlier_gaps(week.week(), history);
        let status = |gap: &Gap| {
            gaps::status(
                gap,
                earlier.first().map(Vec::as_slice),
                earlier.get(1).map(Vec::as_slice),
                &found.vocabulary,
            )
        };
        let not_in_cv: Vec<&Gap> = found.of(GapClass::NotInCv).collect();
        let missed: Vec<&Gap> = found.of(GapClass::BotMissed).collect();
        let silent: Vec<&Gap> = found.of(GapClass::NoResponse).collect();
        let off_topic: Vec<&Gap> = found.of(GapClass::OffTopic).collect();
        let shown_keys = shown(found).flat_map(|g| g.keys.iter().cloned()).collect();
        Self {
            add_to_cv: Listing {
                rows: not_in_cv
                    .iter()
                    .take(MAX_ADD_TO_CV)
                    .map(|gap| card(gap, status(gap)))
                    .collect(),
                note: left_out(&not_in_cv, MAX_ADD_TO_CV),
            },
            bot_missed: Listing {
                rows: missed
                    .iter()
                    .take(MAX_MISSED)
                    .map(|g| missed_row(g))
                    .collect(),
                note: left_out(&missed, MAX_MISSED),
            },
            no_response: Listing {
                rows: silent
                    .iter()
                    .take(MAX_MISSED)
                    .map(|g| MissRow {
                        label: shown_question(&g.label),
                        asked: thousands(g.asked),
                        detail: examples_line(g),
                    })
                    .collect(),
                note: left_out(&silent, MAX_MISSED),
            },
            off_topic: off_topic_line(&off_topic),
            resolved: resolved_rows(week, found, history),
            breakdown: breakdown(week, found),
            shown_keys,
        }
    }
}

/// The gaps of the weeks before, newest first, from last week on: a week without a report (an
/// empty week not sent) counts as a week without gaps.
fn earlier_gaps(week: WeekId, history: &History) -> Vec<Vec<StoredGap>> {
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
        .collect()
}

fn card(gap: &Gap, status: GapStatus) -> GapCard {
    let times = counted(gap.asked, "time", "times");
    let phrasings = match gap.phrasings {
        1 => String::new(),
        n => format!(" in {n} phrasings"),
    };
    let who = match gap.sessions {
        0 => ", anonymously".to_owned(),
        n => format!(" by {}", counted(n as u64, "session", "sessions")),
    };
    GapCard {
        label: shown_question(&gap.label),
        asked: format!("asked {times}{phrasings}{who}"),
        status: status.label(),
        status_colour: match status {
            GapStatus::New | GapStatus::Rising => BAD,
            GapStatus::LastWeekToo | GapStatus::Persisting => NEUTRAL,
        },
        examples: gap.examples.iter().map(|e| shown_question(e)).collect(),
        suggestion: suggestion(gap),
        evidence: evidence(gap),
    }
}

/// What to add for a gap: its topic's or family's suggestion; for a gap without either, a
/// suggestion that names its subject (`say whether you have worked with COBOL`).
fn suggestion(gap: &Gap) -> String {
    match (&gap.suggestion, &gap.subject) {
        (Some(suggestion), _) => suggestion.clone(),
        (None, Some(subject)) => format!(
            "say whether you have worked with {}, and how much",
            shown_question(subject)
        ),
        (None, None) => "say whether the CV covers this".to_owned(),
    }
}

/// What the bot found in the CV for a gap's questions: a claim only from what it did.
fn evidence(gap: &Gap) -> String {
    let unanswered = gap.asked - gap.answered;
    let looked = match unanswered {
        0 => String::new(),
        n => format!("; {} got no response", thousands(n)),
    };
    match &gap.nearest {
        None => format!(
            "Nothing in the CV covers this: answered {} with no source{looked}.",
            counted(gap.answered, "time", "times")
        ),
        Some(source) => format!(
            "The nearest the bot found was {}, a weak match{looked}.",
            shown_question(source)
        ),
    }
}

fn missed_row(gap: &Gap) -> MissRow {
    MissRow {
        label: shown_question(&gap.label),
        asked: thousands(gap.asked),
        detail: format!(
            "answered well {}{}",
            counted(gap.answered_well, "other time", "other times"),
            gap.nearest
                .as_deref()
                .map_or_else(String::new, |s| format!(", from {}", shown_question(s)))
        ),
    }
}

/// Up to three of a gap's questions, quoted.
fn examples_line(gap: &Gap) -> String {
    gap.examples
        .iter()
        .map(|e| format!("\u{201c}{}\u{201d}", shown_question(e)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn left_out(gaps: &[&Gap], shown: usize) -> String {
    if gaps.len() <= shown {
        return String::new();
    }
    let rest = &gaps[shown..];
    format!(
        "And {} more, asked {} in all.",
        thousands(rest.len() as u64),
        counted(rest.iter().map(|g| g.asked).sum(), "time", "times")
    )
}

fn off_topic_line(off_topic: &[&Gap]) -> String {
    let asked: u64 = off_topic.iter().map(|g| g.asked).sum();
    if asked == 0 {
        return String::new();
    }
    // One of each group first (the most asked), then the others.
    let firsts = off_topic.iter().filter_map(|g| g.examples.first());
    let rest = off_topic.iter().flat_map(|g| g.examples.iter().skip(1));
    let quoted: Vec<String> = firsts
        .chain(rest)
        .take(OFF_TOPIC_EXAMPLES)
        .map(|e| format!("\u{201c}{}\u{201d}", shown_question(e)))
        .collect();
    format!(
        "{} not about the CV, never counted as gaps: {}.",
        counted(asked, "question was", "questions were"),
        quoted.join(", ")
    )
}

/// The week's questions without a useful answer, shared out among the sections: the same
/// number as the headline's "no useful answer".
fn breakdown(week: &WeekAggregator, found: &FoundGaps) -> String {
    let sum = |class| found.of(class).map(|g| g.asked).sum::<u64>();
    let grouped: u64 = found.gaps.iter().map(|g| g.asked).sum();
    let rest = week.not_useful().saturating_sub(grouped);
    let parts: Vec<String> = [
        (sum(GapClass::NotInCv), "to add to the CV"),
        (sum(GapClass::BotMissed), "the bot missed"),
        (sum(GapClass::NoResponse), "with no response at all"),
        (sum(GapClass::OffTopic), "off-topic"),
        (rest, "asked too rarely to be grouped"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{} {what}", thousands(n)))
    .collect();
    if parts.is_empty() {
        return "Every question got a useful answer.".to_owned();
    }
    format!(
        "{} got no useful answer: {}.",
        counted(week.not_useful(), "question", "questions"),
        parts.join(", ")
    )
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

/// The one line at the top, also the email's preheader.
pub(super) fn summary(week: &WeekAggregator, found: &FoundGaps) -> String {
    if week.asked == 0 {
        return "No questions this week.".to_owned();
    }
    let things = found.of(GapClass::NotInCv).count() as u64;
    let mut line = format!(
        "{}; {} that your CV does not answer",
        counted(week.asked, "question", "questions"),
        counted(things, "thing recruiters asked", "things recruiters asked")
    );
    if week.unanswered() > 0 {
        line.push_str(&format!(
            "; the bot did not respond to {}",
            thousands(week.unanswered())
        ));
    }
    line
}

/// "The bot did not respond to 209 questions (20%), up from 160: check the chatbot.", when the
/// questions without a response rose beyond noise; `None` otherwise.
pub(super) fn banner(week: &WeekAggregator, previous: &Previous) -> Option<String> {
    let (now, before) = (week.unanswered(), previous.unanswered());
    (now > before && previous.asked > 0 && significance::count_changed(now, before)).then(|| {
        format!(
            "The bot did not respond to {} ({}), up from {}: check the chatbot.",
            counted(now, "question", "questions"),
            percent(now, week.asked),
            thousands(before)
        )
    })
}
