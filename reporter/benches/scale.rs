//! Reporter scaling: read, aggregate, find the content gaps of and render a week of 10k, 100k
//! and 1M synthetic requests, and count the records each report reads.
//!
//! `cargo bench -p reporter --bench scale` (or `make bench-reporter`). Each size runs in a
//! fresh child process, so that its peak resident memory (`VmHWM` from `/proc/self/status`)
//! belongs to that size alone. Records are generated on the fly by a streaming source, as the
//! DynamoDB source streams pages, so the figures are the reporter's own: what it keeps grows
//! with distinct questions and sessions, not with records.
//!
//! Records read per report, two ways: *without stored figures* (the first report of a stage,
//! and every report before weekly summaries were stored: last week is read in full for the
//! changes) and *with* them (last week's figures come from its marker, one small item).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark's output is its result

use std::process::Command;
use std::time::Instant;

use reporter::fakes::InMemoryLedger;
use reporter::{BuiltReport, build_report};
use reporter::{RecordSource, WeeksRead};
use shared_types::testing::{self, Answer};
use shared_types::{MatchType, RequestRecord, WeekId};

/// The records' lifetime the reports assume (the default `RECORD_TTL_DAYS`).
const TTL_DAYS: u32 = 90;
const SIZES: [u64; 3] = [10_000, 100_000, 1_000_000];

/// Deterministic synthetic requests: 2,000 common questions (Zipf-like popularity) plus a 5%
/// long tail of unique ones, 80% anonymous, 70% answered. Every question names its own
/// subjects (made-up words of a 4,000-word vocabulary, as many as a week of a CV chatbot could
/// hold), so that the grouping works on questions that differ, as real ones do: at 100,000
/// requests, more than 10,000 distinct questions get no useful answer.
struct SyntheticSource {
    week: WeekId,
    requests: u64,
    /// Records passed to the reporter so far.
    read: std::sync::atomic::AtomicU64,
}

/// A small, fast, seeded generator (SplitMix64): the same records on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn synthetic(week: WeekId, i: u64) -> RequestRecord {
    let r = mix(i);
    let start = week.start().timestamp_millis();
    let asked = start + i64::try_from(r % 604_800_000).unwrap();
    let question = if r.is_multiple_of(20) {
        format!(
            "have you worked with {} and {} on {}, case {i}?",
            word(r >> 8),
            word(r >> 20),
            word(r >> 32)
        )
    } else {
        // Popularity falls with the rank: rank = 2000 / (1 + k) for a uniform k.
        let rank = 2_000 / (1 + (r >> 8) % 2_000);
        format!("Do you have experience with {}?", word(rank))
    };
    let session = if r.is_multiple_of(5) {
        format!("s-{}", i / 3)
    } else {
        "anonymous".into()
    };
    let answer = (r % 10 < 7).then(|| {
        let tech = format!("Tech {}", (r >> 40) % 50);
        Answer {
            match_type: [MatchType::Full, MatchType::Partial, MatchType::None]
                [((r >> 24) % 3) as usize],
            score: u32::try_from((r >> 32) % 101).unwrap(),
            latency_ms: 500 + i64::try_from((r >> 16) % 5_000).unwrap(),
            sources: vec![tech, "Rust".into()],
        }
    });
    testing::record(
        &format!("req-{i}"),
        chrono::DateTime::from_timestamp_millis(asked).unwrap(),
        &question,
        &session,
        answer,
    )
}

/// One of 4,000 made-up words (`kalomi`): three syllables of twenty, the seed's choice.
fn word(seed: u64) -> String {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "tu", "re", "sa", "no", "vi", "de", "po", "zu", "fa", "ri", "be", "go",
        "xe", "ju", "wa", "ty", "qu",
    ];
    let n = mix(seed) % 4_000;
    (0..3)
        .map(|k| SYLLABLES[((n / 20u64.pow(k)) % 20) as usize])
        .collect()
}

impl SyntheticSource {
    /// The week before gets half as many requests, for the changes.
    fn requests_in(&self, week: WeekId) -> u64 {
        if week == self.week {
            self.requests
        } else {
            self.requests / 2
        }
    }
}

impl RecordSource for SyntheticSource {
    async fn read_weeks(
        &self,
        weeks: &[WeekId],
        counted: &[WeekId],
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<WeeksRead, reporter::ReporterError> {
        let mut read = WeeksRead::default();
        for week in weeks {
            let n = self.requests_in(*week);
            for i in 0..n {
                sink(synthetic(*week, i));
            }
            self.read.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            read.passed += n;
            read.counts.insert(*week, n);
        }
        for week in counted {
            read.counts.insert(*week, self.requests_in(*week));
        }
        Ok(read)
    }
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn run_one(requests: u64) {
    use reporter::ReportLedger;
    use std::sync::atomic::Ordering;
    let week: WeekId = "2025-W45".parse().unwrap();
    let source = SyntheticSource {
        week,
        requests,
        read: 0.into(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let baseline = peak_rss_kib();
    let generation = generation_seconds(&runtime, &source, week);
    // Without stored figures: last week is read in full for the changes.
    let ledger = InMemoryLedger::new();
    build_report_for(&runtime, &source, &ledger, week);
    let read_without = source.read.swap(0, Ordering::Relaxed);

    // With them: last week's report stored its figures in its marker.
    let last_week = build_report_for(&runtime, &source, &ledger, week.previous());
    runtime
        .block_on(ledger.mark_sent(week.previous(), week.start(), "m-1", &last_week, week.end()))
        .unwrap();
    source.read.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let BuiltReport {
        figures,
        rendered: report,
        summary,
        ..
    } = runtime
        .block_on(build_report(
            &source,
            &ledger,
            week,
            week.end(),
            shared_types::week::Tz::UTC,
            TTL_DAYS,
        ))
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let read_with = source.read.load(Ordering::Relaxed);
    assert_eq!(figures.records_read, requests);
    assert_eq!(read_without, requests + requests / 2);
    assert_eq!(read_with, requests);
    let without_useful_answer = figures.questions.values().filter(|s| s.gaps() > 0).count();
    // The grouping alone, again on the same week: the part that grows with distinct questions.
    let started = Instant::now();
    let found = reporter::gaps::find(&figures);
    let grouping = started.elapsed().as_secs_f64();
    assert!(!found.gaps.is_empty());
    println!(
        "{requests}\t{seconds:.3}\t{generation:.3}\t{}\t{baseline}\t{}\t{}\t{read_without}\t{read_with}\t{}\t{without_useful_answer}\t{grouping:.3}",
        peak_rss_kib(),
        figures.questions.len(),
        report.html.len(),
        summary.gaps.len()
    );
}

/// Generation alone, for the split: the same records of `week` into a sink that only counts
/// them; its seconds.
fn generation_seconds(
    runtime: &tokio::runtime::Runtime,
    source: &SyntheticSource,
    week: WeekId,
) -> f64 {
    let started = Instant::now();
    let mut generated = 0u64;
    runtime
        .block_on(source.read_weeks(&[week], &[], &mut |r| {
            generated += u64::from(r.has_query());
        }))
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(generated, source.requests);
    source.read.store(0, std::sync::atomic::Ordering::Relaxed);
    seconds
}

/// The figures a report of `week` would store.
fn build_report_for(
    runtime: &tokio::runtime::Runtime,
    source: &SyntheticSource,
    ledger: &InMemoryLedger,
    week: WeekId,
) -> shared_types::record::report_marker::WeekSummary {
    runtime
        .block_on(build_report(
            source,
            ledger,
            week,
            week.end(),
            shared_types::week::Tz::UTC,
            TTL_DAYS,
        ))
        .unwrap()
        .summary
}

fn main() {
    // `cargo bench` passes `--bench`; a child gets `--size N`.
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|a| a == "--size") {
        run_one(args[position + 1].parse().unwrap());
        return;
    }
    println!(
        "Reporter: read, aggregate, find the gaps of and render one week (the week before has half as many requests)"
    );
    println!(
        "| requests | records read without stored figures | records read with them | time (s) | of which generating records (s) | aggregate + gaps + render, ns per record | peak RSS (MiB) | above start (MiB) | distinct questions | of which without a useful answer | grouping them (s) | gaps stored | HTML bytes |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    for size in SIZES {
        let output = Command::new(&exe)
            .args(["--size", &size.to_string()])
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = line.trim().split('\t').collect();
        assert_eq!(
            fields.len(),
            12,
            "child output: {line} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let seconds: f64 = fields[1].parse().unwrap();
        let generation: f64 = fields[2].parse().unwrap();
        let peak: f64 = fields[3].parse().unwrap();
        let start: f64 = fields[4].parse().unwrap();
        let read: u64 = fields[8].parse().unwrap();
        println!(
            "| {size} | {} | {read} (+8 marker items) | {seconds:.3} | {generation:.3} | {:.0} | {:.1} | {:.1} | {} | {} | {} | {} | {} |",
            fields[7],
            (seconds - generation).max(0.0) * 1e9 / read as f64,
            peak / 1024.0,
            (peak - start) / 1024.0,
            fields[5],
            fields[10],
            fields[11],
            fields[9],
            fields[6]
        );
    }
}
