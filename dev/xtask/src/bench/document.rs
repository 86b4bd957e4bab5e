//! `BENCHMARKS.md`, section by section, and its one-screen summary, from the [`Figures`].

use std::fmt::Write as _;

use shared_types::record::WeekLookup;

use super::ceiling::{Groups, Pipeline, REGIONS, Region};
use super::cost::{Cost, per_million};
use super::figures::{
    ColdStarts, Figures, cheapest_memory, dollars, events_per_request, inputs, label, old_inputs,
    pipeline, read_cost, scan_crossover_weeks, scan_growth,
};
use super::{
    NODE_HELLO_WORLD_COLD_MS, OLD_MEMORY_MB, RUST_HELLO_WORLD_COLD_MS, SEEDED_PER_WEEK, WEEKS_HELD,
};

/// The whole document, its summary first.
pub(crate) fn document(f: &Figures, summary: &str) -> String {
    [
        header(summary),
        size_section(f),
        cold_section(&f.cold, f.trials),
        cold_scale_note(),
        requests_section(f),
        reads_section(f),
        scaling_section(f),
        cost_section(f),
        memory_section(f),
        ceiling_section(f),
        regenerate_section(f),
    ]
    .concat()
}

fn header(summary: &str) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "# Benchmarks\n\nWritten by `make bench` on {} from what it measured on this machine (2 shared cores, x86_64; no AWS account). \
         Absolute times on these shared machines vary from run to run; the CPU times and the counts on the wire do not.\n\n\
         ## Summary\n\nEach figure next to its goal (`make bench` prints this table).\n\n{summary}",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    d
}

fn size_section(f: &Figures) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "## Size\n\nThe zipped `bootstrap` of each function as `cargo lambda build --release --arm64 --output-format zip` produces it (release profile: `opt-level = \"s\"`, LTO, one codegen unit, stripped, `panic = \"abort\"`).\n\n| function | bootstrap.zip | vs minimal |\n|---|---:|---:|"
    );
    let minimal_size = f
        .sizes
        .iter()
        .find(|(n, _)| *n == "minimal-lambda")
        .map_or(1, |s| s.1);
    for (name, size) in &f.sizes {
        let _ = writeln!(
            d,
            "| {name} | {:.2} MiB | {:.1}x |",
            *size as f64 / 1_048_576.0,
            *size as f64 / minimal_size as f64
        );
    }
    d += "\n";
    d
}

fn cold_scale_note() -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "\nFor scale: the published hello-world cold starts at 128 MB arm64 are {RUST_HELLO_WORLD_COLD_MS} ms for Rust and {NODE_HELLO_WORLD_COLD_MS} ms for Node.js 20 (`docs/costs.md`). Not measured here: arm64 itself, and whether Lambda gives the init phase more CPU than the share (taken here as the same share, the worse case).\n"
    );
    d
}

fn requests_section(f: &Figures) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "## DynamoDB requests and write units per request\n\nThe demo workload (SEED=42, {} requests over two weeks, {} answered) through the processor's real handler and DynamoDB adapter against DynamoDB Local, which reports the capacity each call consumed; requests and units counted on the wire by an SDK interceptor (`local_aws::wire`), on each table layout (`WEEK_LOOKUP`: *scan*, no index, the default; *index*, the `week-index` GSI). \
         The old design is replayed against DynamoDB Local with its published pattern: per answered request Put (interim), Get, Put (final, week index projecting ALL), Delete; an unanswered request is one Put.\n\n\
         | layout | arrangement | events | requests / request | requests / answered request | WRU / request (table + index) |\n|---|---|---:|---:|---:|---:|",
        f.old.requests, f.old.answered
    );
    for a in f.arrangements.iter().chain(std::iter::once(&f.old)) {
        let _ = writeln!(
            d,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} ({:.2} + {:.2}) |",
            a.lookup.map_or("old", WeekLookup::as_str),
            a.name,
            a.events,
            a.requests_per_request(),
            a.requests_per_answered(),
            a.wru_per_request(),
            a.tally.table_wru / a.requests as f64,
            a.tally.index_wru / a.requests as f64,
        );
    }
    let _ = writeln!(
        d,
        "\nThe demo stream includes the workload's duplicated deliveries, responses sent before their queries and 6 malformed messages (dead-lettered, no DynamoDB call). Every request is one `UpdateItem` per batch it appears in. With the index, its entry is written when its week is first set (a keys-only projection, so later updates that do not move the week do not write the index): 1.00 WRU per request, in one batch or two.\n"
    );
    d
}

fn reads_section(f: &Figures) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "## A report's read of the records\n\nOne report's read as the reporter makes it every week once earlier weeks were reported: the week's records, and the five weeks before counted for late arrivals. On DynamoDB Local, {SEEDED_PER_WEEK} requests a week, with {} and then {} weeks of records held (13 is what the default `RECORD_TTL_DAYS=90` keeps). \
         *scan* is one parallel `Scan` of {} segments of the whole table, filtered on the six weeks; *index* is a `Query` on the index for the keys, `BatchGetItem` for the records, and a `COUNT` query per earlier week. Read units as DynamoDB Local reports them (eventually consistent reads).\n\n\
         | layout | weeks held | requests read | DynamoDB requests | RRU | RRU per request of the week |\n|---|---:|---:|---:|---:|---:|",
        WEEKS_HELD[0],
        WEEKS_HELD[1],
        reporter::SCAN_SEGMENTS
    );
    for r in &f.reads {
        let _ = writeln!(
            d,
            "| {} | {} | {} | {} | {:.1} | {:.3} |",
            r.lookup,
            r.weeks_held,
            r.requests,
            r.tally.total_requests(),
            r.tally.rru,
            r.rru_per_request()
        );
    }
    let crossover = scan_crossover_weeks(f);
    let _ = writeln!(
        d,
        "\nA scan reads every record held, so its units grow with the weeks held; the index's read grows with the week alone, but every request paid an index write to be found. \
         Per request of the week, the scan costs {} per million requests at 13 weeks held against the index's {} (its read plus its write). {}\n",
        read_cost(f, WeekLookup::Scan),
        read_cost(f, WeekLookup::Index),
        crossover.map_or(String::new(), |weeks| format!(
            "From the two measured points, the scan's read grows by {:.3} RRU per request for each week held; it would cost as much as the index at about {weeks:.0} weeks held (`RECORD_TTL_DAYS` about {:.0}): beyond that, `WEEK_LOOKUP=index` is the cheaper layout.",
            scan_growth(f).unwrap_or(f64::NAN),
            weeks * 7.0
        ))
    );
    d
}

fn scaling_section(f: &Figures) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "## Reporter scaling\n\nAggregate and render one week of synthetic requests, each size in a fresh process (`make bench-reporter`, release build):\n\n```\n{}```\n",
        f.scaling
    );
    d
}

fn cost_section(f: &Figures) -> String {
    let mut d = String::new();
    let warm = f.cold.processor_warm_ms(f.deployed.processor_memory_mb);
    let processor_mb = f.deployed.processor_memory_mb;
    let _ = writeln!(
        d,
        "## Cost per million requests\n\nPrices: `docs/costs.md` (published AWS prices, us-east-1, 2026): Lambda arm64 $0.0000133334 per GB-second and $0.20 per million requests; DynamoDB on demand $0.625 per million WRU and $0.125 per million RRU; SQS FIFO $0.50 per million requests. \
         A million requests are {:.2} million messages, processed in full batches of 10 (at low traffic batches are smaller and invocations more numerous). \
         Pipeline: the processor at {processor_mb} MB for {warm:.1} ms per batch (the warm invocation measured above in its share over TLS, x86_64 here, billed per started millisecond), the WRU measured above, and a report's reads per request with 13 weeks held. \
         SQS: the producer's sends plus one receive and one batched delete per invocation.\n\n\
         | design | Lambda compute | Lambda requests | DynamoDB | SQS | total |\n|---|---:|---:|---:|---:|---:|",
        events_per_request(f)
    );
    for lookup in WeekLookup::ALL {
        for (i, name) in ["halves in one batch", "halves in different batches"]
            .into_iter()
            .enumerate()
        {
            let a = f.arrangement(lookup, i);
            d += &cost_row(
                &format!("{lookup}, {name}"),
                &per_million(inputs(f, a, warm, f64::from(processor_mb))),
            );
        }
    }
    d += &cost_row("old design (see below)", &per_million(old_inputs(f)));
    let _ = writeln!(
        d,
        "\nThe old design's DynamoDB figure is measured (the replay above). Its Lambda duration is not: the old functions' run times are not published, so its row uses {NODE_HELLO_WORLD_COLD_MS} ms per invocation at {OLD_MEMORY_MB:.0} MB, the published Node.js 20 hello-world cold start, as a floor.\n"
    );
    d
}

fn memory_section(f: &Figures) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "**Memory size.** Lambda bills GB-seconds, and more memory buys a larger CPU share. Per million requests (halves apart), the processor's Lambda compute and requests in each measured share over TLS:\n\n| memory | warm batch | billed cold start (init + first) | Lambda per million requests (warm) |\n|---:|---:|---:|---:|"
    );
    for mb in [
        f.deployed.processor_memory_mb,
        f.deployed.reporter_memory_mb,
    ] {
        if let Some(runs) = f.cold.processor(&label(mb, true, true)) {
            let cost = per_million(inputs(
                f,
                f.arrangement(WeekLookup::Scan, 1),
                runs.second(),
                f64::from(mb),
            ));
            let _ = writeln!(
                d,
                "| {mb} MB | {:.1} ms | {:.0} ms | {} |",
                runs.second(),
                runs.billed_cold_ms(),
                dollars(cost.lambda_compute + cost.lambda_requests)
            );
        }
    }
    let (cheapest, _) = cheapest_memory(f);
    let _ = writeln!(
        d,
        "\nThe cheapest is {cheapest} MB, the deployed `PROCESSOR_MEMORY`. Either way Lambda is a small part of the total: DynamoDB and SQS are most of it.\n"
    );
    d
}

fn ceiling_section(f: &Figures) -> String {
    let mut d = String::new();
    let warm = f.cold.processor_warm_ms(f.deployed.processor_memory_mb);
    let _ = writeln!(
        d,
        "{}",
        ceiling_intro(warm, f.deployed.processor_max_concurrency)
    );
    let _ = write!(
        d,
        "{}",
        ceiling_table(|lookup, region| pipeline(f, lookup, region))
    );
    let traffic = f.old.requests as f64 / (14.0 * 86_400.0);
    let _ = writeln!(
        d,
        "\nThe demo workload, a realistic fortnight of a CV chatbot, averages {traffic:.4} requests a second ({} in 14 days).\n\n{}",
        f.old.requests, CEILING_NOTES
    );
    d
}

/// What the ceiling table is, from the measured warm batch time and the trigger's maximum
/// concurrency.
pub(crate) fn ceiling_intro(warm_batch_ms: f64, max_concurrency: u32) -> String {
    format!(
        "## Ingest ceiling\n\nA fluid simulation (`bench::ceiling`, one-second steps for ten minutes, constant arrivals) with the measured warm batch time of {warm_batch_ms:.1} ms and the limits AWS publishes (cited in [docs/costs.md](docs/costs.md#limits-that-decide-the-ceiling)). **As deployed**: a message group per session (docs/events.md), the queue in high-throughput mode (`DeduplicationScope: messageGroup`, `FifoThroughputLimit: perMessageGroupId`), the trigger's `MaximumConcurrency` {max_concurrency} (`PROCESSOR_MAX_CONCURRENCY`), the table grown to the on-demand maximum (40,000 write units a second). **One message group**: every event in the group `analytics`, without high throughput, as the original producer sent.\n"
    )
}

/// The ceiling table: in each region and layout, the pipeline `deployed` gives, and the same
/// with the original producer's one message group.
pub(crate) fn ceiling_table(deployed: impl Fn(WeekLookup, Region) -> Pipeline) -> String {
    let mut d = String::from(
        "| region | layout | setup | ceiling (binding limit) | next limits | backlog after 10 min at 2,000 / 10,000 requests/s | a new table takes 10,000 requests/s after |\n|---|---|---|---:|---|---:|---:|\n",
    );
    for region in REGIONS {
        for lookup in WeekLookup::ALL {
            let deployed = deployed(lookup, region);
            let original = Pipeline {
                groups: Groups::One,
                high_throughput: false,
                ..deployed
            };
            for (setup, p) in [("as deployed", deployed), ("one message group", original)] {
                let _ = writeln!(d, "{}", ceiling_row(region, lookup, setup, &p));
            }
        }
    }
    d
}

/// One row of the ceiling table.
fn ceiling_row(region: Region, lookup: WeekLookup, setup: &str, p: &Pipeline) -> String {
    let ranked = p.ranked();
    let (binding, rate) = ranked[0];
    let next = ranked[1..]
        .iter()
        .map(|(name, r)| format!("{name} {r:.0}"))
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "| {} | {lookup} | {setup} | {rate:.0} req/s ({binding}) | {next} | {:.0} / {:.0} | {} min |",
        region.name,
        p.backlog_after(2_000.0, 600),
        p.backlog_after(10_000.0, 600),
        p.table_warm_up_minutes(10_000.0)
    )
}

/// What binds, and what lifts it.
pub(crate) const CEILING_NOTES: &str = "What binds, and what lifts it:\n\n\
- **One message group** (the original producer): Lambda processes a group one batch at a time, whatever the queue or the table can do. A group per session lifts it; nothing changes in the processor, whose merge is order-independent and idempotent (two halves processed by concurrent invocations make one correct record, tested on DynamoDB Local).\n\
- **The trigger's maximum concurrency** (the binding limit as deployed in us-east-1): raise `PROCESSOR_MAX_CONCURRENCY` (up to 1,000, the account's default Lambda concurrency, which it shares with every other function of the region). It is there to keep a burst from taking the table's write units and the account's concurrency.\n\
- **The table's write units** (next in us-east-1): on demand, 40,000 a second by default per table, raisable through Service Quotas. A new table starts at 4,000 and doubles its peak within 30 minutes, so a new stage takes the last column's time to reach 10,000 requests a second; `WarmThroughput` on the table pre-warms it (a one-time charge) when a launch is expected.\n\
- **The queue's sends** (the binding limit in eu-west-2): high-throughput FIFO takes 4,500 `SendMessage` calls a second per queue there (70,000 in us-east-1), and the producer sends each event with its own call. A quota increase through Service Quotas, or a region of the first group, lifts it.\n\
- **The week index's key** (layout *index* only): one key takes every request of a week, 1,000 write units a second; the *scan* layout (the default) has no such key.\n";
fn regenerate_section(f: &Figures) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "## How to regenerate\n\n`make bench` (as root for the CPU shares; needs nothing installed beforehand: it installs cargo-lambda, the arm64 target, DynamoDB Local). `BENCH_TRIALS` (default 7) and `QUESTIONS` (default 2000) change the runs; this run took the median of {} runs per function and setting. `make bench BENCH_ONLY=cold` measures the cold starts alone.",
        f.trials
    );
    d
}

pub(crate) fn cold_section(cold: &ColdStarts, trials: usize) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "## Cold start, CPU share and TLS\n\n\
         Each function's x86_64 release binary (the arm64 one cannot run here) started as Lambda starts it, against a Lambda Runtime API on loopback (`local_aws::runtime_api`), with moto behind the SDK. \
         **CPU share**: Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB; the runs marked *share* are inside a cgroup (v1, CFS period 100 ms) whose quota is that share, from the function's first instruction (`local_aws::cpu_share::CpuShare`). \
         **TLS**: the runs marked *TLS* reach moto through a TLS front that keeps connections open as AWS's endpoints do (moto itself closes every connection), with an RSA 2048 certificate from a test CA; the function trusts it through `SSL_CERT_FILE`, pointed at the system's {} roots plus the test CA, so loading the roots costs what it costs on Lambda. \
         Init = process start to the first request for an event (Lambda's init phase, billed); first and second = an invocation, from the event handed out to the answer; CPU = the process's CPU time in the phase, all threads. Medians of {trials} runs.\n",
        cold.system_roots
    );
    if let Some(why) = &cold.no_shares {
        let _ = writeln!(
            d,
            "**No CPU share here** ({why}): only whole-CPU runs were measured; `make bench` as root on a machine with a cgroup v1 CPU controller measures the rest.\n"
        );
    }
    let _ = writeln!(
        d,
        "| function | setting | init | first invocation | second invocation | CPU: init / first / second | billed cold (init + first) | billed warm | peak RSS |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (name, runs) in cold
        .minimal
        .iter()
        .chain(&cold.processor)
        .chain(&cold.reporter)
        .map(|(label, runs)| (label, runs))
    {
        let _ = writeln!(
            d,
            "| {} | {name} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} / {:.1} / {:.1} ms | {:.0} ms | {:.0} ms | {:.1} MiB |",
            runs.name,
            runs.init(),
            runs.first(),
            runs.second(),
            super::stats::median(&runs.init_cpu_ms),
            super::stats::median(&runs.first_cpu_ms),
            super::stats::median(&runs.second_cpu_ms),
            runs.billed_cold_ms(),
            runs.billed_warm_ms(),
            runs.rss(),
        );
    }
    if !cold.probe.is_empty() {
        let _ = writeln!(
            d,
            "\n**Where the time goes** at the 128 MB share over TLS (`coldstart-probe`, the processor's steps in order in a fresh process, medians of {trials}):\n\n| step | wall | CPU |\n|---|---:|---:|"
        );
        for step in &cold.probe {
            let _ = writeln!(
                d,
                "| {} | {:.1} ms | {:.1} ms |",
                step.name, step.wall_ms, step.cpu_ms
            );
        }
    }
    d
}

fn cost_row(name: &str, c: &Cost) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | **{}** |\n",
        dollars(c.lambda_compute),
        dollars(c.lambda_requests),
        dollars(c.dynamodb),
        dollars(c.sqs),
        dollars(c.total())
    )
}

#[cfg(test)]
mod ceiling_tests {
    use super::*;
    use crate::bench::ceiling::TABLE_MAX_WRU_PER_SECOND;

    /// The ceiling section from the inputs `make bench` measured on 2026-11-23 (BENCHMARKS.md:
    /// a warm batch of 10 in 43.3 ms at 128 MB; 3,631 events for 2,000 requests; write units
    /// per request with halves apart 1.82 on *scan*, 2.82 on *index*, of which 1.00 on the
    /// index's key), as a full `make bench` would write it: printed, and held to the goal.
    #[test]
    fn the_deployed_ceiling_is_at_least_the_goal_in_us_east_1() {
        let measured = |lookup: WeekLookup, region: Region| Pipeline {
            events_per_request: 3_631.0 / 2_000.0,
            batch_ms: 43.3,
            wru_per_request: if lookup == WeekLookup::Scan {
                1.82
            } else {
                2.82
            },
            index_wru_per_request: if lookup == WeekLookup::Scan { 0.0 } else { 1.0 },
            groups: Groups::PerSession,
            high_throughput: true,
            max_concurrency: 100,
            region,
            table_wru_per_second: TABLE_MAX_WRU_PER_SECOND,
        };
        println!("{}", ceiling_intro(43.3, 100));
        println!("{}", ceiling_table(measured));
        println!("{CEILING_NOTES}");
        let (binding, rate) = measured(WeekLookup::Scan, REGIONS[0]).ceiling();
        assert!(rate >= 10_000.0, "{rate} ({binding})");
    }
}
