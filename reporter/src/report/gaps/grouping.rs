//! Questions grouped by meaning: each read as its words and what it is about (a topic of the
//! lexicon, or else a family of skills of the taxonomy); those of a topic that does not split,
//! and those of a family, one group each; the others clustered by their words.

use std::collections::{HashMap, HashSet};

use super::lexical::{self, Features, Vocabulary, cluster_at};
use super::skills::{self, Family};
use super::topics::{self, Topic, TopicKind};
use super::words;

/// Average similarity at which two groups of questions merge: the best of a sweep on the
/// tuning set, leaning to precision (a wrong merge misleads; a split only shows one more row).
pub const THRESHOLD: f32 = 0.15;
/// Most distinct questions grouped by their words in a week: the most asked ones. The rest (a
/// long tail of questions asked once) are counted, not grouped; a question of a topic that
/// does not split, or of a family, is always grouped (by it, without clustering).
pub(crate) const MAX_CLUSTERED: usize = 1_500;

/// What a question is about, when the lexicon or the taxonomy says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum About {
    Topic(&'static Topic),
    Family(&'static Family),
}

impl About {
    /// The topic's or the family's id: a term of the question's vector, and stored with a gap.
    pub fn id(self) -> &'static str {
        match self {
            Self::Topic(t) => &t.id,
            Self::Family(f) => &f.id,
        }
    }

    /// What to add to the CV.
    pub fn suggestion(self) -> &'static str {
        match self {
            Self::Topic(t) => &t.suggestion,
            Self::Family(f) => &f.suggestion,
        }
    }

    /// Whether its questions are grouped further by their words (one gap per certificate).
    fn splits(self) -> bool {
        matches!(self, Self::Topic(t) if t.split)
    }

    /// Whether it is not about the CV at all.
    pub(crate) fn is_off_topic(self) -> bool {
        matches!(self, Self::Topic(t) if t.kind == TopicKind::OffTopic)
    }
}

/// A question as the grouping reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Its words, folded, aliases applied.
    pub words: Vec<String>,
    /// What it is about, if the lexicon or the taxonomy knows.
    pub about: Option<About>,
    /// The positions of the words that say so (a topic's trigger, a family's terms).
    matched: Vec<usize>,
    /// The positions of content words the week uses with many subjects ([`spread_words`]):
    /// neither content nor a subject.
    aside: Vec<usize>,
    /// How the email writes the family's terms it names (`iOS`, `Flutter`).
    pub(super) terms: Vec<String>,
    /// The stems of its content words, those that say what it is about left out.
    pub content: Vec<String>,
}

impl Reading {
    pub fn of(text: &str) -> Self {
        let words = words::words(&words::fold(text));
        let (about, matched, terms) = match topics::topic_of(topics::all(), &words) {
            Some((topic, positions)) => (Some(About::Topic(topic)), positions, Vec::new()),
            None => match skills::all().named(&words) {
                Some(named) => (
                    Some(About::Family(named.family)),
                    named.positions,
                    named.terms,
                ),
                None => (None, Vec::new(), Vec::new()),
            },
        };
        let mut reading = Self {
            words,
            about,
            matched,
            aside: Vec::new(),
            terms,
            content: Vec::new(),
        };
        reading.content = reading.content_stems();
        reading
    }

    /// The stems of its content words: neither those that say what it is about nor those set
    /// aside.
    fn content_stems(&self) -> Vec<String> {
        lexical::stems(
            self.words
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.matched.contains(i) && !self.aside.contains(i))
                .map(|(_, w)| w),
        )
    }

    /// Its content words, by position: neither matched nor set aside.
    fn content_words(&self) -> impl Iterator<Item = (usize, &str)> {
        self.words
            .iter()
            .enumerate()
            .filter(|(i, w)| {
                words::is_content(w) && !self.matched.contains(i) && !self.aside.contains(i)
            })
            .map(|(i, w)| (i, w.as_str()))
    }

    /// Sets the words of `spread` aside.
    fn set_aside(&mut self, spread: &HashSet<String>) {
        self.aside = self
            .content_words()
            .filter(|(_, w)| spread.contains(*w))
            .map(|(i, _)| i)
            .collect();
        if !self.aside.is_empty() {
            self.content = self.content_stems();
        }
    }

    /// The terms of these readings, with their document frequencies.
    pub(super) fn vocabulary<'a>(readings: impl IntoIterator<Item = &'a Reading>) -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        for reading in readings {
            vocabulary.add(&reading.content, reading.about.map(About::id));
        }
        vocabulary
    }

    /// Whether its group is what it is about, without clustering.
    fn grouped_by_about(&self) -> bool {
        self.about.is_some_and(|a| !a.splits())
    }

    /// The question's vector in `vocabulary`: what it is about alone for a topic that does not
    /// split or a family (its words say nothing more), its content words otherwise (within a
    /// topic that splits, they are what tells one subject from another).
    pub fn vector(&self, vocabulary: &Vocabulary) -> Features {
        if self.grouped_by_about() {
            vocabulary.vector(&[], self.about.map(About::id))
        } else {
            vocabulary.vector(&self.content, None)
        }
    }
}

/// One group of questions: the indices of its members in input order, and what they are about.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub members: Vec<usize>,
    pub about: Option<About>,
    /// What the email calls it: the topic's label, with the subject of a topic that splits; the
    /// family's, with the terms its questions name most (`Mobile development: iOS, Flutter`);
    /// or the subject its questions share (`COBOL`).
    pub label: String,
    /// The subject its questions share, when it has no topic or family (`COBOL`).
    pub subject: Option<String>,
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
    let mut readings: Vec<Reading> = questions.iter().map(|q| Reading::of(q)).collect();
    let spread = spread_words(&readings);
    for reading in &mut readings {
        reading.set_aside(&spread);
    }
    let vocabulary = Reading::vocabulary(&readings);
    let vectors: Vec<Features> = readings.iter().map(|r| r.vector(&vocabulary)).collect();
    // The questions of each topic or family (None: neither), in input order.
    let mut by_about: Vec<(Option<About>, Vec<usize>)> = Vec::new();
    for (i, reading) in readings.iter().enumerate() {
        let id = reading.about.map(About::id);
        match by_about.iter_mut().find(|(a, _)| a.map(About::id) == id) {
            Some((_, members)) => members.push(i),
            None => by_about.push((reading.about, vec![i])),
        }
    }
    let mut groups = Vec::new();
    for (about, members) in by_about {
        if about.is_some_and(|a| !a.splits()) {
            groups.push((about, members));
            continue;
        }
        let sub: Vec<Features> = members.iter().map(|&i| vectors[i].clone()).collect();
        for cluster in cluster_at(&sub, threshold) {
            groups.push((about, cluster.into_iter().map(|k| members[k]).collect()));
        }
    }
    groups.sort_by_key(|(_, members)| members[0]);
    let groups = groups
        .into_iter()
        .map(|(about, members)| {
            let subject = subject(&members, questions, &readings);
            Group {
                label: label(about, subject.as_deref(), &members, questions, &readings),
                subject: subject.filter(|_| about.is_none()),
                about,
                members,
            }
        })
        .collect();
    Grouping {
        groups,
        vocabulary,
        readings,
        vectors,
    }
}

/// Subjects (topics or families) a content word may be used with and still be one.
const MAX_SUBJECTS_OF_A_WORD: usize = 2;

/// The content words this batch of questions uses with more than [`MAX_SUBJECTS_OF_A_WORD`]
/// different subjects: a word said about certifications, the cloud and a driving licence alike
/// is no question's subject, whatever it is (the owner's name, `production`, `team`), so it
/// neither joins questions nor names a gap.
fn spread_words(readings: &[Reading]) -> HashSet<String> {
    let mut subjects: HashMap<&str, HashSet<&str>> = HashMap::new();
    for reading in readings {
        let Some(about) = reading.about else { continue };
        for (_, word) in reading.content_words() {
            subjects.entry(word).or_default().insert(about.id());
        }
    }
    subjects
        .into_iter()
        .filter(|(_, ids)| ids.len() > MAX_SUBJECTS_OF_A_WORD)
        .map(|(word, _)| word.to_owned())
        .collect()
}

/// [`group_at`] at [`THRESHOLD`].
pub(super) fn group(questions: &[&str]) -> Grouping {
    group_at(questions, THRESHOLD)
}

/// Family terms named in a label.
const LABEL_TERMS: usize = 3;

/// What the email calls a group: its topic's label; for a topic that splits, with the subject
/// its questions share; a family's label with the terms its questions name most; without
/// either, the subject alone, spelt as the questions spell it.
fn label(
    about: Option<About>,
    subject: Option<&str>,
    members: &[usize],
    questions: &[&str],
    readings: &[Reading],
) -> String {
    match (about, subject) {
        (Some(About::Topic(topic)), Some(subject)) if topic.split => {
            format!("{}: {subject}", topic.label)
        }
        (Some(About::Topic(topic)), _) => topic.label.clone(),
        (Some(About::Family(family)), _) => {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for term in members.iter().flat_map(|&m| &readings[m].terms) {
                match counts.iter_mut().find(|(t, _)| t == term) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((term, 1)),
                }
            }
            // Most named first; a tie keeps the order they were first named in.
            counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            // A term the family's name already says is not repeated after it ("Go", not
            // "Go: Go"; "Databases", not "Databases: databases").
            let label = family.label.to_lowercase();
            let said = |term: &str| {
                let term = term.to_lowercase();
                label.split([' ', ',']).any(|word| word == term) || label == term
            };
            let named: Vec<&str> = counts
                .iter()
                .map(|(t, _)| *t)
                .filter(|t| !said(t))
                .take(LABEL_TERMS)
                .collect();
            if named.is_empty() {
                family.label.clone()
            } else {
                format!("{}: {}", family.label, named.join(", "))
            }
        }
        (None, Some(subject)) => subject.to_owned(),
        (None, None) => questions[members[0]].to_owned(),
    }
}

/// The content word most of a group's questions hold (the first to appear on a tie), written
/// as they write it (capitals kept: `COBOL`, `Kubernetes`), or capitalised.
fn subject(members: &[usize], questions: &[&str], readings: &[Reading]) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for &m in members {
        let mut seen = HashSet::new();
        for (_, word) in readings[m].content_words() {
            if seen.insert(word) {
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
        if Reading::of(key(item).0).grouped_by_about() {
            return true;
        }
        without_topic += 1;
        let keep = without_topic <= MAX_CLUSTERED;
        left_out += usize::from(!keep);
        keep
    });
    (items, left_out)
}
