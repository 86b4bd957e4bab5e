//! The built reporter binary run as Lambda runs it: started against a Runtime API on loopback
//! (`local_aws::runtime_api`) with moto behind the SDK, invoked twice with
//! `events/scheduled.json`. The first run sends the week's email, the second skips it as
//! already sent, and each writes one Embedded Metric Format line, valid against the format's
//! schema, with the records read and the outcome.

use std::time::Duration;

use crate::support::{answer, at, record};
use local_aws::runtime_api::{Completion, LambdaProcess, RuntimeApi, wait_for_output};
use local_aws::{Moto, create_email_identity, create_table, put_records};
use shared_types::MatchType::Full;
use shared_types::record::WeekLookup;

#[tokio::test]
async fn each_run_writes_one_valid_emf_line_with_its_outcome() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    create_table(&dynamodb, "records", WeekLookup::default()).await;
    create_email_identity(&aws_sdk_sesv2::Client::new(&sdk), "reports@example.dev").await;
    // 2025-W45, the week before the fixture's Monday: 12 questions, 9 answered.
    let records: Vec<_> = (0..12)
        .map(|i| {
            let answered = (i < 9).then(|| answer(Full, 80, 900, &["Rust"]));
            record(
                &format!("r{i}"),
                at("2025-11-05T10:00:00Z"),
                "Rust?",
                "s",
                answered,
            )
        })
        .collect();
    put_records(&dynamodb, "records", &records).await;

    let api = RuntimeApi::start();
    let fixture = format!("{}/events/scheduled.json", env!("CARGO_MANIFEST_DIR"));
    let event = std::fs::read_to_string(fixture).unwrap();
    api.push(event.clone());
    api.push(event);
    let mut vars = vec![
        ("TABLE_NAME", "records"),
        ("REPORT_SENDER", "reports@example.dev"),
        ("REPORT_RECIPIENTS", "owner@example.dev"),
        ("STAGE", "test"),
        // The fixture's week is 2025-W45, older than the default 90 days by now.
        ("RECORD_TTL_DAYS", "3650"),
    ];
    vars.extend(moto.client_env());
    let process = LambdaProcess::start(env!("CARGO_BIN_EXE_reporter"), &api, 256, &vars);
    let invocations = api
        .wait_for(2, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}\n{}", process.lines().join("\n")));
    for invocation in &invocations {
        assert!(
            matches!(invocation.completion, Completion::Response(_)),
            "{invocation:?}"
        );
    }
    let is_emf = |line: &String| line.contains("\"_aws\"");
    assert!(wait_for_output(&process, Duration::from_secs(5), |lines| {
        lines.iter().filter(|l| is_emf(l)).count() == 2
    }));
    let documents: Vec<serde_json::Value> = process
        .lines()
        .iter()
        .filter(|l| is_emf(l))
        .map(|l| local_aws::emf::validate_line(l).unwrap())
        .collect();
    // The second run finds the week sent from its marker and reads no records.
    for (document, (read, sent, already_sent)) in documents.iter().zip([(12, 1, 0), (0, 0, 1)]) {
        assert_eq!(document["Stage"], "test");
        assert_eq!(document["ReportRecordsRead"], read);
        assert_eq!(document["ReportUpToDate"], 1);
        assert_eq!(document["ReportsSent"], sent, "{document}");
        assert_eq!(document["ReportsSkippedAlreadySent"], already_sent);
        assert_eq!(document["ReportsSkippedInProgress"], 0);
        assert_eq!(document["ReportsSkippedEmptyWeek"], 0);
        assert_eq!(document["ReportDryRuns"], 0);
    }
    assert_eq!(moto.sent_emails().len(), 1);
}
