//! Content gaps: the week's unanswered and badly answered questions grouped by meaning, locally
//! and deterministically, so that "do you know rust", "have you used rust" and "rust
//! experience?" are one gap asked three ways.
//!
//! **Method.** Each distinct question becomes a TF-IDF vector of its content words (function
//! words and the fillers every CV question has, such as "experience", left out; the rest
//! stemmed by the Snowball English stemmer) and of the character trigrams of those words, which
//! catch spelling variants (`licence`, `license`); the inverse document frequencies come from
//! every distinct question of the week, so words that many questions share weigh little. Questions
//! are grouped by average-linkage agglomerative clustering on cosine similarity: the two groups
//! whose questions are most similar on average merge, until no two are similar enough
//! ([`THRESHOLD`]). Inputs are ordered by how often they were asked, then by text, and every tie
//! breaks on that order, so the same week always gives the same gaps.
//!
//! **Quality** is measured on a labelled set of paraphrases (`reporter/tests/gaps/`), by the
//! adjusted Rand index and pairwise F1 that `cargo test -p reporter --test gaps` prints.

use std::collections::{BTreeMap, HashMap, HashSet};

pub use shared_types::record::report_marker::StoredGap;

use super::aggregate::{QuestionStats, WeekAggregator};
use super::significance;

/// Average similarity at which two groups of questions merge: the best of a sweep on the
/// labelled set, leaning to precision (a wrong merge misleads; a split only shows one more row).
pub const THRESHOLD: f32 = 0.12;
/// Weight of each character trigram against its word's 1: enough to join spelling variants,
/// little enough that words sharing letters do not look alike.
const TRIGRAM_WEIGHT: f32 = 0.1;
/// Most distinct questions clustered in a week: the most asked ones. The rest (a long tail of
/// questions asked once) are counted, not clustered: the email lists 25 gaps at most.
pub const MAX_CLUSTERED: usize = 1_500;
/// Features kept in a stored centroid.
pub const CENTROID_FEATURES: usize = 16;

/// Words that say nothing of a question's subject.
const FUNCTION_WORDS: [&str; 86] = [
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "from",
    "by", "about", "as", "into", "is", "are", "was", "were", "be", "been", "being", "am", "do",
    "does", "did", "done", "have", "has", "had", "having", "got", "get", "you", "your", "yours",
    "yourself", "i", "me", "my", "we", "us", "our", "it", "its", "this", "that", "these", "those",
    "what", "which", "who", "whom", "whose", "how", "when", "where", "why", "can", "could",
    "would", "should", "will", "shall", "may", "might", "must", "any", "some", "there", "here",
    "than", "then", "so", "if", "not", "no", "ever", "much", "many", "very", "really", "please",
];

/// Words every question to a CV chatbot is made of, whatever it asks about: they link
/// questions on different subjects and say nothing of the gap.
const QUESTION_FILLERS: [&str; 30] = [
    "experience",
    "experienced",
    "know",
    "knowledge",
    "use",
    "used",
    "using",
    "work",
    "worked",
    "working",
    "skill",
    "skills",
    "project",
    "projects",
    "good",
    "tell",
    "like",
    "want",
    "anything",
    "familiar",
    "comfortable",
    "ok",
    "yes",
    "also",
    "just",
    "sure",
    "much",
    "long",
    "written",
    "write",
];

/// A question's TF-IDF vector: term ids (a [`Vocabulary`]'s) and weights, sorted by id, of
/// length 1.
pub type Features = Vec<(u32, f32)>;

/// The Snowball English stemmer, made once.
static STEMMER: std::sync::LazyLock<rust_stemmers::Stemmer> =
    std::sync::LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// The words of a question that can carry its subject: letters, digits and the signs that are
/// part of technology names (`c#`, `c++`, `.net`, `node.js`), lower case, stemmed.
fn content_words(text: &str) -> Vec<String> {
    let stemmer = &*STEMMER;
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || "#+./".contains(c)))
        .map(|w| w.trim_end_matches(['.', '/']))
        .filter(|w| !w.is_empty() && !FUNCTION_WORDS.contains(w) && !QUESTION_FILLERS.contains(w))
        .map(|w| stemmer.stem(w).into_owned())
        .collect()
}

/// Term counts of a question: each content word (stemmed), and each trigram of `_word_` at
/// [`TRIGRAM_WEIGHT`].
fn terms(text: &str) -> BTreeMap<String, f32> {
    let mut terms = BTreeMap::new();
    for word in content_words(text) {
        let marked: Vec<char> = format!("_{word}_").chars().collect();
        for gram in marked.windows(3) {
            *terms
                .entry(format!("c:{}", gram.iter().collect::<String>()))
                .or_default() += TRIGRAM_WEIGHT;
        }
        *terms.entry(format!("w:{word}")).or_default() += 1.0;
    }
    terms
}

/// A week's terms, with an id each, and their inverse document frequencies over the week's
/// distinct questions.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Vocabulary {
    documents: usize,
    ids: HashMap<String, u32>,
    names: Vec<String>,
    frequency: Vec<usize>,
}

impl Vocabulary {
    /// Counts each term once per question.
    pub fn add(&mut self, text: &str) {
        self.documents += 1;
        for term in terms(text).into_keys() {
            let id = match self.ids.get(&term) {
                Some(&id) => id,
                None => {
                    let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                    self.ids.insert(term.clone(), id);
                    self.names.push(term);
                    self.frequency.push(0);
                    id
                }
            };
            if let Some(df) = self.frequency.get_mut(id as usize) {
                *df += 1;
            }
        }
    }

    fn idf(&self, df: usize) -> f32 {
        ((self.documents as f32 + 1.0) / (df as f32 + 1.0)).ln() + 1.0
    }

    /// The question's TF-IDF vector (terms the vocabulary lacks are left out; empty when it has
    /// no content word).
    pub fn vector(&self, text: &str) -> Features {
        let mut vector: Features = terms(text)
            .into_iter()
            .filter_map(|(term, count)| {
                let id = *self.ids.get(&term)?;
                let df = self.frequency.get(id as usize).copied().unwrap_or(0);
                Some((id, count * self.idf(df)))
            })
            .collect();
        vector.sort_unstable_by_key(|(id, _)| *id);
        normalise(&mut vector);
        vector
    }

    /// A stored centroid in this week's ids (its terms this week never used are left out: they
    /// cannot match anything this week).
    pub fn stored(&self, centroid: &[(String, f32)]) -> Features {
        let mut vector: Features = centroid
            .iter()
            .filter_map(|(term, w)| Some((*self.ids.get(term)?, *w)))
            .collect();
        vector.sort_unstable_by_key(|(id, _)| *id);
        vector
    }

    /// A vector's terms by name, as a marker stores them.
    fn named(&self, vector: &Features) -> Vec<(String, f32)> {
        vector
            .iter()
            .filter_map(|(id, w)| Some((self.names.get(*id as usize)?.clone(), *w)))
            .collect()
    }
}

fn normalise(vector: &mut Features) {
    let norm = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in vector.iter_mut() {
            *w /= norm;
        }
    }
}

/// Cosine similarity of two vectors of length 1 (a merge of their sorted terms).
pub fn cosine(a: &Features, b: &Features) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// Average-linkage agglomerative clustering of `vectors` at [`THRESHOLD`]: the groups, each a
/// list of indices in input order, ordered by their first member.
pub fn cluster(vectors: &[Features]) -> Vec<Vec<usize>> {
    cluster_at(vectors, THRESHOLD)
}

/// [`cluster`] at another threshold (the quality test shows how the choice was made).
pub fn cluster_at(vectors: &[Features], threshold: f32) -> Vec<Vec<usize>> {
    let n = vectors.len();
    // Similarities between groups; a group is known by its first member's index.
    let mut similarity = vec![0.0f32; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let s = cosine(&vectors[i], &vectors[j]);
            similarity[i * n + j] = s;
            similarity[j * n + i] = s;
        }
    }
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut active = vec![true; n];
    // Each active group's most similar other group: (similarity, index).
    let best_of = |i: usize, active: &[bool], similarity: &[f32]| -> Option<(f32, usize)> {
        (0..n)
            .filter(|&j| j != i && active[j])
            .map(|j| (similarity[i * n + j], j))
            .fold(None, |best: Option<(f32, usize)>, (s, j)| match best {
                Some((b, _)) if b >= s => best,
                _ => Some((s, j)),
            })
    };
    let mut best: Vec<Option<(f32, usize)>> =
        (0..n).map(|i| best_of(i, &active, &similarity)).collect();
    loop {
        // The most similar pair; ties go to the lowest indices.
        let mut pick: Option<(f32, usize, usize)> = None;
        for i in (0..n).filter(|&i| active[i]) {
            if let Some((s, j)) = best[i] {
                let (a, b) = (i.min(j), i.max(j));
                let better = match pick {
                    None => true,
                    Some((p, pa, pb)) => s > p || (s == p && (a, b) < (pa, pb)),
                };
                if better {
                    pick = Some((s, a, b));
                }
            }
        }
        let Some((s, a, b)) = pick else { break };
        if s < threshold {
            break;
        }
        // Merge b into a; the new group's similarity to each other group is the size-weighted
        // mean of the two (average linkage, by Lance and Williams).
        let (size_a, size_b) = (members[a].len() as f32, members[b].len() as f32);
        for k in (0..n).filter(|&k| active[k] && k != a && k != b) {
            let merged = (size_a * similarity[a * n + k] + size_b * similarity[b * n + k])
                / (size_a + size_b);
            similarity[a * n + k] = merged;
            similarity[k * n + a] = merged;
        }
        let moved = std::mem::take(&mut members[b]);
        members[a].extend(moved);
        active[b] = false;
        for k in (0..n).filter(|&k| active[k]) {
            let stale = k == a || best[k].is_some_and(|(_, j)| j == a || j == b);
            if stale {
                best[k] = best_of(k, &active, &similarity);
            } else if let Some((s, _)) = best[k]
                && similarity[k * n + a] > s
            {
                best[k] = Some((similarity[k * n + a], a));
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = members.into_iter().filter(|m| !m.is_empty()).collect();
    for group in &mut groups {
        group.sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// The mean of `vectors` weighted by `weights`, of length 1, cut to its
/// [`CENTROID_FEATURES`] heaviest features (ties by id) and rounded, as stored.
pub fn centroid(vectors: &[&Features], weights: &[u64]) -> Features {
    let mut sum: BTreeMap<u32, f32> = BTreeMap::new();
    for (vector, weight) in vectors.iter().zip(weights) {
        for (id, w) in vector.iter() {
            *sum.entry(*id).or_default() += w * *weight as f32;
        }
    }
    let mut features: Features = sum.into_iter().collect();
    normalise(&mut features);
    features.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    features.truncate(CENTROID_FEATURES);
    let mut kept: Features = features
        .into_iter()
        .map(|(id, w)| (id, (w * 1000.0).round() / 1000.0))
        .collect();
    kept.sort_unstable_by_key(|(id, _)| *id);
    normalise(&mut kept);
    kept
}

/// How a gap stands against the weeks before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapStatus {
    /// Not among the gaps of the weeks reported before.
    New,
    /// Among last week's gaps, and asked more this week beyond noise.
    Rising,
    /// Among the gaps of the weeks before.
    Persisting,
}

impl GapStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Rising => "rising",
            Self::Persisting => "persisting",
        }
    }
}

/// Similarity at which a gap is taken for one of an earlier week.
pub const SAME_GAP: f32 = 0.5;

/// One content gap of the week.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// The most asked of its questions, in its most common spelling.
    pub representative: String,
    /// Times its questions were asked without a useful answer.
    pub asked: u64,
    /// Distinct questions (normalised) it was asked as.
    pub phrasings: usize,
    /// Distinct named sessions that asked it.
    pub sessions: usize,
    /// The source the bot matched most often when it answered these questions at all.
    pub nearest: Option<String>,
    /// Times the same questions got a useful answer this week: a gap in reliability more than
    /// in the CV.
    pub answered_well: u64,
    /// The centroid of its questions, by term name, as a marker stores it.
    pub centroid: Vec<(String, f32)>,
    /// The same centroid in this week's term ids.
    vector: Features,
}

impl Gap {
    pub fn stored(&self) -> StoredGap {
        StoredGap {
            representative: self.representative.clone(),
            asked: self.asked,
            centroid: self.centroid.clone(),
        }
    }
}

/// The week's content gaps, most asked first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FoundGaps {
    pub gaps: Vec<Gap>,
    /// Distinct gap questions beyond [`MAX_CLUSTERED`], counted but not clustered.
    pub unclustered: usize,
    /// The week's terms, which other weeks' stored gaps are compared in.
    pub vocabulary: Vocabulary,
}

/// Groups the week's gap questions (unanswered, `none`, low score) by meaning.
pub fn find(week: &WeekAggregator) -> FoundGaps {
    // In text order, so that term ids (and every tie broken on them) do not depend on the order
    // the records were read in.
    let mut keys: Vec<&String> = week.questions.keys().collect();
    keys.sort_unstable();
    let mut vocabulary = Vocabulary::default();
    for key in keys {
        vocabulary.add(key);
    }
    let mut candidates: Vec<(&String, &QuestionStats)> = week
        .questions
        .iter()
        .filter(|(_, s)| s.gaps() > 0)
        .collect();
    candidates.sort_by(|a, b| b.1.gaps().cmp(&a.1.gaps()).then_with(|| a.0.cmp(b.0)));
    let unclustered = candidates.len().saturating_sub(MAX_CLUSTERED);
    candidates.truncate(MAX_CLUSTERED);
    let vectors: Vec<Features> = candidates
        .iter()
        .map(|(k, _)| vocabulary.vector(k))
        .collect();
    let mut gaps: Vec<Gap> = cluster(&vectors)
        .into_iter()
        .map(|members| {
            // Members are in input order: the first is the most asked.
            let (first_key, first) = candidates[members[0]];
            let mut sessions: HashSet<&String> = HashSet::new();
            let mut sources: BTreeMap<&String, u64> = BTreeMap::new();
            let mut answered_well = 0;
            for &m in &members {
                let stats = candidates[m].1;
                sessions.extend(stats.gap_sessions.iter());
                answered_well += stats.answered_well();
                for (source, n) in &stats.sources {
                    *sources.entry(source).or_default() += n;
                }
            }
            let nearest = sources
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(source, _)| source.clone());
            let member_vectors: Vec<&Features> = members.iter().map(|&m| &vectors[m]).collect();
            let weights: Vec<u64> = members.iter().map(|&m| candidates[m].1.gaps()).collect();
            let vector = centroid(&member_vectors, &weights);
            Gap {
                representative: first.shown_spelling().unwrap_or(first_key).to_owned(),
                asked: weights.iter().sum(),
                phrasings: members.len(),
                sessions: sessions.len(),
                nearest,
                answered_well,
                centroid: vocabulary.named(&vector),
                vector,
            }
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.asked
            .cmp(&a.asked)
            .then_with(|| a.representative.cmp(&b.representative))
    });
    FoundGaps {
        gaps,
        unclustered,
        vocabulary,
    }
}

/// How `gap` stands against the gaps of earlier weeks, newest first (`earlier[0]` is last
/// week's).
pub fn status(gap: &Gap, earlier: &[Vec<StoredGap>], vocabulary: &Vocabulary) -> GapStatus {
    let same =
        |stored: &StoredGap| cosine(&gap.vector, &vocabulary.stored(&stored.centroid)) >= SAME_GAP;
    if let Some(last) = earlier
        .first()
        .and_then(|last| last.iter().find(|s| same(s)))
    {
        if gap.asked > last.asked && significance::count_changed(gap.asked, last.asked) {
            return GapStatus::Rising;
        }
        return GapStatus::Persisting;
    }
    if earlier.iter().skip(1).flatten().any(same) {
        GapStatus::Persisting
    } else {
        GapStatus::New
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
    let vocabulary = &now.vocabulary;
    let answered: Vec<(Features, u64)> = week
        .questions
        .iter()
        .filter(|(_, s)| s.full > 0)
        .map(|(k, s)| (vocabulary.vector(k), s.full))
        .collect();
    last_week
        .iter()
        .filter_map(|stored| {
            let features = vocabulary.stored(&stored.centroid);
            if now
                .gaps
                .iter()
                .any(|g| cosine(&g.vector, &features) >= SAME_GAP)
            {
                return None;
            }
            let full_matches: u64 = answered
                .iter()
                .filter(|(v, _)| cosine(v, &features) >= SAME_GAP)
                .map(|(_, n)| n)
                .sum();
            (full_matches > 0).then(|| Resolved {
                representative: stored.representative.clone(),
                full_matches,
            })
        })
        .collect()
}
