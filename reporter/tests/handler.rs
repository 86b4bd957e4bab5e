//! The weekly run on in-memory fakes: exactly once, dry runs, forcing, empty weeks, failures.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed step fails the test

mod support;

use reporter::handler::Outcome;
use reporter::ledger::{InMemoryLedger, MarkerState};
use reporter::mailer::InMemoryMailer;
use reporter::source::InMemoryRecordSource;
use reporter::{ReportRequest, Reporter};
use shared_types::MatchType::Full;
use support::{answer, at, config, record, week};

type FakeReporter = Reporter<InMemoryRecordSource, InMemoryLedger, InMemoryMailer>;

fn reporter(send_empty_report: bool) -> FakeReporter {
    let t = at("2025-11-05T10:00:00Z");
    let records = vec![
        record(
            "a",
            t,
            "Do you know Rust?",
            "anonymous",
            Some(answer(Full, 90, 1_000, &["Rust"])),
        ),
        record("b", t, "Do you fly planes?", "anonymous", None),
        record(
            "prev",
            at("2025-10-29T10:00:00Z"),
            "Earlier?",
            "anonymous",
            None,
        ),
    ];
    Reporter::new(
        InMemoryRecordSource::new(records),
        InMemoryLedger::new(),
        InMemoryMailer::new(),
        &config(send_empty_report),
    )
}

fn request(week_id: &str, dry_run: bool, force: bool) -> ReportRequest {
    ReportRequest {
        week: week(week_id),
        dry_run,
        force,
    }
}

const NOW: &str = "2025-11-10T07:00:00Z";

#[tokio::test]
async fn the_scheduled_run_sends_the_previous_weeks_report_once() {
    let reporter = reporter(true);
    let event = serde_json::from_str(include_str!("../events/scheduled.json")).unwrap();
    let request = ReportRequest::from_payload(event, at(NOW)).unwrap();
    let first = reporter.run(request, at(NOW)).await.unwrap();
    assert_eq!(first.outcome, Outcome::Sent);
    assert_eq!(first.week, "2025-W45");
    assert_eq!((first.asked, first.answered, first.unanswered), (2, 1, 1));
    assert_eq!(
        first.subject,
        "CV Analytics - 2025-W45: 2 questions, 1 unanswered"
    );

    let second = reporter
        .run(request, at("2025-11-10T07:01:00Z"))
        .await
        .unwrap();
    assert_eq!(second.outcome, Outcome::AlreadySent);
    assert_eq!(reporter.mailer().sent().len(), 1);
    assert!(matches!(
        reporter.ledger().state(week("2025-W45")),
        Some(MarkerState::Sent { .. })
    ));
}

#[tokio::test]
async fn concurrent_invocations_for_one_week_send_one_email() {
    let reporter = reporter(true);
    let request = request("2025-W45", false, false);
    let (a, b) = tokio::join!(
        reporter.run(request, at(NOW)),
        reporter.run(request, at(NOW))
    );
    let outcomes = [a.unwrap().outcome, b.unwrap().outcome];
    assert_eq!(reporter.mailer().sent().len(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&Outcome::Sent));
}

#[tokio::test]
async fn a_dry_run_renders_and_sends_nothing() {
    let reporter = reporter(true);
    let summary = reporter
        .run(request("2025-W45", true, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(summary.outcome, Outcome::DryRun);
    assert!(summary.html_bytes > 1_000);
    assert!(reporter.mailer().sent().is_empty());
    assert_eq!(reporter.ledger().state(week("2025-W45")), None);
}

#[tokio::test]
async fn force_sends_again() {
    let reporter = reporter(true);
    reporter
        .run(request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let forced = reporter
        .run(request("2025-W45", false, true), at(NOW))
        .await
        .unwrap();
    assert_eq!(forced.outcome, Outcome::Sent);
    assert_eq!(reporter.mailer().sent().len(), 2);
}

#[tokio::test]
async fn an_empty_week_sends_a_short_email_unless_turned_off() {
    let sending = reporter(true);
    let summary = sending
        .run(request("2025-W40", false, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(summary.outcome, Outcome::Sent);
    assert_eq!(
        sending.mailer().sent()[0].subject,
        "CV Analytics - 2025-W40: no activity"
    );

    let quiet = reporter(false);
    let summary = quiet
        .run(request("2025-W40", false, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(summary.outcome, Outcome::EmptyWeekNotSent);
    assert!(quiet.mailer().sent().is_empty());
}

#[tokio::test]
async fn a_failed_send_releases_the_claim_so_a_retry_sends() {
    let reporter = reporter(true);
    reporter.mailer().set_failing(true);
    assert!(
        reporter
            .run(request("2025-W45", false, false), at(NOW))
            .await
            .is_err()
    );
    assert_eq!(reporter.ledger().state(week("2025-W45")), None);

    reporter.mailer().set_failing(false);
    let retry = reporter
        .run(request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(retry.outcome, Outcome::Sent);
    assert_eq!(reporter.mailer().sent().len(), 1);
}

#[tokio::test]
async fn a_stale_claim_is_taken_over_after_the_lease() {
    use reporter::ledger::ReportLedger;
    let reporter = reporter(true);
    let claimed = reporter
        .ledger()
        .claim(week("2025-W45"), at(NOW), false)
        .await
        .unwrap();
    assert_eq!(claimed, reporter::ledger::Claim::Granted);
    let soon = reporter
        .run(
            request("2025-W45", false, false),
            at("2025-11-10T07:05:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(soon.outcome, Outcome::InProgressElsewhere);
    let later = reporter
        .run(
            request("2025-W45", false, false),
            at("2025-11-10T07:20:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(later.outcome, Outcome::Sent);
}

#[tokio::test]
async fn the_previous_week_feeds_the_changes() {
    let reporter = reporter(true);
    reporter
        .run(request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let email = &reporter.mailer().sent()[0];
    assert!(
        email.text.contains("Questions asked: 2 (+1 (+100.0%))"),
        "{}",
        email.text
    );
}
