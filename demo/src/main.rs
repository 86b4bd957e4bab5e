//! `make demo`: starts the local AWS emulator, runs the whole pipeline on a seeded workload,
//! writes the weekly email to `target/demo/`, prints a summary, and stops the emulator by PID
//! (also on failure or Ctrl-C).
//!
//! Settings: `SEED` (default 42), `QUESTIONS` (default 2000), `WEEK` (the reported week,
//! default 2025-W46), `OUT` (default target/demo).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program: printing is its job

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use demo::pipeline::{DemoOptions, DemoOutcome, run};
use demo::workload::WorkloadSpec;
use local_aws::Moto;
use local_aws::setting;
use shared_types::WeekId;
use shared_types::record::WeekLookup;

#[tokio::main]
async fn main() -> ExitCode {
    match main_inner().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("demo failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn main_inner() -> Result<(), String> {
    let seed = setting("SEED", 42u64)?;
    let questions = setting("QUESTIONS", 2_000usize)?;
    let week: WeekId = setting(
        "WEEK",
        "2025-W46".parse::<WeekId>().map_err(|e| e.to_string())?,
    )?;
    let out = PathBuf::from(setting("OUT", "target/demo".to_owned())?);
    let started = Instant::now();

    println!("Starting the local AWS emulator (moto) ...");
    let moto = Moto::start();
    println!("  moto listening on {} (PID {})", moto.endpoint, moto.pid());
    let options = DemoOptions {
        week_lookup: setting("WEEK_LOOKUP", WeekLookup::default())?,
        workload: WorkloadSpec {
            seed,
            questions,
            week,
            malformed: 6,
        },
        progress: true,
        faults: None,
    };
    // The emulator is stopped when `moto` is dropped: at the end, on an error, or on Ctrl-C.
    let outcome = tokio::select! {
        outcome = run(&moto, options) => outcome.map_err(|e| e.to_string())?,
        _ = tokio::signal::ctrl_c() => return Err("interrupted; the emulator is stopped".into()),
    };
    drop(moto);

    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let html = out.join("report.html");
    let text = out.join("report.txt");
    std::fs::write(&html, &outcome.email.html).map_err(|e| format!("{}: {e}", html.display()))?;
    std::fs::write(&text, &outcome.text).map_err(|e| format!("{}: {e}", text.display()))?;
    summarise(&outcome, seed, &html, &text, started);
    Ok(())
}

fn summarise(
    outcome: &DemoOutcome,
    seed: u64,
    html: &std::path::Path,
    text: &std::path::Path,
    started: Instant,
) {
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
