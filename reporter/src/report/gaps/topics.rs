//! The topics every CV chatbot is asked about (`reporter/data/topics.toml`): a question that
//! holds the words of one of a topic's triggers is about that topic, in whichever of the seven
//! languages it is written. See the data file for the trigger rules; this module reads them.
//!
//! What keeps a topic from being stated falsely: a trigger can only fire on a content word
//! (stop words serve only as context beside one: `where` with `live`); a word in the topic's
//! `exclude` list never counts for it (`hundert` for `hund*`, `contactless` for `contact*`); a
//! word of a product or a domain right after a one-word trigger makes it the subject of the
//! work, not of the owner's life (`pet insurance`, `travel booking`, `salary data`); and an
//! off-topic trigger never fires in a question about what the owner did (`has he built weather
//! forecasting models`).

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Deserialize;

use super::words::{fold, is_content, is_stop, words};

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
    /// Words that never count for this topic's triggers, folded.
    #[serde(default)]
    exclude: Vec<String>,
    /// Words (a stem may end in `*`) that make a question not about this topic wherever they
    /// stand: `smart` for a contract, `high` for availability.
    #[serde(rename = "unless", default)]
    unless_texts: Vec<String>,
    #[serde(skip)]
    unless: Vec<Pattern>,
    /// Words that are about the topic when they are the question's only content word (`German?`,
    /// `German level`), though not in another question (`German clients`).
    #[serde(default)]
    alone: Vec<String>,
    /// The triggers: each a list of slots, each slot the words it accepts.
    #[serde(skip)]
    triggers: Vec<Vec<Slot>>,
}

/// One word of a trigger: any of its alternatives.
type Slot = Vec<Pattern>;

/// An alternative of a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    /// A stem ending in `*`: every word it begins, but a word in the topic's `exclude`.
    Prefix(String),
}

impl Pattern {
    fn matches(&self, word: &str) -> bool {
        match self {
            Self::Exact(w) => w == word,
            Self::Prefix(p) => {
                word.starts_with(p.as_str())
                    && word.chars().all(|c| c.is_alphabetic() || c == '-')
                    && !is_stop(word)
            }
        }
    }

    fn is_content(&self) -> bool {
        match self {
            Self::Exact(w) | Self::Prefix(w) => is_content(w),
        }
    }
}

/// Words of a product or a domain: right after a topic's one-word trigger, they make the
/// trigger the subject of the owner's work (`pet insurance`, `children education app`, `travel
/// booking`, `salary data`), not of the owner.
const DOMAIN_NOUNS: &str = "app apps application applications platform platforms product products \
    site sites website websites portal portals system systems software saas startup startups \
    company companies marketplace marketplaces service services tool tools engine engines \
    insurance insurer insurers insurtech booking bookings industry industries sector sectors domain domains market markets \
    tech technology data dataset datasets model models api apis module modules feature features \
    management education healthcare retail ecommerce e-commerce payments payroll benefits \
    analytics dashboard dashboards project projects solution solutions client clients vertical \
    plataforma aplicacion aplicacao sistema sistemas empresa logiciel plateforme branche \
    anwendung plattform sector settore piattaforma";

/// Words of work done: an off-topic trigger never fires in a question that holds one, which is
/// about what the owner did (`have you built weather forecasting models`).
const WORK_WORDS: &str = "built build building worked work working experience experienced used \
    using use developed develop developing implemented implement designed design deployed \
    deploy trained train wrote written shipped maintained maintain created create led lead \
    managed automated integrated migrated model models system systems pipeline pipelines \
    project projects app apps api apis platform production skills skill knows know familiar \
    gebaut entwickelt gearbeitet erfahrung construit developpe travaille experience construido \
    desarrollado trabajado experiencia gebouwd ontwikkeld gewerkt ervaring costruito sviluppato \
    lavorato esperienza construiu desenvolveu trabalhou experiencia";

/// Words that name the owner in the third person: an off-topic trigger never fires in a
/// question about the owner (`can he write a SQL query`).
const OWNER_WORDS: &str = "he him his she her hers il elle lui er sie ihm ihn ihr sein seine \
    seinen seiner el ella hij zij hem haar zijn lei ele ela dele dela owner candidate";

/// Verbs of making something: a recruiter's or a personal topic never fires in a question
/// about what the owner made (`has he built a salary payment system`, `a children's app`).
const MAKING_WORDS: &str = "built build building developed develop developing implemented \
    implement implementing designed design designing trained train modelled modeled wrote \
    written programmed shipped created create integrated coded gebaut entwickelt implementiert \
    programmiert construit developpe concu implemente construido desarrollado disenado \
    implementado gebouwd ontwikkeld ontworpen costruito sviluppato progettato implementato \
    construiu desenvolveu projetou implementou";

/// Words that name a person spoken to: with the owner's words, what a personal topic's "of"
/// may name (`the age of your children`).
const PERSON_WORDS: &str = "you your yours yourself u tu ton ta tes toi vous votre vos du dein \
    deine deinen deiner dich dir ihr ihre ihren ihrem euch jij je jouw jou uw tuo tua tuoi tue \
    voi vostro vostra voce voces usted ustedes tus vosotros seu sua seus suas";

static OWNER: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| OWNER_WORDS.split_whitespace().collect());
static DOMAIN: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| DOMAIN_NOUNS.split_whitespace().collect());
static WORK: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| WORK_WORDS.split_whitespace().collect());
static MAKING: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| MAKING_WORDS.split_whitespace().collect());
static PERSON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PERSON_WORDS.split_whitespace().collect());

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

/// What is wrong with a lexicon.
#[derive(Debug)]
pub(super) enum LexiconError {
    Toml(toml::de::Error),
    /// Triggers that a stop word alone could fire, or whose alternative is not one word: each
    /// with its topic.
    Triggers(Vec<(String, String)>),
}

impl std::fmt::Display for LexiconError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Toml(e) => write!(f, "{e}"),
            Self::Triggers(bad) => write!(
                f,
                "each trigger needs a word of its own with content words only, and each \
                 alternative one word: {bad:?}"
            ),
        }
    }
}

/// The topics of a lexicon in TOML, their triggers checked: each alternative is one word, and
/// each trigger has a slot of content words only (a stop word can be context, never a trigger).
pub(super) fn parse(text: &str) -> Result<Vec<Topic>, LexiconError> {
    let mut topics = toml::from_str::<Lexicon>(text)
        .map_err(LexiconError::Toml)?
        .topic;
    let mut bad = Vec::new();
    for topic in &mut topics {
        topic.alone = topic.alone.iter().flat_map(|w| words(&fold(w))).collect();
        topic.exclude = topic.exclude.iter().flat_map(|w| words(&fold(w))).collect();
        topic.unless = topic
            .unless_texts
            .iter()
            .flat_map(|text| {
                let (stem, prefix) = match text.strip_suffix('*') {
                    Some(stem) => (stem, true),
                    None => (text.as_str(), false),
                };
                words(&fold(stem)).into_iter().map(move |w| {
                    if prefix {
                        Pattern::Prefix(w)
                    } else {
                        Pattern::Exact(w)
                    }
                })
            })
            .collect();
        let mut triggers = Vec::new();
        for text in &topic.trigger_texts {
            match slots(text) {
                Some(trigger) => triggers.push(trigger),
                None => bad.push((topic.id.clone(), text.clone())),
            }
        }
        topic.triggers = triggers;
    }
    if bad.is_empty() {
        Ok(topics)
    } else {
        Err(LexiconError::Triggers(bad))
    }
}

/// A trigger's slots (`pilot licen*|fly`: two slots, the second with two alternatives), or
/// `None` when an alternative is not one word or no slot is content words only.
fn slots(text: &str) -> Option<Vec<Slot>> {
    let mut slots = Vec::new();
    for slot in text.split_whitespace() {
        let mut alternatives = Vec::new();
        for alternative in slot.split('|') {
            let (stem, prefix) = match alternative.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (alternative, false),
            };
            let [word] = <[String; 1]>::try_from(words(&fold(stem))).ok()?;
            alternatives.push(if prefix {
                Pattern::Prefix(word)
            } else {
                Pattern::Exact(word)
            });
        }
        slots.push(alternatives);
    }
    slots
        .iter()
        .any(|slot| slot.iter().all(Pattern::is_content))
        .then_some(slots)
}

/// Every topic, in the lexicon's order.
pub(super) fn all() -> &'static [Topic] {
    &TOPICS
}

impl Topic {
    /// The positions of the question's words that one of this topic's triggers matches, the
    /// trigger with the most slots first; `None` when none does.
    fn matched(&self, question: &[String]) -> Option<Vec<usize>> {
        if question
            .iter()
            .any(|w| self.unless.iter().any(|p| p.matches(w)))
        {
            return None;
        }
        let excluded = |i: usize| self.exclude.contains(&question[i]);
        let mut best: Option<Vec<usize>> = None;
        let mut content = question.iter().enumerate().filter(|(_, w)| is_content(w));
        if let (Some((i, only)), None) = (content.next(), content.next())
            && self.alone.contains(only)
        {
            best = Some(vec![i]);
        }
        for trigger in &self.triggers {
            let Some(positions) = assign(trigger, question, &excluded) else {
                continue;
            };
            if self.vetoed(trigger, &positions, question) {
                continue;
            }
            if best.as_ref().is_none_or(|b| positions.len() > b.len()) {
                best = Some(positions);
            }
        }
        best
    }

    /// Whether a match says nothing of the owner: a one-word trigger followed by a word of a
    /// product or a domain, an off-topic trigger in a question about work done, a recruiter's
    /// or personal topic in a question about something made, a personal topic's word that is
    /// something else's.
    fn vetoed(&self, trigger: &[Slot], positions: &[usize], question: &[String]) -> bool {
        let holds = |words: &HashSet<&str>| question.iter().any(|w| words.contains(w.as_str()));
        match self.kind {
            TopicKind::OffTopic => return holds(&WORK) || holds(&OWNER),
            TopicKind::Recruiter | TopicKind::Personal if holds(&MAKING) => return true,
            TopicKind::Personal if belongs_elsewhere(positions, question) => return true,
            _ => {}
        }
        let [position] = positions else {
            return false;
        };
        trigger.len() == 1
            && question
                .iter()
                .skip(position + 1)
                .find(|w| w.as_str() != "s")
                .is_some_and(|next| DOMAIN.contains(next.as_str()))
    }
}

/// Whether a personal topic's word is followed by "of" and a word that names nobody spoken to
/// or about (`the age of the universe`, `l'âge de l'univers`): it is something else's.
fn belongs_elsewhere(positions: &[usize], question: &[String]) -> bool {
    positions.iter().any(|&p| {
        let mut after = question.iter().skip(p + 1);
        after.next().is_some_and(|w| OF.contains(&w.as_str()))
            && after
                .find(|w| !ARTICLES.contains(&w.as_str()))
                .is_some_and(|w| !OWNER.contains(w.as_str()) && !PERSON.contains(w.as_str()))
    })
}

/// "Of" in the seven languages, and the articles that may follow it.
const OF: [&str; 12] = [
    "of", "de", "du", "des", "der", "von", "van", "di", "del", "della", "do", "da",
];
const ARTICLES: [&str; 14] = [
    "the", "a", "an", "l", "la", "le", "les", "het", "een", "lo", "los", "las", "o", "os",
];

/// Distinct positions of `question` for each slot of `trigger`, in order, the first free word
/// each slot accepts; `None` when a slot finds none.
fn assign(
    trigger: &[Slot],
    question: &[String],
    excluded: &impl Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let mut positions: Vec<usize> = Vec::with_capacity(trigger.len());
    for slot in trigger {
        let position = question.iter().enumerate().position(|(i, word)| {
            !positions.contains(&i) && !excluded(i) && slot.iter().any(|p| p.matches(word))
        })?;
        positions.push(position);
    }
    Some(positions)
}

/// The topic a question's words (see [`words`]) are about, if any: the one whose matching
/// trigger has the most words, then the first listed. Also the words the trigger matched.
pub(super) fn topic_of<'t>(
    topics: &'t [Topic],
    question: &[String],
) -> Option<(&'t Topic, Vec<usize>)> {
    let mut best: Option<(&Topic, Vec<usize>)> = None;
    for topic in topics {
        if let Some(positions) = topic.matched(question)
            && best.as_ref().is_none_or(|(_, b)| positions.len() > b.len())
        {
            best = Some((topic, positions));
        }
    }
    best
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
    fn a_trigger_a_stop_word_alone_could_fire_is_refused() {
        let lexicon = |trigger: &str| {
            format!(
                "[[topic]]\nid = \"t\"\nkind = \"personal\"\nlabel = \"T\"\nsuggestion = \"s\"\n\
                 triggers = [\"{trigger}\"]\n"
            )
        };
        for trigger in ["son", "sus", "in over", "over 50", "a", "where from"] {
            assert!(parse(&lexicon(trigger)).is_err(), "{trigger}");
        }
        assert!(parse(&lexicon("where live")).is_ok());
        assert!(parse(&lexicon("pilot licen*|fly")).is_ok());
    }

    #[test]
    fn paraphrases_that_share_no_word_are_one_topic_in_several_languages() {
        let wrong = [
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
        ]
        .into_iter()
        .filter(|(question, expected)| topic(question) != Some(*expected))
        .map(|(question, _)| (question, topic(question)))
        .collect::<Vec<_>>();
        assert!(wrong.is_empty(), "{wrong:#?}");
        assert_eq!(topic("Do you know Rust?"), None);
        assert_eq!(topic("Has he used GraphQL?"), None);
    }

    /// The reproductions of issue 31: a function word, an unbounded prefix, a trigger that is
    /// ambiguous alone, a product's name or a domain filed a question under a false topic.
    #[test]
    fn no_question_is_filed_under_a_topic_its_words_only_resemble() {
        let wrong = [
            "Quelle est son expérience avec Kubernetes ?",
            "Quel est son niveau en Python ?",
            "¿Cuáles son sus tecnologías favoritas?",
            "Does he have experience with high availability?",
            "A-t-il travaillé sur la haute disponibilité ?",
            "Hat er Erfahrung mit hoher Verfügbarkeit?",
            "Hat er hundert Microservices gebaut?",
            "Heeft hij honderd servers beheerd?",
            "Has he built recommendation engines?",
            "Does he understand Rust references and lifetimes?",
            "Has he managed over 50 engineers?",
            "Has he run a pilot project?",
            "Has he deployed live in production?",
            "Did he work at LinkedIn?",
            "Has he built contactless payments?",
            "Does he know Passport.js?",
            "Can he drive architecture decisions?",
            "Has he worked with hybrid cloud?",
            "Does he care about UI polish?",
            "Has he worked on a pet insurance platform?",
            "Did he build a travel booking site?",
            "Has he written Chef recipes?",
            "Has he built weather forecasting models?",
        ]
        .into_iter()
        .map(|question| (question, topic(question)))
        .filter(|(_, found)| found.is_some_and(|t| t != "management"))
        .collect::<Vec<_>>();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
