//! The built processor binary run as Lambda runs it: started against a Runtime API on loopback
//! (`local_aws::runtime_api`) with moto behind the SDK, given `events/with-poison.json`. Its
//! answer names no failed message, and its log holds one Embedded Metric Format line, valid
//! against the format's schema, with the batch's counts under `CvAnalytics` and `Stage`.

use std::time::Duration;

use local_aws::runtime_api::{Completion, LambdaProcess, RuntimeApi, wait_for_output};
use local_aws::{Moto, create_fifo_queue, create_table};
use shared_types::record::WeekLookup;

/// moto with the processor's table `records` and its dead-letter queue (URL returned).
async fn stage() -> (Moto, String) {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    create_table(
        &aws_sdk_dynamodb::Client::new(&sdk),
        "records",
        WeekLookup::default(),
    )
    .await;
    let dlq = create_fifo_queue(&aws_sdk_sqs::Client::new(&sdk), "dlq.fifo").await;
    (moto, dlq)
}

#[tokio::test]
async fn a_batch_writes_one_valid_emf_line_with_its_counts() {
    let (moto, dlq) = stage().await;

    let api = RuntimeApi::start();
    let fixture = format!("{}/events/with-poison.json", env!("CARGO_MANIFEST_DIR"));
    api.push(std::fs::read_to_string(fixture).unwrap());
    let mut vars = vec![
        ("TABLE_NAME", "records"),
        ("DEAD_LETTER_QUEUE_URL", dlq.as_str()),
        ("STAGE", "test"),
    ];
    vars.extend(moto.client_env());
    let process = LambdaProcess::start(env!("CARGO_BIN_EXE_processor"), &api, 128, &vars);
    let invocations = api
        .wait_for(1, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}\n{}", process.lines().join("\n")));
    let Completion::Response(answer) = &invocations[0].completion else {
        panic!("{:?}", invocations[0]);
    };
    let answer: serde_json::Value = serde_json::from_str(answer).unwrap();
    assert_eq!(answer["batchItemFailures"], serde_json::json!([]));

    let is_emf = |line: &String| line.contains("\"_aws\"");
    assert!(wait_for_output(&process, Duration::from_secs(5), |lines| {
        lines.iter().any(is_emf)
    }));
    let lines: Vec<String> = process.lines().into_iter().filter(is_emf).collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let document = local_aws::emf::validate_line(&lines[0]).unwrap();
    assert_eq!(
        document["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "CvAnalytics"
    );
    assert_eq!(document["Stage"], "test");
    // Five messages: a query and its response (one write), and three poison messages.
    assert_eq!(document["EventsReceived"], 5);
    assert_eq!(document["RequestsStored"], 1);
    assert_eq!(document["MergedInBatch"], 1);
    assert_eq!(document["RejectedToDeadLetterQueue"], 3);
    assert_eq!(document["Retried"], 0);
}

/// The binary over TLS, as on Lambda: the SDK's client on `ring` (`lambda_support::sdk`) trusts
/// the roots `SSL_CERT_FILE` names (the system's and a test CA), and keeps its connections: a
/// second batch opens none. Needs `openssl`, which makes the test CA.
#[tokio::test]
async fn batches_over_tls_trust_the_system_roots_and_keep_their_connections() {
    use local_aws::tls::{TestCa, TlsFront};

    let (moto, dlq) = stage().await;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("tls-processor");
    let ca = TestCa::create(&dir).unwrap();
    let (bundle, roots) = ca.bundle_with_system_roots().unwrap();
    assert!(roots > 50, "{roots} system roots");
    let front = TlsFront::start(&ca, &moto.endpoint).unwrap();

    let api = RuntimeApi::start();
    let fixture = format!(
        "{}/events/query-and-response.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let batch = std::fs::read_to_string(fixture).unwrap();
    api.push(batch.clone());
    let bundle = bundle.display().to_string();
    let vars = [
        ("TABLE_NAME", "records"),
        ("DEAD_LETTER_QUEUE_URL", dlq.as_str()),
        ("STAGE", "test"),
        ("AWS_ENDPOINT_URL", front.endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("SSL_CERT_FILE", bundle.as_str()),
        // The SDK's attempts and the client's connections, for a failure's message.
        (
            "RUST_LOG",
            "info,aws_smithy_runtime::client::orchestrator=debug,aws_smithy_runtime::client::retries=debug,hyper_util::client=debug",
        ),
    ];
    let process = LambdaProcess::start(env!("CARGO_BIN_EXE_processor"), &api, 128, &vars);
    let first = api
        .wait_for(1, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}\n{}", process.lines().join("\n")));
    assert!(
        matches!(&first[0].completion, Completion::Response(r) if r.contains("\"batchItemFailures\":[]")),
        "{:?}\n{}",
        first[0],
        process.lines().join("\n")
    );
    let handshakes = front.handshakes();
    assert_eq!(
        handshakes,
        1,
        "one write, one connection; the processor said:\n{}",
        process.lines().join("\n")
    );
    api.push(batch);
    let both = api.wait_for(2, Duration::from_secs(60)).unwrap();
    assert!(matches!(both[1].completion, Completion::Response(_)));
    assert_eq!(
        front.handshakes(),
        handshakes,
        "the second batch reused the connection"
    );
}
