//! The owner's time zone (`REPORT_TIMEZONE`): the week a request is filed under, the email's
//! days and hours, the week a Monday run reports, weeks whose clocks change, and a stage whose
//! zone changes while it holds records.

use chrono::{DateTime, Utc};
use reporter::fakes::{InMemoryLedger, InMemoryMailer, InMemoryRecordSource};
use reporter::{Config, Outcome, ReportRequest, Reporter};
use shared_types::RequestRecord;
use shared_types::testing::query;
use shared_types::week::Tz;

use crate::support::{at, config, week};

/// A question asked at `asked_at`, stored by a processor whose `REPORT_TIMEZONE` is `zone`.
fn asked_in(id: &str, asked_at: &str, zone: Tz) -> RequestRecord {
    let query = query(id, at(asked_at).timestamp_millis(), "Do you know Rust?");
    RequestRecord::from_events_in(Some(&query), None, 90, zone).unwrap()
}

fn config_in(zone: Tz) -> Config {
    Config {
        zone,
        ..config(true)
    }
}

type FakeReporter = Reporter<InMemoryRecordSource, InMemoryLedger, InMemoryMailer>;

fn reporter_in(zone: Tz, records: Vec<RequestRecord>) -> FakeReporter {
    Reporter::new(
        InMemoryRecordSource::new(records),
        InMemoryLedger::new(),
        InMemoryMailer::new(),
        &config_in(zone),
    )
}

/// The scheduled run at `time`, as EventBridge Scheduler invokes the reporter.
async fn scheduled_run(reporter: &FakeReporter, zone: Tz, time: &str) -> reporter::ReportSummary {
    let payload = serde_json::json!({
        "source": "aws.scheduler",
        "detail-type": "Scheduled Event",
        "time": time,
    });
    let now: DateTime<Utc> = at(time);
    let request = ReportRequest::from_payload_in(payload, now, zone).unwrap();
    let timeout = chrono::Duration::seconds(120);
    reporter.run(request, now, now + timeout).await.unwrap()
}

/// The text body of the only email sent.
fn email_text(reporter: &FakeReporter) -> String {
    let sent = reporter.mailer().sent();
    assert_eq!(sent.len(), 1, "one email");
    sent[0].text.clone()
}

#[test]
fn the_monday_run_reports_the_week_that_just_ended_where_the_owner_lives() {
    let now = at("2025-11-12T10:00:00Z");
    let report_of = |time: &str, zone: Tz| {
        let payload = serde_json::json!({"source": "aws.scheduler", "detail-type": "Scheduled Event", "time": time});
        ReportRequest::from_payload_in(payload, now, zone)
            .unwrap()
            .week
            .to_string()
    };
    // 07:00 on Monday 10 November in Singapore is 23:00 on Sunday in UTC: the week that just
    // ended there is W45, which a UTC reading would still be in (and report W44).
    assert_eq!(
        report_of("2025-11-09T23:00:00Z", Tz::Asia__Singapore),
        "2025-W45"
    );
    assert_eq!(report_of("2025-11-09T23:00:00Z", Tz::UTC), "2025-W44");
    // 07:00 in New York, in winter (EST) and the morning after the clocks went forward (EDT).
    assert_eq!(
        report_of("2025-11-10T12:00:00Z", Tz::America__New_York),
        "2025-W45"
    );
    assert_eq!(
        report_of("2025-03-10T11:00:00Z", Tz::America__New_York),
        "2025-W10"
    );
    // 07:00 BST in London is 06:00 UTC.
    assert_eq!(
        report_of("2025-07-14T06:00:00Z", Tz::Europe__London),
        "2025-W28"
    );
    // The schedule fires at 07:00 local time on Monday all year: the week ending where the
    // reporter says its report is due is the one that Monday's run reports.
    for zone in [
        Tz::Europe__London,
        Tz::America__New_York,
        Tz::Asia__Singapore,
    ] {
        let mut id = week("2025-W01");
        for _ in 0..53 {
            let due = id.report_due_in(zone);
            let local = due.with_timezone(&zone);
            assert_eq!(
                local.format("%a %H:%M").to_string(),
                "Mon 07:00",
                "{zone} {id}"
            );
            assert_eq!(report_of(&due.to_rfc3339(), zone), id.to_string(), "{zone}");
            id = id.next();
        }
    }
}

#[tokio::test]
async fn a_london_week_is_reported_in_local_days_and_hours_and_says_its_zone() {
    let london = Tz::Europe__London;
    // 00:30 BST on Monday 7 July is 23:30 UTC on Sunday 6 July: W28 in London (W27 in UTC).
    let records = vec![
        asked_in("monday-night", "2025-07-06T23:30:00Z", london),
        asked_in("monday-night-2", "2025-07-06T23:40:00Z", london),
        asked_in("wednesday", "2025-07-09T12:10:00Z", london),
        // 00:30 BST on Monday 14 July: the next week in London.
        asked_in("next-week", "2025-07-13T23:30:00Z", london),
    ];
    assert_eq!(records[0].week, week("2025-W28"));
    assert_eq!(records[3].week, week("2025-W29"));
    let reporter = reporter_in(london, records);
    let summary = scheduled_run(&reporter, london, "2025-07-14T06:00:00Z").await;
    assert_eq!(summary.outcome, Outcome::Sent);
    assert_eq!((summary.week.as_str(), summary.asked), ("2025-W28", 3));
    let text = email_text(&reporter);
    for fragment in [
        "Mon 7 Jul to Sun 13 Jul 2025 (Europe/London)",
        "Busiest (Europe/London): Monday (2); hours 00:00 (2), 13:00 (1)",
        "2025-07-07 00:00:00 BST to 2025-07-14 00:00:00 BST",
        "Generated 2025-07-14 07:00 BST",
    ] {
        assert!(text.contains(fragment), "{fragment:?} not in:\n{text}");
    }
}

#[tokio::test]
async fn weeks_whose_clocks_change_are_reported_whole_with_the_repeated_hour_once() {
    let london = Tz::Europe__London;
    // W13 of 2025 has 167 hours in London: the clocks go forward at 01:00 UTC on Sunday 30
    // March. Its first and last minutes are in it; the first minute of Monday 31 March is not.
    let spring = vec![
        asked_in("first-minute", "2025-03-24T00:00:30Z", london),
        asked_in("last-minute", "2025-03-30T22:59:30Z", london),
        asked_in("after", "2025-03-30T23:00:30Z", london),
    ];
    let reporter = reporter_in(london, spring);
    let summary = scheduled_run(&reporter, london, "2025-03-31T06:00:00Z").await;
    assert_eq!((summary.week.as_str(), summary.asked), ("2025-W13", 2));
    assert!(email_text(&reporter).contains("2025-03-24 00:00:00 GMT to 2025-03-31 00:00:00 BST"));

    // W43 has 169 hours: 01:00 to 02:00 happens twice on Sunday 26 October. A question in
    // each is one hour of the day, counted twice (two questions), not two hours.
    let autumn = vec![
        asked_in("first-0130", "2025-10-26T00:30:00Z", london),
        asked_in("second-0130", "2025-10-26T01:30:00Z", london),
        asked_in("last-minute", "2025-10-26T23:59:30Z", london),
    ];
    let reporter = reporter_in(london, autumn);
    let summary = scheduled_run(&reporter, london, "2025-10-27T07:00:00Z").await;
    assert_eq!((summary.week.as_str(), summary.asked), ("2025-W43", 3));
    let text = email_text(&reporter);
    assert!(
        text.contains("Busiest (Europe/London): Sunday (3); hours 01:00 (2), 23:00 (1)"),
        "{text}"
    );
    assert!(
        text.contains("2025-10-20 00:00:00 BST to 2025-10-27 00:00:00 GMT"),
        "{text}"
    );

    // New York: W10 loses 02:00 on Sunday 9 March, W45 repeats 01:00 on Sunday 2 November.
    let new_york = Tz::America__New_York;
    let records = vec![
        asked_in("before-jump", "2025-03-09T06:59:00Z", new_york), // 01:59 EST
        asked_in("after-jump", "2025-03-09T07:01:00Z", new_york),  // 03:01 EDT
        asked_in("last-minute", "2025-03-10T03:59:30Z", new_york), // Sun 23:59 EDT
    ];
    let reporter = reporter_in(new_york, records);
    let summary = scheduled_run(&reporter, new_york, "2025-03-10T11:00:00Z").await;
    assert_eq!((summary.week.as_str(), summary.asked), ("2025-W10", 3));
    assert!(
        email_text(&reporter).contains(
            "Busiest (America/New_York): Sunday (3); hours 01:00 (1), 03:00 (1), 23:00 (1)"
        ),
        "{}",
        email_text(&reporter)
    );
    let records = vec![
        asked_in("first-0130", "2025-11-02T05:30:00Z", new_york), // 01:30 EDT
        asked_in("second-0130", "2025-11-02T06:30:00Z", new_york), // 01:30 EST
    ];
    let reporter = reporter_in(new_york, records);
    let summary = scheduled_run(&reporter, new_york, "2025-11-03T12:00:00Z").await;
    assert_eq!((summary.week.as_str(), summary.asked), ("2025-W44", 2));
    assert!(
        email_text(&reporter).contains("Sunday (2); hours 01:00 (2)"),
        "{}",
        email_text(&reporter)
    );
}

#[tokio::test]
async fn a_week_east_of_utc_is_filed_and_reported_on_singapores_clocks() {
    let singapore = Tz::Asia__Singapore;
    let records = vec![
        // 01:00 SGT on Monday 3 November is 17:00 UTC on Sunday 2 November: W45 there.
        asked_in("monday-early", "2025-11-02T17:00:00Z", singapore),
        // 23:30 SGT on Sunday 9 November: still W45 there.
        asked_in("sunday-late", "2025-11-09T15:30:00Z", singapore),
        // 00:30 SGT on Monday 10 November: W46 there, although W45 in UTC.
        asked_in("next-week", "2025-11-09T16:30:00Z", singapore),
    ];
    assert_eq!(records[0].week, week("2025-W45"));
    assert_eq!(records[2].week, week("2025-W46"));
    let reporter = reporter_in(singapore, records);
    let summary = scheduled_run(&reporter, singapore, "2025-11-09T23:00:00Z").await;
    assert_eq!((summary.week.as_str(), summary.asked), ("2025-W45", 2));
    let text = email_text(&reporter);
    for fragment in [
        "Mon 3 Nov to Sun 9 Nov 2025 (Asia/Singapore)",
        "hours 01:00 (1), 23:00 (1)",
        "Generated 2025-11-10 07:00 +08",
    ] {
        assert!(text.contains(fragment), "{fragment:?} not in:\n{text}");
    }
}

/// A stage reported in UTC whose `REPORT_TIMEZONE` becomes Europe/London in summer, between
/// the report of W27 and the next questions. Records keep the week they were filed under, and
/// every report reads a week by that stored key: each request is in exactly one email, even
/// those whose week differs between the two zones, and no week is said to have changed.
#[tokio::test]
async fn changing_the_zone_reports_every_request_once() {
    let london = Tz::Europe__London;
    let records = vec![
        // Filed in UTC before the change. 23:30 UTC on Sunday 6 July is Monday in London: W27
        // in UTC, W28 in London. It stays in W27, reported before the change.
        asked_in("sunday-night-utc", "2025-07-06T23:30:00Z", Tz::UTC),
        asked_in("monday-utc", "2025-07-07T10:00:00Z", Tz::UTC),
        // Filed in London after the change (Tuesday 8 July).
        asked_in("wednesday-london", "2025-07-09T12:00:00Z", london),
        // 23:30 UTC on Sunday 13 July is Monday 14 July in London: W29.
        asked_in("sunday-night-london", "2025-07-13T23:30:00Z", london),
    ];
    let requests = records.len() as u64;

    let utc = reporter_in(Tz::UTC, records);
    let w27 = scheduled_run(&utc, Tz::UTC, "2025-07-07T07:00:00Z").await;
    assert_eq!((w27.week.as_str(), w27.asked), ("2025-W27", 1));

    // The zone changes: the same table and ledger, the reporter redeployed in London.
    let (source, ledger, mailer) = utc.into_parts();
    let london_reporter = Reporter::new(source, ledger, mailer, &config_in(london));
    let w28 = scheduled_run(&london_reporter, london, "2025-07-14T06:00:00Z").await;
    let w29 = scheduled_run(&london_reporter, london, "2025-07-21T06:00:00Z").await;
    assert_eq!((w28.week.as_str(), w28.asked), ("2025-W28", 2));
    assert_eq!((w29.week.as_str(), w29.asked), ("2025-W29", 1));
    assert_eq!(w27.asked + w28.asked + w29.asked, requests);

    let sent = london_reporter.mailer().sent();
    assert_eq!(sent.len(), 3);
    for email in &sent {
        assert!(
            !email.text.contains("it now has"),
            "no week changed:\n{}",
            email.text
        );
    }
}
