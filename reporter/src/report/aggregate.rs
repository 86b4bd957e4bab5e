//! One streaming pass over a week's records, keeping only what the report needs.
//!
//! Memory grows with the number of distinct questions, sessions and sources, never with the
//! number of records: scores go into a 101-slot histogram (scores are integers 0 to 100) and
//! latencies into an HDR histogram (three significant digits).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Timelike, Utc};
use hdrhistogram::Histogram;
use shared_types::event::{ANONYMOUS_SESSION, CANARY_SESSION};
use shared_types::record::report_marker::WeekSummary;
use shared_types::week::Tz;
use shared_types::{MatchType, RequestRecord, WeekId};

use super::text::{normalise_question, spelling};

/// Highest latency the histogram tracks exactly, in milliseconds (one hour); longer ones are
/// counted at this value.
const MAX_TRACKED_LATENCY_MS: u64 = 3_600_000;

/// A partial match scored below this is a content gap too: the CV barely covers the question.
pub(crate) const LOW_SCORE: u32 = 40;

/// Adds one to `key`'s count in a short list.
fn count_in(counts: &mut Vec<(String, u64)>, key: &str) {
    match counts.iter_mut().find(|(k, _)| k == key) {
        Some((_, n)) => *n += 1,
        None => counts.push((key.to_owned(), 1)),
    }
}

/// What is known of one normalised question over the week.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionStats {
    /// Times asked.
    pub asked: u64,
    /// Times asked and never answered.
    pub unanswered: u64,
    /// Times answered with match type `none`.
    pub no_match: u64,
    /// Times answered with a partial match scored below [`LOW_SCORE`].
    pub low_score: u64,
    /// Times answered with a full match.
    pub full: u64,
    score_sum: u64,
    scored: u64,
    /// How often each spelling ([`spelling`]) of the question was asked (a few per question:
    /// a list is smaller and faster than a map).
    spellings: Vec<(String, u64)>,
    /// Sessions (not anonymous) that asked it and got no useful answer.
    pub gap_sessions: HashSet<String>,
    /// What the bot matched when it answered it, well or badly: source, times (a few per
    /// question, as a list).
    pub sources: Vec<(String, u64)>,
}

impl QuestionStats {
    /// Adds one asking of the question: answered or not, and how well.
    fn add(&mut self, record: &RequestRecord, session: Option<&str>) {
        self.asked += 1;
        count_in(
            &mut self.spellings,
            &spelling(record.query.as_deref().unwrap_or_default()),
        );
        let gap = match record.match_type {
            None => {
                self.unanswered += 1;
                true
            }
            Some(MatchType::None) => {
                self.no_match += 1;
                true
            }
            Some(MatchType::Partial) if record.match_score.is_some_and(|s| s < LOW_SCORE) => {
                self.low_score += 1;
                true
            }
            Some(MatchType::Full) => {
                self.full += 1;
                false
            }
            Some(MatchType::Partial) => false,
        };
        if let (true, Some(session)) = (gap, session) {
            self.gap_sessions.insert(session.to_owned());
        }
        if record.match_type.is_none() {
            return;
        }
        for source in distinct_sources(record) {
            count_in(&mut self.sources, source);
        }
        if let Some(score) = record.match_score {
            self.score_sum += u64::from(score.min(100));
            self.scored += 1;
        }
    }

    /// The spelling asked most often; of equally frequent ones, the first in code-point order,
    /// so the choice never depends on the read order.
    pub(crate) fn shown_spelling(&self) -> Option<&str> {
        self.spellings
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(text, _)| text.as_str())
    }

    /// Average match score of the answered askings.
    pub fn average_score(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.score_sum as f64 / self.scored as f64)
    }

    /// Askings that got a useful answer: a full match, or a partial one scored [`LOW_SCORE`] or
    /// more.
    pub fn answered_well(&self) -> u64 {
        self.asked - self.gaps()
    }

    /// Askings the CV could not answer: no response, a `none` match, or a partial match scored
    /// below [`LOW_SCORE`].
    pub fn gaps(&self) -> u64 {
        self.unanswered + self.no_match + self.low_score
    }
}

/// Running totals for one week.
#[derive(Debug)]
pub struct WeekAggregator {
    week: WeekId,
    /// The owner's time zone: the week's days and hours are its clocks'.
    zone: Tz,
    pub records_read: u64,
    /// Records of other weeks that the index still listed (an item moved, or a stale index).
    pub skipped_other_week: u64,
    /// Canary requests of a post-deploy check ([`CANARY_SESSION`]), left out of every figure.
    pub canaries: u64,
    pub asked: u64,
    pub answered: u64,
    /// Responses whose query never arrived.
    pub incomplete: u64,
    match_counts: [u64; 3],
    score_histogram: [u64; 101],
    latency_ms: Histogram<u64>,
    latency_max_ms: Option<u64>,
    /// Answers whose response is timestamped before its question (clock skew): counted here,
    /// left out of the response times.
    pub negative_latencies: u64,
    pub questions: HashMap<String, QuestionStats>,
    pub by_weekday: [u64; 7],
    pub by_hour: [u64; 24],
    sessions: HashSet<String>,
    pub anonymous: u64,
    pub sources: HashMap<String, u64>,
    /// Questions that had personal data scrubbed before they were stored.
    pub redacted: u64,
}

impl WeekAggregator {
    /// A week in UTC.
    pub fn new(week: WeekId) -> Self {
        Self::in_zone(week, Tz::UTC)
    }

    /// A week whose days and hours are read on the clocks of `zone`. A question in the hour
    /// that happens twice when the clocks go back counts once, in that hour.
    pub fn in_zone(week: WeekId, zone: Tz) -> Self {
        Self {
            week,
            zone,
            records_read: 0,
            skipped_other_week: 0,
            canaries: 0,
            asked: 0,
            answered: 0,
            incomplete: 0,
            match_counts: [0; 3],
            score_histogram: [0; 101],
            latency_ms: latency_histogram(),
            latency_max_ms: None,
            negative_latencies: 0,
            questions: HashMap::new(),
            by_weekday: [0; 7],
            by_hour: [0; 24],
            sessions: HashSet::new(),
            anonymous: 0,
            sources: HashMap::new(),
            redacted: 0,
        }
    }

    pub fn week(&self) -> WeekId {
        self.week
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Adds one record.
    pub fn add(&mut self, record: &RequestRecord) {
        self.records_read += 1;
        if record.week != self.week {
            self.skipped_other_week += 1;
            return;
        }
        if record.session_id == CANARY_SESSION {
            self.canaries += 1;
            return;
        }
        let Some(query_ts) = record.query_ts else {
            self.incomplete += 1;
            return;
        };
        let session = named_session(&record.session_id);
        self.count_asking(record, query_ts, session);
        let text = record.query.as_deref().unwrap_or_default();
        let stats = self.questions.entry(normalise_question(text)).or_default();
        stats.add(record, session);
        if let Some(match_type) = record.match_type {
            self.count_answer(record, match_type);
        }
    }

    /// The week's side of a question asked: the count, its day and hour, its session, whether
    /// personal data was removed from it.
    fn count_asking(&mut self, record: &RequestRecord, query_ts: i64, session: Option<&str>) {
        self.asked += 1;
        if record.redactions.is_some_and(|n| n > 0) {
            self.redacted += 1;
        }
        if let Some(at) = DateTime::<Utc>::from_timestamp_millis(query_ts) {
            let at = at.with_timezone(&self.zone);
            self.by_weekday[at.weekday().num_days_from_monday() as usize] += 1;
            self.by_hour[at.hour() as usize] += 1;
        }
        match session {
            None => self.anonymous += 1,
            Some(session) => {
                if !self.sessions.contains(session) {
                    self.sessions.insert(session.to_owned());
                }
            }
        }
    }

    /// The week's side of an answer: its match, score, response time and sources.
    fn count_answer(&mut self, record: &RequestRecord, match_type: MatchType) {
        self.answered += 1;
        self.match_counts[match_index(match_type)] += 1;
        if let Some(score) = record.match_score {
            self.score_histogram[score.min(100) as usize] += 1;
        }
        match record.latency_ms().map(u64::try_from) {
            Some(Ok(latency)) => {
                self.latency_max_ms = Some(self.latency_max_ms.map_or(latency, |m| m.max(latency)));
                self.latency_ms
                    .saturating_record(latency.clamp(1, MAX_TRACKED_LATENCY_MS));
            }
            Some(Err(_)) => self.negative_latencies += 1,
            None => {}
        }
        for source in distinct_sources(record) {
            *self.sources.entry(source.clone()).or_default() += 1;
        }
    }

    pub fn unanswered(&self) -> u64 {
        self.asked - self.answered
    }

    /// The week's figures as a report stores them (see [`WeekSummary`]), without its gaps.
    pub fn summary(&self) -> WeekSummary {
        WeekSummary {
            indexed: self.records_read,
            asked: self.asked,
            answered: self.answered,
            useful: Some(self.useful()),
            incomplete: self.incomplete,
            ..WeekSummary::default()
        }
    }

    /// Questions that got a useful answer: a full match, or a partial one scored
    /// [`LOW_SCORE`] or more.
    pub fn useful(&self) -> u64 {
        self.questions
            .values()
            .map(QuestionStats::answered_well)
            .sum()
    }

    /// Questions that got no useful answer: no response, a `none` match, or a partial one
    /// scored under [`LOW_SCORE`]. The email's "no useful answer", and what its gap sections
    /// share out.
    pub fn not_useful(&self) -> u64 {
        self.asked - self.useful()
    }

    /// Share of the questions asked that got a useful answer, 0 to 1, or `None` for an empty
    /// week.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.asked > 0).then(|| self.useful() as f64 / self.asked as f64)
    }

    pub fn match_count(&self, match_type: MatchType) -> u64 {
        self.match_counts[match_index(match_type)]
    }

    /// Scores counted in `[low, high]`.
    pub fn scores_between(&self, low: u32, high: u32) -> u64 {
        let (low, high) = (low.min(100) as usize, high.min(100) as usize);
        self.score_histogram[low..=high].iter().sum()
    }

    /// The median match score (the lower median for an even count).
    pub fn median_score(&self) -> Option<u32> {
        let total: u64 = self.score_histogram.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = total.div_ceil(2);
        let mut seen = 0;
        for (score, count) in self.score_histogram.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return u32::try_from(score).ok();
            }
        }
        None
    }

    /// Latency at `quantile` (0 to 1) in milliseconds, to three significant digits and never
    /// above the slowest answer, when there are timed answers. (The histogram answers with the
    /// top of a bucket, which can exceed every value in it.)
    pub fn latency_quantile_ms(&self, quantile: f64) -> Option<u64> {
        let max = self.latency_max_ms?;
        Some(self.latency_ms.value_at_quantile(quantile).min(max))
    }

    /// The slowest answer, exactly, in milliseconds.
    pub fn latency_max_ms(&self) -> Option<u64> {
        self.latency_max_ms
    }

    /// Answers with a response time (both timestamps, the response not before the question).
    pub fn timed_answers(&self) -> u64 {
        self.latency_ms.len()
    }

    /// Distinct sessions that were not anonymous.
    pub fn distinct_sessions(&self) -> usize {
        self.sessions.len()
    }
}

/// The session of a record that names one; `None` for an anonymous one.
fn named_session(session_id: &str) -> Option<&str> {
    (session_id != ANONYMOUS_SESSION && !session_id.trim().is_empty()).then_some(session_id)
}

/// The sources of an answer, each once: a source listed twice in one answer counts once for it.
fn distinct_sources(record: &RequestRecord) -> impl Iterator<Item = &String> {
    let sources = record.sources_used.as_deref().unwrap_or_default();
    sources
        .iter()
        .enumerate()
        .filter(|(i, source)| !sources[..*i].contains(source))
        .map(|(_, source)| source)
}

fn match_index(match_type: MatchType) -> usize {
    match match_type {
        MatchType::Full => 0,
        MatchType::Partial => 1,
        MatchType::None => 2,
    }
}

#[allow(clippy::expect_used)]
fn latency_histogram() -> Histogram<u64> {
    // Constant arguments that HDR accepts (low >= 1, high >= 2 * low, precision <= 5): this
    // cannot fail, and a unit test builds one.
    Histogram::new_with_bounds(1, MAX_TRACKED_LATENCY_MS, 3).expect("valid histogram bounds")
}
