//! The weekly run on in-memory fakes: exactly once, dry runs, forcing, empty weeks, failures.

use crate::support::{answer, at, config, incomplete, record, week};
use reporter::Outcome;
use reporter::fakes::InMemoryMailer;
use reporter::fakes::InMemoryRecordSource;
use reporter::fakes::{InMemoryLedger, LedgerWrite, MarkerState};
use reporter::{ReportRequest, Reporter};
use shared_types::MatchType::{Full, None as NoMatch};

type FakeReporter = Reporter<InMemoryRecordSource, InMemoryLedger, InMemoryMailer>;

/// Two requests in 2025-W45 (one answered), one in 2025-W44.
fn records() -> Vec<shared_types::RequestRecord> {
    let t = at("2025-11-05T10:00:00Z");
    vec![
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
    ]
}

fn reporter(send_empty_report: bool) -> FakeReporter {
    Reporter::new(
        InMemoryRecordSource::new(records()),
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

/// The reporter's timeout (`REPORTER_TIMEOUT` in the Makefile): an invocation's deadline.
const TIMEOUT: chrono::Duration = chrono::Duration::seconds(120);

/// Runs the reporter as an invocation at `now` would, with Lambda's deadline `TIMEOUT` later.
async fn run(
    reporter: &FakeReporter,
    request: ReportRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<reporter::ReportSummary, reporter::ReporterError> {
    reporter.run(request, now, now + TIMEOUT).await
}

#[tokio::test]
async fn the_scheduled_run_sends_the_previous_weeks_report_once() {
    let reporter = reporter(true);
    let event = serde_json::from_str(include_str!("../../events/scheduled.json")).unwrap();
    let request = ReportRequest::from_payload(event, at(NOW)).unwrap();
    let first = run(&reporter, request, at(NOW)).await.unwrap();
    assert_eq!(first.outcome, Outcome::Sent);
    assert_eq!(first.week, "2025-W45");
    assert_eq!((first.asked, first.answered, first.unanswered), (2, 1, 1));
    assert_eq!(
        first.subject,
        "CV Analytics - 2025-W45: 2 questions, nothing to add to your CV"
    );

    let second = run(&reporter, request, at("2025-11-10T07:01:00Z"))
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
        run(&reporter, request, at(NOW)),
        run(&reporter, request, at(NOW))
    );
    // One sends; the other finds the week sent, or (had they interleaved) the claim live, and
    // fails so that Lambda retries it.
    let outcomes: Vec<_> = [a, b].into_iter().map(|r| r.map(|s| s.outcome)).collect();
    assert_eq!(reporter.mailer().sent().len(), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| matches!(o, Ok(Outcome::Sent))));
    assert!(outcomes.iter().all(|o| matches!(
        o,
        Ok(Outcome::Sent | Outcome::AlreadySent)
            | Err(reporter::ReporterError::ClaimedElsewhere { .. })
    )));
}

#[tokio::test]
async fn a_dry_run_renders_and_sends_nothing() {
    let reporter = reporter(true);
    let summary = run(&reporter, request("2025-W45", true, false), at(NOW))
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
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let forced = run(&reporter, request("2025-W45", false, true), at(NOW))
        .await
        .unwrap();
    assert_eq!(forced.outcome, Outcome::Sent);
    assert_eq!(reporter.mailer().sent().len(), 2);
}

#[tokio::test]
async fn an_empty_week_sends_a_short_email_unless_turned_off() {
    let sending = reporter(true);
    let summary = run(&sending, request("2025-W40", false, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(summary.outcome, Outcome::Sent);
    assert_eq!(
        sending.mailer().sent()[0].subject,
        "CV Analytics - 2025-W40: no activity"
    );

    let quiet = reporter(false);
    let summary = run(&quiet, request("2025-W40", false, false), at(NOW))
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
        run(&reporter, request("2025-W45", false, false), at(NOW))
            .await
            .is_err()
    );
    assert_eq!(reporter.ledger().state(week("2025-W45")), None);

    reporter.mailer().set_failing(false);
    let retry = run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(retry.outcome, Outcome::Sent);
    assert_eq!(reporter.mailer().sent().len(), 1);
}

/// A run that dies while sending (killed, or timed out with SES's answer outstanding): the
/// email may have gone out. Lambda retries the asynchronous invocation one minute after the
/// failure, then two minutes after that. The first retry finds the claim live (its lease is the
/// dead run's deadline) and fails; the second comes after the lease and finds the week
/// unconfirmed: it sends nothing, and says so (the alarm's metric). Only a forced run sends.
#[tokio::test]
async fn a_run_that_dies_while_sending_leaves_the_week_unconfirmed_and_only_force_sends_it() {
    let reporter = reporter(true);
    let started = at(NOW);
    reporter.mailer().set_hanging(true);
    let died = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        run(&reporter, request("2025-W45", false, false), started),
    )
    .await;
    assert!(died.is_err(), "the first run must not finish");
    assert_eq!(
        reporter.ledger().state(week("2025-W45")),
        Some(MarkerState::Sending {
            claimed_at: started,
            lease_until: started + TIMEOUT,
        })
    );
    reporter.mailer().set_hanging(false);

    // Lambda's first retry, a minute after the run died early.
    let first_retry = started + chrono::Duration::seconds(61);
    let error = run(&reporter, request("2025-W45", false, false), first_retry)
        .await
        .unwrap_err();
    assert!(
        matches!(error, reporter::ReporterError::ClaimedElsewhere { lease_until, .. } if lease_until == started + TIMEOUT),
        "{error}"
    );

    // The second retry, two minutes after the first failed: after the lease.
    let second_retry = first_retry + chrono::Duration::seconds(121);
    let unconfirmed = run(&reporter, request("2025-W45", false, false), second_retry)
        .await
        .unwrap();
    assert_eq!(unconfirmed.outcome, Outcome::Unconfirmed);
    assert!(reporter.mailer().sent().is_empty());
    // The next days' scheduled runs send nothing either.
    let next_day = started + chrono::Duration::days(1);
    let again = run(&reporter, request("2025-W45", false, false), next_day)
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::Unconfirmed);
    assert!(reporter.mailer().sent().is_empty());

    // A maintainer checks the inbox and forces it.
    let forced = run(&reporter, request("2025-W45", false, true), next_day)
        .await
        .unwrap();
    assert_eq!(forced.outcome, Outcome::Sent);
    assert_eq!(reporter.mailer().sent().len(), 1);
    let after = run(&reporter, request("2025-W45", false, false), next_day)
        .await
        .unwrap();
    assert_eq!(after.outcome, Outcome::AlreadySent);
    assert_eq!(reporter.mailer().sent().len(), 1);
}

/// SES accepts the email, then the mark fails on every attempt (throttling, say): the run says
/// the week is unconfirmed, and the three daily runs after it send nothing: one email.
#[tokio::test(start_paused = true)]
async fn a_failed_mark_after_the_email_went_out_sends_no_second_email_on_later_days() {
    let reporter = reporter(true);
    reporter
        .ledger()
        .fail_next(LedgerWrite::MarkSent, usize::MAX);
    let first = run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Unconfirmed);
    assert!(first.message_id.is_some());
    assert_eq!(reporter.mailer().sent().len(), 1);
    for day in [
        "2025-11-11T07:00:00Z",
        "2025-11-12T07:00:00Z",
        "2025-11-13T07:00:00Z",
    ] {
        let later = run(&reporter, request("2025-W45", false, false), at(day))
            .await
            .unwrap();
        assert_eq!(later.outcome, Outcome::Unconfirmed, "{day}");
    }
    assert_eq!(reporter.mailer().sent().len(), 1);
    let metrics = reporter::outcome_metrics(Outcome::Unconfirmed, 0);
    let value = |name| metrics.iter().find(|c| c.name == name).unwrap().value;
    assert_eq!(value("ReportsUnconfirmed"), 1);
    assert_eq!(value("ReportUpToDate"), 0);
}

/// A mark that fails and then works is retried with backoff within the run: the week is sent.
#[tokio::test(start_paused = true)]
async fn a_mark_that_fails_a_few_times_is_retried_until_it_sticks() {
    let reporter = reporter(true);
    reporter.ledger().fail_next(LedgerWrite::MarkSent, 3);
    let sent = run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    assert_eq!(sent.outcome, Outcome::Sent);
    assert!(matches!(
        reporter.ledger().state(week("2025-W45")),
        Some(MarkerState::Sent { .. })
    ));
}

#[tokio::test]
async fn the_previous_week_feeds_the_changes() {
    let reporter = reporter(true);
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let email = &reporter.mailer().sent()[0];
    assert!(
        email
            .text
            .contains("Questions asked: 2, up 1, from 1, within noise"),
        "{}",
        email.text
    );
}

/// A redriven query lands in a week whose report was sent: the next report says so, counts it in
/// that week's corrected figures (which the changes use), and stores them; the report after
/// that says nothing more.
#[tokio::test]
async fn a_request_arriving_after_its_weeks_report_is_reported_late_once_and_corrected() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    let w45 = week("2025-W45");
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let reported = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!((reported.indexed, reported.asked, reported.late), (2, 2, 0));

    // The redriven query of 2025-W45 arrives on 2025-11-12.
    reporter.source().push(record(
        "late",
        at("2025-11-07T12:00:00Z"),
        "Do you know Kotlin?",
        "anonymous",
        None,
    ));
    reporter.source().push(record(
        "w46",
        at("2025-11-12T12:00:00Z"),
        "Do you know Go?",
        "anonymous",
        None,
    ));
    let w46 = run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(w46.outcome, Outcome::Sent);
    let email = &reporter.mailer().sent()[1];
    let line = "1 request arrived late for 2025-W45: it now has 3 questions (1 with a \
                response, 2 without); its report counted 2.";
    assert!(email.text.contains(line), "{}", email.text);
    assert!(email.html.contains(line));
    // The changes compare with the corrected week: 1 question against 3.
    assert!(
        email
            .text
            .contains("Questions asked: 1, down 2, from 3, within noise"),
        "{}",
        email.text
    );
    let corrected = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!(
        (
            corrected.indexed,
            corrected.asked,
            corrected.answered,
            corrected.late
        ),
        (3, 3, 1, 1)
    );

    run(
        &reporter,
        request("2025-W47", false, false),
        at("2025-11-24T07:00:00Z"),
    )
    .await
    .unwrap();
    let next = &reporter.mailer().sent()[2];
    assert!(!next.text.contains("arrived late"), "{}", next.text);
}

/// A response whose question had not arrived is filed under 2025-W45 and counted there as
/// incomplete; its query, redriven after the week's report, joins it under the same key. The
/// week's requests are the same keys, but one has its query now: the next report says so once,
/// with the corrected figures, and the report after it says nothing more.
#[tokio::test]
async fn a_late_query_joining_its_stored_response_is_reported_once() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    let w45 = week("2025-W45");
    let answered_at = at("2025-11-06T09:00:01Z");
    reporter.source().push(incomplete("joined", answered_at));
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let reported = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!(
        (reported.indexed, reported.asked, reported.incomplete),
        (3, 2, 1)
    );

    // The query arrives: the same request, now whole, still in 2025-W45.
    reporter.source().push(record(
        "joined",
        at("2025-11-06T09:00:00Z"),
        "Do you know Elixir?",
        "anonymous",
        Some(answer(NoMatch, 4, 1_000, &[])),
    ));
    run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    let email = &reporter.mailer().sent()[1];
    let line = "1 question arrived late for 2025-W45, joining answers already filed under it: \
                it now has 3 questions (2 with a response, 1 without); its report counted 2.";
    assert!(email.text.contains(line), "{}", email.text);
    let corrected = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!(
        (
            corrected.indexed,
            corrected.asked,
            corrected.incomplete,
            corrected.late
        ),
        (3, 3, 0, 1)
    );

    run(
        &reporter,
        request("2025-W47", false, false),
        at("2025-11-24T07:00:00Z"),
    )
    .await
    .unwrap();
    let next = &reporter.mailer().sent()[2];
    assert!(!next.text.contains("arrived late"), "{}", next.text);
}

/// A week reported before the marker kept which requests had their query (its summary has no
/// `stateFingerprint`) is compared by its keys alone: unchanged, it is not reported again.
#[tokio::test]
async fn a_week_reported_before_queries_were_fingerprinted_is_not_taken_for_changed() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    let w45 = week("2025-W45");
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let mut old = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert!(old.state_fingerprint.is_some());
    old.state_fingerprint = None;
    reporter
        .ledger()
        .mark_sent(w45, at(NOW), "m-old", &old, at("2026-02-01T00:00:00Z"))
        .await
        .unwrap();
    run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    let email = reporter.mailer().sent().last().unwrap().clone();
    assert!(!email.text.contains("it now has"), "{}", email.text);
}

/// A dry run shows late arrivals but stores no correction: the real run still reports them.
#[tokio::test]
async fn a_dry_run_shows_late_arrivals_without_correcting_them() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    let w45 = week("2025-W45");
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    reporter.source().push(record(
        "late",
        at("2025-11-07T12:00:00Z"),
        "Do you know Kotlin?",
        "anonymous",
        None,
    ));
    run(
        &reporter,
        request("2025-W46", true, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(
        reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].asked,
        2
    );
    run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    assert!(
        reporter.mailer().sent()[1]
            .text
            .contains("1 request arrived late for 2025-W45")
    );
}

/// A week whose first records may already have expired is refused, not reported short: 2025-W30
/// starts on 21 July, 112 days before NOW, past the 90-day lifetime.
#[tokio::test]
async fn a_week_whose_records_have_expired_is_refused() {
    let reporter = reporter(true);
    let error = run(&reporter, request("2025-W30", false, true), at(NOW))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "2025-W30 cannot be reported: its first records expired on 2025-10-19 00:00:00 UTC \
         (RECORD_TTL_DAYS is 90), so its figures would be short"
    );
    assert!(reporter.mailer().sent().is_empty());
    // The oldest week still whole is reported.
    let oldest = run(&reporter, request("2025-W34", true, false), at(NOW)).await;
    assert_eq!(oldest.unwrap().outcome, Outcome::DryRun);
}

/// A sent report stores its week's figures and gaps in the marker; the next week's report reads
/// them there (not the week's records) for the changes, the trend and the gaps' status, and
/// shows what the processor absorbed during its week.
#[tokio::test]
async fn the_next_report_reads_the_stored_week_and_its_gaps() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let w45 = week("2025-W45");
    let stored = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    let representatives: Vec<&str> = stored
        .gaps
        .iter()
        .map(|g| g.representative.as_str())
        .collect();
    assert_eq!(representatives, ["Do you fly planes"]);

    // The same gap again the week after, and the processor's counts for that week.
    for i in 0..3 {
        reporter.source().push(record(
            &format!("planes-{i}"),
            at("2025-11-12T12:00:00Z"),
            "do you fly planes?",
            "anonymous",
            Some(answer(NoMatch, 5, 800, &[])),
        ));
    }
    reporter.ledger().set_pipeline_stats(
        week("2025-W46"),
        shared_types::record::pipeline_stats::PipelineStats {
            dead_lettered: 1,
            duplicates: 4,
            late: 0,
        },
    );
    let sent = run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    // Only this week's records were read: last week came from its marker.
    assert_eq!(sent.records_read, 3);
    let email = &reporter.mailer().sent()[1];
    assert!(
        email
            .text
            .contains("Questions asked: 3, up 1, from 2, within noise"),
        "{}",
        email.text
    );
    assert!(
        email
            .text
            .contains("* Pilot licence [also last week]: asked 3 times, anonymously."),
        "{}",
        email.text
    );
    assert!(email.text.contains("2025-W45  2  50%  1"), "{}", email.text);
    assert!(
        email
            .text
            .contains("0 late and 4 duplicate deliveries absorbed; 1 event dead-lettered")
    );
}

/// The correction of a week with late arrivals fails after the email went out: the run still
/// succeeds, the next week's report does not report the same arrivals again (it counts the
/// pending correction as made), and the next daily run writes it.
#[tokio::test]
async fn a_failed_correction_is_applied_by_a_later_run_and_reported_once() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    let (w45, w46) = (week("2025-W45"), week("2025-W46"));
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    reporter.source().push(record(
        "late",
        at("2025-11-07T12:00:00Z"),
        "Do you know Kotlin?",
        "anonymous",
        None,
    ));
    reporter.ledger().fail_next(LedgerWrite::Correct, 1);
    let sent = run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(sent.outcome, Outcome::Sent);
    assert!(
        reporter.mailer().sent()[1]
            .text
            .contains("1 request arrived late for 2025-W45")
    );
    let markers = reporter.ledger().summaries(&[w45, w46]).await.unwrap();
    assert_eq!(markers[&w45].asked, 2, "not corrected yet");
    assert_eq!(markers[&w46].corrections.len(), 1, "kept for a later run");

    // The next week's report, before any daily run: the arrivals are not reported again.
    run(
        &reporter,
        request("2025-W47", false, false),
        at("2025-11-24T07:00:00Z"),
    )
    .await
    .unwrap();
    let next = &reporter.mailer().sent()[2];
    assert!(!next.text.contains("arrived late"), "{}", next.text);

    // A daily run of 2025-W46 writes the correction and forgets it.
    let daily = run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-25T07:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(daily.outcome, Outcome::AlreadySent);
    let markers = reporter.ledger().summaries(&[w45, w46]).await.unwrap();
    assert_eq!((markers[&w45].asked, markers[&w45].late), (3, 1));
    assert_eq!(markers[&w45].corrected_by, Some(w46));
    assert!(markers[&w46].corrections.is_empty());
}

/// One request leaves a reported week (its query arrived and filed it under the week before)
/// while another arrives into it: the count is unchanged, and the change is still found,
/// reported and corrected.
#[tokio::test]
async fn a_request_moving_out_of_a_reported_week_does_not_hide_one_arriving_into_it() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    let w45 = week("2025-W45");
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    // "b" moves to 2025-W44; "late" arrives into 2025-W45, answered.
    reporter.source().push(record(
        "b",
        at("2025-11-02T10:00:00Z"),
        "Do you fly planes?",
        "anonymous",
        None,
    ));
    reporter.source().push(record(
        "late",
        at("2025-11-07T12:00:00Z"),
        "Do you know Kotlin?",
        "anonymous",
        Some(answer(Full, 90, 1_000, &["Kotlin"])),
    ));
    run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    let email = &reporter.mailer().sent()[1];
    let line = "Requests arrived late for 2025-W45 as others moved out of it: it now has 2 \
                questions (2 with a response, 0 without); its report counted 2.";
    assert!(email.text.contains(line), "{}", email.text);
    let corrected = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!(
        (corrected.asked, corrected.answered, corrected.late),
        (2, 2, 1)
    );
}

/// A gap is rising only against last week's report: a week without one (an empty week, not
/// sent) in between makes it new again, however it stood in the week before.
#[tokio::test]
async fn a_gap_rises_only_against_last_week_and_is_new_after_a_week_without_a_report() {
    let mut records = vec![record(
        "w44",
        at("2025-10-29T10:00:00Z"),
        "do you fly planes?",
        "anonymous",
        None,
    )];
    for i in 0..20 {
        records.push(record(
            &format!("w46-{i}"),
            at("2025-11-12T10:00:00Z"),
            "do you fly planes?",
            "anonymous",
            Some(answer(NoMatch, 5, 800, &[])),
        ));
    }
    let reporter = Reporter::new(
        InMemoryRecordSource::new(records),
        InMemoryLedger::new(),
        InMemoryMailer::new(),
        &config(false),
    );
    for (w, now, outcome) in [
        ("2025-W44", "2025-11-03T07:00:00Z", Outcome::Sent),
        (
            "2025-W45",
            "2025-11-10T07:00:00Z",
            Outcome::EmptyWeekNotSent,
        ),
        ("2025-W46", "2025-11-17T07:00:00Z", Outcome::Sent),
    ] {
        let summary = run(&reporter, request(w, false, false), at(now))
            .await
            .unwrap();
        assert_eq!(summary.outcome, outcome, "{w}");
    }
    let email = &reporter.mailer().sent()[1];
    assert!(
        email
            .text
            .contains("* Pilot licence [new]: asked 20 times, anonymously."),
        "{}",
        email.text
    );
}

/// An SES stand-in that reads each request whole (SES has it: it may have accepted the email),
/// then writes `answer` (a raw HTTP response), if any, and closes the connection. Counts the
/// requests it read.
async fn ses_stand_in(
    answer: Option<&'static str>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = received.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0_u8; 8192];
            while let Ok(n) = socket.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if let Some(answer) = answer {
                            let _ = socket.write_all(answer.as_bytes()).await;
                        }
                        break;
                    }
                }
            }
            drop(socket);
        }
    });
    (endpoint, received)
}

/// The fakes, with SES at `endpoint`.
async fn ses_reporter(
    endpoint: &str,
) -> Reporter<InMemoryRecordSource, InMemoryLedger, reporter::SesMailer> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
            "testing", "testing", None, None, "local",
        ))
        .load()
        .await;
    Reporter::new(
        InMemoryRecordSource::new(records()),
        InMemoryLedger::new(),
        reporter::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
            "reports@example.dev",
            vec!["owner@example.dev".into()],
            None,
        ),
        &config(true),
    )
}

/// SES refuses the email with a 4xx before accepting it (throttling): it was sent once, the
/// claim is released and the invocation fails, so Lambda's retry can send.
#[tokio::test]
async fn a_definite_ses_refusal_releases_the_claim_so_a_retry_sends() {
    let (endpoint, received) = ses_stand_in(Some(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nx-amzn-errortype: TooManyRequestsException\r\ncontent-length: 38\r\nconnection: close\r\n\r\n{\"message\":\"Maximum sending rate hit\"}",
    ))
    .await;
    let reporter = ses_reporter(&endpoint).await;
    let started = at(NOW);
    let refused = reporter
        .run(
            request("2025-W45", false, false),
            started,
            started + TIMEOUT,
        )
        .await;
    assert!(
        matches!(refused, Err(reporter::ReporterError::Aws(_))),
        "{refused:?}"
    );
    assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(reporter.ledger().state(week("2025-W45")), None);
}

/// SES accepts the email and its answer is lost (the connection drops): the SDK does not send
/// it again, the claim is not released, and the week is unconfirmed (its alarm's metric), so
/// neither Lambda's retry nor a later day's run sends a second email.
#[tokio::test]
async fn an_ambiguous_ses_failure_sends_one_email_and_leaves_the_week_unconfirmed() {
    let (endpoint, received) = ses_stand_in(None).await;
    let reporter = ses_reporter(&endpoint).await;
    let started = at(NOW);
    let first = reporter
        .run(
            request("2025-W45", false, false),
            started,
            started + TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Unconfirmed);
    assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(matches!(
        reporter.ledger().state(week("2025-W45")),
        Some(MarkerState::Sending { .. })
    ));
    // Lambda's retry (were the invocation failed) and the next day's run send nothing.
    for later in [
        started + chrono::Duration::seconds(61),
        started + chrono::Duration::days(1),
    ] {
        let again = reporter
            .run(request("2025-W45", false, false), later, later + TIMEOUT)
            .await;
        assert!(
            matches!(
                &again,
                Err(reporter::ReporterError::ClaimedElsewhere { .. })
            ) || matches!(&again, Ok(s) if s.outcome == Outcome::Unconfirmed),
            "{again:?}"
        );
    }
    assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 1);
    let metrics = reporter::outcome_metrics(first.outcome, first.records_read);
    let value = |name| metrics.iter().find(|c| c.name == name).unwrap().value;
    assert_eq!(value("ReportsUnconfirmed"), 1);
}

/// The report of 2025-W46 went out with late arrivals for 2025-W45, and its mark failed on every
/// attempt: the corrections are applied all the same (SES gave a message id), so the next report
/// neither reports the arrivals again nor calls last week's gaps new against wrong figures.
#[tokio::test(start_paused = true)]
async fn corrections_are_applied_when_the_email_went_out_and_its_mark_failed() {
    use reporter::ReportLedger;
    let reporter = reporter(true);
    let w45 = week("2025-W45");
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    reporter.source().push(record(
        "late",
        at("2025-11-07T12:00:00Z"),
        "Do you know Kotlin?",
        "anonymous",
        None,
    ));
    reporter
        .ledger()
        .fail_next(LedgerWrite::MarkSent, usize::MAX);
    let w46 = run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(w46.outcome, Outcome::Unconfirmed);
    assert!(
        reporter.mailer().sent()[1]
            .text
            .contains("1 request arrived late for 2025-W45")
    );
    let corrected = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!((corrected.indexed, corrected.late), (3, 1), "{corrected:?}");
    assert_eq!(corrected.corrected_by, Some(week("2025-W46")));

    reporter.ledger().fail_next(LedgerWrite::MarkSent, 0);
    run(
        &reporter,
        request("2025-W47", false, false),
        at("2025-11-24T07:00:00Z"),
    )
    .await
    .unwrap();
    let next = &reporter.mailer().sent()[2];
    assert!(!next.text.contains("arrived late"), "{}", next.text);
}

/// With `RECORD_TTL_DAYS` of 14 the records of 2025-W45 are deleted by the time 2025-W46 is
/// reported: the week is not checked for late arrivals, so nothing "moved out" of it and its
/// stored figures stay those its report sent.
#[tokio::test]
async fn a_week_whose_records_may_have_expired_is_not_checked_for_late_arrivals() {
    use reporter::ReportLedger;
    let reporter = Reporter::new(
        InMemoryRecordSource::new(records()),
        InMemoryLedger::new(),
        InMemoryMailer::new(),
        &reporter::Config {
            ttl_days: 14,
            ..config(true)
        },
    );
    let w45 = week("2025-W45");
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let reported = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    reporter.source().expire(w45);
    let next = run(
        &reporter,
        request("2025-W46", false, false),
        at("2025-11-17T07:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(next.outcome, Outcome::Sent);
    let email = &reporter.mailer().sent()[1];
    assert!(!email.text.contains("moved out"), "{}", email.text);
    assert!(!email.text.contains("arrived late"), "{}", email.text);
    let kept = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!(kept, reported);
}

/// 45 subjects nobody got a response about, each asked three times, and one the CV does not
/// cover, asked once: the "Add to your CV" card ranks below 25 rows of other classes, yet the
/// marker stores it (what the email showed first, then the most asked), so next week it is
/// "also last week", not "new".
#[tokio::test]
async fn a_gap_the_email_showed_is_stored_even_below_25_more_asked_gaps() {
    use reporter::ReportLedger;
    const SUBJECTS: [&str; 45] = [
        "photoshop",
        "blender",
        "unity",
        "unreal",
        "arduino",
        "raspberry",
        "solidworks",
        "autocad",
        "sharepoint",
        "salesforce",
        "sap",
        "oracle",
        "mainframe",
        "assembler",
        "webassembly",
        "kubernetes",
        "terraform",
        "haskell",
        "fortran",
        "cobol",
        "erlang",
        "elixir",
        "clojure",
        "scala",
        "kotlin",
        "swift",
        "perl",
        "prolog",
        "lisp",
        "ocaml",
        "ansible",
        "puppet",
        "chef",
        "jenkins",
        "graphql",
        "kafka",
        "redis",
        "cassandra",
        "hadoop",
        "spark",
        "tableau",
        "matlab",
        "simulink",
        "labview",
        "verilog",
    ];
    let t = at("2025-11-05T10:00:00Z");
    let mut records = Vec::new();
    for (i, subject) in SUBJECTS.iter().enumerate() {
        for n in 0..3 {
            let question = format!("Do you know {subject}?");
            records.push(record(
                &format!("s{i}-{n}"),
                t,
                &question,
                "anonymous",
                None,
            ));
        }
    }
    let card = "Do you have a pilot licence?";
    let answered_none = || Some(answer(NoMatch, 10, 1_000, &[]));
    records.push(record("card", t, card, "anonymous", answered_none()));
    let reporter = Reporter::new(
        InMemoryRecordSource::new(records),
        InMemoryLedger::new(),
        InMemoryMailer::new(),
        &config(true),
    );
    run(&reporter, request("2025-W45", false, false), at(NOW))
        .await
        .unwrap();
    let email = &reporter.mailer().sent()[0];
    assert!(email.text.contains("Pilot licence"), "{}", email.text);
    let w45 = week("2025-W45");
    let stored = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45]
        .gaps
        .clone();
    assert!(
        stored
            .iter()
            .any(|g| g.label.as_deref() == Some("Pilot licence")),
        "{stored:#?}"
    );
    assert_eq!(stored.len(), 25);
}
