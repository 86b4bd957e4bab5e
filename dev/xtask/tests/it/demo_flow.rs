//! The demo's flow at a smaller size: what the table holds equals what the generator sent, the
//! dead-letter queue holds exactly the malformed messages with reasons, and the email's figures
//! equal figures computed independently from the generated data.

use local_aws::Moto;
use shared_types::record::WeekLookup;
use shared_types::{MatchType, WeekId};
use xtask::Settings;
use xtask::WorkloadSpec;
use xtask::{DemoOptions, run};

/// Single spaces, no trailing sentence punctuation, case kept: written here again on purpose,
/// so that the check does not lean on the reporter's own normalisation (the generated questions
/// are ASCII, so lower case is the reporter's case folding).
fn spelling(question: &str) -> String {
    let spaced = question.split_whitespace().collect::<Vec<_>>().join(" ");
    spaced.trim_end_matches(['?', '!', '.', ' ']).to_owned()
}

/// The group a question falls in: its spelling in lower case.
fn normalise(question: &str) -> String {
    spelling(question).to_lowercase()
}

#[tokio::test]
async fn the_pipeline_stores_rejects_and_reports_what_was_sent() {
    // Both table layouts (the stack's WeekLookup): the records are the same, the reporter
    // finds them by scan or through the index.
    for lookup in WeekLookup::ALL {
        flow_on(lookup).await;
    }
}

async fn flow_on(lookup: WeekLookup) {
    let week: WeekId = "2025-W46".parse().unwrap();
    let moto = Moto::start();
    let outcome = run(
        &moto,
        DemoOptions {
            workload: WorkloadSpec {
                seed: 11,
                questions: 300,
                week,
                malformed: 6,
            },
            progress: false,
            week_lookup: lookup,
            faults: None,
            ..DemoOptions::of(&Settings::defaults().unwrap())
        },
    )
    .await
    .unwrap();
    let workload = &outcome.workload;

    // Every request stored, answered or not, in its week, with its fields.
    assert_eq!(outcome.records, workload.expected_records(90));
    assert_eq!(
        outcome.deliveries,
        outcome.messages_sent + outcome.redelivered
    );
    assert!(workload.duplicates > 0 && workload.responses_first > 0);

    // The dead-letter queue: exactly the malformed messages, each with its reason.
    let mut dead: Vec<(String, String)> = outcome.dead_letters.clone();
    dead.sort();
    let mut malformed = workload.malformed.clone();
    malformed.sort();
    assert_eq!(dead.len(), malformed.len(), "{dead:#?}");
    for ((body, reason), (expected_body, fragment)) in dead.iter().zip(&malformed) {
        assert_eq!(body, expected_body);
        assert!(
            reason.contains(fragment),
            "{reason:?} should contain {fragment:?}"
        );
    }

    // The email's figures, computed here from the generated requests.
    let in_week: Vec<_> = workload
        .requests
        .iter()
        .filter(|r| WeekId::of_timestamp_ms(r.query.timestamp) == Some(week))
        .collect();
    let asked = in_week.len();
    let answered = in_week.iter().filter(|r| r.response.is_some()).count();
    let unanswered = asked - answered;
    assert!(
        outcome
            .email
            .subject
            .starts_with(&format!("CV Analytics - 2025-W46: {asked} questions, ")),
        "{}",
        outcome.email.subject
    );
    assert_eq!(outcome.email.to, vec!["owner@example.dev".to_string()]);
    // Useful answers: full matches, and partial ones scored 40 or more (docs/reporting.md).
    let useful = in_week
        .iter()
        .filter_map(|r| r.response.as_ref())
        .filter(|a| match a.match_type {
            MatchType::Full => true,
            MatchType::Partial => a.match_score >= 40,
            MatchType::None => false,
        })
        .count();
    let rate = format!("{:.1}%", useful as f64 * 100.0 / asked as f64);
    assert!(outcome.email.html.contains(&rate), "useful answers {rate}");
    for line in [
        format!("No useful answer: {}, ", asked - useful),
        format!("No response: {unanswered}, "),
        format!("the bot did not respond to {unanswered}"),
    ] {
        assert!(
            outcome.text.contains(&line),
            "{line:?} not in\n{}",
            outcome.text
        );
    }
    let distinct: std::collections::BTreeSet<String> =
        in_week.iter().map(|r| normalise(&r.query.query)).collect();
    let note = format!(
        "the questions asked most this week, of {} different ones",
        distinct.len()
    );
    assert!(
        outcome.text.contains(&note),
        "{note:?} not in\n{}",
        outcome.text
    );
    let previous = workload.requests.len() - asked;
    let change = asked as i64 - previous as i64;
    assert!(
        outcome.text.contains(&format!(
            "Questions asked: {asked}, {} {}",
            if change > 0 { "up" } else { "down" },
            change.abs()
        )),
        "{}",
        outcome.text
    );
    assert_eq!(outcome.summary.records_read as usize, asked);
}
