//! The quality of the content-gap grouping, on labelled sets of questions (intent, tab,
//! question, and for a trap question a third column): each with a file that says, for each
//! intent, the topics and families whose label is true for its questions.
//!
//! - `gaps/labelled.tsv`, the set the method is tuned on (written by hand with the first
//!   version of the grouping, relabelled to families and extended with the seven languages and
//!   traps for the second);
//! - `gaps/unseen.tsv`, written independently by someone who had not seen the method, in more
//!   intents and languages, with typos, long recruiter messages and questions about the owner
//!   in the third person; never tuned against (its intents predate the families: iOS and
//!   Android are two intents there);
//! - `gaps/blind.tsv`, written for the second version (issue 31) by a helper who had never
//!   seen the lexicon, the taxonomy or the method: 651 questions in 57 intents, half of them
//!   not in English, 138 traps. Its first run (ARI 0.609, precision 0.751, 36 questions and
//!   22 traps under a false label) was below the issue's floors; the method was then extended
//!   on the tuning set only (language ecosystems, domains and APIs as families, 43 traps
//!   written for the tuning set and the general rules they called for), knowing the blind
//!   set's intent names and its aggregate figures, never how its questions were filed. Its
//!   later figures are therefore no longer blind.
//!
//! - `gaps/blind2.tsv`, the third measurement, written after those changes by another helper
//!   who had never seen the lexicon, the taxonomy or the method: 686 questions in 69 intents,
//!   248 not in English, 132 traps, 25 off-topic, 42 long recruiter messages. Its topics file
//!   was written from the intents' descriptions before any of its questions was run. Its first
//!   run is the one reported (docs/reporting.md); nothing has been tuned on it.
//!
//! For each set the adjusted Rand index, pairwise precision, recall and F1 of the groups
//! against the intents, and the questions filed under a topic whose label is false for them
//! (traps among them), are printed (`cargo test -p reporter --test it gaps -- --nocapture`)
//! and held above floors.

mod sets;

use reporter::gaps::{self, THRESHOLD};
use sets::{Measured, Set, measure, scores};

fn tuning_set() -> Set {
    Set::parse(
        "tuning",
        include_str!("gaps/labelled.tsv"),
        include_str!("gaps/labelled.topics.tsv"),
    )
}

fn unseen_set() -> Set {
    Set::parse(
        "unseen",
        include_str!("gaps/unseen.tsv"),
        include_str!("gaps/unseen.topics.tsv"),
    )
}

fn blind_set() -> Set {
    Set::parse(
        "blind",
        include_str!("gaps/blind.tsv"),
        include_str!("gaps/blind.topics.tsv"),
    )
}

fn blind2_set() -> Set {
    Set::parse(
        "blind2",
        include_str!("gaps/blind2.tsv"),
        include_str!("gaps/blind2.topics.tsv"),
    )
}

/// The floors a set is held to.
struct Floors {
    ari: f64,
    precision: f64,
    f1: f64,
    /// Most questions filed under a false topic, and most trap questions.
    misfiled: usize,
    traps_misfiled: usize,
}

fn report(set: &Set, floors: &Floors) -> Measured {
    let measured = measure(set, THRESHOLD);
    sets::detail(set, &measured);
    let s = measured.scores;
    println!(
        "gap grouping on the {} set, {} questions in {} intents: {} groups; adjusted Rand index \
         {:.3}; pairwise precision {:.3}, recall {:.3}, F1 {:.3}; filed under a false topic: {} \
         ({} of {} traps)",
        set.name,
        set.questions.len(),
        set.intents(),
        measured.groups,
        s.ari,
        s.precision,
        s.recall,
        s.f1,
        measured.misfiled.len(),
        measured.traps_misfiled(set),
        set.traps(),
    );
    assert!(s.ari >= floors.ari, "{}: ARI {:.3}", set.name, s.ari);
    assert!(
        s.precision >= floors.precision,
        "{}: precision {:.3}",
        set.name,
        s.precision
    );
    assert!(s.f1 >= floors.f1, "{}: F1 {:.3}", set.name, s.f1);
    assert!(
        measured.misfiled.len() <= floors.misfiled,
        "{}: {} misfiled",
        set.name,
        measured.misfiled.len()
    );
    assert!(
        measured.traps_misfiled(set) <= floors.traps_misfiled,
        "{}: {} traps misfiled",
        set.name,
        measured.traps_misfiled(set)
    );
    measured
}

#[test]
fn the_grouping_is_above_the_floors_on_the_tuning_set() {
    let set = tuning_set();
    assert!(set.questions.len() >= 400 && set.intents() >= 50 && set.traps() >= 40);
    // One trap is still filed under a false topic: "Which country has the best visa policy
    // for tourists?" under "Where you are based".
    let floors = Floors {
        ari: 0.90,
        precision: 0.95,
        f1: 0.90,
        misfiled: 1,
        traps_misfiled: 1,
    };
    report(&set, &floors);
}

/// Held where the second version left it (ARI 0.717, 10 questions under a false label, all of
/// them listed by `GAPS_DETAIL=unseen`), so that a change that loses ground here fails.
#[test]
fn the_grouping_is_above_the_floors_on_the_unseen_set() {
    let set = unseen_set();
    assert!(set.questions.len() >= 250 && set.intents() >= 35);
    let floors = Floors {
        ari: 0.70,
        precision: 0.80,
        f1: 0.70,
        misfiled: 10,
        traps_misfiled: 0,
    };
    report(&set, &floors);
}

/// The issue's floors on the set written blind are ARI 0.85, pairwise precision 0.95 and no
/// trap question under a false topic. They are NOT met (docs/reporting.md gives the figures
/// and why); this test holds the set where the second version left it (ARI 0.660, precision
/// 0.802, 18 traps under a false label), so that a change that loses ground here fails, and
/// prints how far each floor is.
#[test]
fn the_grouping_on_the_blind_set_is_held_where_it_is_and_measured_against_the_issues_floors() {
    let set = blind_set();
    assert!(set.questions.len() >= 400 && set.intents() >= 45 && set.traps() >= 40);
    let floors = Floors {
        ari: 0.65,
        precision: 0.79,
        f1: 0.0,
        misfiled: 30,
        traps_misfiled: 18,
    };
    let measured = report(&set, &floors);
    println!(
        "the issue's floors on the blind set: ARI {:.3} of 0.85, precision {:.3} of 0.95, \
         {} of 0 traps under a false topic",
        measured.scores.ari,
        measured.scores.precision,
        measured.traps_misfiled(&set)
    );
}

/// The third measurement, on a set no part of the method has seen. Its first run (ARI 0.625,
/// precision 0.763, recall 0.537, 32 questions and 12 of 132 traps under a false label) is below
/// the issue's floors (ARI 0.85, pairwise precision 0.95, no trap under a false topic); it is
/// printed against them and held where that run left it, so that a change that loses ground
/// here fails.
#[test]
fn the_grouping_on_the_second_blind_set_is_measured_against_the_issues_floors() {
    let set = blind2_set();
    assert!(set.questions.len() >= 400 && set.intents() >= 45 && set.traps() >= 40);
    let floors = Floors {
        ari: 0.62,
        precision: 0.76,
        f1: 0.62,
        misfiled: 32,
        traps_misfiled: 12,
    };
    let measured = report(&set, &floors);
    println!(
        "the issue's floors on the second blind set: ARI {:.3} of 0.85, precision {:.3} of 0.95, \
         {} of 0 traps under a false topic",
        measured.scores.ari,
        measured.scores.precision,
        measured.traps_misfiled(&set)
    );
}

/// A word a week says about several subjects (here the owner's name, with certifications, a
/// language, a licence and a start date) is no question's subject: it neither joins two
/// certificates into one gap nor names one.
#[test]
fn a_word_said_about_many_subjects_names_no_gap_and_joins_nothing() {
    let questions = [
        "Is Alex AWS certified?",
        "Is Alex CKA certified?",
        "Does Alex speak French?",
        "Has Alex got a driving licence?",
        "Can Alex start next month?",
        "Does Alex know COBOL?",
        "COBOL experience?",
    ];
    let grouping = gaps::group_at(&questions, THRESHOLD);
    let labels: Vec<&str> = grouping.groups.iter().map(|g| g.label.as_str()).collect();
    assert!(labels.iter().all(|l| !l.contains("Alex")), "{labels:?}");
    assert!(labels.contains(&"Certifications: AWS"), "{labels:?}");
    assert!(labels.contains(&"Certifications: CKA"), "{labels:?}");
    let cobol: Vec<_> = grouping
        .groups
        .iter()
        .filter(|g| g.label == "COBOL")
        .collect();
    assert_eq!(cobol.len(), 1, "{labels:?}");
    assert_eq!(cobol[0].members, [5, 6]);
}

#[test]
fn the_scores_themselves_are_right_on_known_cases() {
    assert_eq!(scores(&[0, 0, 1, 1], &[5, 5, 7, 7]).ari, 1.0);
    let s = scores(&[0, 0, 1, 1], &[0, 1, 2, 3]);
    assert!(s.ari.abs() < 1e-9, "{}", s.ari);
    assert!(s.recall == 0.0);
    // One group of everything: every pair of an intent found, most pairs wrong.
    let s = scores(&[0, 0, 1, 1], &[0, 0, 0, 0]);
    assert!((s.recall - 1.0).abs() < 1e-9 && (s.precision - 1.0 / 3.0).abs() < 1e-9);
}

/// A question is misfiled when its group's topic is not among its intent's true ones; one
/// without a topic never is.
#[test]
fn a_question_under_a_topic_not_true_for_its_intent_is_counted_as_misfiled() {
    let set = Set::parse(
        "known",
        "salary\tWhat is your salary expectation?\n\
         salary\tDo you have a pilot licence?\ttrap: pilot\n\
         cobol\tDo you know COBOL?\n",
        "salary\tsalary\ncobol\n",
    );
    let measured = measure(&set, THRESHOLD);
    assert_eq!(measured.misfiled, [(1, "pilot-licence")]);
    assert_eq!(measured.traps_misfiled(&set), 1);
}

/// How the threshold was chosen, kept honest: a sweep on the tuning set is printed, and the
/// chosen threshold stays within 0.02 of the sweep's best adjusted Rand index there.
#[test]
fn the_threshold_is_near_the_best_of_a_sweep_on_the_tuning_set() {
    let set = tuning_set();
    let chosen = measure(&set, THRESHOLD).scores.ari;
    let mut best = f64::MIN;
    for t in [0.05f32, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5] {
        let m = measure(&set, t);
        let s = m.scores;
        println!(
            "threshold {t:.2}: {:>3} groups, ARI {:.3}, precision {:.3}, recall {:.3}, F1 {:.3}",
            m.groups, s.ari, s.precision, s.recall, s.f1
        );
        best = best.max(s.ari);
    }
    assert!(chosen >= best - 0.02, "chosen {chosen:.3}, best {best:.3}");
}

/// The paraphrases the issue names, which share no word, are one gap; questions that share
/// only a function word or a pronoun are not.
#[test]
fn paraphrases_without_a_shared_word_are_one_gap_and_function_words_join_nothing() {
    let same = [
        [
            "What is your salary expectation",
            "how much do you want to be paid",
            "what compensation is he looking for",
            "Quelles sont ses prétentions salariales ?",
        ],
        [
            "Do you have a pilot licence",
            "can you fly a plane",
            "is he a licensed pilot",
            "pilot license?",
        ],
        [
            "What is your notice period",
            "when can you start",
            "Wie lange ist seine Kündigungsfrist?",
            "¿Cuándo podría incorporarse?",
        ],
    ];
    let apart = [
        "Why is he looking for a new role",
        "Is he open to relocating",
        "Does he contribute to open source",
        "Is he looking for remote work",
        "Does he do freelance work",
    ];
    let mut questions: Vec<&str> = same.iter().flatten().copied().collect();
    questions.extend(apart);
    let groups: Vec<usize> = gaps::assignments(&questions)
        .into_iter()
        .map(|a| a.gap.unwrap())
        .collect();
    for (k, set) in same.iter().enumerate() {
        for (i, q) in set.iter().enumerate() {
            assert_eq!(groups[k * 4 + i], groups[k * 4], "{q} with {}", set[0]);
        }
    }
    let mut apart_groups = groups[12..].to_vec();
    apart_groups.sort_unstable();
    apart_groups.dedup();
    assert_eq!(apart_groups.len(), apart.len(), "{:?}", &groups[12..]);
    for g in &groups[12..] {
        assert!(![groups[0], groups[4], groups[8]].contains(g));
    }
}

/// `make gaps FILE=...`: the binary prints one JSON line per question in input order, blank
/// lines skipped, paraphrases sharing a gap number, numbered by first appearance.
#[test]
fn the_gaps_command_groups_a_file_of_questions_as_the_report_does() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/gaps/questions.txt");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gaps"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let shown: Vec<(&str, u64, Option<&str>)> = lines
        .iter()
        .map(|l| {
            (
                l["question"].as_str().unwrap(),
                l["gap"].as_u64().unwrap(),
                l["topic"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("What is your salary expectation?", 1, Some("salary")),
            ("Do you have a pilot licence?", 2, Some("pilot-licence")),
            ("how much do you want to be paid", 1, Some("salary")),
            (
                "Quelles sont ses prétentions salariales ?",
                1,
                Some("salary")
            ),
            ("can you fly a plane?", 2, Some("pilot-licence")),
            ("Do you know COBOL?", 3, None),
        ]
    );
    assert_eq!(lines[5]["label"], "COBOL");
    // A missing file is a clear error.
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_gaps"))
        .arg("no-such-file.txt")
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("gaps: no-such-file.txt: "));
}
