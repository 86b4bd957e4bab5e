//! Runs a command against a fresh local stack: starts moto, deploys the project's
//! `infrastructure/stack.yaml` into it, verifies the report sender in SES, runs the command with
//! the functions' settings and the emulator's endpoint in its environment, and stops the
//! emulator by PID when the command ends (or fails, or is interrupted).
//!
//! `cargo run -p demo --bin with-local-stack -- cargo lambda watch -p processor`
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program: printing is its job

use std::process::ExitCode;

use demo::pipeline::{RECIPIENT, SENDER, deploy_stack};
use local_aws::{Moto, create_email_identity};
use shared_types::record::WeekLookup;

#[tokio::main]
async fn main() -> ExitCode {
    let command: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, args)) = command.split_first() else {
        eprintln!("usage: with-local-stack <command> [args...]");
        return ExitCode::from(2);
    };
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let outputs = match deploy_stack(
        &aws_sdk_cloudformation::Client::new(&sdk),
        WeekLookup::default(),
    )
    .await
    {
        Ok(outputs) => outputs,
        Err(e) => {
            eprintln!("with-local-stack: {e}");
            return ExitCode::FAILURE;
        }
    };
    create_email_identity(&aws_sdk_sesv2::Client::new(&sdk), SENDER).await;
    let get = |key: &str| outputs.get(key).cloned().unwrap_or_default();
    println!(
        "local stack on {} (moto PID {}): table {}, queue {}",
        moto.endpoint,
        moto.pid(),
        get("TableName"),
        get("QueueUrl")
    );

    let mut child = match tokio::process::Command::new(program)
        .args(args)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("TABLE_NAME", get("TableName"))
        .env("DEAD_LETTER_QUEUE_URL", get("DeadLetterQueueUrl"))
        .env("QUEUE_URL", get("QueueUrl"))
        .env("REPORT_SENDER", SENDER)
        .env("REPORT_RECIPIENTS", RECIPIENT)
        .env("STAGE", "dev")
        // The fixtures' week is 2025-W45: the reporter would refuse it as expired by now.
        .env("RECORD_TTL_DAYS", "3650")
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("with-local-stack: cannot run {program}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let status = tokio::select! {
        status = child.wait() => status.ok(),
        _ = tokio::signal::ctrl_c() => None,
    };
    drop(child);
    drop(moto);
    match status {
        Some(s) if s.success() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
