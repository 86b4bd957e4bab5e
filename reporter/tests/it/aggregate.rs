//! The streaming aggregation on fixed data: counts, percentiles, buckets, normalisation,
//! sessions and week boundaries.

use crate::support::{answer, at, incomplete, record, week};
use reporter::{WeekAggregator, normalise_question};
use shared_types::MatchType::{Full, None as NoMatch, Partial};

fn aggregate(week_id: &str, records: &[shared_types::RequestRecord]) -> WeekAggregator {
    let mut aggregator = WeekAggregator::new(week(week_id));
    for record in records {
        aggregator.add(record);
    }
    aggregator
}

#[test]
fn normalisation_folds_case_whitespace_and_trailing_punctuation() {
    assert_eq!(
        normalise_question("  Do you know   RUST?? "),
        "do you know rust"
    );
    assert_eq!(normalise_question("Do you know rust"), "do you know rust");
    assert_eq!(normalise_question("C#?"), "c#");
    assert_eq!(normalise_question("Any C++ ?"), "any c++");
    assert_eq!(normalise_question("what about .NET..."), "what about .net");
    assert_eq!(
        normalise_question("Tabs\tand\nnewlines!"),
        "tabs and newlines"
    );
}

#[test]
fn counts_asked_answered_unanswered_and_incomplete() {
    let t = at("2025-11-05T10:00:00Z");
    let records = [
        record(
            "a",
            t,
            "Rust?",
            "anonymous",
            Some(answer(Full, 90, 1_000, &["Rust"])),
        ),
        record("b", t, "rust", "s-1", Some(answer(NoMatch, 5, 2_000, &[]))),
        record("c", t, "Kotlin?", "s-1", None),
        record("d", t, "Go?", "s-2", None),
        incomplete("e", t),
    ];
    let week = aggregate("2025-W45", &records);
    assert_eq!(week.records_read, 5);
    assert_eq!((week.asked, week.answered, week.unanswered()), (4, 2, 2));
    assert_eq!(week.incomplete, 1);
    // Useful answers over asked: the full match only (a `none` match is an answer, not a
    // useful one).
    assert_eq!((week.useful(), week.not_useful()), (1, 3));
    assert_eq!(week.answer_rate(), Some(0.25));
    assert_eq!(week.match_count(Full), 1);
    assert_eq!(week.match_count(NoMatch), 1);
    assert_eq!(week.match_count(Partial), 0);
    let rust = &week.questions["rust"];
    assert_eq!((rust.asked, rust.unanswered, rust.no_match), (2, 0, 1));
    assert_eq!(rust.average_score(), Some(47.5));
    assert_eq!(week.questions["kotlin"].gaps(), 1);
}

#[test]
fn percentiles_median_and_score_buckets() {
    let t = at("2025-11-05T10:00:00Z");
    let records: Vec<_> = (1..=100)
        .map(|i| {
            let id = format!("r{i}");
            let score = u32::try_from(i - 1).unwrap();
            record(
                &id,
                t,
                "q?",
                "anonymous",
                Some(answer(Partial, score, i * 100, &[])),
            )
        })
        .collect();
    let week = aggregate("2025-W45", &records);
    // Latencies 100 ms .. 10,000 ms: p50 = 5,000 and p95 = 9,500 to three significant digits
    // (the HDR histogram's precision), the maximum exactly.
    let within_precision = |value: Option<u64>, expected: u64| {
        let value = value.unwrap();
        assert!(
            value.abs_diff(expected) * 1_000 <= expected,
            "{value} vs {expected}"
        );
    };
    within_precision(week.latency_quantile_ms(0.5), 5_000);
    within_precision(week.latency_quantile_ms(0.95), 9_500);
    assert_eq!(week.latency_max_ms(), Some(10_000));
    // Scores 0..=99: the lower median of 100 values is 49.
    assert_eq!(week.median_score(), Some(49));
    assert_eq!(week.scores_between(0, 19), 20);
    assert_eq!(week.scores_between(80, 100), 20);
    assert_eq!(week.scores_between(0, 100), 100);
}

#[test]
fn a_week_without_answers_has_no_latency_nor_median() {
    let week = aggregate(
        "2025-W45",
        &[record(
            "a",
            at("2025-11-05T10:00:00Z"),
            "q?",
            "anonymous",
            None,
        )],
    );
    assert_eq!(week.latency_quantile_ms(0.5), None);
    assert_eq!(week.median_score(), None);
}

#[test]
fn sessions_leave_anonymous_out_of_the_distinct_count() {
    let t = at("2025-11-05T10:00:00Z");
    let records = [
        record("a", t, "q1", "anonymous", None),
        record("b", t, "q2", "anonymous", None),
        record("c", t, "q3", "anonymous", None),
        record("d", t, "q4", "s-1", None),
        record("e", t, "q5", "s-1", None),
        record("f", t, "q6", "s-2", None),
    ];
    let week = aggregate("2025-W45", &records);
    assert_eq!(week.distinct_sessions(), 2);
    assert_eq!(week.anonymous, 3);
}

#[test]
fn a_post_deploy_canary_is_left_out_of_every_figure() {
    let t = at("2025-11-05T10:00:00Z");
    let canary = shared_types::event::CANARY_SESSION;
    let records = [
        record(
            "a",
            t,
            "what languages do you know?",
            "s-1",
            Some(answer(Full, 91, 1200, &["Rust"])),
        ),
        record(
            "b",
            t,
            "cv-analytics verify",
            canary,
            Some(answer(Full, 100, 5, &[])),
        ),
        record("c", t, "cv-analytics verify", canary, None),
    ];
    let week = aggregate("2025-W45", &records);
    assert_eq!((week.asked, week.answered, week.unanswered()), (1, 1, 0));
    assert_eq!(week.canaries, 2);
    assert_eq!(week.distinct_sessions(), 1);
    assert!(!week.questions.contains_key("cv-analytics verify"));
}

#[test]
fn sunday_last_second_and_monday_midnight_fall_in_different_weeks() {
    let sunday = record("sun", at("2025-11-09T23:59:59Z"), "late", "anonymous", None);
    let monday = record(
        "mon",
        at("2025-11-10T00:00:00Z"),
        "early",
        "anonymous",
        None,
    );
    assert_eq!(sunday.week, week("2025-W45"));
    assert_eq!(monday.week, week("2025-W46"));
    let w45 = aggregate("2025-W45", &[sunday.clone(), monday.clone()]);
    assert_eq!((w45.asked, w45.skipped_other_week), (1, 1));
    assert_eq!(w45.by_weekday[6], 1, "Sunday");
    assert_eq!(w45.by_hour[23], 1);
    let w46 = aggregate("2025-W46", &[sunday, monday]);
    assert_eq!(w46.by_weekday[0], 1, "Monday");
    assert_eq!(w46.by_hour[0], 1);
}

#[test]
fn year_boundary_weeks_hold_their_days() {
    let w53 = record("x", at("2021-01-03T12:00:00Z"), "q", "anonymous", None);
    assert_eq!(w53.week, week("2020-W53"));
    let w01 = record("y", at("2024-12-30T08:00:00Z"), "q", "anonymous", None);
    assert_eq!(w01.week, week("2025-W01"));
    assert_eq!(aggregate("2020-W53", &[w53]).asked, 1);
    assert_eq!(aggregate("2025-W01", &[w01]).asked, 1);
}

#[test]
fn sources_are_counted_per_answer() {
    let t = at("2025-11-05T10:00:00Z");
    let records = [
        record(
            "a",
            t,
            "q",
            "anonymous",
            Some(answer(Full, 90, 10, &["Rust", "AWS"])),
        ),
        record(
            "b",
            t,
            "q",
            "anonymous",
            Some(answer(Full, 90, 10, &["Rust"])),
        ),
    ];
    let week = aggregate("2025-W45", &records);
    assert_eq!(week.sources["Rust"], 2);
    assert_eq!(week.sources["AWS"], 1);
}

#[test]
fn percentiles_never_exceed_the_slowest_answer() {
    // One answer of 2,050 ms: the histogram's bucket top is 2,051 ms, shown as "2.1 s", above
    // the slowest answer ("2.0 s") before the clamp.
    let t = at("2025-11-05T10:00:00Z");
    let one = [record(
        "a",
        t,
        "q?",
        "anonymous",
        Some(answer(Full, 90, 2_050, &[])),
    )];
    let week = aggregate("2025-W45", &one);
    assert_eq!(week.latency_max_ms(), Some(2_050));
    assert_eq!(week.latency_quantile_ms(0.5), Some(2_050));
    assert_eq!(week.latency_quantile_ms(0.95), Some(2_050));
    let view = reporter::view::ReportView::build(&week, reporter::view::Previous::default(), t);
    let latency = view.figures.latency.unwrap();
    assert_eq!(
        (latency.p50.as_str(), latency.max.as_str()),
        ("2.0 s", "2.0 s")
    );
}

#[test]
fn p95_is_shown_from_twenty_timed_answers_on() {
    let t = at("2025-11-05T10:00:00Z");
    let answers = |n: i64| -> Vec<_> {
        (1..=n)
            .map(|i| {
                record(
                    &format!("r{i}"),
                    t,
                    "q?",
                    "anonymous",
                    Some(answer(Full, 90, i * 100, &[])),
                )
            })
            .collect()
    };
    let latency = |n| {
        let week = aggregate("2025-W45", &answers(n));
        reporter::view::ReportView::build(&week, reporter::view::Previous::default(), t)
            .figures
            .latency
            .unwrap()
    };
    let few = latency(19);
    assert_eq!(few.p95, "-");
    assert_eq!(few.note, "from 19 timed answers; p95 is shown from 20 on");
    let enough = latency(20);
    assert_eq!(enough.p95, "1.9 s");
    assert_eq!(enough.note, "from 20 timed answers");
}

#[test]
fn a_negative_latency_is_counted_not_shown_as_a_time() {
    let t = at("2025-11-05T10:00:00Z");
    let records = [
        record("a", t, "q?", "anonymous", Some(answer(Full, 90, -40, &[]))),
        record("b", t, "q?", "anonymous", Some(answer(Full, 90, 700, &[]))),
    ];
    let week = aggregate("2025-W45", &records);
    assert_eq!(week.negative_latencies, 1);
    assert_eq!(week.timed_answers(), 1);
    assert_eq!(week.latency_quantile_ms(0.0), Some(700));
    assert_eq!(week.latency_max_ms(), Some(700));
    let view = reporter::view::ReportView::build(&week, reporter::view::Previous::default(), t);
    assert_eq!(
        view.footer.clock_skew_note,
        "1 answer was timestamped before its question (clock skew); it is left out of the \
         response times."
    );
    let report = reporter::render(&view).unwrap();
    assert!(report.html.contains("(clock skew)") && report.text.contains("(clock skew)"));
}

#[test]
fn a_source_listed_twice_in_one_answer_counts_once() {
    let t = at("2025-11-05T10:00:00Z");
    let records = [
        record(
            "a",
            t,
            "q?",
            "anonymous",
            Some(answer(Full, 90, 1, &["Rust", "Rust", "AWS"])),
        ),
        record(
            "b",
            t,
            "q?",
            "anonymous",
            Some(answer(Full, 90, 1, &["Rust"])),
        ),
    ];
    let week = aggregate("2025-W45", &records);
    assert_eq!(week.sources["Rust"], 2);
    assert_eq!(week.sources["AWS"], 1);
    let view = reporter::view::ReportView::build(&week, reporter::view::Previous::default(), t);
    let rust = view
        .figures
        .sources
        .iter()
        .find(|s| s.label == "Rust")
        .unwrap();
    assert_eq!((rust.count, rust.share.as_str()), (2, "100.0%"));
}

#[test]
fn normalisation_folds_unicode_compatibility_and_full_case() {
    // Full-width letters and signs, decomposed accents, and the sharp s.
    assert_eq!(normalise_question("Ｃ＃？"), "c#");
    assert_eq!(normalise_question("C#"), normalise_question("Ｃ＃"));
    assert_eq!(
        normalise_question("Cafe\u{301} experience?"),
        normalise_question("Café experience")
    );
    assert_eq!(normalise_question("STRASSE"), normalise_question("straße"));
    assert_eq!(normalise_question("ΣΊΣΥΦΟΣ"), normalise_question("σίσυφος"));
}

#[test]
fn the_most_common_spelling_of_a_question_is_shown() {
    let t = at("2025-11-05T10:00:00Z");
    let mut records = Vec::new();
    for (i, text) in [
        "What about .NET?",
        "what about .net",
        "What about .NET",
        "WHAT ABOUT .NET",
    ]
    .iter()
    .enumerate()
    {
        records.push(record(&format!("n{i}"), t, text, "anonymous", None));
    }
    let week = aggregate("2025-W45", &records);
    assert_eq!(week.questions.len(), 1);
    let view = reporter::view::ReportView::build(&week, reporter::view::Previous::default(), t);
    // Never answered: a row of "no response", quoted as most often spelt.
    assert_eq!(view.gaps.no_response.rows[0].asked, "4");
    assert_eq!(
        view.gaps.no_response.rows[0].detail,
        "\u{201c}What about .NET\u{201d}"
    );
}
