//! What the email tells beyond the week's counts: content gaps (paraphrases grouped, with their
//! status against earlier weeks, and the ones resolved), the trend, changes coloured only when
//! they are unlikely to be noise, and the pipeline-integrity and privacy lines.

use crate::support::{answer, at, record, week};
use reporter::WeekAggregator;
use reporter::gaps;
use reporter::view::{History, Previous, ReportView};
use shared_types::MatchType::{Full, None as NoMatch, Partial};
use shared_types::RequestRecord;
use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::record::report_marker::WeekSummary;

const GOOD: &str = "#1b5e20";
const BAD: &str = "#b71c1c";
const NEUTRAL: &str = "#57606a";

fn aggregate(week_id: &str, records: &[RequestRecord]) -> WeekAggregator {
    let mut aggregator = WeekAggregator::new(week(week_id));
    for r in records {
        aggregator.add(r);
    }
    aggregator
}

/// `asked` questions in 2025-W45, `answered` of them answered.
fn volume(asked: usize, answered: usize) -> WeekAggregator {
    let t = at("2025-11-05T10:00:00Z");
    let records: Vec<_> = (0..asked)
        .map(|i| {
            let reply = (i < answered).then(|| answer(Full, 90, 1_000, &["Rust"]));
            record(&format!("r{i}"), t, "Do you know Rust?", "anonymous", reply)
        })
        .collect();
    aggregate("2025-W45", &records)
}

fn colours(now: (usize, usize), before: (u64, u64)) -> Vec<&'static str> {
    let previous = Previous {
        asked: before.0,
        answered: before.1,
        useful: Some(before.1),
    };
    let view = ReportView::build(&volume(now.0, now.1), previous, at("2025-11-10T07:00:00Z"));
    view.figures.headline.iter().map(|f| f.colour).collect()
}

/// The same relative moves, at 20 and at 2,000 questions a week: noise at 20, real at 2,000.
/// The headline is [asked, useful-answer rate, no useful answer, no response].
#[test]
fn changes_are_coloured_only_when_unlikely_to_be_noise_at_20_and_2000_questions() {
    // +30% questions, answer rate 70% -> 50%: every move is within noise at 20 a week.
    assert_eq!(colours((26, 13), (20, 14)), [NEUTRAL; 4]);
    // The same moves at 2,000 a week: questions up (good), the rate down (bad), the questions
    // without a useful answer and without a response up (bad).
    assert_eq!(
        colours((2_600, 1_300), (2_000, 1_400)),
        [GOOD, BAD, BAD, BAD]
    );
    // A doubling of questions is real even at 20 a week; the same rate is no change.
    assert_eq!(colours((40, 28), (20, 14))[0], GOOD);
    assert_eq!(colours((40, 28), (20, 14))[1], NEUTRAL);
    // The email says how the colours are decided.
    let view = ReportView::build(
        &volume(20, 14),
        Previous::default(),
        at("2025-11-10T07:00:00Z"),
    );
    assert!(
        reporter::render(&view)
            .unwrap()
            .text
            .contains("\"beyond noise\" (and coloured)")
    );
}

/// Unanswered questions about the same things, asked in different words by different sessions.
fn gap_week() -> Vec<RequestRecord> {
    let t = at("2025-11-05T10:00:00Z");
    let mut records = Vec::new();
    let mut add = |id: String, question: &str, session: &str, reply| {
        records.push(record(&id, t, question, session, reply));
    };
    for (i, q) in [
        "do you know rust?",
        "have you used Rust",
        "rust experience?",
    ]
    .iter()
    .enumerate()
    {
        for j in 0..3 {
            add(format!("rust-{i}-{j}"), q, &format!("s-{i}-{j}"), None);
        }
    }
    for (i, q) in ["do you have a pilot licence?", "pilot license?"]
        .iter()
        .enumerate()
    {
        add(
            format!("pilot-{i}"),
            q,
            "anonymous",
            Some(answer(NoMatch, 3, 800, &["Aviation"])),
        );
    }
    // A partial match scored under 40 is a gap; a good partial match is not.
    add(
        "cobol-1".into(),
        "can you write COBOL?",
        "s-c",
        Some(answer(Partial, 20, 900, &["Legacy systems"])),
    );
    add(
        "kotlin-1".into(),
        "do you know kotlin?",
        "s-k",
        Some(answer(Partial, 70, 900, &["Kotlin"])),
    );
    records
}

#[test]
fn paraphrases_are_one_gap_with_their_phrasings_sessions_and_nearest_match() {
    let week = aggregate("2025-W45", &gap_week());
    let found = gaps::find(&week);
    let shown: Vec<(&str, u64, usize, usize, Option<&str>)> = found
        .gaps
        .iter()
        .map(|g| {
            (
                g.representative.as_str(),
                g.asked,
                g.phrasings,
                g.sessions,
                g.nearest.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("do you know rust", 9, 3, 9, None),
            ("do you have a pilot licence", 2, 2, 0, Some("Aviation")),
            ("can you write COBOL", 1, 1, 1, Some("Legacy systems")),
        ]
    );
    let view = ReportView::build(&week, Previous::default(), at("2025-11-10T07:00:00Z"));
    // Rust was never answered: apart from what the CV lacks, which the bot looked for.
    assert_eq!(view.gaps.no_response.rows.len(), 1);
    assert_eq!(view.gaps.no_response.rows[0].label, "Rust");
    let cards: Vec<(&str, &str, &str)> = view
        .gaps
        .add_to_cv
        .rows
        .iter()
        .map(|c| (c.label.as_str(), c.asked.as_str(), c.evidence.as_str()))
        .collect();
    assert_eq!(
        cards,
        [
            (
                "Pilot licence",
                "asked 2 times in 2 phrasings, anonymously",
                "The nearest the bot found was Aviation, a weak match."
            ),
            (
                "COBOL",
                "asked 1 time by 1 session",
                "The nearest the bot found was Legacy systems, a weak match."
            ),
        ]
    );
    assert!(view.gaps.add_to_cv.rows.iter().all(|g| g.status == "new"));

    // The same records in another order give the same gaps.
    let mut reversed = gap_week();
    reversed.reverse();
    assert_eq!(gaps::find(&aggregate("2025-W45", &reversed)), found);
}

#[test]
fn gaps_are_new_rising_or_persisting_against_earlier_weeks_and_resolved_ones_are_shown() {
    let this_week = aggregate("2025-W45", &gap_week());
    let found = gaps::find(&this_week);
    let stored = |representative: &str, asked: u64| {
        let gap = found
            .gaps
            .iter()
            .find(|g| g.representative.contains(representative))
            .unwrap();
        shared_types::record::report_marker::StoredGap {
            asked,
            ..gap.stored()
        }
    };
    // Last week: rust asked once (nine now is beyond noise), the pilot licence twice, COBOL
    // once, and a question about relocation that this week was answered with full matches.
    let t = at("2025-10-29T10:00:00Z");
    let last_week_records: Vec<_> = (0..3)
        .map(|i| {
            record(
                &format!("x{i}"),
                t,
                "would you relocate?",
                "anonymous",
                None,
            )
        })
        .collect();
    let relocation = gaps::find(&aggregate("2025-W44", &last_week_records)).gaps[0].stored();
    let last = WeekSummary {
        asked: 10,
        answered: 5,
        gaps: vec![
            stored("rust", 1),
            stored("pilot", 2),
            stored("COBOL", 1),
            relocation,
        ],
        ..WeekSummary::default()
    };
    // Two weeks ago: the pilot licence.
    let before = WeekSummary {
        asked: 8,
        answered: 4,
        gaps: vec![stored("pilot", 2)],
        ..WeekSummary::default()
    };
    let mut records = gap_week();
    for i in 0..4 {
        records.push(record(
            &format!("reloc-{i}"),
            at("2025-11-06T10:00:00Z"),
            "are you willing to relocate?",
            "anonymous",
            Some(answer(Full, 88, 700, &["Relocation"])),
        ));
    }
    let this_week = aggregate("2025-W45", &records);
    let history = History {
        previous: Previous::from(&last),
        weeks: vec![(week("2025-W44"), last), (week("2025-W43"), before)],
        stats: PipelineStats::default(),
    };
    let found = gaps::find(&this_week);
    let view = ReportView::assemble(&this_week, &found, &history, at("2025-11-10T07:00:00Z"));
    // Persisting only when in each of the last two weeks; in last week's alone, "also last
    // week".
    let statuses: Vec<(&str, &str)> = view
        .gaps
        .add_to_cv
        .rows
        .iter()
        .map(|g| (g.label.as_str(), g.status))
        .collect();
    assert_eq!(
        statuses,
        [("Pilot licence", "persisting"), ("COBOL", "also last week")]
    );
    // Rust (no response, so not a card) rose from 1 to 9, beyond noise.
    let (last, before) = (&history.weeks[0].1.gaps, &history.weeks[1].1.gaps);
    let rust = found.gaps.iter().find(|g| g.label == "Rust").unwrap();
    assert_eq!(
        gaps::status(rust, Some(last), Some(before), &found.vocabulary),
        gaps::GapStatus::Rising
    );
    // Without last week's report (an empty week not sent), every gap is new.
    assert_eq!(
        gaps::status(rust, None, Some(before), &found.vocabulary),
        gaps::GapStatus::New
    );
    assert_eq!(view.gaps.resolved.len(), 1);
    assert_eq!(view.gaps.resolved[0].text, "Relocation");
    assert_eq!(view.gaps.resolved[0].full_matches, "4");
    // The trend: the two weeks before and this one, oldest first.
    let trend: Vec<(&str, &str, &str, bool)> = view
        .figures
        .trend
        .iter()
        .map(|r| {
            (
                r.week.as_str(),
                r.asked.as_str(),
                r.answer_rate.as_str(),
                r.current,
            )
        })
        .collect();
    assert_eq!(
        trend,
        [
            // Markers written before useful answers were kept: no comparable rate.
            ("2025-W43", "8", "-", false),
            ("2025-W44", "10", "-", false),
            // Useful answers: kotlin's good partial and the four relocation answers.
            ("2025-W45", "17", "29%", true),
        ]
    );
    let report = reporter::render(&view).unwrap();
    for part in [&report.html, &report.text] {
        assert!(part.contains("Resolved since last week"), "{part}");
        assert!(part.contains("persisting") && part.contains("also last week"));
        assert!(part.contains("2025-W43"));
    }
}

#[test]
fn the_footer_has_the_pipeline_line_and_the_redactions() {
    let t = at("2025-11-05T10:00:00Z");
    let records = vec![
        record("a", t, "mail me at jane@example.dev", "anonymous", None),
        record("b", t, "call me on +44 20 7946 0958", "anonymous", None),
        record(
            "c",
            t,
            "do you know rust",
            "anonymous",
            Some(answer(Full, 90, 900, &[])),
        ),
    ];
    let week = aggregate("2025-W45", &records);
    let history = History {
        stats: PipelineStats {
            dead_lettered: 2,
            duplicates: 5,
            late: 3,
        },
        ..History::default()
    };
    let view = ReportView::assemble(&week, &gaps::find(&week), &history, t);
    assert_eq!(
        view.footer.integrity,
        "Pipeline: 2 questions got no response; 3 late and 5 duplicate deliveries absorbed; \
         2 events dead-lettered."
    );
    assert_eq!(
        view.footer.redacted_note,
        "2 questions had personal data (an e-mail address, a phone, card or IBAN number, a URL \
         with a password) removed before storage."
    );
    // The stored questions hold the placeholders, never the data.
    assert!(week.questions.keys().any(|k| k.contains("[email]")));
    assert!(!week.questions.keys().any(|k| k.contains("jane@")));
    let report = reporter::render(&view).unwrap();
    assert!(
        report
            .html
            .contains("3 late and 5 duplicate deliveries absorbed")
    );
    assert!(report.text.contains("2 questions had personal data"));
}

/// A question that went unanswered but was answered well at other times this week is a gap in
/// reliability more than in the CV, and the row says so.
#[test]
fn a_gap_answered_well_at_other_times_says_so() {
    let t = at("2025-11-05T10:00:00Z");
    let records = vec![
        record("a", t, "do you know rust?", "anonymous", None),
        record(
            "b",
            t,
            "do you know rust?",
            "anonymous",
            Some(answer(Full, 95, 900, &["Rust"])),
        ),
        record(
            "c",
            t,
            "Do you know Rust",
            "anonymous",
            Some(answer(Full, 91, 900, &["Rust"])),
        ),
    ];
    let week = aggregate("2025-W45", &records);
    let view = ReportView::build(&week, Previous::default(), t);
    assert!(view.gaps.add_to_cv.rows.is_empty() && view.gaps.no_response.rows.is_empty());
    assert_eq!(view.gaps.bot_missed.rows.len(), 1);
    assert_eq!(view.gaps.bot_missed.rows[0].asked, "1");
    assert_eq!(
        view.gaps.bot_missed.rows[0].detail,
        "answered well 2 other times, from Rust"
    );
}
