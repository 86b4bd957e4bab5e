//! Runs a command against a fresh local stack: starts moto, deploys the project's
//! `infrastructure/stack.yaml` into it, verifies the report sender in SES, runs the command with
//! the functions' settings and the emulator's endpoint in its environment, and stops the
//! emulator by PID when the command ends (or fails, or is interrupted).
//!
//! `cargo xtask local-stack -- cargo lambda watch -p processor`

use shared_types::stage::output;
use std::process::ExitCode;

use anyhow::Context as _;
use local_aws::{Moto, create_email_identity};
use shared_types::record::WeekLookup;

use crate::demo::pipeline::{RECIPIENT, SENDER, deploy_stack};
use crate::settings::Settings;

/// Runs `command` against a fresh local stack; its exit status.
pub async fn local_stack(command: &[String], settings: &Settings) -> anyhow::Result<ExitCode> {
    let (program, args) = command
        .split_first()
        .context("usage: cargo xtask local-stack <command> [args...]")?;
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let outputs = deploy_stack(
        &aws_sdk_cloudformation::Client::new(&sdk),
        WeekLookup::default(),
        settings.processor_timeout_s,
    )
    .await?;
    create_email_identity(&aws_sdk_sesv2::Client::new(&sdk), SENDER).await;
    let get = |key: &str| outputs.get(key).cloned().unwrap_or_default();
    println!(
        "local stack on {} (moto PID {}): table {}, queue {}",
        moto.endpoint,
        moto.pid(),
        get(output::TABLE_NAME),
        get(output::QUEUE_URL)
    );

    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(moto.client_env())
        .env("TABLE_NAME", get(output::TABLE_NAME))
        .env("DEAD_LETTER_QUEUE_URL", get(output::DEAD_LETTER_QUEUE_URL))
        .env("QUEUE_URL", get(output::QUEUE_URL))
        .env("PRODUCER_POLICY_ARN", get(output::PRODUCER_POLICY_ARN))
        .env("REPORT_SENDER", SENDER)
        .env("REPORT_RECIPIENTS", RECIPIENT)
        .env("STAGE", "dev")
        // The fixtures' week is 2025-W45: the reporter would refuse it as expired by now.
        .env("RECORD_TTL_DAYS", "3650")
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    let status = tokio::select! {
        status = child.wait() => status.ok(),
        _ = tokio::signal::ctrl_c() => None,
    };
    drop(child);
    drop(moto);
    Ok(match status {
        Some(s) if s.success() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}
