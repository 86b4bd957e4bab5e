//! The maintainer command's backfill against the reporter as deployed: the real `reporter`
//! binary, run the way Lambda runs it (the loopback Runtime API), invoked through the Lambda
//! `Invoke` API that `cv-analytics backfill` calls, with the project's stack deployed into moto.
//! One code path and one configuration: the function's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use local_aws::runtime_api::{LambdaProcess, RuntimeApi};
use local_aws::{Moto, create_email_identity, deploy_stack};
use ops::{Operations, OpsError};
use processor::DynamoRecordStore;
use processor::RecordStore;
use shared_types::record::WeekLookup;
use shared_types::report::Outcome;
use shared_types::{AnalyticsEvent, RequestRecord, WeekId};

const SENDER: &str = "reports@example.dev";

fn record(id: &str, at: DateTime<Utc>) -> RequestRecord {
    let body = format!(
        r#"{{"eventType":"query","requestId":"{id}","timestamp":{},"sessionId":"s","query":"Do you know Rust?","metadata":{{}}}}"#,
        at.timestamp_millis()
    );
    let AnalyticsEvent::Query(q) = AnalyticsEvent::parse(&body, at).unwrap() else {
        unreachable!()
    };
    RequestRecord::from_events(Some(&q), None, 90).unwrap()
}

/// The stage deployed into moto, its reporter function running behind a local Lambda API.
struct Deployed {
    moto: Moto,
    ops: Operations,
    _api: RuntimeApi,
    function: LambdaProcess,
}

async fn deployed(ttl_days: &str) -> Deployed {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    deploy_stack(
        &aws_sdk_cloudformation::Client::new(&sdk),
        "dev",
        SENDER,
        180,
        WeekLookup::default(),
    )
    .await
    .unwrap();
    create_email_identity(&aws_sdk_sesv2::Client::new(&sdk), SENDER).await;
    let mut ops = Operations::connect(&sdk, "dev").await.unwrap();

    // The function as `make deploy` configures it (REPORTER_TIMEOUT 120 s).
    let api = RuntimeApi::with_timeout(Duration::from_secs(120));
    let table = ops.stack.output("TableName").unwrap().to_owned();
    let mut vars = vec![
        ("TABLE_NAME", table.as_str()),
        ("REPORT_SENDER", SENDER),
        ("REPORT_RECIPIENTS", "owner@example.dev"),
        ("STAGE", "dev"),
        ("RECORD_TTL_DAYS", ttl_days),
    ];
    vars.extend(moto.client_env());
    let function = LambdaProcess::start(
        &local_aws::runtime_api::workspace_binary("reporter", "reporter")
            .display()
            .to_string(),
        &api,
        256,
        &vars,
    );
    ops.lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&sdk)
            .endpoint_url(api.invoke_endpoint())
            .build(),
    );
    Deployed {
        moto,
        ops,
        _api: api,
        function,
    }
}

#[tokio::test]
async fn backfill_invokes_the_deployed_reporter_once_per_week_and_a_second_run_sends_none() {
    // The weeks are of 2025: the function is deployed with a lifetime that still holds them.
    let stage = deployed("3650").await;
    let weeks: Vec<WeekId> = ["2025-W40", "2025-W41", "2025-W42"]
        .iter()
        .map(|w| w.parse().unwrap())
        .collect();
    let store = DynamoRecordStore::new(
        stage.ops.dynamodb.clone(),
        stage.ops.stack.output("TableName").unwrap(),
    );
    for (i, week) in weeks.iter().enumerate() {
        for j in 0..=i {
            let at = week.start() + chrono::Duration::hours(9);
            store
                .merge(&record(&format!("w{i}-{j}"), at))
                .await
                .unwrap();
        }
    }

    let mut seen = Vec::new();
    let first = stage
        .ops
        .backfill(&weeks, false, false, |s| seen.push(s.week.clone()))
        .await
        .unwrap();
    let outcomes: Vec<_> = first
        .0
        .iter()
        .map(|s| (s.outcome, s.records_read))
        .collect();
    assert_eq!(
        outcomes,
        [(Outcome::Sent, 1), (Outcome::Sent, 2), (Outcome::Sent, 3)]
    );
    assert_eq!(seen, ["2025-W40", "2025-W41", "2025-W42"]);
    let emails = stage.moto.sent_emails();
    assert_eq!(emails.len(), 3);
    // The function's own recipients, not the command's.
    assert_eq!(
        emails[0]["destinations"]["ToAddresses"],
        serde_json::json!(["owner@example.dev"])
    );

    let second = stage
        .ops
        .backfill(&weeks, false, false, |_| ())
        .await
        .unwrap();
    assert!(second.0.iter().all(|s| s.outcome == Outcome::AlreadySent));
    assert_eq!(stage.moto.sent_emails().len(), 3);

    // The function wrote its metrics for each invocation: the backfill clears the alarm.
    let sent: Vec<i64> = stage
        .function
        .lines()
        .iter()
        .filter(|l| l.contains("\"_aws\""))
        .map(|l| {
            local_aws::emf::validate_line(l).unwrap()["ReportsSent"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(sent, [1, 1, 1, 0, 0, 0]);
}

#[tokio::test]
async fn a_week_past_the_records_lifetime_is_refused_by_the_function() {
    // Deployed with the default lifetime of 90 days: 2025-W40 expired long ago.
    let stage = deployed("90").await;
    let week: WeekId = "2025-W40".parse().unwrap();
    let error = stage
        .ops
        .backfill(&[week], false, false, |_| ())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, OpsError::ReporterFailed { week, message, .. }
            if week == "2025-W40" && message.contains("2025-W40 cannot be reported: its first records expired on 2025-12-28")),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("the reporter (cv-analytics-dev-reporter) failed on 2025-W40")
    );
    assert!(stage.moto.sent_emails().is_empty());
}
