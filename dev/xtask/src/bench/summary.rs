//! The one-screen summary of `BENCHMARKS.md`: each figure against its goal.

use std::fmt::Write as _;

use shared_types::record::WeekLookup;

use super::ceiling::REGIONS;
use super::cost::per_million;
use super::figures::{
    Figures, cheapest_memory, dollars, inputs, label, million_row, old_inputs, pipeline,
};
use super::{CEILING_GOAL, LAMBDA_ZIP_LIMIT_MIB, WEEKS_HELD};

pub(crate) fn summary(f: &Figures) -> String {
    let mut s = String::from("| figure | measured | goal |\n|---|---:|---|\n");
    let rows = [first_batch_row(f)]
        .into_iter()
        .chain(write_rows(f))
        .chain(read_cost_row(f))
        .chain(cost_rows(f))
        .chain(reporter_row(f))
        .chain([zip_row(f)]);
    for Row(figure, measured, goal) in rows {
        let _ = writeln!(s, "| {figure} | {measured} | {goal} |");
    }
    s
}

/// One row of the summary: the figure, what was measured, the goal.
struct Row(&'static str, String, String);

/// The processor's first batch in the deployed memory's CPU share, over TLS and HTTP.
fn first_batch_row(f: &Figures) -> Row {
    let memory = f.deployed.processor_memory_mb;
    let figure = "processor's first batch of 10, deployed memory's share, TLS";
    match (
        f.cold.processor(&label(memory, true, false)),
        f.cold.processor(&label(memory, true, true)),
    ) {
        (Some(http), Some(tls)) => Row(
            figure,
            format!("{:.0} ms", tls.first()),
            format!(
                "close to the same share over HTTP: {:.0} ms ({:.1}x)",
                http.first(),
                tls.first() / http.first()
            ),
        ),
        _ => Row(
            figure,
            "not measured".into(),
            "needs a CPU share (root, cgroup v1)".into(),
        ),
    }
}

/// Write units per request with the halves in one batch and apart, and the ingest ceiling.
fn write_rows(f: &Figures) -> [Row; 3] {
    let same = f.arrangement(WeekLookup::Scan, 0);
    let apart = f.arrangement(WeekLookup::Scan, 1);
    let (binding, ceiling) = pipeline(f, WeekLookup::Scan, REGIONS[0]).ceiling();
    [
        Row(
            "WRU per request, halves in one batch (scan, the default)",
            format!("{:.2}", same.wru_per_request()),
            "<= 1.15".into(),
        ),
        Row(
            "WRU per request, halves apart (scan, the default)",
            format!("{:.2}", apart.wru_per_request()),
            "<= 2.0".into(),
        ),
        Row(
            "ingest ceiling as deployed (scan, us-east-1)",
            format!("{ceiling:.0} req/s ({binding})"),
            format!(">= {CEILING_GOAL:.0} req/s"),
        ),
    ]
}

/// What finding a request again costs a report, by scan and by index, 13 weeks held.
fn read_cost_row(f: &Figures) -> Option<Row> {
    let held = |lookup| {
        f.reads
            .iter()
            .find(|r| r.lookup == lookup && r.weeks_held == WEEKS_HELD[1])
    };
    let (scan, index) = (held(WeekLookup::Scan)?, held(WeekLookup::Index)?);
    let index_wru = f.arrangement(WeekLookup::Index, 1).wru_per_request()
        - f.arrangement(WeekLookup::Scan, 1).wru_per_request();
    Some(Row(
        "DynamoDB per request, finding it again (13 weeks held)",
        format!(
            "scan {} vs index {}",
            dollars(scan.rru_per_request() * super::cost::DYNAMODB_PER_MILLION_RRU),
            dollars(
                index.rru_per_request() * super::cost::DYNAMODB_PER_MILLION_RRU
                    + index_wru * super::cost::DYNAMODB_PER_MILLION_WRU
            )
        ),
        "the default is the cheaper (per million requests)".into(),
    ))
}

/// The cheapest processor memory, and the cost per million requests against the old design.
fn cost_rows(f: &Figures) -> [Row; 2] {
    let deployed = f.deployed;
    let (cheapest, cost) = cheapest_memory(f);
    let total = per_million(inputs(
        f,
        f.arrangement(WeekLookup::Scan, 0),
        f.cold.processor_warm_ms(deployed.processor_memory_mb),
        f64::from(deployed.processor_memory_mb),
    ))
    .total();
    let old = per_million(old_inputs(f)).total();
    [
        Row(
            "cheapest processor memory per million requests",
            format!("{cheapest} MB ({})", dollars(cost)),
            "the deployed PROCESSOR_MEMORY".into(),
        ),
        Row(
            "cost per million requests, halves in one batch",
            dollars(total),
            format!("below the old design's {}", dollars(old)),
        ),
    ]
}

/// The reporter at a million requests in the week.
fn reporter_row(f: &Figures) -> Option<Row> {
    let (seconds, peak) = million_row(&f.scaling)?;
    Some(Row(
        "reporter, 1M requests in the week: time, peak RSS",
        format!("{seconds:.1} s, {peak:.0} MiB"),
        format!(
            "within its {} s timeout and {} MB (arm64 Lambda is slower than this machine: margin)",
            f.deployed.reporter_timeout_s, f.deployed.reporter_memory_mb
        ),
    ))
}

/// The largest deployment package.
fn zip_row(f: &Figures) -> Row {
    let largest = f.sizes.iter().map(|(_, b)| *b).max().unwrap_or(0) as f64 / 1_048_576.0;
    Row(
        "largest bootstrap.zip",
        format!("{largest:.2} MiB"),
        format!("far below Lambda's {LAMBDA_ZIP_LIMIT_MIB:.0} MiB"),
    )
}
