//! The topics every CV chatbot is asked about (`reporter/data/topics.toml`): a question holding
//! every word of one of a topic's triggers is about that topic, in whichever of the seven
//! languages it is written. See the data file for the rules.

use std::sync::LazyLock;

use serde::Deserialize;

use super::words::{fold, words};

/// What a topic is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopicKind {
    /// What recruiters need to know: salary, notice, relocation ...
    Recruiter,
    /// The owner's background: degrees, certifications, languages ...
    Background,
    /// The owner as a person: age, family, hobbies ...
    Personal,
    /// Not about the CV at all: never a gap.
    OffTopic,
}

/// One topic of the lexicon.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Topic {
    pub id: String,
    pub kind: TopicKind,
    pub label: String,
    pub suggestion: String,
    /// Grouped further by the questions' other words (one gap per certificate, say).
    #[serde(default)]
    pub split: bool,
    #[serde(rename = "triggers")]
    trigger_texts: Vec<String>,
    /// The triggers, each a list of words (`Some(prefix)` for a word ending in `*`).
    #[serde(skip)]
    triggers: Vec<Vec<Word>>,
}

/// A word of a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Word {
    Exact(String),
    Prefix(String),
}

impl Word {
    fn matches(&self, word: &str) -> bool {
        match self {
            Self::Exact(w) => w == word,
            Self::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Lexicon {
    topic: Vec<Topic>,
}

/// The lexicon as shipped, read once. It is compiled in and parsed by a test, so it cannot fail
/// here; if it did, the grouping would fall back on the questions' words alone.
static TOPICS: LazyLock<Vec<Topic>> = LazyLock::new(|| {
    parse(include_str!("../../../data/topics.toml")).unwrap_or_else(|error| {
        tracing::error!(error = %error, "the topic lexicon does not parse; grouping by words only");
        Vec::new()
    })
});

/// The topics of a lexicon in TOML.
pub(super) fn parse(text: &str) -> Result<Vec<Topic>, toml::de::Error> {
    let mut topics = toml::from_str::<Lexicon>(text)?.topic;
    for topic in &mut topics {
        topic.triggers = topic
            .trigger_texts
            .iter()
            .map(|trigger| {
                trigger
                    .split_whitespace()
                    .flat_map(|token| {
                        let (token, prefix) = match token.strip_suffix('*') {
                            Some(stem) => (stem, true),
                            None => (token, false),
                        };
                        let words = words(&fold(token));
                        let last = words.len().saturating_sub(1);
                        words.into_iter().enumerate().map(move |(i, w)| {
                            if prefix && i == last {
                                Word::Prefix(w)
                            } else {
                                Word::Exact(w)
                            }
                        })
                    })
                    .collect()
            })
            .filter(|words: &Vec<Word>| !words.is_empty())
            .collect();
    }
    Ok(topics)
}

/// Every topic, in the lexicon's order.
pub(super) fn all() -> &'static [Topic] {
    &TOPICS
}

/// The topic a question's words (see [`words`]) are about, if any: the one whose matching
/// trigger has the most words, then the first listed. Also the words the trigger matched.
pub(super) fn topic_of<'t>(
    topics: &'t [Topic],
    question: &[String],
) -> Option<(&'t Topic, Vec<usize>)> {
    let mut best: Option<(usize, &Topic, Vec<usize>)> = None;
    for topic in topics {
        for trigger in &topic.triggers {
            let matched: Option<Vec<usize>> = trigger
                .iter()
                .map(|word| question.iter().position(|w| word.matches(w)))
                .collect();
            if let Some(positions) = matched
                && best.as_ref().is_none_or(|(len, _, _)| trigger.len() > *len)
            {
                best = Some((trigger.len(), topic, positions));
            }
        }
    }
    best.map(|(_, topic, positions)| (topic, positions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(question: &str) -> Option<&'static str> {
        topic_of(all(), &words(&fold(question))).map(|(t, _)| t.id.as_str())
    }

    #[test]
    fn the_shipped_lexicon_parses_and_every_topic_has_triggers() {
        let topics = parse(include_str!("../../../data/topics.toml")).unwrap();
        assert!(topics.len() >= 30);
        for t in &topics {
            assert!(!t.triggers.is_empty(), "{}", t.id);
            assert!(!t.label.is_empty() && !t.suggestion.is_empty(), "{}", t.id);
        }
        let mut ids: Vec<&str> = topics.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), topics.len(), "topic ids are unique");
    }

    #[test]
    fn paraphrases_that_share_no_word_are_one_topic_in_several_languages() {
        for (question, expected) in [
            ("What is your salary expectation?", "salary"),
            ("how much do you want to be paid", "salary"),
            ("Quelles sont ses prétentions salariales ?", "salary"),
            ("Wie hoch ist seine Gehaltsvorstellung?", "salary"),
            ("¿Cuál es su expectativa salarial?", "salary"),
            ("Do you have a pilot licence?", "pilot-licence"),
            ("can you fly a plane", "pilot-licence"),
            ("What is your notice period?", "notice-period"),
            ("when can you start", "notice-period"),
            ("Wie lange ist seine Kündigungsfrist?", "notice-period"),
            ("is he open to relocating", "relocation"),
            ("does he contribute to open source", "open-source"),
            ("why is he looking for a new job", "reason-for-leaving"),
            ("is he looking for remote work", "remote-work"),
            ("Are you available on weekends?", "working-hours"),
            ("Can you fix my printer?", "off-topic"),
            ("does he require visa sponsorship in the US", "visa"),
            ("how much travel is he open to", "travel"),
        ] {
            assert_eq!(topic(question), Some(expected), "{question}");
        }
        assert_eq!(topic("Do you know Rust?"), None);
        assert_eq!(topic("Has he used GraphQL?"), None);
    }
}
