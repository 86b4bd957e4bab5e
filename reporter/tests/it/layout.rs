//! The email on a phone, in headless Chromium (which `make tools` installs): at 320 and 375 px
//! nothing scrolls sideways, and "Add to your CV" starts within the first 900 px, on a busy
//! week (every section full, a banner, long questions, an unbroken 800-character word) and on
//! a quiet one.

use local_aws::chromium::Chromium;
use reporter::WeekAggregator;
use reporter::gaps;
use reporter::render;
use reporter::view::{History, Previous, ReportView};
use shared_types::MatchType::{Full, None as NoMatch, Partial};
use shared_types::RequestRecord;
use shared_types::record::report_marker::WeekSummary;

use crate::support::{answer, at, record, week};

/// Phone widths: the smallest in use, and the most common.
const WIDTHS: [u32; 2] = [320, 375];
/// Where "Add to your CV" must start at the latest.
const FIRST_SCREEN: u32 = 900;

fn busy_week() -> Vec<RequestRecord> {
    let t = at("2025-11-05T10:00:00Z");
    let mut records = Vec::new();
    let mut push = |question: String, session: String, reply| {
        let id = format!("r{}", records.len());
        records.push(record(&id, t, &question, &session, reply));
    };
    let long = "Could you please tell me in some detail, because our client in the financial \
                sector is particularly interested, whether he has hands-on experience with";
    let skills = [
        "COBOL",
        "Fortran",
        "SAP ABAP",
        "Erlang",
        "Haskell",
        "Salesforce",
        "Mainframe CICS",
        "Delphi",
        "Scala",
        "Elixir",
        "Perl",
        "Ada",
    ];
    for (k, skill) in skills.iter().enumerate() {
        for (p, phrasing) in [
            format!("do you know {skill}?"),
            format!("{skill} experience?"),
            format!("{long} {skill} in production?"),
        ]
        .into_iter()
        .enumerate()
        {
            for n in 0..(12 - k) {
                push(
                    phrasing.clone(),
                    format!("s-{k}-{p}-{n}"),
                    Some(answer(NoMatch, 5, 900, &[])),
                );
            }
        }
    }
    for (k, topic) in [
        "rust",
        "aws",
        "kubernetes",
        "python",
        "terraform",
        "react",
        "go",
    ]
    .iter()
    .enumerate()
    {
        for n in 0..20 {
            let reply = (n % 5 != 0).then(|| answer(Full, 90, 1_200, &[topic]));
            push(
                format!("experience with {topic}?"),
                format!("m-{k}-{n}"),
                reply,
            );
        }
    }
    for (k, question) in [
        "what is your salary expectation",
        "what is your notice period",
        "are you open to relocation",
        "do you need a visa",
        "what languages do you speak",
        "Supercalifragilistic".repeat(40).as_str(),
    ]
    .iter()
    .enumerate()
    {
        for n in 0..(30 - k) {
            push((*question).to_owned(), format!("u-{k}-{n}"), None);
        }
    }
    for question in [
        "what is your favourite colour",
        "can you fix my printer",
        "tell me a joke",
    ] {
        push(
            question.to_owned(),
            "anonymous".to_owned(),
            Some(answer(NoMatch, 1, 500, &[])),
        );
    }
    for n in 0..40 {
        push(
            "tell me about the payments project".to_owned(),
            format!("p-{n}"),
            Some(answer(Partial, 70, 1_500, &["Payments"])),
        );
    }
    records
}

fn html_of(records: &[RequestRecord], history: &History) -> String {
    let mut aggregator = WeekAggregator::new(week("2025-W45"));
    for r in records {
        aggregator.add(r);
    }
    let found = gaps::find(&aggregator);
    let view = ReportView::assemble(&aggregator, &found, history, at("2025-11-10T07:00:00Z"));
    render(&view).unwrap().html
}

/// Seven earlier weeks with fewer questions left without a response: the banner shows.
fn busy_history() -> History {
    let weeks: Vec<_> = (1..=7)
        .map(|n| {
            let mut id = week("2025-W45");
            for _ in 0..n {
                id = id.previous();
            }
            let summary = WeekSummary {
                asked: 600 + n * 10,
                answered: 590 + n * 10,
                useful: Some(500),
                ..WeekSummary::default()
            };
            (id, summary)
        })
        .collect();
    History {
        previous: Previous::from(&weeks[0].1),
        weeks,
        ..History::default()
    }
}

#[test]
fn on_a_phone_nothing_scrolls_sideways_and_what_to_add_comes_first() {
    let chromium = Chromium::find().expect("Chromium (make tools installs it)");
    let busy = html_of(&busy_week(), &busy_history());
    assert!(
        busy.contains("check the chatbot"),
        "the banner is part of the busy week"
    );
    let quiet_records = vec![
        record(
            "a",
            at("2025-11-05T10:00:00Z"),
            "do you know rust?",
            "s-1",
            Some(answer(Full, 90, 900, &["Rust"])),
        ),
        record(
            "b",
            at("2025-11-05T10:00:00Z"),
            "can you write COBOL?",
            "s-2",
            Some(answer(NoMatch, 4, 900, &[])),
        ),
    ];
    let quiet = html_of(&quiet_records, &History::default());
    // The measure sees sideways scrolling: a fixed 640 px table is 640 px wide on a phone.
    let fixed = "<!DOCTYPE html><html><body style=\"margin:0\"><table width=\"640\"><tr><td>x</td></tr></table></body></html>";
    assert_eq!(chromium.measure(fixed, 375, None).unwrap().width, 640);
    for (name, html) in [("busy", &busy), ("quiet", &quiet)] {
        for width in WIDTHS {
            let layout = chromium.measure(html, width, Some("add-to-cv")).unwrap();
            let top = layout.element_top.expect("the Add to your CV section");
            println!(
                "{name} week at {width} px: {} px wide, {} px tall, Add to your CV at {top} px",
                layout.width, layout.height
            );
            assert!(
                layout.width <= width,
                "{name} week scrolls sideways at {width} px: {} px wide",
                layout.width
            );
            assert!(
                top < FIRST_SCREEN,
                "{name} week: Add to your CV starts at {top} px at {width} px"
            );
        }
    }
}
