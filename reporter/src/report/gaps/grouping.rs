//! Questions grouped by meaning: each read as its words and its topic, those of a topic that
//! does not split one group, the others clustered by their words.

use std::collections::HashSet;

use super::lexical::{self, Features, Vocabulary, cluster_at};
use super::topics::{self, Topic};
use super::words;

/// Average similarity at which two groups of questions merge: the best of a sweep on the
/// tuning set, leaning to precision (a wrong merge misleads; a split only shows one more row).
pub const THRESHOLD: f32 = 0.15;
/// Most distinct questions grouped by their words in a week: the most asked ones. The rest (a
/// long tail of questions asked once) are counted, not grouped; a question of a topic that
/// does not split is always grouped (by its topic, without clustering).
pub(crate) const MAX_CLUSTERED: usize = 1_500;

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
    pub(super) fn vocabulary<'a>(readings: impl IntoIterator<Item = &'a Reading>) -> Vocabulary {
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
pub(super) fn group(questions: &[&str]) -> Grouping {
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

/// The questions the grouping takes, in the order it takes them: most asked first (ties by
/// text); every question of a topic that does not split (grouped by it, not clustered), and of
/// the others (no topic, or a topic that splits, whose questions are clustered) the
/// [`MAX_CLUSTERED`] most asked, so that the clustering stays bounded. Also how many were left
/// out.
pub(super) fn selected<T>(mut items: Vec<T>, key: impl Fn(&T) -> (&str, u64)) -> (Vec<T>, usize) {
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
