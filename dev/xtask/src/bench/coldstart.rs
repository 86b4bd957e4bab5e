//! Cold starts and memory: a function's release binary started as Lambda starts it, against a
//! Runtime API on loopback ([`local_aws::runtime_api`]), optionally inside the CPU share Lambda
//! gives its memory size ([`CpuShare`]). Per trial:
//!
//! - **init**: process start to its first request for an event (Lambda's init phase, billed);
//! - **first** and **second** invocation: from the event handed out to the answer;
//! - CPU time of each phase (all threads), which does not depend on the share;
//! - peak resident memory (`VmHWM`) after both.
//!
//! The first event is queued only once init is over, so the two phases are measured apart.

use anyhow::Context as _;
use std::time::{Duration, Instant};

use std::path::Path;

use local_aws::cpu_share::CpuShare;
use local_aws::{Moto, create_email_identity, create_fifo_queue, create_table};
use shared_types::WeekId;
use shared_types::record::WeekLookup;

use super::figures::{ColdStarts, Deployed, Runs};
use super::lambda_like::{Setting as Way, Tls, probe, shares};
use super::requests::seed_weeks;
use super::{SEEDED_PER_WEEK, release_binary};
use local_aws::runtime_api::{Completion, LambdaProcess, RuntimeApi};

/// How a function is run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Setting<'a> {
    pub memory_mb: u32,
    /// The CPU share to run in; `None`: the whole machine.
    pub share: Option<&'a CpuShare>,
}

fn cpu_ms(process: &LambdaProcess) -> f64 {
    process.cpu_ns().map_or(f64::NAN, |ns| ns as f64 / 1e6)
}

/// Runs `binary` `trials` times; `event(trial, n)` gives the n-th event of a trial.
pub(super) fn measure(
    name: &str,
    binary: &str,
    setting: Setting<'_>,
    vars: &[(&str, &str)],
    trials: usize,
    event: impl Fn(usize, usize) -> String,
) -> anyhow::Result<Runs> {
    let mut runs = Runs {
        name: name.to_owned(),
        ..Runs::default()
    };
    for trial in 0..trials {
        let api = RuntimeApi::start();
        let process = match setting.share {
            Some(share) => LambdaProcess::start_in(share, binary, &api, setting.memory_mb, vars),
            None => LambdaProcess::start(binary, &api, setting.memory_mb, vars),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        let init_done = loop {
            if let Some(at) = api.init_done() {
                break at;
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "{name}: no request for an event within 120 s\n{}",
                    process.lines().join("\n")
                );
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let init_cpu = cpu_ms(&process);
        api.push(event(trial, 0));
        api.wait_for(1, Duration::from_secs(120))
            .with_context(|| format!("{name}\n{}", process.lines().join("\n")))?;
        let first_cpu = cpu_ms(&process);
        api.push(event(trial, 1));
        let both = api
            .wait_for(2, Duration::from_secs(120))
            .with_context(|| name.to_string())?;
        let second_cpu = cpu_ms(&process);
        for invocation in &both {
            if let Completion::Error(error) = &invocation.completion {
                anyhow::bail!("{name}: an invocation failed: {error}");
            }
        }
        runs.init_ms
            .push(init_done.duration_since(process.started).as_secs_f64() * 1e3);
        runs.first_ms.push(both[0].duration().as_secs_f64() * 1e3);
        runs.second_ms.push(both[1].duration().as_secs_f64() * 1e3);
        runs.init_cpu_ms.push(init_cpu);
        runs.first_cpu_ms.push(first_cpu - init_cpu);
        runs.second_cpu_ms.push(second_cpu - first_cpu);
        let rss = process
            .peak_rss_kib()
            .with_context(|| format!("{name}: no peak RSS in /proc"))?;
        runs.peak_rss_mib.push(rss as f64 / 1024.0);
    }
    Ok(runs)
}

/// The cold-start runs of the three functions, in each setting, with `deployed`'s memory sizes;
/// and, where a CPU share can be made, where the time goes.
pub(crate) async fn cold_starts(
    trials: usize,
    probe_only: bool,
    deployed: Deployed,
) -> anyhow::Result<ColdStarts> {
    let bed = Bed::start().await?;
    let (processor_mb, reporter_mb) = (deployed.processor_memory_mb, deployed.reporter_memory_mb);
    let (shares, no_shares) = match shares(&[processor_mb, reporter_mb]) {
        Ok(shares) => (shares, None),
        Err(why) => {
            eprintln!("  no CPU shares here, whole-CPU runs only: {why:#}");
            (Vec::new(), Some(format!("{why:#}")))
        }
    };
    let runner = Runner {
        bed: &bed,
        shares: &shares,
        trials,
    };
    let ways = if probe_only {
        Ways::default()
    } else {
        Ways::of(deployed, !shares.is_empty())
    };
    let hello = |_, _| r#"{"hello":"world"}"#.to_owned();
    let week = |_, _| r#"{"week":"2025-W45","force":true}"#.to_owned();
    let mut cold = ColdStarts {
        minimal: runner.all(
            "minimal Rust Lambda",
            "minimal-lambda",
            &ways.minimal,
            &hello,
        )?,
        processor: runner.all(
            "processor (batch of 10)",
            "processor",
            &ways.processor,
            &batch_of_ten,
        )?,
        reporter: runner.all(
            "reporter (a week of 1,000 requests)",
            "reporter",
            &ways.reporter,
            &week,
        )?,
        probe: Vec::new(),
        system_roots: bed.tls.system_roots,
        no_shares,
    };
    if let Some(share) = runner.share(processor_mb) {
        eprintln!("  where the time goes (coldstart-probe, {processor_mb} MB share, TLS)");
        let vars = bed.env(true);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        cold.probe = probe(&release_binary("coldstart-probe")?, share, &vars, trials)?;
    }
    Ok(cold)
}

/// Runs release binaries on the test bed, in the CPU shares there are.
struct Runner<'a> {
    bed: &'a Bed,
    shares: &'a [(u32, CpuShare)],
    trials: usize,
}

impl Runner<'_> {
    /// The CPU share of `memory_mb`, if there is one.
    fn share(&self, memory_mb: u32) -> Option<&CpuShare> {
        self.shares
            .iter()
            .find(|(m, _)| *m == memory_mb)
            .map(|(_, s)| s)
    }

    /// The runs of the release binary `binary` in each of `ways`, labelled by the way.
    fn all(
        &self,
        name: &str,
        binary: &str,
        ways: &[Way],
        event: &dyn Fn(usize, usize) -> String,
    ) -> anyhow::Result<Vec<(String, Runs)>> {
        let binary = release_binary(binary)?;
        ways.iter()
            .map(|&way| {
                eprintln!("  {name}, {}", way.label());
                let vars = self.bed.env(way.tls);
                let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let setting = Setting {
                    memory_mb: way.memory_mb,
                    share: if way.shared {
                        self.share(way.memory_mb)
                    } else {
                        None
                    },
                };
                measure(name, &binary, setting, &vars, self.trials, event)
                    .map(|runs| (way.label(), runs))
            })
            .collect()
    }
}

/// What the functions start against: moto (plain, and behind a TLS front), the SES sender, a
/// dead-letter queue and a table with a week of 1,000 requests.
struct Bed {
    moto: Moto,
    tls: Tls,
    dlq: String,
}

impl Bed {
    async fn start() -> anyhow::Result<Self> {
        let moto = Moto::start();
        let tls = Tls::start(Path::new("target/bench/tls"), &moto.endpoint)?;
        let sdk = moto.sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        create_email_identity(&aws_sdk_sesv2::Client::new(&sdk), "reports@example.dev").await;
        let dlq = create_fifo_queue(&aws_sdk_sqs::Client::new(&sdk), "dlq.fifo").await;
        create_table(&dynamodb, "cold", WeekLookup::default()).await;
        let seeded: WeekId = "2025-W45".parse()?;
        seed_weeks(&dynamodb, "cold", &[seeded], SEEDED_PER_WEEK).await?;
        Ok(Self { moto, tls, dlq })
    }

    /// The functions' environment, with AWS over TLS or plain HTTP.
    fn env(&self, tls: bool) -> Vec<(&'static str, String)> {
        let endpoint = if tls {
            self.tls.front.endpoint.clone()
        } else {
            self.moto.endpoint.clone()
        };
        let mut vars = vec![
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("STAGE", "bench".to_owned()),
            ("TABLE_NAME", "cold".to_owned()),
            ("DEAD_LETTER_QUEUE_URL", self.dlq.clone()),
            ("REPORT_SENDER", "reports@example.dev".to_owned()),
            ("REPORT_RECIPIENTS", "owner@example.dev".to_owned()),
            // The reported week is older than the default lifetime by now.
            ("RECORD_TTL_DAYS", "3650".to_owned()),
        ];
        if tls {
            vars.push(("SSL_CERT_FILE", self.tls.bundle.display().to_string()));
        }
        vars
    }
}

/// The settings each function runs in: on the whole CPU, and where shares can be made, in the
/// share of each deployed memory size.
#[derive(Debug, Default)]
struct Ways {
    processor: Vec<Way>,
    minimal: Vec<Way>,
    reporter: Vec<Way>,
}

impl Ways {
    fn of(deployed: Deployed, shares: bool) -> Self {
        let (processor_mb, reporter_mb) =
            (deployed.processor_memory_mb, deployed.reporter_memory_mb);
        let whole = |memory_mb, tls| Way {
            memory_mb,
            shared: false,
            tls,
        };
        let shared = |memory_mb, tls| Way {
            memory_mb,
            shared: true,
            tls,
        };
        let mut ways = Self {
            processor: vec![whole(processor_mb, false), whole(processor_mb, true)],
            minimal: vec![whole(processor_mb, false)],
            reporter: vec![whole(reporter_mb, false)],
        };
        if shares {
            for mb in [reporter_mb, processor_mb] {
                ways.processor.extend([shared(mb, false), shared(mb, true)]);
            }
            ways.minimal.push(shared(processor_mb, false));
            ways.reporter.push(shared(reporter_mb, true));
        }
        ways
    }
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
