//! Writes `BENCHMARKS.md` (and prints its one-screen summary) from what it measures here.
//! `make bench` builds what it needs first: the zipped arm64 bootstraps (`cargo lambda build
//! --release --arm64 --output-format zip`), the x86_64 release binaries it runs, the
//! cold-start probe, and the reporter's scaling figures.
//!
//! Settings: `BENCH_TRIALS` (cold starts per function and setting, default 7), `QUESTIONS` (the
//! demo workload, default 2000), `OUT` (default BENCHMARKS.md), `BENCH_ONLY=cold` (only the
//! cold starts, printed, nothing written; `probe`: only where the time goes).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program: printing is its job

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use bench::ceiling::Pipeline;
use bench::coldstart::{Runs, Setting as RunSetting, measure};
use bench::cost::{Cost, Inputs, per_million};
use bench::limits::{ProbeStep, Setting, Tls, probe, shares};
use bench::requests::{Arrangement, ReportRead, new_design, old_design, report_read, seed_weeks};
use demo::workload::{WorkloadSpec, generate};
use local_aws::setting;
use local_aws::wire::WireCounter;
use local_aws::{DynamoDbLocal, Moto, create_email_identity, create_fifo_queue, create_table};
use shared_types::WeekId;
use shared_types::record::WeekLookup;

const PROCESSOR_MEMORY_MB: u32 = 128;
const REPORTER_MEMORY_MB: u32 = 256;
/// The reporter's timeout (the Makefile's REPORTER_TIMEOUT), seconds.
const REPORTER_TIMEOUT_S: f64 = 120.0;
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

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn zipped_size(name: &str) -> Result<u64, String> {
    let path = format!("target/lambda/{name}/bootstrap.zip");
    std::fs::metadata(&path)
        .map(|m| m.len())
        .map_err(|e| format!("{path}: {e} (make bench builds it)"))
}

fn release_binary(name: &str) -> Result<String, String> {
    let path = format!("target/release/{name}");
    if Path::new(&path).is_file() {
        Ok(path)
    } else {
        Err(format!("{path} is missing (make bench builds it)"))
    }
}

/// Everything the document is written from.
struct Figures {
    trials: usize,
    sizes: Vec<(&'static str, u64)>,
    cold: ColdStarts,
    /// The three arrangements on each layout.
    arrangements: Vec<Arrangement>,
    old: Arrangement,
    reads: Vec<ReportRead>,
    scaling: String,
}

impl Figures {
    fn arrangement(&self, lookup: WeekLookup, index: usize) -> &Arrangement {
        self.arrangements
            .iter()
            .filter(|a| a.lookup == Some(lookup))
            .nth(index)
            .unwrap_or(&self.old)
    }
}

async fn run() -> Result<(), String> {
    let trials = setting("BENCH_TRIALS", 7usize)?;
    let questions = setting("QUESTIONS", 2_000usize)?;
    let out = setting("OUT", "BENCHMARKS.md".to_owned())?;
    let only = setting("BENCH_ONLY", String::new())?;
    let week: WeekId = "2025-W46".parse().map_err(|e| format!("{e}"))?;

    eprintln!("cold starts ({trials} trials per function and setting) ...");
    let cold = cold_starts(trials, only == "probe").await?;
    if only == "cold" || only == "probe" {
        println!("{}", cold_section(&cold, trials));
        return Ok(());
    }

    eprintln!("sizes ...");
    let sizes: Vec<(&str, u64)> = ["minimal-lambda", "processor", "reporter"]
        .into_iter()
        .map(|n| zipped_size(n).map(|s| (n, s)))
        .collect::<Result<_, _>>()?;

    eprintln!("DynamoDB requests and units on the wire ({questions} questions) ...");
    let dynamodb_local = DynamoDbLocal::start();
    let counter = WireCounter::default();
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&dynamodb_local.sdk_config().await)
            .interceptor(counter.clone())
            .build(),
    );
    let workload = generate(WorkloadSpec {
        seed: 42,
        questions,
        week,
        malformed: 6,
    });
    let mut arrangements = Vec::new();
    for lookup in WeekLookup::ALL {
        arrangements.extend(new_design(&dynamodb, &counter, &workload, lookup).await?);
    }
    let old = old_design(&dynamodb, &counter, &workload).await?;

    eprintln!("a report's read on each layout, with {WEEKS_HELD:?} weeks held ...");
    let reads = report_reads(&dynamodb, &counter).await?;

    let scaling = std::fs::read_to_string("target/bench/reporter-scale.txt")
        .map_err(|e| format!("target/bench/reporter-scale.txt: {e} (make bench writes it)"))?;

    let figures = Figures {
        trials,
        sizes,
        cold,
        arrangements,
        old,
        reads,
        scaling,
    };
    let summary = summary(&figures);
    let text = document(&figures, &summary);
    std::fs::write(&out, &text).map_err(|e| format!("{out}: {e}"))?;
    println!("{summary}");
    eprintln!("written to {out}");
    Ok(())
}

/// The week reported on (the last week seeded) and the layouts' reads of it, with 4 and then
/// 13 weeks of records held.
async fn report_reads(
    dynamodb: &aws_sdk_dynamodb::Client,
    counter: &WireCounter,
) -> Result<Vec<ReportRead>, String> {
    let table = "reads";
    create_table(dynamodb, table, WeekLookup::Index).await;
    let last: WeekId = "2025-W46".parse().map_err(|e| format!("{e}"))?;
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

/// The cold-start runs.
struct ColdStarts {
    /// The processor (a batch of 10) in each setting.
    processor: Vec<(String, Runs)>,
    minimal: Vec<(String, Runs)>,
    reporter: Vec<(String, Runs)>,
    /// Where the time goes at 128 MB over TLS; empty when shares cannot be made here.
    probe: Vec<ProbeStep>,
    system_roots: usize,
    /// Why the runs in a CPU share were left out, if they were.
    no_shares: Option<String>,
}

impl ColdStarts {
    fn processor(&self, label: &str) -> Option<&Runs> {
        self.processor
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, r)| r)
    }
}

fn label(memory_mb: u32, shared: bool, tls: bool) -> String {
    Setting {
        memory_mb,
        shared,
        tls,
    }
    .label()
}

async fn cold_starts(trials: usize, probe_only: bool) -> Result<ColdStarts, String> {
    let moto = Moto::start();
    let tls = Tls::start(Path::new("target/bench/tls"), &moto.endpoint)?;
    let sdk = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    create_email_identity(&aws_sdk_sesv2::Client::new(&sdk), "reports@example.dev").await;
    let dlq = create_fifo_queue(&aws_sdk_sqs::Client::new(&sdk), "dlq.fifo").await;
    create_table(&dynamodb, "cold", WeekLookup::default()).await;
    let seeded: WeekId = "2025-W45".parse().map_err(|e| format!("{e}"))?;
    seed_weeks(&dynamodb, "cold", &[seeded], SEEDED_PER_WEEK).await?;

    let (shares, no_shares) = match shares(&[PROCESSOR_MEMORY_MB, REPORTER_MEMORY_MB]) {
        Ok(shares) => (shares, None),
        Err(why) => {
            eprintln!("  no CPU shares here, whole-CPU runs only: {why}");
            (Vec::new(), Some(why))
        }
    };
    let share = |mb: u32| shares.iter().find(|(m, _)| *m == mb).map(|(_, s)| s);
    let bundle = tls.bundle.display().to_string();
    let env = |tls_on: bool| -> Vec<(&str, String)> {
        let endpoint = if tls_on {
            tls.front.endpoint.clone()
        } else {
            moto.endpoint.clone()
        };
        let mut vars = vec![
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("STAGE", "bench".to_owned()),
            ("TABLE_NAME", "cold".to_owned()),
            ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
            ("REPORT_SENDER", "reports@example.dev".to_owned()),
            ("REPORT_RECIPIENTS", "owner@example.dev".to_owned()),
            // The reported week is older than the default lifetime by now.
            ("RECORD_TTL_DAYS", "3650".to_owned()),
        ];
        if tls_on {
            vars.push(("SSL_CERT_FILE", bundle.clone()));
        }
        vars
    };
    let whole = |tls| Setting {
        memory_mb: PROCESSOR_MEMORY_MB,
        shared: false,
        tls,
    };
    let shared = |memory_mb, tls| Setting {
        memory_mb,
        shared: true,
        tls,
    };
    let mut processor_settings = vec![whole(false), whole(true)];
    let mut minimal_settings = vec![whole(false)];
    let mut reporter_settings = vec![Setting {
        memory_mb: REPORTER_MEMORY_MB,
        ..whole(false)
    }];
    if !shares.is_empty() {
        for mb in [REPORTER_MEMORY_MB, PROCESSOR_MEMORY_MB] {
            processor_settings.extend([shared(mb, false), shared(mb, true)]);
        }
        minimal_settings.push(shared(PROCESSOR_MEMORY_MB, false));
        reporter_settings.push(shared(REPORTER_MEMORY_MB, true));
    }
    let run = |name: &str, binary: &str, s: Setting, event: &dyn Fn(usize, usize) -> String| {
        eprintln!("  {name}, {}", s.label());
        let vars = env(s.tls);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        measure(
            name,
            binary,
            RunSetting {
                memory_mb: s.memory_mb,
                share: if s.shared { share(s.memory_mb) } else { None },
            },
            &vars,
            trials,
            event,
        )
        .map(|runs| (s.label(), runs))
    };
    let processor_binary = release_binary("processor")?;
    let minimal_binary = release_binary("minimal-lambda")?;
    let reporter_binary = release_binary("reporter")?;
    let mut cold = ColdStarts {
        processor: Vec::new(),
        minimal: Vec::new(),
        reporter: Vec::new(),
        probe: Vec::new(),
        system_roots: tls.system_roots,
        no_shares,
    };
    if probe_only {
        minimal_settings.clear();
        processor_settings.clear();
        reporter_settings.clear();
    }
    for s in minimal_settings {
        cold.minimal
            .push(run("minimal Rust Lambda", &minimal_binary, s, &|_, _| {
                r#"{"hello":"world"}"#.into()
            })?);
    }
    for s in processor_settings {
        cold.processor.push(run(
            "processor (batch of 10)",
            &processor_binary,
            s,
            &batch_of_ten,
        )?);
    }
    for s in reporter_settings {
        cold.reporter.push(run(
            "reporter (a week of 1,000 requests)",
            &reporter_binary,
            s,
            &|_, _| r#"{"week":"2025-W45","force":true}"#.into(),
        )?);
    }
    if let Some(share) = share(PROCESSOR_MEMORY_MB) {
        eprintln!("  where the time goes (coldstart-probe, 128 MB share, TLS)");
        let vars = env(true);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        cold.probe = probe(&release_binary("coldstart-probe")?, share, &vars, trials)?;
    }
    Ok(cold)
}

/// Ten messages: five requests, each with its query and its response.
fn batch_of_ten(trial: usize, n: usize) -> String {
    let t = 1_762_607_000_000i64 + (trial * 10 + n) as i64 * 1_000;
    let records: Vec<serde_json::Value> = (0..5)
        .flat_map(|i| {
            let id = format!("cold-{trial}-{n}-{i}-{}", std::process::id());
            [
                format!(
                    r#"{{"eventType":"query","requestId":"{id}","timestamp":{t},"sessionId":"anonymous","query":"Do you know Rust?","metadata":{{"userAgent":"Mozilla/5.0"}}}}"#
                ),
                format!(
                    r#"{{"eventType":"response","requestId":"{id}","timestamp":{},"matchType":"full","matchScore":88,"reasoning":"Rust is listed","vectorMatches":3,"sessionId":"anonymous","metadata":{{"matchQuality":0.88,"sourcesUsed":["Rust","AWS Lambda"]}}}}"#,
                    t + 1_400
                ),
            ]
        })
        .enumerate()
        .map(|(k, body)| {
            serde_json::json!({
                "messageId": format!("m-{trial}-{n}-{k}"),
                "receiptHandle": "r",
                "body": body,
                "attributes": {"MessageGroupId": "analytics"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::json!({ "Records": records }).to_string()
}

fn dollars(x: f64) -> String {
    format!("${x:.4}")
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

fn cold_section(cold: &ColdStarts, trials: usize) -> String {
    let mut d = String::new();
    let _ = writeln!(
        d,
        "## Cold start, CPU share and TLS\n\n\
         Each function's x86_64 release binary (the arm64 one cannot run here) started as Lambda starts it, against a Lambda Runtime API on loopback (`local_aws::runtime_api`), with moto behind the SDK. \
         **CPU share**: Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB; the runs marked *share* are inside a cgroup (v1, CFS period 100 ms) whose quota is that share, from the function's first instruction (`local_aws::limits::CpuShare`). \
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
            bench::coldstart::median(&runs.init_cpu_ms),
            bench::coldstart::median(&runs.first_cpu_ms),
            bench::coldstart::median(&runs.second_cpu_ms),
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

fn summary(f: &Figures) -> String {
    let mut s = String::from("| figure | measured | goal |\n|---|---:|---|\n");
    let mut row = |figure: &str, measured: String, goal: &str| {
        let _ = writeln!(s, "| {figure} | {measured} | {goal} |");
    };
    let http = f.cold.processor(&label(PROCESSOR_MEMORY_MB, true, false));
    let tls = f.cold.processor(&label(PROCESSOR_MEMORY_MB, true, true));
    match (http, tls) {
        (Some(http), Some(tls)) => row(
            "processor's first batch of 10, 128 MB share, TLS",
            format!("{:.0} ms", tls.first()),
            &format!(
                "close to the same share over HTTP: {:.0} ms ({:.1}x)",
                http.first(),
                tls.first() / http.first()
            ),
        ),
        _ => row(
            "processor's first batch of 10, 128 MB share, TLS",
            "not measured".into(),
            "needs a CPU share (root, cgroup v1)",
        ),
    }
    let same = f.arrangement(WeekLookup::Scan, 0);
    let apart = f.arrangement(WeekLookup::Scan, 1);
    row(
        "WRU per request, halves in one batch (scan, the default)",
        format!("{:.2}", same.wru_per_request()),
        "<= 1.15",
    );
    row(
        "WRU per request, halves apart (scan, the default)",
        format!("{:.2}", apart.wru_per_request()),
        "<= 2.0",
    );
    let ceiling = pipeline(f, WeekLookup::Scan).limits()[1].1;
    row(
        "week-key ceiling (scan, the default)",
        if ceiling.is_finite() {
            format!("{ceiling:.0} req/s")
        } else {
            "none: no week key".into()
        },
        &format!("> {CEILING_GOAL:.0} req/s"),
    );
    if let (Some(scan), Some(index)) = (
        f.reads
            .iter()
            .find(|r| r.lookup == WeekLookup::Scan && r.weeks_held == WEEKS_HELD[1]),
        f.reads
            .iter()
            .find(|r| r.lookup == WeekLookup::Index && r.weeks_held == WEEKS_HELD[1]),
    ) {
        let index_wru = f.arrangement(WeekLookup::Index, 1).wru_per_request()
            - f.arrangement(WeekLookup::Scan, 1).wru_per_request();
        row(
            "DynamoDB per request, finding it again (13 weeks held)",
            format!(
                "scan {} vs index {}",
                dollars(scan.rru_per_request() * bench::cost::DYNAMODB_PER_MILLION_RRU),
                dollars(
                    index.rru_per_request() * bench::cost::DYNAMODB_PER_MILLION_RRU
                        + index_wru * bench::cost::DYNAMODB_PER_MILLION_WRU
                )
            ),
            "the default is the cheaper (per million requests)",
        );
    }
    let (cheapest, cost) = cheapest_memory(f);
    row(
        "cheapest processor memory per million requests",
        format!("{cheapest} MB ({})", dollars(cost)),
        "the deployed PROCESSOR_MEMORY",
    );
    let total = per_million(inputs(
        f,
        same,
        f.cold.processor_warm_ms(),
        f64::from(PROCESSOR_MEMORY_MB),
    ))
    .total();
    let old = per_million(old_inputs(f)).total();
    row(
        "cost per million requests, halves in one batch",
        dollars(total),
        &format!("below the old design's {}", dollars(old)),
    );
    if let Some((seconds, peak)) = million_row(&f.scaling) {
        row(
            "reporter, 1M requests in the week: time, peak RSS",
            format!("{seconds:.1} s, {peak:.0} MiB"),
            &format!(
                "within its {REPORTER_TIMEOUT_S:.0} s timeout and {REPORTER_MEMORY_MB} MB (arm64 Lambda is slower than this machine: margin)"
            ),
        );
    }
    let largest = f.sizes.iter().map(|(_, b)| *b).max().unwrap_or(0) as f64 / 1_048_576.0;
    row(
        "largest bootstrap.zip",
        format!("{largest:.2} MiB"),
        &format!("far below Lambda's {LAMBDA_ZIP_LIMIT_MIB:.0} MiB"),
    );
    s
}

impl ColdStarts {
    /// The processor's warm invocation at 128 MB: in its share over TLS where measured.
    fn processor_warm_ms(&self) -> f64 {
        self.processor(&label(PROCESSOR_MEMORY_MB, true, true))
            .or_else(|| self.processor(&label(PROCESSOR_MEMORY_MB, false, false)))
            .map_or(f64::NAN, Runs::second)
    }
}

/// The 1,000,000 row of the reporter's scaling table: seconds and peak RSS (MiB).
fn million_row(scaling: &str) -> Option<(f64, f64)> {
    let row = scaling.lines().find(|l| l.starts_with("| 1000000 |"))?;
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    Some((cells.get(4)?.parse().ok()?, cells.get(7)?.parse().ok()?))
}

fn inputs(f: &Figures, a: &Arrangement, invocation_ms: f64, memory_mb: f64) -> Inputs {
    Inputs {
        events_per_request: events_per_request(f),
        batch_size: 10.0,
        invocation_ms,
        memory_mb,
        wru_per_request: a.wru_per_request(),
        rru_per_request: read_rru_per_request(f, a.lookup),
    }
}

fn old_inputs(f: &Figures) -> Inputs {
    Inputs {
        events_per_request: events_per_request(f),
        batch_size: 10.0,
        invocation_ms: NODE_HELLO_WORLD_COLD_MS,
        memory_mb: OLD_MEMORY_MB,
        wru_per_request: f.old.wru_per_request(),
        rru_per_request: f.old.tally.rru / f.old.requests as f64,
    }
}

/// A report's reads per request of the week, with the default's 13 weeks held.
fn read_rru_per_request(f: &Figures, lookup: Option<WeekLookup>) -> f64 {
    lookup
        .and_then(|l| {
            f.reads
                .iter()
                .find(|r| r.lookup == l && r.weeks_held == WEEKS_HELD[1])
        })
        .map_or(0.0, ReportRead::rru_per_request)
}

fn events_per_request(f: &Figures) -> f64 {
    (f.old.requests + f.old.answered) as f64 / f.old.requests as f64
}

/// Of the memory sizes measured in their share over TLS, the one whose processor costs least
/// per million requests (warm invocations, the arrangement with halves apart).
fn cheapest_memory(f: &Figures) -> (u32, f64) {
    let apart = f.arrangement(WeekLookup::Scan, 1);
    [PROCESSOR_MEMORY_MB, REPORTER_MEMORY_MB]
        .into_iter()
        .filter_map(|mb| {
            let runs = f.cold.processor(&label(mb, true, true))?;
            let cost = per_million(inputs(f, apart, runs.second(), f64::from(mb)));
            Some((mb, cost.lambda_compute + cost.lambda_requests))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((PROCESSOR_MEMORY_MB, f64::NAN))
}

fn pipeline(f: &Figures, lookup: WeekLookup) -> Pipeline {
    let apart = f.arrangement(lookup, 1);
    Pipeline {
        events_per_request: events_per_request(f),
        batch_ms: f.cold.processor_warm_ms(),
        index_wru_per_request: apart.tally.index_wru / apart.requests as f64,
        groups: 1,
        week_shards: 1,
    }
}

fn document(f: &Figures, summary: &str) -> String {
    let mut d = String::new();
    let ratio = |a: f64, b: f64| a / b;
    let _ = writeln!(
        d,
        "# Benchmarks\n\nWritten by `make bench` on {} from what it measured on this machine (2 shared cores, x86_64; no AWS account). \
         Absolute times on these shared machines vary from run to run; the CPU times and the counts on the wire do not.\n\n\
         ## Summary\n\nEach figure next to its goal (`make bench` prints this table).\n\n{summary}",
        chrono::Utc::now().format("%Y-%m-%d")
    );

    // Sizes.
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
            ratio(*size as f64, minimal_size as f64)
        );
    }
    d += "\n";
    d += &cold_section(&f.cold, f.trials);
    let _ = writeln!(
        d,
        "\nFor scale: the published hello-world cold starts at 128 MB arm64 are {RUST_HELLO_WORLD_COLD_MS} ms for Rust and {NODE_HELLO_WORLD_COLD_MS} ms for Node.js 20 (`docs/costs.md`). Not measured here: arm64 itself, and whether Lambda gives the init phase more CPU than the share (taken here as the same share, the worse case).\n"
    );

    // Requests and write units.
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

    // Report reads.
    let _ = writeln!(
        d,
        "## A report's read of the records\n\nOne report's read as the reporter makes it every week once earlier weeks were reported: the week's records, and the five weeks before counted for late arrivals. On DynamoDB Local, {SEEDED_PER_WEEK} requests a week, with {} and then {} weeks of records held (13 is what the default `RECORD_TTL_DAYS=90` keeps). \
         *scan* is one parallel `Scan` of {} segments of the whole table, filtered on the six weeks; *index* is a `Query` on the index for the keys, `BatchGetItem` for the records, and a `COUNT` query per earlier week. Read units as DynamoDB Local reports them (eventually consistent reads).\n\n\
         | layout | weeks held | requests read | DynamoDB requests | RRU | RRU per request of the week |\n|---|---:|---:|---:|---:|---:|",
        WEEKS_HELD[0],
        WEEKS_HELD[1],
        reporter::dynamo::SCAN_SEGMENTS
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

    // Reporter scaling.
    let _ = writeln!(
        d,
        "## Reporter scaling\n\nAggregate and render one week of synthetic requests, each size in a fresh process (`make bench-reporter`, release build):\n\n```\n{}```\n",
        f.scaling
    );

    // Cost.
    let warm = f.cold.processor_warm_ms();
    let _ = writeln!(
        d,
        "## Cost per million requests\n\nPrices: `docs/costs.md` (published AWS prices, us-east-1, 2026): Lambda arm64 $0.0000133334 per GB-second and $0.20 per million requests; DynamoDB on demand $0.625 per million WRU and $0.125 per million RRU; SQS FIFO $0.50 per million requests. \
         A million requests are {:.2} million messages, processed in full batches of 10 (at low traffic batches are smaller and invocations more numerous). \
         Pipeline: the processor at {PROCESSOR_MEMORY_MB} MB for {warm:.1} ms per batch (the warm invocation measured above in its share over TLS, x86_64 here, billed per started millisecond), the WRU measured above, and a report's reads per request with 13 weeks held. \
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
                &per_million(inputs(f, a, warm, f64::from(PROCESSOR_MEMORY_MB))),
            );
        }
    }
    d += &cost_row("old design (see below)", &per_million(old_inputs(f)));
    let _ = writeln!(
        d,
        "\nThe old design's DynamoDB figure is measured (the replay above). Its Lambda duration is not: the old functions' run times are not published, so its row uses {NODE_HELLO_WORLD_COLD_MS} ms per invocation at {OLD_MEMORY_MB:.0} MB, the published Node.js 20 hello-world cold start, as a floor.\n"
    );
    let _ = writeln!(
        d,
        "**Memory size.** Lambda bills GB-seconds, and more memory buys a larger CPU share. Per million requests (halves apart), the processor's Lambda compute and requests in each measured share over TLS:\n\n| memory | warm batch | billed cold start (init + first) | Lambda per million requests (warm) |\n|---:|---:|---:|---:|"
    );
    for mb in [PROCESSOR_MEMORY_MB, REPORTER_MEMORY_MB] {
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

    // Ingest ceiling.
    let _ = writeln!(
        d,
        "## Ingest ceiling\n\nTwo limits are structural. **One FIFO message group**: the producer sends every event with the group `analytics`, and Lambda processes a group one batch at a time. **The week index** (layout *index* only): every request writes its week's index key once, and one partition key takes about 1,000 WRU a second; the *scan* layout has no week key at all. \
         A fluid simulation (`bench::ceiling`, one-second steps for ten minutes, constant arrivals) with the measured warm batch time of {warm:.1} ms:\n\n\
         | layout | setup | message groups limit | week-key limit | SQS FIFO limit | ceiling | backlog after 10 min at 200 / 2,000 requests/s |\n|---|---|---:|---:|---:|---:|---:|"
    );
    for lookup in WeekLookup::ALL {
        let base = pipeline(f, lookup);
        for (name, p) in [
            ("as deployed (1 group)", base),
            (
                "per-request message groups (100 in flight)",
                Pipeline {
                    groups: 100,
                    ..base
                },
            ),
        ] {
            let limits = p.limits();
            let (binding, rate) = p.ceiling();
            let key = if limits[1].1.is_finite() {
                format!("{:.0} req/s", limits[1].1)
            } else {
                "none".to_owned()
            };
            let _ = writeln!(
                d,
                "| {lookup} | {name} | {:.0} req/s | {key} | {:.0} req/s | {rate:.0} req/s ({binding}) | {:.0} / {:.0} |",
                limits[0].1,
                limits[2].1,
                p.backlog_after(200.0, 600),
                p.backlog_after(2_000.0, 600),
            );
        }
    }
    let traffic = f.old.requests as f64 / (14.0 * 86_400.0);
    let _ = writeln!(
        d,
        "\nThe demo workload, a realistic fortnight of a CV chatbot, averages {traffic:.4} requests a second ({} in 14 days). What lifts each ceiling:\n\n\
         - **Message groups** (the binding limit as deployed): the producer sends with `MessageGroupId = requestId` (or the session id). Nothing changes in the processor: its merge is order-independent and idempotent, and two halves processed by concurrent invocations make one correct record (tested on DynamoDB Local). This is a setting of the producer, which this repository does not own.\n\
         - **The week key**: gone with the *scan* layout (the default). With *index*, one key takes every request of a week, about 1,000 requests a second.\n\
         - **The SQS FIFO queue**: high-throughput mode for FIFO queues raises the per-queue limit well beyond this; it needs many message groups to help, so it follows the first change.\n",
        f.old.requests
    );
    let _ = writeln!(
        d,
        "## How to regenerate\n\n`make bench` (as root for the CPU shares; needs nothing installed beforehand: it installs cargo-lambda, the arm64 target, DynamoDB Local). `BENCH_TRIALS` (default 7) and `QUESTIONS` (default 2000) change the runs; this run took the median of {} runs per function and setting. `make bench BENCH_ONLY=cold` measures the cold starts alone.",
        f.trials
    );
    d
}

/// RRU per request of the week that one more week held adds to a scan, from the two points.
fn scan_growth(f: &Figures) -> Option<f64> {
    let at = |weeks: usize| {
        f.reads
            .iter()
            .find(|r| r.lookup == WeekLookup::Scan && r.weeks_held == weeks)
            .map(ReportRead::rru_per_request)
    };
    Some((at(WEEKS_HELD[1])? - at(WEEKS_HELD[0])?) / (WEEKS_HELD[1] - WEEKS_HELD[0]) as f64)
}

/// Weeks held at which the scan's read per request costs as much as the index's read and write.
fn scan_crossover_weeks(f: &Figures) -> Option<f64> {
    let growth = scan_growth(f)?;
    let scan_at = f
        .reads
        .iter()
        .find(|r| r.lookup == WeekLookup::Scan && r.weeks_held == WEEKS_HELD[1])?
        .rru_per_request();
    let index = f
        .reads
        .iter()
        .find(|r| r.lookup == WeekLookup::Index && r.weeks_held == WEEKS_HELD[1])?
        .rru_per_request();
    let index_wru = f.arrangement(WeekLookup::Index, 1).wru_per_request()
        - f.arrangement(WeekLookup::Scan, 1).wru_per_request();
    let index_in_rru = index
        + index_wru * bench::cost::DYNAMODB_PER_MILLION_WRU / bench::cost::DYNAMODB_PER_MILLION_RRU;
    (growth > 0.0).then(|| WEEKS_HELD[1] as f64 + (index_in_rru - scan_at) / growth)
}

/// What finding a request again costs per million requests, with 13 weeks held.
fn read_cost(f: &Figures, lookup: WeekLookup) -> String {
    let rru = read_rru_per_request(f, Some(lookup)) * bench::cost::DYNAMODB_PER_MILLION_RRU;
    let wru = match lookup {
        WeekLookup::Scan => 0.0,
        WeekLookup::Index => {
            f.arrangement(WeekLookup::Index, 1).wru_per_request()
                - f.arrangement(WeekLookup::Scan, 1).wru_per_request()
        }
    } * bench::cost::DYNAMODB_PER_MILLION_WRU;
    dollars(rru + wru)
}
