//! The view model and the rendered email: figures, changes, escaping, email-safe HTML, size.

use crate::support::{answer, at, record, week};
use reporter::WeekAggregator;
use reporter::header_safe;
use reporter::view::{Previous, ReportView, count_change, duration, rate_change, thousands};
use reporter::{RenderedReport, render};
use shared_types::MatchType::{Full, None as NoMatch, Partial};
use shared_types::RequestRecord;

fn rendered(records: &[RequestRecord], previous: Previous) -> (ReportView, RenderedReport) {
    let mut aggregator = WeekAggregator::new(week("2025-W45"));
    for r in records {
        aggregator.add(r);
    }
    let view = ReportView::build(&aggregator, previous, at("2025-11-10T07:00:05Z"));
    let report = render(&view).unwrap();
    (view, report)
}

fn realistic_week() -> Vec<RequestRecord> {
    let t = at("2025-11-05T14:30:00Z");
    let mut records = Vec::new();
    for i in 0..6 {
        records.push(record(
            &format!("rust-{i}"),
            t,
            "Do you know Rust?",
            "anonymous",
            Some(answer(Full, 92, 1_800, &["Rust", "AWS"])),
        ));
    }
    for i in 0..3 {
        records.push(record(
            &format!("cs-{i}"),
            t,
            "have you any experience with c#?",
            "s-1",
            Some(answer(Partial, 61, 2_400, &["C#", ".NET"])),
        ));
    }
    records.push(record(
        "cobol",
        t,
        "Can you write COBOL?",
        "s-2",
        Some(answer(NoMatch, 4, 900, &[])),
    ));
    records.push(record(
        "pilot",
        t,
        "Do you have a pilot licence?",
        "anonymous",
        None,
    ));
    records.push(record(
        "pilot-2",
        t,
        "do you have a pilot licence",
        "s-3",
        None,
    ));
    records
}

#[test]
fn changes_say_how_much_and_whether_beyond_noise_without_nested_parentheses() {
    assert_eq!(count_change(12, 10, false), "up 2 or 20.0%, within noise");
    assert_eq!(count_change(209, 160, true), "up 49 or 30.6%, beyond noise");
    assert_eq!(count_change(5, 10, false), "down 5 or 50.0%, within noise");
    assert_eq!(count_change(7, 7, false), "no change");
    // From a base too small to carry a percentage, the base instead.
    assert_eq!(count_change(810, 4, true), "up 806, from 4, beyond noise");
    assert_eq!(count_change(2, 9, false), "down 7, from 9, within noise");
    assert_eq!(
        count_change(3, 0, false),
        "none the week before, within noise"
    );
    assert_eq!(rate_change(-3.4, false), "down 3.4 points, within noise");
    assert_eq!(rate_change(5.25, true), "up 5.2 points, beyond noise");
    assert_eq!(rate_change(0.01, true), "no change");
}

#[test]
fn numbers_and_durations_read_naturally() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(duration(850), "850 ms");
    assert_eq!(duration(1_612), "1.6 s");
    assert_eq!(duration(125_000), "2 min 5 s");
}

#[test]
fn a_header_never_spans_two_lines() {
    assert_eq!(
        header_safe("CV Analytics\r\nBcc: evil@example.dev"),
        "CV Analytics Bcc: evil@example.dev"
    );
    assert_eq!(header_safe("a\u{0}b\tc"), "a b c");
}

#[test]
fn the_report_puts_what_to_add_first_and_the_figures_after() {
    let (view, report) = rendered(
        &realistic_week(),
        Previous {
            asked: 10,
            answered: 9,
            useful: Some(9),
        },
    );
    assert_eq!(
        report.subject,
        "CV Analytics - 2025-W45: 12 questions, 1 to add to your CV"
    );
    assert_eq!(
        view.summary,
        "12 questions; 1 thing recruiters asked that your CV does not answer; the bot did not \
         respond to 2"
    );
    // COBOL got a none match with no source: the CV does not cover it. The pilot licence was
    // never answered: it says nothing about the CV, and is apart.
    assert_eq!(view.gaps.add_to_cv.rows.len(), 1);
    let cobol = &view.gaps.add_to_cv.rows[0];
    assert_eq!(cobol.label, "COBOL");
    assert_eq!(cobol.asked, "asked 1 time by 1 session");
    assert_eq!(
        cobol.suggestion,
        "say whether you have worked with COBOL, and how much"
    );
    assert_eq!(
        cobol.evidence,
        "Nothing in the CV covers this: answered 1 time with no source."
    );
    assert_eq!(view.gaps.no_response.rows.len(), 1);
    assert_eq!(view.gaps.no_response.rows[0].asked, "2");
    // Useful answers: 6 full and 3 partial at 61, of 12.
    let figures: Vec<(&str, &str, &str)> = view
        .figures
        .headline
        .iter()
        .map(|f| (f.label, f.value.as_str(), f.change.as_str()))
        .collect();
    assert_eq!(
        figures,
        [
            ("Questions asked", "12", "up 2 or 20.0%, within noise"),
            ("Useful answers", "75.0%", "down 15.0 points, within noise"),
            ("No useful answer", "3", "up 2, from 1, within noise"),
            ("No response", "2", "up 1, from 1, within noise"),
        ]
    );
    assert_eq!(
        view.gaps.breakdown,
        "3 questions got no useful answer: 1 to add to the CV, 2 with no response at all."
    );
    // The top questions do not repeat the gap rows.
    let top: Vec<&str> = view
        .figures
        .top_questions
        .iter()
        .map(|q| q.text.as_str())
        .collect();
    assert_eq!(top, ["Do you know Rust", "have you any experience with c#"]);
    // The sections in the owner's order, in both parts.
    let order = |text: &str, marks: &[&str]| {
        let at: Vec<usize> = marks
            .iter()
            .map(|m| {
                text.find(m)
                    .unwrap_or_else(|| panic!("{m:?} missing\n{text}"))
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{marks:?} out of order\n{text}"
        );
    };
    order(
        &report.html,
        &[
            "12 questions; 1 thing",
            "Add to your CV",
            "COBOL",
            "No response at all",
            "The week in figures",
            "Top questions",
            "Response time:",
        ],
    );
    order(
        &report.text,
        &[
            "12 questions; 1 thing",
            "ADD TO YOUR CV",
            "* COBOL [new]: asked 1 time by 1 session.",
            "NO RESPONSE AT ALL",
            "THE WEEK IN FIGURES",
            "Questions asked: 12, up 2 or 20.0%, within noise",
            "Top questions",
            "Response time: median 1.8 s",
        ],
    );
    for fragment in [
        "Mon 3 Nov to Sun 9 Nov 2025 (UTC)",
        "3 distinct sessions; 58.3% of questions came without one (anonymous)",
        "2025-11-03 00:00:00 UTC to 2025-11-10 00:00:00 UTC",
        "12 records read, 0 incomplete",
        "Generated 2025-11-10 07:00 UTC",
    ] {
        assert!(report.html.contains(fragment), "HTML lacks {fragment:?}");
        assert!(report.text.contains(fragment), "text lacks {fragment:?}");
    }
    // No nested parentheses in the text part.
    for line in report.text.lines() {
        let mut depth = 0i32;
        for c in line.chars() {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            assert!(depth <= 1, "nested parentheses: {line}");
        }
    }
}

#[test]
fn the_html_is_built_for_email_clients() {
    let (_, report) = rendered(&realistic_week(), Previous::default());
    let html = report.html.to_lowercase();
    for forbidden in [
        "<script", "<img", "<svg", "<link", "<style", "src=", "url(", "http://", "https://",
    ] {
        assert!(!html.contains(forbidden), "HTML contains {forbidden:?}");
    }
    assert!(html.contains("role=\"presentation\""), "table layout");
}

#[test]
fn hostile_questions_are_escaped_and_the_subject_stays_one_line() {
    let t = at("2025-11-05T10:00:00Z");
    let long_word = "Supercalifragilistic".repeat(40);
    let hostile = [
        "<script>alert('x')</script> do you know cobol?",
        "\"><img src=x onerror=alert(1)>",
        "line one\r\nBcc: evil@example.dev",
        "right-to-left \u{202E}gnp.exe and \u{2067}isolate",
        "nul\u{0}and\u{1b}[31mescape",
        "</td></tr></table><table><tr><td>",
        long_word.as_str(),
    ];
    let week_of = |questions: &[&str], sources: &[&str]| {
        let mut records: Vec<_> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| record(&format!("h{i}"), t, q, "anonymous", None))
            .collect();
        records.push(record(
            "answered",
            t,
            "Do you know Rust?",
            "anonymous",
            Some(answer(Full, 90, 1_200, sources)),
        ));
        rendered(&records, Previous::default()).1
    };
    let report = week_of(&hostile, &["<b>bold</b>", "\u{202E}Rust", "a\r\nb"]);
    // The same week with harmless words, grouped into gaps as the hostile ones are (the first
    // two share "alert"), with one e-mail address scrubbed too: the layout to keep.
    let harmless: Vec<&str> = [
        "alpha one",
        "alpha two",
        "charlie c@example.dev",
        "delta",
        "echo",
        "foxtrot",
        "golf",
    ][..hostile.len()]
        .to_vec();
    let plain = week_of(&harmless, &["bold", "Rust", "ab"]);

    // Escaped: nothing the users typed becomes markup.
    let html = &report.html;
    assert!(!html.contains("<script>alert"), "script must be escaped");
    assert!(html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"));
    assert!(!html.contains("<img src=x") && !html.contains("<b>bold"));
    // The layout is kept: as many table tags as a report of plain questions has, balanced.
    let count = |text: &str, tag: &str| text.matches(tag).count();
    assert_eq!(count(html, "<table"), count(html, "</table>"));
    assert_eq!(count(html, "<tr"), count(html, "</tr>"));
    assert_eq!(count(html, "<td"), count(html, "</td>"));
    for tag in ["<table", "<tr", "<td", "<p", "<h"] {
        assert_eq!(count(html, tag), count(&plain.html, tag), "{tag}");
    }
    assert_eq!(report.text.lines().count(), plain.text.lines().count());
    // No bidirectional override, no control character, reaches either part of the email.
    for part in [&report.html, &report.text] {
        for c in ['\u{202E}', '\u{2067}', '\u{0}', '\u{1b}', '\r'] {
            assert!(!part.contains(c), "{c:?} reached the email");
        }
    }
    assert!(report.text.contains("gnp.exe and isolate"));
    // Long words are cut and may break inside their cell.
    assert!(!html.contains(&long_word) && html.contains("…"));
    assert!(html.contains("word-break:break-word"));
    // The header stays one line.
    assert!(!report.subject.contains('\n') && !report.subject.contains('\r'));
    // Each line of the text part is one line of the report: the CR/LF question did not add one.
    assert!(
        report
            .text
            .lines()
            .all(|l| !l.trim_start().starts_with("Bcc:")),
        "{}",
        report.text
    );
}

#[test]
fn an_empty_week_says_no_activity() {
    let (view, report) = rendered(
        &[],
        Previous {
            asked: 4,
            answered: 2,
            useful: Some(2),
        },
    );
    assert!(view.is_empty);
    assert_eq!(report.subject, "CV Analytics - 2025-W45: no activity");
    assert!(report.html.contains("No activity this week."));
    assert!(report.text.contains("No activity this week"));
    assert!(!report.html.contains("Top questions"));
}

#[test]
fn a_worst_case_week_stays_under_100_kb() {
    // 5,000 distinct maximal questions made of characters that grow most when escaped,
    // every one unanswered, with long source names on the answered ones.
    let t = at("2025-11-05T10:00:00Z");
    let nasty = "<>&\"'".repeat(200);
    let mut records = Vec::new();
    for i in 0..5_000 {
        let question = format!("{i} {nasty}");
        records.push(record(
            &format!("q{i}"),
            t,
            &question,
            &format!("s-{i}"),
            None,
        ));
        let sources: Vec<String> = (0..20)
            .map(|j| format!("{}{j}{i}", "&<".repeat(90)))
            .collect();
        let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
        records.push(record(
            &format!("a{i}"),
            t,
            &question,
            "anonymous",
            Some(answer(NoMatch, 0, 5, &refs)),
        ));
    }
    let (_, report) = rendered(&records, Previous::default());
    println!(
        "worst-case week: HTML {} bytes, text {} bytes",
        report.html.len(),
        report.text.len()
    );
    assert!(
        report.html.len() < 100 * 1024,
        "HTML is {} bytes",
        report.html.len()
    );
}
