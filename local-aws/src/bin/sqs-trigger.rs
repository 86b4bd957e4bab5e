//! `sqs-trigger QUEUE_URL BINARY [NAME=VALUE ...]`: Lambda's SQS trigger on this machine. Starts
//! the function's binary against a loopback Runtime API with the given variables, then hands it
//! each batch received from the queue (up to 10, long-polled) and deletes what it did not report
//! as failed, until it is stopped (stop its process group: the function is its child). The SQS
//! client takes its endpoint and credentials from the environment, like the AWS CLI.
#![allow(clippy::print_stderr)] // a command-line program: its log is its job

use std::process::ExitCode;
use std::time::Duration;

use local_aws::runtime_api::{LambdaProcess, RuntimeApi};
use local_aws::trigger::pass;

const USAGE: &str = "usage: sqs-trigger QUEUE_URL BINARY [NAME=VALUE ...]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(queue_url), Some(binary)) = (args.next(), args.next()) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut vars = Vec::new();
    for arg in args {
        match arg.split_once('=') {
            Some((name, value)) => vars.push((name.to_owned(), value.to_owned())),
            None => {
                eprintln!("{arg:?} is not NAME=VALUE\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();

    let api = RuntimeApi::with_timeout(Duration::from_secs(30));
    let function = LambdaProcess::start(&binary, &api, 128, &vars);
    let mut shown = 0;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    eprintln!("sqs-trigger: {binary} <- {queue_url}");
    loop {
        match pass(&sqs, &queue_url, &api, 1).await {
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
                eprintln!("sqs-trigger: {e}");
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
