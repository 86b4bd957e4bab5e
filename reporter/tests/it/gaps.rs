//! The quality of the content-gap clustering, on a labelled set of paraphrases written by hand
//! (`tests/it/gaps/labelled.tsv`: 206 questions, 34 intents): the adjusted Rand index and the
//! pairwise F1 of the clusters against the intents, printed and held above a floor.

use std::collections::HashMap;

use reporter::report::gaps::{Features, THRESHOLD, Vocabulary, cluster};

/// The floors the clustering must stay above on the labelled set.
const ARI_FLOOR: f64 = 0.60;
const F1_FLOOR: f64 = 0.60;

fn labelled() -> Vec<(String, String)> {
    include_str!("gaps/labelled.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (intent, question) = l.split_once('\t').unwrap();
            (intent.to_owned(), question.to_owned())
        })
        .collect()
}

fn choose2(n: usize) -> f64 {
    (n * n.saturating_sub(1)) as f64 / 2.0
}

/// Adjusted Rand index (Hubert and Arabie) and pairwise precision, recall and F1.
fn scores(truth: &[usize], found: &[usize]) -> (f64, f64, f64, f64) {
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
    let same_cluster: f64 = columns.values().map(|&n| choose2(n)).sum();
    let expected = same_intent * same_cluster / choose2(truth.len());
    let maximum = (same_intent + same_cluster) / 2.0;
    let ari = (together - expected) / (maximum - expected);
    let precision = together / same_cluster;
    let recall = together / same_intent;
    let f1 = 2.0 * precision * recall / (precision + recall);
    (ari, precision, recall, f1)
}

fn cluster_labelled() -> (Vec<usize>, Vec<usize>, usize) {
    let data = labelled();
    let mut vocabulary = Vocabulary::default();
    for (_, q) in &data {
        vocabulary.add(q);
    }
    let vectors: Vec<Features> = data.iter().map(|(_, q)| vocabulary.vector(q)).collect();
    let groups = cluster(&vectors);
    let mut found = vec![0; data.len()];
    for (g, members) in groups.iter().enumerate() {
        for &m in members {
            found[m] = g;
        }
    }
    let mut intents: HashMap<&str, usize> = HashMap::new();
    let truth: Vec<usize> = data
        .iter()
        .map(|(intent, _)| {
            let next = intents.len();
            *intents.entry(intent.as_str()).or_insert(next)
        })
        .collect();
    (truth, found, groups.len())
}

#[test]
fn paraphrases_cluster_by_intent_above_the_floor() {
    let (truth, found, clusters) = cluster_labelled();
    let intents = truth.iter().max().unwrap() + 1;
    let (ari, precision, recall, f1) = scores(&truth, &found);
    println!(
        "gap clustering on {} labelled questions in {intents} intents, threshold {THRESHOLD}: \
         {clusters} clusters; adjusted Rand index {ari:.3}; pairwise precision {precision:.3}, \
         recall {recall:.3}, F1 {f1:.3} (floors: ARI {ARI_FLOOR}, F1 {F1_FLOOR})",
        truth.len()
    );
    assert!(truth.len() >= 200 && intents >= 30);
    assert!(ari >= ARI_FLOOR, "adjusted Rand index {ari:.3}");
    assert!(f1 >= F1_FLOOR, "pairwise F1 {f1:.3}");
}

#[test]
fn the_scores_themselves_are_right_on_known_cases() {
    assert_eq!(scores(&[0, 0, 1, 1], &[5, 5, 7, 7]).0, 1.0);
    let (ari, precision, recall, f1) = scores(&[0, 0, 1, 1], &[0, 1, 2, 3]);
    assert!((ari - 0.0).abs() < 1e-9, "{ari}");
    assert!(precision.is_nan() || recall == 0.0 || f1 == 0.0);
}

/// How the threshold was chosen, kept honest: the sweep is printed, and the chosen threshold
/// must stay within 0.02 of the best adjusted Rand index of the sweep.
#[test]
fn the_threshold_is_near_the_best_of_a_sweep() {
    let data = labelled();
    let mut vocabulary = Vocabulary::default();
    for (_, q) in &data {
        vocabulary.add(q);
    }
    let vectors: Vec<Features> = data.iter().map(|(_, q)| vocabulary.vector(q)).collect();
    let (truth, found, _) = cluster_labelled();
    let chosen = scores(&truth, &found).0;
    let mut best = f64::MIN;
    for t in [0.05f32, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3] {
        let groups = reporter::report::gaps::cluster_at(&vectors, t);
        let mut labels = vec![0; data.len()];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                labels[m] = g;
            }
        }
        let (ari, p, r, f1) = scores(&truth, &labels);
        println!(
            "threshold {t:.2}: {:>3} clusters, ARI {ari:.3}, precision {p:.3}, recall {r:.3}, F1 {f1:.3}",
            groups.len()
        );
        best = best.max(ari);
    }
    assert!(chosen >= best - 0.02, "chosen {chosen:.3}, best {best:.3}");
}
