//! The labelled sets of questions and what a grouping scores on them.

use std::collections::{BTreeMap, HashMap};

use reporter::gaps::{self, About};

/// A question of a labelled set: its intent (one CV addition answers all of an intent's
/// questions), and whether it was written as a trap for a false topic.
pub(super) struct Labelled {
    pub(super) intent: String,
    pub(super) text: String,
    pub(super) trap: bool,
}

/// A labelled set, and for each of its intents the ids (topics of the lexicon, families of the
/// taxonomy) whose label is true for its questions: filed under any other, a question is
/// misfiled, and the email states a false label for it.
pub(super) struct Set {
    pub(super) name: &'static str,
    pub(super) questions: Vec<Labelled>,
    truths: HashMap<String, Vec<String>>,
}

fn fields(line: &str) -> Option<Vec<&str>> {
    (!line.starts_with('#') && !line.trim().is_empty())
        .then(|| line.split('\t').map(str::trim).collect())
}

impl Set {
    /// `tsv`: `intent<TAB>question[<TAB>trap: note]`; `topics`: `intent<TAB>id...`, every
    /// intent of the set once.
    pub(super) fn parse(name: &'static str, tsv: &str, topics: &str) -> Self {
        let questions: Vec<Labelled> = tsv
            .lines()
            .filter_map(fields)
            .map(|f| Labelled {
                intent: f[0].to_owned(),
                text: f[1].to_owned(),
                trap: f.get(2).is_some_and(|note| note.starts_with("trap")),
            })
            .collect();
        let truths: HashMap<String, Vec<String>> = topics
            .lines()
            .filter_map(fields)
            .map(|f| {
                let ids = f[1..].iter().flat_map(|ids| ids.split_whitespace());
                (f[0].to_owned(), ids.map(str::to_owned).collect())
            })
            .collect();
        for q in &questions {
            assert!(
                truths.contains_key(&q.intent),
                "{name}: intent {} has no line in its topics file",
                q.intent
            );
        }
        Self {
            name,
            questions,
            truths,
        }
    }

    pub(super) fn intents(&self) -> usize {
        let mut intents: Vec<&str> = self.questions.iter().map(|q| q.intent.as_str()).collect();
        intents.sort_unstable();
        intents.dedup();
        intents.len()
    }

    pub(super) fn traps(&self) -> usize {
        self.questions.iter().filter(|q| q.trap).count()
    }

    fn is_true(&self, intent: &str, about: About) -> bool {
        self.truths[intent].iter().any(|id| id == about.id())
    }
}

/// What a grouping scores against the intents.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scores {
    pub(super) ari: f64,
    pub(super) precision: f64,
    pub(super) recall: f64,
    pub(super) f1: f64,
}

fn choose2(n: usize) -> f64 {
    (n * n.saturating_sub(1)) as f64 / 2.0
}

/// Adjusted Rand index (Hubert and Arabie) and pairwise precision, recall and F1.
pub(super) fn scores(truth: &[usize], found: &[usize]) -> Scores {
    let mut table: HashMap<(usize, usize), usize> = HashMap::new();
    let mut rows: HashMap<usize, usize> = HashMap::new();
    let mut columns: HashMap<usize, usize> = HashMap::new();
    for (&t, &f) in truth.iter().zip(found) {
        *table.entry((t, f)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *columns.entry(f).or_default() += 1;
    }
    let together: f64 = table.values().map(|&n| choose2(n)).sum();
    let same_intent: f64 = rows.values().map(|&n| choose2(n)).sum();
    let same_group: f64 = columns.values().map(|&n| choose2(n)).sum();
    let expected = same_intent * same_group / choose2(truth.len());
    let maximum = (same_intent + same_group) / 2.0;
    let precision = together / same_group;
    let recall = together / same_intent;
    Scores {
        ari: (together - expected) / (maximum - expected),
        precision,
        recall,
        f1: 2.0 * precision * recall / (precision + recall),
    }
}

/// A set grouped at a threshold.
pub(super) struct Measured {
    pub(super) scores: Scores,
    pub(super) groups: usize,
    /// The questions filed under a topic or family whose label is false for them: the index
    /// of each, and the id it was filed under.
    pub(super) misfiled: Vec<(usize, &'static str)>,
    /// The group of each question.
    pub(super) found: Vec<usize>,
}

impl Measured {
    pub(super) fn traps_misfiled(&self, set: &Set) -> usize {
        self.misfiled
            .iter()
            .filter(|(i, _)| set.questions[*i].trap)
            .count()
    }
}

pub(super) fn measure(set: &Set, threshold: f32) -> Measured {
    let texts: Vec<&str> = set.questions.iter().map(|q| q.text.as_str()).collect();
    let grouping = gaps::group_at(&texts, threshold);
    let mut found = vec![0; texts.len()];
    let mut misfiled = Vec::new();
    for (g, group) in grouping.groups.iter().enumerate() {
        for &m in &group.members {
            found[m] = g;
            if let Some(about) = group.about
                && !set.is_true(&set.questions[m].intent, about)
            {
                misfiled.push((m, about.id()));
            }
        }
    }
    misfiled.sort_unstable();
    let mut intents: HashMap<&str, usize> = HashMap::new();
    let truth: Vec<usize> = set
        .questions
        .iter()
        .map(|q| {
            let next = intents.len();
            *intents.entry(q.intent.as_str()).or_insert(next)
        })
        .collect();
    Measured {
        scores: scores(&truth, &found),
        groups: grouping.groups.len(),
        misfiled,
        found,
    }
}

/// With `GAPS_DETAIL=<set>` (a set's name), each group that mixes intents, each intent split
/// over groups, and each question filed under a false topic: what a maintainer tunes the
/// lexicon with, on a tuning set only.
pub(super) fn detail(set: &Set, measured: &Measured) {
    if std::env::var("GAPS_DETAIL").ok().as_deref() != Some(set.name) {
        return;
    }
    let q = &set.questions;
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut by_intent: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, g) in measured.found.iter().enumerate() {
        by_group.entry(*g).or_default().push(i);
        by_intent.entry(q[i].intent.as_str()).or_default().push(i);
    }
    for (g, members) in &by_group {
        let mut intents: Vec<&str> = members.iter().map(|&i| q[i].intent.as_str()).collect();
        intents.dedup();
        if intents.len() > 1 {
            println!("group {g} mixes {intents:?}:");
            for &i in members {
                println!("    {}\t{}", q[i].intent, q[i].text);
            }
        }
    }
    for (intent, members) in by_intent {
        let mut groups: Vec<usize> = members.iter().map(|&i| measured.found[i]).collect();
        groups.sort_unstable();
        groups.dedup();
        if groups.len() > 1 {
            println!("intent {intent} split over {} groups:", groups.len());
            for &i in &members {
                println!("    [{}] {}", measured.found[i], q[i].text);
            }
        }
    }
    for (i, id) in &measured.misfiled {
        println!("misfiled under {id}: {}\t{}", q[*i].intent, q[*i].text);
    }
}
