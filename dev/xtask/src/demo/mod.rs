//! `cargo xtask demo` (`make demo`): starts the local AWS emulator, runs the whole pipeline on a
//! seeded workload, writes the weekly email to `target/demo/` (with screenshots of it on a
//! desktop and on a phone, from headless Chromium), prints a summary, and stops the emulator by
//! PID (also on failure or Ctrl-C). `cargo xtask reliability` is the same pipeline with faults.
//!
//! - [`workload`]: a realistic, seeded workload over two ISO weeks, and what must come of it;
//! - [`pipeline`]: the production template deployed into moto, events through SQS, the
//!   processor's handler draining the queue, the reporter's scheduled run, results read back;
//! - [`queue`]: the event queue fed as the producer feeds it and drained as Lambda drains it;
//! - [`verdict`]: a fault run's findings against the model;
//! - [`fault_run`]: the fault run at full size.

pub(crate) mod fault_run;
pub(crate) mod pipeline;
mod queue;
pub(crate) mod verdict;
pub(crate) mod workload;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use local_aws::Moto;

use crate::screenshot;
use crate::settings::Settings;
use pipeline::{DemoOptions, DemoOutcome, run};

/// Where the demo writes the email and its screenshots.
pub(crate) const OUT: &str = "target/demo";

/// The demo, start to end.
pub async fn demo(settings: &Settings) -> anyhow::Result<()> {
    let out = PathBuf::from(OUT);
    let started = Instant::now();
    println!("Starting the local AWS emulator (moto) ...");
    let moto = Moto::start();
    println!("  moto listening on {} (PID {})", moto.endpoint, moto.pid());
    // The emulator is stopped when `moto` is dropped: at the end, on an error, or on Ctrl-C.
    let outcome = tokio::select! {
        outcome = run(&moto, DemoOptions::of(settings)) => outcome?,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted; the emulator is stopped"),
    };
    drop(moto);

    std::fs::create_dir_all(&out).with_context(|| out.display().to_string())?;
    let html = out.join("report.html");
    let text = out.join("report.txt");
    std::fs::write(&html, &outcome.email.html).with_context(|| html.display().to_string())?;
    std::fs::write(&text, &outcome.text).with_context(|| text.display().to_string())?;
    summarise(&outcome, settings.seed, &html, &text, started);
    for shot in screenshot::report_shots(&html, &out)? {
        println!("  screenshot: {}", shot.display());
    }
    Ok(())
}

fn summarise(outcome: &DemoOutcome, seed: u64, html: &Path, text: &Path, started: Instant) {
    let w = &outcome.workload;
    let answered = w.requests.iter().filter(|r| r.response.is_some()).count();
    let s = &outcome.summary;
    println!();
    println!(
        "Workload (SEED={seed}): {} questions over two weeks, {answered} answered;",
        w.requests.len()
    );
    println!(
        "  {} messages sent: {} duplicated deliveries, {} responses before their query, {} malformed",
        outcome.messages_sent,
        w.duplicates,
        w.responses_first,
        w.malformed.len()
    );
    println!(
        "Processor: {} deliveries in {} batches, {} retried; {} records stored; {} rejected to the dead-letter queue",
        outcome.deliveries,
        outcome.batches,
        outcome.redelivered,
        outcome.records.len(),
        outcome.dead_letters.len()
    );
    for (_, reason) in &outcome.dead_letters {
        println!("  rejected: {reason}");
    }
    println!(
        "Report {} ({:?}): {} asked, {} answered, {} unanswered; subject \"{}\" to {}",
        s.week,
        s.outcome,
        s.asked,
        s.answered,
        s.unanswered,
        outcome.email.subject,
        outcome.email.to.join(", ")
    );
    println!(
        "  email: {} ({} bytes) and {}",
        html.display(),
        outcome.email.html.len(),
        text.display()
    );
    println!(
        "Done in {:.1} s; the emulator is stopped.",
        started.elapsed().as_secs_f64()
    );
}
