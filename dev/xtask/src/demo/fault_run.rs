//! `cargo xtask reliability` (`make reliability`): the fault run at full size. The seeded
//! workload goes through SQS into the processor while a share of its DynamoDB calls fail (throttled, server errors, answers lost
//! after the write); failed messages are redelivered and SQS moves a message to the dead-letter
//! queue after 5 receives (the template's maxReceiveCount); after the outage the dead-letter queue is redriven. Then every record
//! must equal the model, nothing may be missing or counted twice, and only the malformed
//! messages may remain in the dead-letter queue. Exits non-zero when anything differs.
//!
//! Settings: `EVENTS` (at least this many messages, default 10000), `FAULT_RATE` (default 0.2),
//! `SDK_ATTEMPTS` (the SDK's attempts per call, default 1: SQS does all the retrying), `SEED`
//! (the settings of [`Settings`]).

use std::time::Instant;

use anyhow::Context as _;
use local_aws::Moto;
use local_aws::faults::FaultPlan;
use shared_types::WeekId;

use super::pipeline::{DemoOptions, DemoOutcome, FaultOptions, run};
use super::verdict::{Findings, verify};
use super::workload::{WorkloadSpec, generate};
use crate::settings::Settings;

/// The fault run; whether everything held.
pub async fn reliability(settings: &Settings) -> anyhow::Result<bool> {
    let (events, rate, attempts, seed) = (
        settings.events,
        settings.fault_rate,
        settings.sdk_attempts,
        settings.seed,
    );
    let week: WeekId = settings.week;
    let workload = WorkloadSpec {
        seed,
        questions: questions_for(events, seed, week),
        week,
        malformed: 6,
        zone: shared_types::week::Tz::UTC,
    };
    let started = Instant::now();
    let moto = Moto::start();
    let options = DemoOptions {
        workload,
        faults: Some(FaultOptions {
            plan: FaultPlan { rate, seed },
            sdk_max_attempts: attempts,
        }),
        ..DemoOptions::of(settings)
    };
    let outcome = tokio::select! {
        outcome = run(&moto, options) => outcome?,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted; the emulator is stopped"),
    };
    drop(moto);
    let findings = verify(&outcome, week);
    print_findings(settings, &findings, &outcome, started)?;
    Ok(findings.holds())
}

/// The fewest questions whose workload has at least `events` messages.
fn questions_for(events: usize, seed: u64, week: WeekId) -> usize {
    let messages = |questions| {
        generate(WorkloadSpec {
            seed,
            questions,
            week,
            malformed: 6,
            zone: shared_types::week::Tz::UTC,
        })
        .messages
        .len()
    };
    let per_question = messages(1_000) as f64 / 1_000.0;
    let mut questions = (events as f64 / per_question).ceil() as usize;
    while messages(questions) < events {
        questions += questions / 100 + 1;
    }
    questions
}

/// What the fault run did and found, and its verdict.
fn print_findings(
    settings: &Settings,
    findings: &Findings,
    outcome: &DemoOutcome,
    started: Instant,
) -> anyhow::Result<()> {
    let (rate, attempts, seed, week) = (
        settings.fault_rate,
        settings.sdk_attempts,
        settings.seed,
        settings.week,
    );
    let faults = outcome
        .faults
        .as_ref()
        .context("the run reported no fault figures")?;
    let injected = faults.injected;
    println!();
    println!(
        "Fault run: {} events ({} requests), FAULT_RATE={rate}, SDK_ATTEMPTS={attempts}, SEED={seed}",
        findings.events, findings.requests
    );
    println!(
        "  DynamoDB requests from the processor: {}; failed by injection: {} ({:.1}%): {} throttled, {} server errors, {} answers lost after the write",
        injected.requests,
        injected.faults(),
        100.0 * injected.faults() as f64 / injected.requests.max(1) as f64,
        injected.throttled,
        injected.server_errors,
        injected.lost_answers
    );
    println!(
        "  messages retried by SQS: {}; dead-lettered by SQS after 5 receives: {}; redriven after the outage: {}",
        faults.retried, faults.dead_lettered_by_sqs, faults.redriven
    );
    println!(
        "  deliveries: {} in {} batches",
        outcome.deliveries, outcome.batches
    );
    println!(
        "  records: {} missing, {} extra, {} different from the model; dead-letter queue: {} messages, {} not the malformed ones",
        findings.missing,
        findings.extra,
        findings.different,
        outcome.dead_letters.len(),
        findings.dead_letter_mismatches
    );
    println!(
        "  week {week}: {} requests modelled, {} read by the reporter",
        findings.week_modelled, findings.week_reported
    );
    println!(
        "{} in {:.0} s",
        if findings.holds() { "PASS" } else { "FAIL" },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
