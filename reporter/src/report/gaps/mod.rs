//! Content gaps: the week's questions that got no useful answer, grouped by meaning, locally and
//! deterministically, so that "what is your salary expectation", "how much do you want to be
//! paid" and "Quelles sont ses prétentions salariales ?" are one gap asked three ways, and
//! "do you know cobol", "cobol experience?" another.
//!
//! **Method.** A question is read as its words ([`words`]: folded, aliases made one, function
//! words and pronouns of seven languages and the fillers of every CV question set apart). First
//! by **topic** ([`topics`], `reporter/data/topics.toml`): the questions every CV chatbot is
//! asked (salary, notice period, relocation, visa, languages spoken, ...), recognised by their
//! triggers in English, French, German, Spanish, Dutch, Italian and Portuguese, are one gap per
//! topic whatever their words (a topic that splits, such as certifications, is one gap per
//! language). The rest are grouped by their **words** ([`lexical`]): TF-IDF vectors of their
//! content stems and trigrams, average-linkage clustering at cosine [`THRESHOLD`]. Off-topic
//! questions ("can you fix my printer") are counted apart and never a gap.
//!
//! **Which gap is what.** A group whose questions got a useful answer at other times this week
//! is the bot's failure, not the CV's ([`GapClass::BotMissed`]); one whose questions got no
//! response at all says nothing about the CV yet ([`GapClass::NoResponse`]); the others are
//! what the CV does not cover ([`GapClass::NotInCv`]).
//!
//! **Quality** is measured on two labelled sets of questions (`reporter/tests/it/gaps/`): the
//! set the method was tuned on, and a set written by someone else without it, which the
//! method never saw while it was made; `cargo test -p reporter --test it gaps -- --nocapture`
//! prints the adjusted Rand index and pairwise F1 of both.

mod lexical;
pub mod topics;
pub mod words;

use std::collections::{BTreeMap, HashSet};

pub use lexical::{CENTROID_FEATURES, Features, Vocabulary, centroid, cluster_at, cosine};
pub use shared_types::record::report_marker::StoredGap;
pub use topics::{Topic, TopicKind};

use super::aggregate::{QuestionStats, WeekAggregator};
use super::significance;

/// Average similarity at which two groups of questions merge: the best of a sweep on the
/// tuning set, leaning to precision (a wrong merge misleads; a split only shows one more row).
pub const THRESHOLD: f32 = 0.15;
/// Most distinct questions grouped by their words in a week: the most asked ones. The rest (a
/// long tail of questions asked once) are counted, not grouped; a question of a topic that
/// does not split is always grouped (by its topic, without clustering).
pub const MAX_CLUSTERED: usize = 1_500;
/// Similarity at which a gap is taken for one of an earlier week.
pub const SAME_GAP: f32 = 0.5;

/// A question as the grouping reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Its words, folded, aliases applied.
    pub words: Vec<String>,
    /// The topic it is about, if the lexicon knows it.
    pub topic: Option<&'static Topic>,
    /// The stems of its content words, those of its topic's trigger left out.
    pub content: Vec<String>,
}

impl Reading {
    pub fn of(text: &str) -> Self {
        let words = words::words(&words::fold(text));
        let topic = topics::topic_of(topics::all(), &words);
        let content = match &topic {
            Some((_, matched)) => lexical::stems(
                words
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !matched.contains(i))
                    .map(|(_, w)| w),
            ),
            None => lexical::stems(&words),
        };
        Self {
            words,
            topic: topic.map(|(t, _)| t),
            content,
        }
    }

    /// The terms of these readings, with their document frequencies.
    fn vocabulary<'a>(readings: impl IntoIterator<Item = &'a Reading>) -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        for reading in readings {
            vocabulary.add(&reading.content, reading.topic_id());
        }
        vocabulary
    }

    /// The topic's id, as a term of the question's vector.
    fn topic_id(&self) -> Option<&str> {
        self.topic.map(|t| t.id.as_str())
    }

    /// The question's vector in `vocabulary`: its topic alone for a topic that does not split
    /// (its words say nothing more), its content words otherwise (within a topic that splits,
    /// they are what tells one subject from another).
    pub fn vector(&self, vocabulary: &Vocabulary) -> Features {
        match self.topic {
            Some(topic) if !topic.split => vocabulary.vector(&[], self.topic_id()),
            _ => vocabulary.vector(&self.content, None),
        }
    }
}

/// One group of questions: the indices of its members in input order, and its topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub members: Vec<usize>,
    pub topic: Option<&'static Topic>,
    /// What the email calls it: the topic's label, with the subject of a topic that splits; or
    /// the subject its questions share (`COBOL`).
    pub label: String,
}

/// Questions grouped by meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub groups: Vec<Group>,
    pub vocabulary: Vocabulary,
    pub readings: Vec<Reading>,
    pub vectors: Vec<Features>,
}

/// Groups `questions`, given most asked first (every tie breaks on this order), at
/// `threshold` for the questions grouped by their words.
pub fn group_at(questions: &[&str], threshold: f32) -> Grouping {
    let readings: Vec<Reading> = questions.iter().map(|q| Reading::of(q)).collect();
    let vocabulary = Reading::vocabulary(&readings);
    let vectors: Vec<Features> = readings.iter().map(|r| r.vector(&vocabulary)).collect();
    // The questions of each topic (None: no topic), in input order.
    let mut by_topic: Vec<(Option<&'static Topic>, Vec<usize>)> = Vec::new();
    for (i, reading) in readings.iter().enumerate() {
        match by_topic
            .iter_mut()
            .find(|(t, _)| t.map(|t| &t.id) == reading.topic.map(|t| &t.id))
        {
            Some((_, members)) => members.push(i),
            None => by_topic.push((reading.topic, vec![i])),
        }
    }
    let mut groups = Vec::new();
    for (topic, members) in by_topic {
        if topic.is_some_and(|t| !t.split) {
            groups.push((topic, members));
            continue;
        }
        let sub: Vec<Features> = members.iter().map(|&i| vectors[i].clone()).collect();
        for cluster in cluster_at(&sub, threshold) {
            groups.push((topic, cluster.into_iter().map(|k| members[k]).collect()));
        }
    }
    groups.sort_by_key(|(_, members)| members[0]);
    let groups = groups
        .into_iter()
        .map(|(topic, members)| Group {
            label: label(topic, &members, questions, &readings),
            topic,
            members,
        })
        .collect();
    Grouping {
        groups,
        vocabulary,
        readings,
        vectors,
    }
}

/// [`group_at`] at [`THRESHOLD`].
pub fn group(questions: &[&str]) -> Grouping {
    group_at(questions, THRESHOLD)
}

/// What the email calls a group: its topic's label; for a topic that splits, with the subject
/// its questions share; without a topic, that subject alone, spelt as the questions spell it.
fn label(
    topic: Option<&'static Topic>,
    members: &[usize],
    questions: &[&str],
    readings: &[Reading],
) -> String {
    let subject = subject(members, questions, readings);
    match (topic, subject) {
        (Some(topic), Some(subject)) if topic.split => format!("{}: {subject}", topic.label),
        (Some(topic), _) => topic.label.clone(),
        (None, Some(subject)) => subject,
        (None, None) => questions[members[0]].to_owned(),
    }
}

/// The content word most of a group's questions hold (the first to appear on a tie), written
/// as they write it (capitals kept: `COBOL`, `Kubernetes`), or capitalised.
fn subject(members: &[usize], questions: &[&str], readings: &[Reading]) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for &m in members {
        let mut seen = HashSet::new();
        let matched = readings[m]
            .topic
            .and_then(|t| topics::topic_of(std::slice::from_ref(t), &readings[m].words))
            .map(|(_, positions)| positions)
            .unwrap_or_default();
        for (i, word) in readings[m].words.iter().enumerate() {
            if words::is_content(word) && !matched.contains(&i) && seen.insert(word.as_str()) {
                match counts.iter_mut().find(|(w, _)| *w == word) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((word, 1)),
                }
            }
        }
    }
    let (word, _) =
        counts
            .iter()
            .fold(None, |best: Option<(&str, usize)>, &(w, n)| match best {
                Some((_, b)) if b >= n => best,
                _ => Some((w, n)),
            })?;
    // As written: a token of a member whose folded form is the word, capitals preferred.
    let written = members
        .iter()
        .flat_map(|&m| questions[m].split(|c: char| !(c.is_alphanumeric() || "#+.".contains(c))))
        .map(|t| t.trim_matches('.'))
        .filter(|t| {
            words::words(&words::fold(t))
                .first()
                .is_some_and(|w| w == word)
        })
        .max_by_key(|t| {
            (
                t.chars().filter(|c| c.is_uppercase()).count() > 0,
                t.len() == word.len(),
            )
        });
    Some(match written {
        Some(t) if t.chars().any(char::is_uppercase) => t.to_owned(),
        _ => {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        }
    })
}

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

/// How a gap stands against the weeks before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapStatus {
    /// Not among last week's gaps (the first week it appears, or back after a week without).
    New,
    /// Among last week's gaps, and asked more this week beyond noise.
    Rising,
    /// Among last week's gaps, not among those of the week before.
    LastWeekToo,
    /// Among the gaps of each of the last two weeks.
    Persisting,
}

impl GapStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Rising => "rising",
            Self::LastWeekToo => "also last week",
            Self::Persisting => "persisting",
        }
    }
}

/// One content gap of the week.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// What the email calls it (`Salary expectations`, `COBOL`).
    pub label: String,
    /// What to add to the CV, when a topic says.
    pub suggestion: Option<String>,
    /// The topic's id, when it has one.
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
    vector: Features,
}

impl Gap {
    pub fn stored(&self) -> StoredGap {
        StoredGap {
            representative: self.representative.clone(),
            label: Some(self.label.clone()),
            asked: self.asked,
            centroid: self.centroid.clone(),
        }
    }
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

/// The questions the grouping takes, in the order it takes them: most asked first (ties by
/// text); every question of a topic that does not split (grouped by it, not clustered), and of
/// the others (no topic, or a topic that splits, whose questions are clustered) the
/// [`MAX_CLUSTERED`] most asked, so that the clustering stays bounded. Also how many were left
/// out.
fn selected<T>(mut items: Vec<T>, key: impl Fn(&T) -> (&str, u64)) -> (Vec<T>, usize) {
    items.sort_by(|a, b| {
        let ((a_text, a_asked), (b_text, b_asked)) = (key(a), key(b));
        b_asked.cmp(&a_asked).then_with(|| a_text.cmp(b_text))
    });
    let mut without_topic = 0;
    let mut left_out = 0;
    items.retain(|item| {
        if Reading::of(key(item).0).topic.is_some_and(|t| !t.split) {
            return true;
        }
        without_topic += 1;
        let keep = without_topic <= MAX_CLUSTERED;
        left_out += usize::from(!keep);
        keep
    });
    (items, left_out)
}

/// The gap one group makes.
fn gap(group: &Group, candidates: &[(&str, &QuestionStats)], grouping: &Grouping) -> Gap {
    let members = &group.members;
    let (first_key, first) = candidates[members[0]];
    let mut sessions: HashSet<&String> = HashSet::new();
    let mut sources: BTreeMap<&String, u64> = BTreeMap::new();
    let (mut answered_well, mut answered) = (0, 0);
    for &m in members {
        let stats = candidates[m].1;
        sessions.extend(stats.gap_sessions.iter());
        answered_well += stats.answered_well();
        answered += stats.no_match + stats.low_score;
        for (source, n) in &stats.sources {
            *sources.entry(source).or_default() += n;
        }
    }
    let nearest = sources
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(source, _)| source.clone());
    let member_vectors: Vec<&Features> = members.iter().map(|&m| &grouping.vectors[m]).collect();
    let weights: Vec<u64> = members.iter().map(|&m| candidates[m].1.gaps()).collect();
    let vector = centroid(&member_vectors, &weights);
    let class = match group.topic.map(|t| t.kind) {
        Some(TopicKind::OffTopic) => GapClass::OffTopic,
        _ if answered_well > 0 => GapClass::BotMissed,
        _ if answered == 0 => GapClass::NoResponse,
        _ => GapClass::NotInCv,
    };
    // Up to three phrasings, most asked first, those whose personal data was scrubbed (a
    // `[phone]` in them) after the others.
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
    let examples = phrasings.into_iter().take(3).map(str::to_owned).collect();
    Gap {
        label: group.label.clone(),
        suggestion: group.topic.map(|t| t.suggestion.clone()),
        topic: group.topic.map(|t| t.id.clone()),
        class,
        representative: first.shown_spelling().unwrap_or(first_key).to_owned(),
        examples,
        keys: members
            .iter()
            .map(|&m| candidates[m].0.to_owned())
            .collect(),
        asked: weights.iter().sum(),
        phrasings: members.len(),
        sessions: sessions.len(),
        nearest,
        answered_well,
        answered,
        centroid: grouping.vocabulary.named(&vector),
        vector,
    }
}

/// How `gap` stands against last week's gaps and the week before's (`None`: nothing is known
/// of that week; a week without a report, as an empty week not sent, comes as no gaps).
pub fn status(
    gap: &Gap,
    last_week: Option<&[StoredGap]>,
    week_before: Option<&[StoredGap]>,
    vocabulary: &Vocabulary,
) -> GapStatus {
    let like =
        |stored: &StoredGap| cosine(&gap.vector, &vocabulary.stored(&stored.centroid)) >= SAME_GAP;
    let Some(last) = last_week.and_then(|gaps| gaps.iter().find(|s| like(s))) else {
        return GapStatus::New;
    };
    if gap.asked > last.asked && significance::count_changed(gap.asked, last.asked) {
        GapStatus::Rising
    } else if week_before.is_some_and(|gaps| gaps.iter().any(like)) {
        GapStatus::Persisting
    } else {
        GapStatus::LastWeekToo
    }
}

/// A gap of last week that this week's questions no longer make.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub representative: String,
    /// This week's askings like it that got a full match.
    pub full_matches: u64,
}

/// Last week's gaps that are not gaps any more: questions like them were asked this week and
/// got full matches, and no gap of this week is like them.
pub fn resolved(last_week: &[StoredGap], now: &FoundGaps, week: &WeekAggregator) -> Vec<Resolved> {
    if last_week.is_empty() {
        return Vec::new();
    }
    // The questions answered with full matches, in their own terms: a resolved gap's terms
    // are theirs, not this week's gaps'.
    let readings: Vec<(Reading, u64)> = week
        .questions
        .iter()
        .filter(|(_, s)| s.full > 0)
        .map(|(k, s)| (Reading::of(k), s.full))
        .collect();
    let answered_terms = Reading::vocabulary(readings.iter().map(|(r, _)| r));
    let answered: Vec<(Features, u64)> = readings
        .iter()
        .map(|(r, n)| (r.vector(&answered_terms), *n))
        .collect();
    last_week
        .iter()
        .filter_map(|stored| {
            let features = now.vocabulary.stored(&stored.centroid);
            if now
                .gaps
                .iter()
                .any(|g| cosine(&g.vector, &features) >= SAME_GAP)
            {
                return None;
            }
            let features = answered_terms.stored(&stored.centroid);
            let full_matches: u64 = answered
                .iter()
                .filter(|(v, _)| cosine(v, &features) >= SAME_GAP)
                .map(|(_, n)| n)
                .sum();
            (full_matches > 0).then(|| Resolved {
                representative: stored
                    .label
                    .clone()
                    .unwrap_or_else(|| stored.representative.clone()),
                full_matches,
            })
        })
        .collect()
}

/// Where one question of a list went: its gap's number (gaps numbered in the order their
/// first question comes in the list), label and topic; no gap for a question asked too
/// rarely to be grouped (see [`MAX_CLUSTERED`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub gap: Option<usize>,
    pub label: Option<String>,
    pub topic: Option<String>,
}

/// The grouping of a list of questions (one asking each, repeats counted) as the weekly report
/// groups a week's questions: the same reading, order, settings and caps. One assignment per
/// question, in input order.
pub fn assignments(questions: &[&str]) -> Vec<Assignment> {
    let keys: Vec<String> = questions
        .iter()
        .map(|q| super::aggregate::normalise_question(q))
        .collect();
    // Each distinct question, how often it was asked, and its first spelling (labels keep
    // its capitals, as the report's keep the most common one's).
    let mut counts: BTreeMap<&str, (u64, String)> = BTreeMap::new();
    for (key, question) in keys.iter().zip(questions) {
        counts
            .entry(key.as_str())
            .or_insert_with(|| (0, super::aggregate::spelling(question)))
            .0 += 1;
    }
    let (distinct, _) = selected(counts.into_iter().collect(), |(k, (n, _))| (k, *n));
    let texts: Vec<&str> = distinct
        .iter()
        .map(|(_, (_, spelt))| spelt.as_str())
        .collect();
    let grouping = group(&texts);
    let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (g, group) in grouping.groups.iter().enumerate() {
        for &m in &group.members {
            group_of.insert(distinct[m].0, g);
        }
    }
    // Numbered by first appearance in the list.
    let mut numbers: Vec<Option<usize>> = vec![None; grouping.groups.len()];
    let mut next = 0;
    keys.iter()
        .map(|key| {
            let Some(&g) = group_of.get(key.as_str()) else {
                return Assignment {
                    gap: None,
                    label: None,
                    topic: None,
                };
            };
            let number = *numbers[g].get_or_insert_with(|| {
                next += 1;
                next
            });
            let group = &grouping.groups[g];
            Assignment {
                gap: Some(number),
                label: Some(group.label.clone()),
                topic: group.topic.map(|t| t.id.clone()),
            }
        })
        .collect()
}
