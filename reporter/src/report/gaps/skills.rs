//! The families of skills (`reporter/data/skills.toml`): a question that names a term of a
//! family (`Swift`, `Flutter`, `app store`: mobile development) is about that family, so that
//! questions about one family in different words are one gap. See the data file for the rules
//! and where the terms come from.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

use super::words::{fold, is_content, words};

/// One family of the taxonomy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Family {
    pub id: String,
    pub label: String,
    pub suggestion: String,
    /// devicon's category tags whose technologies are this family's terms.
    #[serde(default)]
    pub devicon_tags: Vec<String>,
    /// Term (as written in the data file) to how the email writes it.
    pub terms: BTreeMap<String, String>,
    #[serde(default)]
    ambiguous: Vec<String>,
    /// A programming language and its ecosystem (Java, Python, .NET): a question that also
    /// names a term of an area (mobile, machine learning, databases) is about the area.
    #[serde(default)]
    ecosystem: bool,
}

#[derive(Debug, Deserialize)]
struct Taxonomy {
    technical_context: String,
    family: Vec<Family>,
    #[serde(default)]
    not_from_devicon: BTreeMap<String, String>,
}

/// A term, read: its words (the last may be a stem), its family and how it is written.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    words: Vec<String>,
    prefix: bool,
    family: usize,
    display: String,
    ambiguous: bool,
}

/// The taxonomy as the grouping uses it.
#[derive(Debug, Default)]
pub(super) struct Skills {
    families: Vec<Family>,
    /// Terms by their first word.
    terms: HashMap<String, Vec<Term>>,
    /// Terms whose first word is a stem.
    prefixed: Vec<Term>,
    context: HashSet<String>,
    /// Technologies of devicon's tags left out, with why (for the test that holds the file to
    /// devicon).
    #[cfg_attr(not(test), allow(dead_code))]
    not_from_devicon: BTreeMap<String, String>,
}

/// The terms of a family a question names.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Named {
    pub(super) family: &'static Family,
    /// How the email writes each term named, in the question's order.
    pub(super) terms: Vec<String>,
    /// The positions of the question's words the terms take.
    pub(super) positions: Vec<usize>,
}

static SKILLS: LazyLock<Skills> = LazyLock::new(|| {
    parse(include_str!("../../../data/skills.toml")).unwrap_or_else(|error| {
        tracing::error!(error = %error, "the skills taxonomy does not parse; no families");
        Skills::default()
    })
});

/// The taxonomy as shipped.
pub(super) fn all() -> &'static Skills {
    &SKILLS
}

/// A taxonomy in TOML.
pub(super) fn parse(text: &str) -> Result<Skills, toml::de::Error> {
    let taxonomy: Taxonomy = toml::from_str(text)?;
    let mut skills = Skills {
        context: words(&fold(&taxonomy.technical_context))
            .into_iter()
            .collect(),
        not_from_devicon: taxonomy.not_from_devicon,
        ..Skills::default()
    };
    for (index, family) in taxonomy.family.iter().enumerate() {
        let ambiguous: HashSet<String> = family
            .ambiguous
            .iter()
            .flat_map(|a| words(&fold(a)))
            .collect();
        for (text, display) in &family.terms {
            let (text, prefix) = match text.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (text.as_str(), false),
            };
            let term_words = words(&fold(text));
            let Some(first) = term_words.first().cloned() else {
                continue;
            };
            let term = Term {
                ambiguous: term_words.len() == 1 && ambiguous.contains(&first),
                words: term_words,
                prefix,
                family: index,
                display: display.clone(),
            };
            if prefix && term.words.len() == 1 {
                skills.prefixed.push(term);
            } else {
                skills.terms.entry(first).or_default().push(term);
            }
        }
    }
    skills.families = taxonomy.family;
    Ok(skills)
}

impl Term {
    /// Whether the term stands at `start` of `question`.
    fn at(&self, question: &[String], start: usize) -> bool {
        let Some(end) = start.checked_add(self.words.len()) else {
            return false;
        };
        if end > question.len() {
            return false;
        }
        let last = self.words.len() - 1;
        self.words.iter().enumerate().all(|(k, w)| {
            let word = &question[start + k];
            if k == last && self.prefix {
                word.starts_with(w.as_str())
            } else {
                word == w
            }
        })
    }
}

impl Skills {
    /// Every family, in the file's order.
    #[cfg(test)]
    fn families(&self) -> &[Family] {
        &self.families
    }

    /// The family a question's words (see [`words`]) are about, if any: an area before a
    /// language's ecosystem, then the one it names the most terms of, then the one it names
    /// first. An ambiguous term counts only beside a word
    /// of technical work, another term, or as the question's only content word.
    pub(super) fn named(&'static self, question: &[String]) -> Option<Named> {
        // (term, start) of each term found, the longest at each start.
        let mut found: Vec<(&Term, usize)> = Vec::new();
        let mut start = 0;
        while start < question.len() {
            let candidates = self
                .terms
                .get(&question[start])
                .into_iter()
                .flatten()
                .chain(self.prefixed.iter());
            let best = candidates
                .filter(|t| t.at(question, start))
                .max_by_key(|t| t.words.len());
            match best {
                Some(term) => {
                    found.push((term, start));
                    start += term.words.len();
                }
                None => start += 1,
            }
        }
        if found.is_empty() {
            return None;
        }
        let content = question.iter().filter(|w| is_content(w)).count();
        let technical = question.iter().any(|w| self.context.contains(w))
            || found.iter().filter(|(t, _)| !t.ambiguous).count() > 0
            || found.len() > 1
            || content <= 1;
        found.retain(|(t, _)| !t.ambiguous || technical);
        let ecosystem = |t: &Term| self.families[t.family].ecosystem;
        if found.iter().any(|(t, _)| !ecosystem(t)) {
            found.retain(|(t, _)| !ecosystem(t));
        }
        // The family named most, then first.
        let mut counts: Vec<(usize, usize, usize)> = Vec::new(); // (family, count, first start)
        for (term, start) in &found {
            match counts.iter_mut().find(|(f, _, _)| *f == term.family) {
                Some((_, n, _)) => *n += 1,
                None => counts.push((term.family, 1, *start)),
            }
        }
        let (family, _, _) = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))?;
        let mut terms: Vec<String> = Vec::new();
        let mut positions = Vec::new();
        for (term, start) in found.iter().filter(|(t, _)| t.family == family) {
            if !terms.contains(&term.display) {
                terms.push(term.display.clone());
            }
            positions.extend(*start..*start + term.words.len());
        }
        Some(Named {
            family: &self.families[family],
            terms,
            positions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(question: &str) -> Option<&'static str> {
        all()
            .named(&words(&fold(question)))
            .map(|n| n.family.id.as_str())
    }

    #[test]
    fn the_shipped_taxonomy_parses_with_families_of_terms() {
        let skills = parse(include_str!("../../../data/skills.toml")).unwrap();
        assert!(skills.families().len() >= 12);
        let mut ids: Vec<&str> = skills.families().iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), skills.families().len(), "family ids are unique");
        for f in skills.families() {
            assert!(f.terms.len() >= 5, "{}", f.id);
        }
    }

    /// The terms come from devicon: every technology devicon files under a family's tags is a
    /// term of a family taking one of its tags, by its name or one of its alternative names, or
    /// is listed as left out with why. Reads the devicon `make tools` installs.
    #[test]
    fn every_technology_devicon_files_under_a_familys_tags_is_one_of_its_terms() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/tools/devicon/node_modules/devicon/devicon.json"
        );
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e} (make tools installs devicon)"));
        let devicon: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let skills = all();
        let mut missing = Vec::new();
        let mut taken = 0;
        for entry in &devicon {
            let tags: Vec<&str> = entry["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str())
                .collect();
            let families: Vec<&Family> = skills
                .families()
                .iter()
                .filter(|f| f.devicon_tags.iter().any(|t| tags.contains(&t.as_str())))
                .collect();
            if families.is_empty() {
                continue;
            }
            let name = entry["name"].as_str().unwrap_or_default();
            let names: Vec<String> = std::iter::once(name)
                .chain(
                    entry["altnames"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str()),
                )
                .map(|n| words(&fold(n)).join(" "))
                .collect();
            let listed = families.iter().any(|f| {
                f.terms
                    .keys()
                    .any(|term| names.contains(&words(&fold(term)).join(" ")))
            });
            if listed {
                taken += 1;
            } else if !skills.not_from_devicon.contains_key(name) {
                missing.push(format!("{name} {tags:?}"));
            }
        }
        println!("{taken} technologies of devicon's tags are terms of their families");
        assert!(taken >= 150, "{taken}");
        assert!(
            missing.is_empty(),
            "not terms, nor left out with why: {missing:#?}"
        );
    }

    #[test]
    fn one_family_in_different_words_is_one_family() {
        for (question, expected) in [
            ("iOS development experience", "mobile"),
            ("does he know Swift or Kotlin for Android", "mobile"),
            ("Flutter?", "mobile"),
            ("has he published an app on the app store", "mobile"),
            ("machine learning", "machine-learning"),
            ("has he trained ML models", "machine-learning"),
            ("has he worked on LLMs", "machine-learning"),
            ("Does he know TensorFlow", "machine-learning"),
            ("Has he written Chef recipes?", "devops"),
            (
                "Has he built weather forecasting models?",
                "machine-learning",
            ),
            ("Has he built contactless payments?", "payments"),
            ("Does he know Passport.js?", "security"),
            ("Has he worked with hybrid cloud?", "cloud"),
            ("Does he care about UI polish?", "frontend"),
            ("Does he have experience with high availability?", "devops"),
            ("Has he built recommendation engines?", "machine-learning"),
        ] {
            assert_eq!(family(question), Some(expected), "{question}");
        }
    }

    #[test]
    fn a_languages_ecosystem_and_a_domain_are_families_and_an_area_beats_an_ecosystem() {
        for (question, expected) in [
            ("Does he know Java?", Some("jvm")),
            ("Spring Boot experience?", Some("jvm")),
            ("ASP.NET Core or C#?", Some("dotnet")),
            ("Does he know Go?", Some("go")),
            (
                "Has he used Python for machine learning?",
                Some("machine-learning"),
            ),
            ("Kotlin for Android?", Some("mobile")),
            ("GraphQL or gRPC?", Some("architecture")),
            ("Has he worked in insurance?", Some("insurance")),
            (
                "Did he build a travel booking site?",
                Some("travel-industry"),
            ),
            ("What did he do in spring 2021?", None),
            ("Is he willing to go abroad?", None),
        ] {
            assert_eq!(family(question), expected, "{question}");
        }
    }

    #[test]
    fn an_ordinary_word_is_a_technology_only_beside_one() {
        assert_eq!(family("How does he react under pressure?"), None);
        assert_eq!(
            family("Does he have experience with React?"),
            Some("frontend")
        );
        assert_eq!(family("React?"), Some("frontend"));
        assert_eq!(family("Is he a chef at weekends?"), None);
        assert_eq!(family("Has he used Unity?"), Some("game-development"));
    }
}
