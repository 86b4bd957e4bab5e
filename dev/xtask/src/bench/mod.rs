//! `cargo xtask bench` (`make bench`): the figures that show the pipeline is fast and cheap,
//! measured here and written to `BENCHMARKS.md` (and its one-screen summary printed). `make
//! bench` builds what it needs first: the zipped arm64 bootstraps (`cargo lambda build --release
//! --arm64 --output-format zip`), the x86_64 release binaries it runs, the cold-start probe, and
//! the reporter's scaling figures.
//!
//! - [`requests`]: the demo workload through the processor (and the old design replayed), and
//!   a report's read;
//! - [`coldstart`]: release binaries under a Lambda Runtime API on loopback;
//! - [`lambda_like`]: the CPU share of a memory size and TLS in front of the emulator;
//! - [`cost`]: cost per million requests from those figures and published prices;
//! - [`ceiling`]: the ingest ceiling, simulated from the measured figures;
//! - [`figures`], [`document`] and [`summary`]: what was measured, the document written from it
//!   and its one-screen summary.
//!
//! Settings ([`Settings`]): the deployed memory sizes and the reporter's timeout,
//! `BENCH_TRIALS` (cold starts per function and setting, default 7), `QUESTIONS` (the demo
//! workload, default 2000); `BENCH_ONLY=cold` (only the cold starts, printed, nothing written;
//! `probe`: only where the time goes); `OUT` (default BENCHMARKS.md).

mod ceiling;
mod coldstart;
mod cost;
mod document;
mod figures;
mod lambda_like;
mod requests;
mod stats;
mod summary;

use std::path::Path;

use anyhow::Context as _;
use local_aws::DynamoDbLocal;
use local_aws::create_table;
use local_aws::wire::WireCounter;
use shared_types::WeekId;
use shared_types::record::WeekLookup;

use crate::demo::workload::{WorkloadSpec, generate};
use crate::settings::Settings;
use figures::{Deployed, Figures};
use requests::{Arrangement, ReportRead, new_design, old_design, report_read, seed_weeks};

/// Lambda's limit on a zipped deployment package.
const LAMBDA_ZIP_LIMIT_MIB: f64 = 50.0;
/// The old design's published figures (docs/costs.md).
const OLD_MEMORY_MB: f64 = 512.0;
const NODE_HELLO_WORLD_COLD_MS: f64 = 130.5;
const RUST_HELLO_WORLD_COLD_MS: f64 = 13.8;
/// Requests a week in the table the report reads are measured on (the demo's rate).
const SEEDED_PER_WEEK: i64 = 1_000;
/// Weeks of records the default RECORD_TTL_DAYS (90) keeps, and a shorter history.
const WEEKS_HELD: [usize; 2] = [4, 13];
/// The ingest rate the week-key ceiling must stay above.
const CEILING_GOAL: f64 = 10_000.0;

/// What the demo workload costs on the wire in each design and layout, and a report's reads.
async fn on_the_wire(
    settings: &Settings,
) -> anyhow::Result<(Vec<Arrangement>, Arrangement, Vec<ReportRead>)> {
    eprintln!(
        "DynamoDB requests and units on the wire ({} questions) ...",
        settings.questions
    );
    let dynamodb_local = DynamoDbLocal::start();
    let counter = WireCounter::default();
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&dynamodb_local.sdk_config().await)
            .interceptor(counter.clone())
            .build(),
    );
    let workload = generate(WorkloadSpec {
        seed: settings.seed,
        questions: settings.questions,
        week: settings.week,
        malformed: 6,
        zone: shared_types::week::Tz::UTC,
    });
    let mut arrangements = Vec::new();
    for lookup in WeekLookup::ALL {
        arrangements.extend(new_design(&dynamodb, &counter, &workload, lookup).await?);
    }
    let old = old_design(&dynamodb, &counter, &workload).await?;

    eprintln!("a report's read on each layout, with {WEEKS_HELD:?} weeks held ...");
    let reads = report_reads(&dynamodb, &counter).await?;
    Ok((arrangements, old, reads))
}

/// Measures everything, writes the document and prints its summary.
pub async fn bench(settings: &Settings) -> anyhow::Result<()> {
    let trials = settings.bench_trials;
    let out = std::env::var("OUT").unwrap_or_else(|_| "BENCHMARKS.md".to_owned());
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let deployed = Deployed {
        processor_memory_mb: settings.processor_memory_mb,
        reporter_memory_mb: settings.reporter_memory_mb,
        reporter_timeout_s: settings.reporter_timeout_s,
        processor_max_concurrency: settings.processor_max_concurrency,
    };

    eprintln!("cold starts ({trials} trials per function and setting) ...");
    let cold = coldstart::cold_starts(trials, only == "probe", deployed).await?;
    if only == "cold" || only == "probe" {
        println!("{}", document::cold_section(&cold, trials));
        return Ok(());
    }
    eprintln!("sizes ...");
    let sizes: Vec<(&str, u64)> = ["minimal-lambda", "processor", "reporter"]
        .into_iter()
        .map(|n| zipped_size(n).map(|s| (n, s)))
        .collect::<anyhow::Result<_>>()?;

    let (arrangements, old, reads) = on_the_wire(settings).await?;
    let scaling = std::fs::read_to_string("target/bench/reporter-scale.txt")
        .context("target/bench/reporter-scale.txt (make bench writes it)")?;

    let figures = Figures {
        trials,
        deployed,
        sizes,
        cold,
        arrangements,
        old,
        reads,
        scaling,
    };
    let summary = summary::summary(&figures);
    let text = document::document(&figures, &summary);
    std::fs::write(&out, &text).with_context(|| out.clone())?;
    println!("{summary}");
    eprintln!("written to {out}");
    Ok(())
}

fn zipped_size(name: &str) -> anyhow::Result<u64> {
    let path = format!("target/lambda/{name}/bootstrap.zip");
    std::fs::metadata(&path)
        .map(|m| m.len())
        .with_context(|| format!("{path} (make bench builds it)"))
}

pub(crate) fn release_binary(name: &str) -> anyhow::Result<String> {
    let path = format!("target/release/{name}");
    if Path::new(&path).is_file() {
        Ok(path)
    } else {
        Err(anyhow::anyhow!("{path} is missing (make bench builds it)"))
    }
}

/// The week reported on (the last week seeded) and the layouts' reads of it, with 4 and then
/// 13 weeks of records held.
async fn report_reads(
    dynamodb: &aws_sdk_dynamodb::Client,
    counter: &WireCounter,
) -> anyhow::Result<Vec<ReportRead>> {
    let table = "reads";
    create_table(dynamodb, table, WeekLookup::Index).await;
    let last: WeekId = "2025-W46".parse()?;
    let all: Vec<WeekId> = std::iter::successors(Some(last), |w| Some(w.previous()))
        .take(WEEKS_HELD[1])
        .collect();
    let mut reads = Vec::new();
    let mut seeded = 0;
    for held in WEEKS_HELD {
        seed_weeks(dynamodb, table, &all[seeded..held], SEEDED_PER_WEEK).await?;
        seeded = held;
        for lookup in WeekLookup::ALL {
            reads.push(report_read(dynamodb, counter, table, last, held, lookup).await?);
        }
    }
    Ok(reads)
}
