//! The reporter against moto with the real SDK clients: records stored as the processor stores
//! them (`shared_types::testing`), the handler invoked with the scheduled-event fixture, the email read back from
//! the emulator; one email for two invocations (and, on DynamoDB Local, whose conditional writes
//! are atomic where moto's are not, for two instances racing); an empty week; a dry run.

use crate::support::{answer, at, config, record};
use local_aws::{Moto, create_email_identity, create_table, put_records};
use reporter::Outcome;
use reporter::SesMailer;
use reporter::{DynamoRecordSource, DynamoReportLedger};
use reporter::{ReportRequest, Reporter};
use shared_types::MatchType::{Full, None as NoMatch};
use shared_types::RequestRecord;
use shared_types::record::WeekLookup;
use shared_types::testing::Answer;

const TABLE: &str = "cv-analytics-test";
/// The reporter's timeout (`REPORTER_TIMEOUT`): an invocation's deadline is this after it starts.
const TIMEOUT: chrono::Duration = chrono::Duration::seconds(120);
const SENDER: &str = "reports@example.dev";

struct Harness {
    moto: Moto,
    reporter: Reporter<DynamoRecordSource, DynamoReportLedger, SesMailer>,
    dynamodb: aws_sdk_dynamodb::Client,
}

async fn harness(lookup: WeekLookup) -> Harness {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    create_table(&dynamodb, TABLE, lookup).await;
    create_email_identity(&ses, SENDER).await;
    let config = config(true);
    let reporter = Reporter::new(
        DynamoRecordSource::new(dynamodb.clone(), TABLE, lookup),
        DynamoReportLedger::new(dynamodb.clone(), TABLE),
        SesMailer::new(
            ses,
            SENDER,
            vec!["owner@example.dev".into(), "second@example.dev".into()],
            None,
        ),
        &config,
    );
    Harness {
        moto,
        reporter,
        dynamodb,
    }
}

/// 250 questions in 2025-W45 (so that reads span several BatchGetItem calls): 200 answered
/// `full` about Rust, 30 answered `none` about COBOL, 20 never answered; 40 in 2025-W44.
fn workload() -> Vec<RequestRecord> {
    let mut records = Vec::new();
    let mut add = |id: String, asked: &str, question: &str, answer: Option<Answer>| {
        records.push(record(&id, at(asked), question, "anonymous", answer));
    };
    for i in 0..200 {
        add(
            format!("rust-{i}"),
            "2025-11-04T09:15:00Z",
            "Do you know Rust?",
            Some(answer(Full, 90, 1_500, &["Rust"])),
        );
    }
    for i in 0..30 {
        add(
            format!("cobol-{i}"),
            "2025-11-06T16:40:00Z",
            "Can you write COBOL?",
            Some(answer(NoMatch, 3, 800, &[])),
        );
    }
    for i in 0..20 {
        add(
            format!("pilot-{i}"),
            "2025-11-08T20:05:00Z",
            "Do you have a pilot licence?",
            None,
        );
    }
    for i in 0..40 {
        add(
            format!("old-{i}"),
            "2025-10-29T12:00:00Z",
            "Older question?",
            None,
        );
    }
    records
}

#[tokio::test]
async fn the_scheduled_report_is_read_from_dynamodb_and_sent_once_through_ses() {
    for lookup in WeekLookup::ALL {
        scheduled_report_sent_once(lookup).await;
    }
}

async fn scheduled_report_sent_once(lookup: WeekLookup) {
    let h = harness(lookup).await;
    put_records(&h.dynamodb, TABLE, &workload()).await;

    let event = serde_json::from_str(include_str!("../../events/scheduled.json")).unwrap();
    let now = at("2025-11-10T07:00:02Z");
    let request = ReportRequest::from_payload(event, now).unwrap();
    let summary = h.reporter.run(request, now, now + TIMEOUT).await.unwrap();
    assert_eq!(summary.outcome, Outcome::Sent);
    assert_eq!(summary.records_read, 250);
    assert_eq!(
        (summary.asked, summary.answered, summary.unanswered),
        (250, 230, 20)
    );

    let again = h
        .reporter
        .run(
            request,
            at("2025-11-10T07:03:00Z"),
            at("2025-11-10T07:03:00Z") + TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::AlreadySent);

    let emails = h.moto.sent_emails();
    assert_eq!(emails.len(), 1, "{emails:#?}");
    let email = &emails[0];
    assert_eq!(
        email["subject"],
        "CV Analytics - 2025-W45: 250 questions, 1 to add to your CV"
    );
    assert_eq!(email["source"], SENDER);
    assert_eq!(
        email["destinations"]["ToAddresses"],
        serde_json::json!(["owner@example.dev", "second@example.dev"])
    );
    let html = email["body"].as_str().unwrap();
    for fragment in [
        "up 210 or 525.0%, beyond noise",
        "Do you know Rust",
        "COBOL",
        "Can you write COBOL",
        "Pilot licence",
        "Do you have a pilot licence",
        "80.0%",
        "250 records read, 0 incomplete",
    ] {
        assert!(html.contains(fragment), "email lacks {fragment:?}");
    }
}

#[tokio::test]
async fn an_empty_week_and_a_dry_run() {
    let h = harness(WeekLookup::default()).await;
    put_records(&h.dynamodb, TABLE, &workload()[..10]).await;
    let now = at("2025-11-10T07:00:00Z");

    let dry = ReportRequest::from_payload(
        serde_json::from_str(include_str!("../../events/dry-run.json")).unwrap(),
        now,
    )
    .unwrap();
    let summary = h.reporter.run(dry, now, now + TIMEOUT).await.unwrap();
    assert_eq!(summary.outcome, Outcome::DryRun);
    assert!(summary.asked > 0);
    assert!(h.moto.sent_emails().is_empty());

    let empty = ReportRequest {
        week: "2025-W40".parse().unwrap(),
        dry_run: false,
        force: false,
    };
    let summary = h.reporter.run(empty, now, now + TIMEOUT).await.unwrap();
    assert_eq!(summary.outcome, Outcome::Sent);
    let emails = h.moto.sent_emails();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["subject"], "CV Analytics - 2025-W40: no activity");

    let forced = ReportRequest::from_payload(
        serde_json::from_str(include_str!("../../events/force-resend.json")).unwrap(),
        now,
    )
    .unwrap();
    h.reporter.run(forced, now, now + TIMEOUT).await.unwrap();
    h.reporter.run(forced, now, now + TIMEOUT).await.unwrap();
    assert_eq!(h.moto.sent_emails().len(), 3, "force sends every time");
}

#[tokio::test]
async fn preview_renders_a_week_to_files_without_sending() {
    let h = harness(WeekLookup::default()).await;
    put_records(&h.dynamodb, TABLE, &workload()[..30]).await;
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("preview-{}", std::process::id()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_preview"))
        .args(["2025-W45", folder.to_str().unwrap()])
        .env("TABLE_NAME", TABLE)
        .env("AWS_ENDPOINT_URL", &h.moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("CV Analytics - 2025-W45: "), "{stdout}");
    let html = std::fs::read_to_string(folder.join("report.html")).unwrap();
    let text = std::fs::read_to_string(folder.join("report.txt")).unwrap();
    assert!(html.contains("Do you know Rust") && text.contains("Do you know Rust"));
    assert!(h.moto.sent_emails().is_empty(), "preview never sends");
}

/// Two Lambda instances at once for each of six weeks, on DynamoDB Local (whose conditional
/// writes are atomic, as DynamoDB's are; moto's are a read and a later write): each week is
/// sent exactly once, by one of the two, and the other says why it did not send.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_racing_for_each_week_send_one_email_per_week() {
    let moto = Moto::start();
    let dynamodb_local = local_aws::DynamoDbLocal::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_local.sdk_config().await);
    let ses = aws_sdk_sesv2::Client::new(&moto.sdk_config().await);
    create_table(&dynamodb, TABLE, WeekLookup::default()).await;
    create_email_identity(&ses, SENDER).await;
    put_records(&dynamodb, TABLE, &workload()[..30]).await;
    let instance = || {
        std::sync::Arc::new(Reporter::new(
            DynamoRecordSource::new(dynamodb.clone(), TABLE, WeekLookup::default()),
            DynamoReportLedger::new(dynamodb.clone(), TABLE),
            SesMailer::new(ses.clone(), SENDER, vec!["owner@example.dev".into()], None),
            &config(true),
        ))
    };
    let (a, b) = (instance(), instance());
    let now = at("2025-11-10T07:00:00Z");
    let mut races = Vec::new();
    for week in 40..=45 {
        let request = ReportRequest {
            week: format!("2025-W{week}").parse().unwrap(),
            dry_run: false,
            force: false,
        };
        for reporter in [&a, &b] {
            let reporter = reporter.clone();
            races.push(tokio::spawn(async move {
                reporter.run(request, now, now + TIMEOUT).await
            }));
        }
    }
    let mut sent = std::collections::BTreeMap::new();
    for race in races {
        // The loser finds the week sent, or the winner's claim live and fails (Lambda would
        // retry it, to find the week sent).
        match race.await.unwrap() {
            Ok(summary) if summary.outcome == Outcome::Sent => {
                *sent.entry(summary.week).or_insert(0) += 1;
            }
            Ok(summary) => assert_eq!(summary.outcome, Outcome::AlreadySent, "{summary:?}"),
            Err(error) => assert!(
                matches!(error, reporter::ReporterError::ClaimedElsewhere { .. }),
                "{error}"
            ),
        }
    }
    assert_eq!(sent.len(), 6, "{sent:?}");
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");
    assert_eq!(moto.sent_emails().len(), 6);
}

/// On DynamoDB Local, through the real marker item: a run that dies while sending leaves a
/// claim whose lease is its deadline; Lambda's first retry (a minute later) fails on it, the
/// second (two minutes after that) finds the week unconfirmed and sends nothing; a forced run
/// sends, once. Then a request that arrives for the sent week is reported by the next week's
/// report and the week's stored figures are corrected (field by field in the marker's summary,
/// behind the `correctedBy` condition), through the counts and fingerprints of the report's
/// read, and the correction the next report carried is cleared from its marker. On both table
/// layouts; the table without an index is scanned once per report, twice when a week got late
/// arrivals (counted on the wire).
#[tokio::test]
async fn a_dead_claim_is_unconfirmed_until_forced_and_late_arrivals_are_corrected_on_dynamodb_local()
 {
    let dynamodb_local = local_aws::DynamoDbLocal::start();
    for lookup in WeekLookup::ALL {
        dead_claim_and_late_arrivals(&dynamodb_local, lookup).await;
    }
}

async fn dead_claim_and_late_arrivals(
    dynamodb_local: &local_aws::DynamoDbLocal,
    lookup: WeekLookup,
) {
    use local_aws::wire::WireCounter;
    use reporter::ReportLedger;
    use reporter::SCAN_SEGMENTS;
    use reporter::fakes::InMemoryMailer;

    let sdk = dynamodb_local.sdk_config().await;
    let counter = WireCounter::default();
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(counter.clone())
            .build(),
    );
    let table = format!("{TABLE}-{lookup}");
    let table = table.as_str();
    create_table(&dynamodb, table, lookup).await;
    let events = workload();
    put_records(&dynamodb, table, &events[..30]).await;
    let reporter = Reporter::new(
        DynamoRecordSource::new(dynamodb.clone(), table, lookup),
        DynamoReportLedger::new(dynamodb.clone(), table),
        InMemoryMailer::new(),
        &config(true),
    );
    let w45 = ReportRequest {
        week: "2025-W45".parse().unwrap(),
        dry_run: false,
        force: false,
    };

    let started = at("2025-11-10T07:00:00Z");
    reporter.mailer().set_hanging(true);
    let died = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        reporter.run(w45, started, started + TIMEOUT),
    )
    .await;
    assert!(died.is_err(), "the first run must not finish");
    reporter.mailer().set_hanging(false);
    let first_retry = started + chrono::Duration::seconds(61);
    let error = reporter
        .run(w45, first_retry, first_retry + TIMEOUT)
        .await
        .unwrap_err();
    assert!(
        matches!(error, reporter::ReporterError::ClaimedElsewhere { lease_until, .. } if lease_until == started + TIMEOUT),
        "{error}"
    );
    let second_retry = first_retry + chrono::Duration::seconds(121);
    let unconfirmed = reporter
        .run(w45, second_retry, second_retry + TIMEOUT)
        .await
        .unwrap();
    assert_eq!(unconfirmed.outcome, Outcome::Unconfirmed);
    assert!(reporter.mailer().sent().is_empty());
    let forced = ReportRequest { force: true, ..w45 };
    let sent = reporter
        .run(forced, second_retry, second_retry + TIMEOUT)
        .await
        .unwrap();
    assert_eq!(sent.outcome, Outcome::Sent);
    assert_eq!(reporter.mailer().sent().len(), 1);
    let reported = reporter.ledger().summaries(&[w45.week]).await.unwrap()[&w45.week].clone();
    assert_eq!(reported.indexed, sent.records_read);
    assert_eq!(reported.asked, sent.asked);

    // Ten more requests of 2025-W45 arrive late (a redrive), and the next week's report says so.
    put_records(&dynamodb, table, &events[30..40]).await;
    let w46 = ReportRequest {
        week: "2025-W46".parse().unwrap(),
        ..w45
    };
    let next = at("2025-11-17T07:00:00Z");
    counter.reset();
    reporter.run(w46, next, next + TIMEOUT).await.unwrap();
    let tally = counter.tally();
    match lookup {
        // The table is small: one page a segment. One pass for the week and the counts, one
        // to read 2025-W45 again.
        WeekLookup::Scan => {
            assert_eq!(tally.count("Scan"), 2 * SCAN_SEGMENTS as usize, "{tally:?}");
            assert_eq!(tally.count("Query"), 0, "{tally:?}");
        }
        WeekLookup::Index => assert_eq!(tally.count("Scan"), 0, "{tally:?}"),
    }
    let markers = reporter
        .ledger()
        .summaries(&[w45.week, w46.week])
        .await
        .unwrap();
    let corrected = markers[&w45.week].clone();
    let arrived = corrected.indexed - reported.indexed;
    assert!(arrived > 0, "{corrected:?}");
    assert_eq!(corrected.late, arrived);
    assert_eq!(corrected.corrected_by, Some(w46.week));
    assert_eq!(corrected.gaps, reported.gaps, "the reported gaps stay");
    assert_ne!(corrected.fingerprint, reported.fingerprint);
    assert!(
        markers[&w46.week].corrections.is_empty(),
        "applied and cleared"
    );
    let email = &reporter.mailer().sent()[1];
    let line = format!(
        "{arrived} requests arrived late for 2025-W45: it now has {} questions",
        corrected.asked
    );
    assert!(email.text.contains(&line), "{line}\n{}", email.text);
}

/// Loses DynamoDB's answer to the first `UpdateItem` (the reporter's claim) after DynamoDB
/// applied it: the answer becomes a 500, which says the write may have happened, and the SDK
/// sends the same request again.
#[derive(Debug, Default, Clone)]
struct LoseFirstUpdateAnswer {
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl aws_sdk_dynamodb::config::Intercept for LoseFirstUpdateAnswer {
    fn name(&self) -> &'static str {
        "LoseFirstUpdateAnswer"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextMut<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if local_aws::wire::operation(cfg) == "UpdateItem"
            && !self.lost.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let response = context.response_mut();
            *response.status_mut() = 500.try_into()?;
            *response.body_mut() = aws_smithy_types::body::SdkBody::from(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"lost"}"#,
            );
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_claim_whose_answer_is_lost_is_granted_to_its_own_run_on_dynamodb_local() {
    use reporter::fakes::InMemoryMailer;

    let dynamodb_local = local_aws::DynamoDbLocal::start();
    let sdk = dynamodb_local.sdk_config().await;
    let lose = LoseFirstUpdateAnswer::default();
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(lose.clone())
            .build(),
    );
    create_table(&dynamodb, TABLE, WeekLookup::Scan).await;
    put_records(&dynamodb, TABLE, &workload()[..30]).await;
    let reporter = Reporter::new(
        DynamoRecordSource::new(dynamodb.clone(), TABLE, WeekLookup::Scan),
        DynamoReportLedger::new(dynamodb.clone(), TABLE),
        InMemoryMailer::new(),
        &config(true),
    );
    let w45 = ReportRequest {
        week: "2025-W45".parse().unwrap(),
        dry_run: false,
        force: false,
    };
    let now = at("2025-11-10T07:00:00Z");
    let sent = reporter.run(w45, now, now + TIMEOUT).await.unwrap();
    assert!(
        lose.lost.load(std::sync::atomic::Ordering::SeqCst),
        "no answer was lost"
    );
    assert_eq!(sent.outcome, Outcome::Sent);
    assert_eq!(reporter.mailer().sent().len(), 1);
    // A second invocation of the same event still finds the week sent.
    let again = reporter.run(w45, now, now + TIMEOUT).await.unwrap();
    assert_eq!(again.outcome, Outcome::AlreadySent);
    assert_eq!(reporter.mailer().sent().len(), 1);
}

/// A forced resend of a sent week keeps what its marker holds: SES refuses it, and the week is
/// still sent with the figures its report stored (in the trend, its corrections kept, its
/// expiry kept); and a claim that dies leaves a marker that expires.
#[tokio::test]
async fn a_forced_resend_that_ses_refuses_keeps_the_sent_marker_and_every_marker_expires_on_dynamodb_local()
 {
    use reporter::ReportLedger;
    use reporter::fakes::InMemoryMailer;
    use shared_types::record::{attr, report_key};

    let dynamodb_local = local_aws::DynamoDbLocal::start();
    let sdk = dynamodb_local.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    create_table(&dynamodb, TABLE, WeekLookup::Scan).await;
    put_records(&dynamodb, TABLE, &workload()[..30]).await;
    let reporter = Reporter::new(
        DynamoRecordSource::new(dynamodb.clone(), TABLE, WeekLookup::Scan),
        DynamoReportLedger::new(dynamodb.clone(), TABLE),
        InMemoryMailer::new(),
        &config(true),
    );
    let w45 = ReportRequest {
        week: "2025-W45".parse().unwrap(),
        dry_run: false,
        force: false,
    };
    let marker = |week: &str| {
        let dynamodb = dynamodb.clone();
        let key = report_key(week.parse().unwrap());
        async move {
            dynamodb
                .get_item()
                .table_name(TABLE)
                .key(attr::PK, aws_sdk_dynamodb::types::AttributeValue::S(key))
                .send()
                .await
                .unwrap()
                .item
                .unwrap_or_default()
        }
    };
    let now = at("2025-11-10T07:00:00Z");
    reporter.run(w45, now, now + TIMEOUT).await.unwrap();
    let stored = reporter.ledger().summaries(&[w45.week]).await.unwrap()[&w45.week].clone();
    let sent_marker = marker("2025-W45").await;
    assert!(sent_marker.contains_key(attr::EXPIRES_AT));

    reporter.mailer().set_failing(true);
    let later = now + chrono::Duration::days(2);
    let forced = ReportRequest { force: true, ..w45 };
    assert!(reporter.run(forced, later, later + TIMEOUT).await.is_err());
    let kept = reporter.ledger().summaries(&[w45.week]).await.unwrap();
    assert_eq!(
        kept.get(&w45.week),
        Some(&stored),
        "the sent marker was lost"
    );
    let after = marker("2025-W45").await;
    assert_eq!(
        after.get(attr::EXPIRES_AT),
        sent_marker.get(attr::EXPIRES_AT)
    );
    reporter.mailer().set_failing(false);
    let scheduled = reporter.run(w45, later, later + TIMEOUT).await.unwrap();
    assert_eq!(scheduled.outcome, Outcome::AlreadySent);

    // A claim that dies keeps a marker, which expires.
    reporter.mailer().set_hanging(true);
    let w46 = ReportRequest {
        week: "2025-W46".parse().unwrap(),
        ..w45
    };
    let next = at("2025-11-17T07:00:00Z");
    let died = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        reporter.run(w46, next, next + TIMEOUT),
    )
    .await;
    assert!(died.is_err());
    let dead = marker("2025-W46").await;
    assert!(!dead.is_empty());
    assert!(dead.contains_key(attr::EXPIRES_AT), "{dead:?}");
}

/// A question as long as the contract allows (1,000 characters), of characters that take 4
/// bytes each, about a subject of its own (`i`).
fn longest_question(i: u32) -> String {
    let subject: String = (0..990)
        .map(|n| char::from_u32(0x2_0000 + i * 1_000 + n % 7).unwrap())
        .collect();
    format!("Know {subject}?")
}

/// The largest sent mark the settings allow, written to DynamoDB Local: 30 gaps of 1,000-character
/// questions (25 stored) and 5 corrections of earlier weeks whose markers each hold 25 such gaps.
/// It sticks, under DynamoDB's 400 KB item limit.
#[tokio::test]
async fn the_largest_mark_the_settings_allow_is_written_on_dynamodb_local() {
    use reporter::ReportLedger;
    use reporter::fakes::{InMemoryMailer, InMemoryRecordSource};
    use shared_types::record::report_marker::{StoredGap, WeekSummary};

    let dynamodb_local = local_aws::DynamoDbLocal::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_local.sdk_config().await);
    create_table(&dynamodb, TABLE, WeekLookup::Scan).await;
    let ledger = DynamoReportLedger::new(dynamodb.clone(), TABLE);
    let w45: shared_types::WeekId = "2025-W45".parse().unwrap();
    let mut records = Vec::new();
    let mut earlier = w45;
    for n in 0..5_u32 {
        earlier = earlier.previous();
        // As large as an earlier marker gets, under the limit: 25 gaps of long questions.
        let gaps = (0..25)
            .map(|g| StoredGap {
                representative: longest_question(100 + n * 25 + g)
                    .chars()
                    .take(200)
                    .collect(),
                label: Some(longest_question(g).chars().take(200).collect()),
                asked: 2,
                centroid: (0..16).map(|f| (format!("w:{f:062}"), 0.25)).collect(),
            })
            .collect();
        let reported = WeekSummary {
            fingerprint: Some(0),
            gaps,
            ..WeekSummary::default()
        };
        let start = earlier.start();
        ledger
            .mark_sent(
                earlier,
                start,
                "m",
                &reported,
                start + chrono::Duration::days(90),
            )
            .await
            .unwrap();
        // One request of that week arrives late.
        let late = start + chrono::Duration::hours(1);
        records.push(record(
            &format!("late-{n}"),
            late,
            "Late?",
            "anonymous",
            None,
        ));
    }
    let asked = at("2025-11-05T10:00:00Z");
    for i in 0..30 {
        let question = longest_question(i);
        for n in 0..2 {
            records.push(record(
                &format!("q{i}-{n}"),
                asked,
                &question,
                "anonymous",
                None,
            ));
        }
    }
    let reporter = Reporter::new(
        InMemoryRecordSource::new(records),
        ledger,
        InMemoryMailer::new(),
        &config(true),
    );
    let request = ReportRequest {
        week: w45,
        dry_run: false,
        force: false,
    };
    let now = at("2025-11-10T07:00:00Z");
    let sent = reporter.run(request, now, now + TIMEOUT).await.unwrap();
    assert_eq!(sent.outcome, Outcome::Sent, "the mark did not stick");
    let stored = reporter.ledger().summaries(&[w45]).await.unwrap()[&w45].clone();
    assert_eq!(stored.gaps.len(), 25);
}

/// Which requests of a week have their query, as each lookup lists a week it only counts: the
/// scan reads `queryTs` with the records, and the week index projects it, so a late query
/// joining a response already filed under a reported week changes the week's fingerprint.
#[tokio::test]
async fn each_lookup_lists_which_requests_have_their_query_on_dynamodb_local() {
    use reporter::RecordSource;
    use shared_types::record::report_marker::request_state_hash;

    let dynamodb_local = local_aws::DynamoDbLocal::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_local.sdk_config().await);
    let whole = record(
        "whole",
        at("2025-11-05T10:00:00Z"),
        "Do you know Rust?",
        "anonymous",
        Some(answer(Full, 90, 1_000, &["Rust"])),
    );
    let answer_only = crate::support::incomplete("answer-only", at("2025-11-05T11:00:00Z"));
    let w45 = whole.week;
    assert_eq!(answer_only.week, w45);
    let expected = request_state_hash(&whole.pk, true) ^ request_state_hash(&answer_only.pk, false);
    for lookup in WeekLookup::ALL {
        let table = format!("{TABLE}-states-{lookup}");
        create_table(&dynamodb, &table, lookup).await;
        put_records(&dynamodb, &table, &[whole.clone(), answer_only.clone()]).await;
        let source = DynamoRecordSource::new(dynamodb.clone(), &table, lookup);
        let listed = source.read_weeks(&[], &[w45], &mut |_| {}).await.unwrap();
        assert_eq!(listed.count(w45), 2, "{lookup}");
        assert_eq!(
            listed.state(w45),
            expected,
            "{lookup}: which requests have their query"
        );
    }
}
