//! Grouping by words, for the questions no topic covers (a skill, a tool, a domain) and
//! within a topic that splits (which language, which certificate): each distinct question
//! becomes a TF-IDF vector of its content stems and of their character trigrams (which catch
//! spelling variants: `licence`, `license`; `kubernets`), the inverse document frequencies
//! taken over the week's distinct questions, so that words many questions share weigh little;
//! questions are grouped by average-linkage agglomerative clustering on cosine similarity,
//! until no two groups are similar enough. Every tie breaks on the input order.

use std::collections::{BTreeMap, HashMap};

use super::words::is_content;

/// Weight of each character trigram against its word's 1: enough to join spelling variants,
/// little enough that words sharing letters do not look alike.
const TRIGRAM_WEIGHT: f32 = 0.1;
/// Weight of a question's topic term: a question about a topic is about it first.
const TOPIC_WEIGHT: f32 = 3.0;
/// Features kept in a stored centroid.
pub(super) const CENTROID_FEATURES: usize = 16;

/// A question's TF-IDF vector: term ids (a [`Vocabulary`]'s) and weights, sorted by id, of
/// length 1.
pub(super) type Features = Vec<(u32, f32)>;

/// The Snowball English stemmer, made once.
static STEMMER: std::sync::LazyLock<rust_stemmers::Stemmer> =
    std::sync::LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// The stems of the content words among `words` (a question's, see [`super::words`]). Words
/// of four letters or fewer are kept as they are: a stem of a short word collides too easily
/// (`requir`, `us`).
pub(super) fn stems<'w>(words: impl IntoIterator<Item = &'w String>) -> Vec<String> {
    words
        .into_iter()
        .filter(|w| is_content(w))
        .map(|w| {
            if w.chars().count() <= 4 || !w.chars().all(char::is_alphabetic) {
                w.clone()
            } else {
                STEMMER.stem(w).into_owned()
            }
        })
        .collect()
}

/// Term counts of a question's content stems: each stem, and each trigram of `_stem_` at
/// [`TRIGRAM_WEIGHT`]; and the question's topic, when it has one, at [`TOPIC_WEIGHT`].
fn terms(content: &[String], topic: Option<&str>) -> BTreeMap<String, f32> {
    let mut terms = BTreeMap::new();
    for word in content {
        let marked: Vec<char> = format!("_{word}_").chars().collect();
        for gram in marked.windows(3) {
            *terms
                .entry(format!("c:{}", gram.iter().collect::<String>()))
                .or_default() += TRIGRAM_WEIGHT;
        }
        *terms.entry(format!("w:{word}")).or_default() += 1.0;
    }
    if let Some(topic) = topic {
        terms.insert(format!("t:{topic}"), TOPIC_WEIGHT);
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
    /// Counts each term of a question (its content stems and its topic) once.
    pub fn add(&mut self, content: &[String], topic: Option<&str>) {
        self.documents += 1;
        for term in terms(content, topic).into_keys() {
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

    /// A question's TF-IDF vector (terms the vocabulary lacks are left out; empty when it has
    /// no content word and no topic).
    pub fn vector(&self, content: &[String], topic: Option<&str>) -> Features {
        let mut vector: Features = terms(content, topic)
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
    pub fn named(&self, vector: &Features) -> Vec<(String, f32)> {
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
pub(super) fn cosine(a: &Features, b: &Features) -> f32 {
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

/// [`cluster`] at another threshold (the quality test shows how the choice was made).
pub(super) fn cluster_at(vectors: &[Features], threshold: f32) -> Vec<Vec<usize>> {
    let mut clustering = Clustering::new(vectors);
    while let Some((s, a, b)) = clustering.most_similar_pair() {
        if s < threshold {
            break;
        }
        clustering.merge(a, b);
    }
    let mut groups: Vec<Vec<usize>> = clustering
        .members
        .into_iter()
        .filter(|m| !m.is_empty())
        .collect();
    for group in &mut groups {
        group.sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// Average-linkage clustering under way: the groups, a group known by its first member's
/// index, and their similarities.
struct Clustering {
    n: usize,
    similarity: Vec<f32>,
    members: Vec<Vec<usize>>,
    active: Vec<bool>,
    /// Each active group's most similar other group: (similarity, index).
    best: Vec<Option<(f32, usize)>>,
}

impl Clustering {
    /// Every vector a group of its own.
    fn new(vectors: &[Features]) -> Self {
        let n = vectors.len();
        let mut similarity = vec![0.0f32; n * n];
        for i in 0..n {
            for j in (i + 1)..n {
                let s = cosine(&vectors[i], &vectors[j]);
                similarity[i * n + j] = s;
                similarity[j * n + i] = s;
            }
        }
        let mut clustering = Self {
            n,
            similarity,
            members: (0..n).map(|i| vec![i]).collect(),
            active: vec![true; n],
            best: Vec::new(),
        };
        clustering.best = (0..n).map(|i| clustering.best_of(i)).collect();
        clustering
    }

    /// The active group most similar to `i`.
    fn best_of(&self, i: usize) -> Option<(f32, usize)> {
        (0..self.n)
            .filter(|&j| j != i && self.active[j])
            .map(|j| (self.similarity[i * self.n + j], j))
            .fold(None, |best: Option<(f32, usize)>, (s, j)| match best {
                Some((b, _)) if b >= s => best,
                _ => Some((s, j)),
            })
    }

    /// The most similar pair of groups (similarity, lower index, higher); ties go to the lowest
    /// indices.
    fn most_similar_pair(&self) -> Option<(f32, usize, usize)> {
        let mut pick: Option<(f32, usize, usize)> = None;
        for i in (0..self.n).filter(|&i| self.active[i]) {
            if let Some((s, j)) = self.best[i] {
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
        pick
    }

    /// Merges `b` into `a`; the new group's similarity to each other group is the size-weighted
    /// mean of the two (average linkage, by Lance and Williams).
    fn merge(&mut self, a: usize, b: usize) {
        let n = self.n;
        let (size_a, size_b) = (self.members[a].len() as f32, self.members[b].len() as f32);
        for k in (0..n).filter(|&k| self.active[k] && k != a && k != b) {
            let merged = (size_a * self.similarity[a * n + k]
                + size_b * self.similarity[b * n + k])
                / (size_a + size_b);
            self.similarity[a * n + k] = merged;
            self.similarity[k * n + a] = merged;
        }
        let moved = std::mem::take(&mut self.members[b]);
        self.members[a].extend(moved);
        self.active[b] = false;
        for k in (0..n).filter(|&k| self.active[k]) {
            let stale = k == a || self.best[k].is_some_and(|(_, j)| j == a || j == b);
            if stale {
                self.best[k] = self.best_of(k);
            } else if let Some((s, _)) = self.best[k]
                && self.similarity[k * n + a] > s
            {
                self.best[k] = Some((self.similarity[k * n + a], a));
            }
        }
    }
}

/// The mean of `vectors` weighted by `weights`, of length 1, cut to its
/// [`CENTROID_FEATURES`] heaviest features (ties by id) and rounded, as stored.
pub(super) fn centroid(vectors: &[&Features], weights: &[u64]) -> Features {
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
