//! `cargo xtask sqs-trigger QUEUE_URL BINARY [NAME=VALUE ...]`: Lambda's SQS trigger on this machine. Starts
//! the function's binary against a loopback Runtime API with the given variables, then hands it
//! each batch received from the queue (up to 10, long-polled) and deletes what it did not report
//! as failed, until it is stopped (stop its process group: the function is its child). The SQS
//! client takes its endpoint and credentials from the environment, like the AWS CLI.

use anyhow::Context as _;
use std::time::Duration;

use local_aws::runtime_api::{LambdaProcess, RuntimeApi};
use local_aws::trigger::pass;

/// Plays the trigger of `queue_url` for `binary` with the function's variables `vars`
/// (`NAME=VALUE`), until stopped.
pub async fn sqs_trigger(queue_url: &str, binary: &str, vars: &[String]) -> anyhow::Result<()> {
    let vars: Vec<(&str, &str)> = vars
        .iter()
        .map(|v| {
            v.split_once('=')
                .with_context(|| format!("{v:?} is not NAME=VALUE"))
        })
        .collect::<anyhow::Result<_>>()?;
    let api = RuntimeApi::with_timeout(Duration::from_secs(30));
    let function = LambdaProcess::start(binary, &api, 128, &vars);
    let mut shown = 0;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    eprintln!("sqs-trigger: {binary} <- {queue_url}");
    loop {
        match pass(&sqs, queue_url, &api, 1).await {
            Ok(done) if done.received > 0 => eprintln!(
                "sqs-trigger: {} received, {} deleted{}",
                done.received,
                done.deleted,
                if done.failed_invocation {
                    " (the invocation failed: all left for redelivery)"
                } else {
                    ""
                }
            ),
            Ok(_) => {}
            Err(e) => {
                eprintln!("sqs-trigger: {e:#}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        // The function's own log, as CloudWatch would show it.
        let lines = function.lines();
        for line in lines.iter().skip(shown) {
            eprintln!("{line}");
        }
        shown = lines.len();
    }
}
