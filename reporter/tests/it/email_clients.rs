//! The rendered email against what email clients support, from the caniemail data (npm
//! `@jsx-email/doiuse-email`, which `make tools` installs): no error at all for Gmail and Apple
//! Mail, and for Outlook and Yahoo only the graceful degradations named below, each with why it
//! is harmless. Three emails are checked: a full week (gaps, resolved gaps, trend, every
//! section, hostile text among the questions) and a week without questions.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{answer, at, record, week};
use reporter::WeekAggregator;
use reporter::gaps;
use reporter::render;
use reporter::view::{History, Previous, ReportView};
use shared_types::MatchType::{Full, None as NoMatch, Partial};
use shared_types::record::pipeline_stats::PipelineStats;
use shared_types::record::report_marker::WeekSummary;

/// What Outlook and Yahoo do not support in these emails, and why each is harmless.
const ALLOWED_DEGRADATIONS: [(&str, &str); 4] = [
    (
        "`<body> element`",
        "the client replaces <body>; it carries only margins and the page colour, which the \
         outer table repeats",
    ),
    (
        "`role attribute`",
        "role=presentation tells screen readers that a table is layout; without it the tables \
         are read as tables, the text is the same",
    ),
    (
        "`word-break`",
        "a long unbroken word may widen its cell instead of breaking; questions are cut at 160 \
         characters, so the layout holds",
    ),
    (
        "`white-space`",
        "a count or a week id may wrap onto two lines instead of staying on one",
    ),
];

fn full_week() -> String {
    let t = at("2025-11-05T10:00:00Z");
    let mut records = Vec::new();
    for i in 0..40 {
        let reply = match i % 4 {
            0 => None,
            1 => Some(answer(NoMatch, 5, 700, &["Aviation"])),
            2 => Some(answer(Partial, 60, 1_800, &["Rust", "AWS"])),
            _ => Some(answer(Full, 92, 2_400, &["Rust"])),
        };
        let question = [
            "do you know rust?",
            "have you used Rust",
            "pilot licence?",
            "<script>alert('x')</script></td></tr></table> salary?",
        ][i % 4];
        records.push(record(
            &format!("r{i}"),
            t,
            question,
            &format!("s-{}", i % 7),
            reply,
        ));
    }
    let mut aggregator = WeekAggregator::new(week("2025-W45"));
    for r in &records {
        aggregator.add(r);
    }
    let found = gaps::find(&aggregator);
    let last = WeekSummary {
        asked: 30,
        answered: 20,
        gaps: found.gaps.iter().map(|g| g.stored()).collect(),
        ..WeekSummary::default()
    };
    let history = History {
        previous: Previous::from(&last),
        weeks: vec![(week("2025-W44"), last)],
        stats: PipelineStats {
            dead_lettered: 1,
            duplicates: 2,
            late: 3,
        },
    };
    let view = ReportView::assemble(&aggregator, &found, &history, t);
    render(&view).unwrap().html
}

fn empty_week() -> String {
    let aggregator = WeekAggregator::new(week("2025-W45"));
    let view = ReportView::build(&aggregator, Previous::default(), at("2025-11-10T07:00:00Z"));
    render(&view).unwrap().html
}

fn write(name: &str, html: &str) -> PathBuf {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/email-clients");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, html).unwrap();
    path
}

/// Runs the checker for `clients` on `files`: (file, errors) for each.
fn check(clients: &str, files: &[PathBuf]) -> Vec<(String, Vec<String>)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/email-clients/check.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(clients)
        .args(files)
        .output()
        .expect("node runs (make tools installs the checker)");
    assert!(
        output.status.success(),
        "the checker failed (run make tools): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let result: serde_json::Value = serde_json::from_str(line).unwrap();
            let errors = result["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_owned())
                .collect();
            (result["file"].as_str().unwrap().to_owned(), errors)
        })
        .collect()
}

#[test]
fn the_email_uses_only_what_gmail_and_apple_mail_support_and_named_degradations_elsewhere() {
    let files = [
        write("full-week.html", &full_week()),
        write("empty-week.html", &empty_week()),
    ];
    for (file, errors) in check("gmail.*,apple-mail.*", &files) {
        println!("Gmail and Apple Mail, {file}: {} errors", errors.len());
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
    for (file, errors) in check("outlook.*,yahoo.*", &files) {
        println!("Outlook and Yahoo, {file}: {} errors", errors.len());
        let unexplained: Vec<&String> = errors
            .iter()
            .filter(|e| {
                !ALLOWED_DEGRADATIONS
                    .iter()
                    .any(|(fragment, _)| e.contains(fragment))
            })
            .collect();
        assert!(unexplained.is_empty(), "{file}: {unexplained:#?}");
    }
}
