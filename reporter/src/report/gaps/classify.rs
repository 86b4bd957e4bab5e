//! What each group of a week's questions is for the owner: something the CV does not answer,
//! a miss of the bot, questions without a response, or off-topic; and the gap it makes.

use std::collections::{BTreeMap, HashSet};

use super::grouping::{Group, Grouping, group, selected};
use super::lexical::{Features, Vocabulary, centroid};
use crate::report::aggregate::{QuestionStats, WeekAggregator};

/// What a gap is, for the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapClass {
    /// The CV does not cover it: the bot answered its questions with a `none` match or a weak
    /// partial one, and never well this week.
    NotInCv,
    /// The bot answered its questions well at other times this week: a failure of the bot.
    BotMissed,
    /// Its questions got no response at all: nothing is known yet of what the CV holds.
    NoResponse,
    /// Not about the CV: never a gap.
    OffTopic,
}

/// One content gap of the week.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// What the email calls it (`Salary expectations`, `COBOL`).
    pub label: String,
    /// What to add to the CV, when a topic says.
    pub suggestion: Option<String>,
    /// The subject its questions share, when no topic or family says what it is (`COBOL`).
    pub subject: Option<String>,
    /// The id of its topic or family, when it has one.
    pub topic: Option<String>,
    pub class: GapClass,
    /// The most asked of its questions, in its most common spelling.
    pub representative: String,
    /// Up to three of its questions, as asked, the most asked first.
    pub examples: Vec<String>,
    /// Its questions, normalised as the week's figures key them.
    pub keys: Vec<String>,
    /// Times its questions were asked without a useful answer.
    pub asked: u64,
    /// Distinct questions (normalised) it was asked as.
    pub phrasings: usize,
    /// Distinct named sessions that asked it.
    pub sessions: usize,
    /// The source the bot matched most often when it answered these questions at all.
    pub nearest: Option<String>,
    /// Times the same questions got a useful answer this week.
    pub answered_well: u64,
    /// Times they got a response (a `none` or a weak partial match): the bot looked in the CV.
    pub answered: u64,
    /// The centroid of its questions, by term name, as a marker stores it.
    pub centroid: Vec<(String, f32)>,
    /// The same centroid in this week's term ids.
    pub(super) vector: Features,
}

/// The week's gaps, most asked first, and what was left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FoundGaps {
    pub gaps: Vec<Gap>,
    /// Distinct questions beyond [`MAX_CLUSTERED`] without a topic, counted but not grouped.
    pub unclustered: usize,
    /// The week's terms, which other weeks' stored gaps are compared in.
    pub vocabulary: Vocabulary,
}

impl FoundGaps {
    /// The gaps of one class, most asked first.
    pub fn of(&self, class: GapClass) -> impl Iterator<Item = &Gap> {
        self.gaps.iter().filter(move |g| g.class == class)
    }
}

/// Groups the week's questions that got no useful answer (no response, a `none` match, a weak
/// partial one) by meaning, and says what each group is.
pub fn find(week: &WeekAggregator) -> FoundGaps {
    let candidates: Vec<(&str, &QuestionStats)> = week
        .questions
        .iter()
        .filter(|(_, s)| s.gaps() > 0)
        .map(|(k, s)| (k.as_str(), s))
        .collect();
    let (candidates, unclustered) = selected(candidates, |(key, stats)| (*key, stats.gaps()));
    // Read as most often spelt (the same words once folded), so that labels keep capitals.
    let texts: Vec<&str> = candidates
        .iter()
        .map(|(k, s)| s.shown_spelling().unwrap_or(k))
        .collect();
    let grouping = group(&texts);
    let mut gaps: Vec<Gap> = grouping
        .groups
        .iter()
        .map(|group| gap(group, &candidates, &grouping))
        .collect();
    gaps.sort_by(|a, b| {
        b.asked
            .cmp(&a.asked)
            .then_with(|| a.representative.cmp(&b.representative))
    });
    FoundGaps {
        gaps,
        unclustered,
        vocabulary: grouping.vocabulary,
    }
}

/// The gap one group makes.
fn gap(group: &Group, candidates: &[(&str, &QuestionStats)], grouping: &Grouping) -> Gap {
    let members = &group.members;
    let (first_key, first) = candidates[members[0]];
    let answers = Answers::of(members.iter().map(|&m| candidates[m].1));
    let member_vectors: Vec<&Features> = members.iter().map(|&m| &grouping.vectors[m]).collect();
    let weights: Vec<u64> = members.iter().map(|&m| candidates[m].1.gaps()).collect();
    let vector = centroid(&member_vectors, &weights);
    let class = match group.about {
        Some(about) if about.is_off_topic() => GapClass::OffTopic,
        _ if answers.answered_well > 0 => GapClass::BotMissed,
        _ if answers.answered == 0 => GapClass::NoResponse,
        _ => GapClass::NotInCv,
    };
    Gap {
        label: group.label.clone(),
        suggestion: group.about.map(|a| a.suggestion().to_owned()),
        subject: group.subject.clone(),
        topic: group.about.map(|a| a.id().to_owned()),
        class,
        representative: first.shown_spelling().unwrap_or(first_key).to_owned(),
        examples: examples(members, candidates),
        keys: members
            .iter()
            .map(|&m| candidates[m].0.to_owned())
            .collect(),
        asked: weights.iter().sum(),
        phrasings: members.len(),
        sessions: answers.sessions,
        nearest: answers.nearest,
        answered_well: answers.answered_well,
        answered: answers.answered,
        centroid: grouping.vocabulary.named(&vector),
        vector,
    }
}

/// What a group's questions got this week, summed over its members.
struct Answers {
    /// Distinct named sessions that asked them without a useful answer.
    sessions: usize,
    /// The source the bot matched most often when it answered them at all.
    nearest: Option<String>,
    /// Times they got a useful answer.
    answered_well: u64,
    /// Times they got a response that was not useful.
    answered: u64,
}

impl Answers {
    fn of<'a>(members: impl Iterator<Item = &'a QuestionStats>) -> Self {
        let mut sessions: HashSet<&String> = HashSet::new();
        let mut sources: BTreeMap<&String, u64> = BTreeMap::new();
        let (mut answered_well, mut answered) = (0, 0);
        for stats in members {
            sessions.extend(stats.gap_sessions.iter());
            answered_well += stats.answered_well();
            answered += stats.no_match + stats.low_score;
            for (source, n) in &stats.sources {
                *sources.entry(source).or_default() += n;
            }
        }
        Self {
            sessions: sessions.len(),
            nearest: sources
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(source, _)| source.clone()),
            answered_well,
            answered,
        }
    }
}

/// Up to three phrasings, most asked first, those whose personal data was scrubbed (a
/// `[phone]` in them) after the others.
fn examples(members: &[usize], candidates: &[(&str, &QuestionStats)]) -> Vec<String> {
    let mut phrasings: Vec<&str> = members
        .iter()
        .map(|&m| {
            let (key, stats) = candidates[m];
            stats.shown_spelling().unwrap_or(key)
        })
        .collect();
    phrasings.sort_by_key(|p| {
        shared_types::privacy::placeholder::ALL
            .iter()
            .any(|h| p.contains(h))
    });
    phrasings.into_iter().take(3).map(str::to_owned).collect()
}
