//! Where each question of a list goes, as the weekly report would group it: the API of
//! `make gaps`, for an owner to try the grouping on their own traffic.

use std::collections::{BTreeMap, HashMap};

use super::grouping::{group, selected};
use crate::report::text::{normalise_question, spelling};

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
    let keys: Vec<String> = questions.iter().map(|q| normalise_question(q)).collect();
    // Each distinct question, how often it was asked, and its first spelling (labels keep
    // its capitals, as the report's keep the most common one's).
    let mut counts: BTreeMap<&str, (u64, String)> = BTreeMap::new();
    for (key, question) in keys.iter().zip(questions) {
        counts
            .entry(key.as_str())
            .or_insert_with(|| (0, spelling(question)))
            .0 += 1;
    }
    let (distinct, _) = selected(counts.into_iter().collect(), |(k, (n, _))| (k, *n));
    let texts: Vec<&str> = distinct
        .iter()
        .map(|(_, (_, spelt))| spelt.as_str())
        .collect();
    let grouping = group(&texts);
    let mut group_of: HashMap<&str, usize> = HashMap::new();
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
                topic: group.about.map(|a| a.id().to_owned()),
            }
        })
        .collect()
}
