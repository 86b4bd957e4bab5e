//! Where a cold function's time goes, step by step, in the order the processor takes them: run
//! by `make bench` inside the CPU share of a memory size, against moto behind TLS, once per
//! trial in a fresh process. Prints one line per step: `step<TAB>wall ms<TAB>CPU ms`.
//!
//! 1. the SDK configuration as the functions load it (`lambda_support::sdk::load`);
//! 2. the DynamoDB and SQS clients;
//! 3. the root certificates, loaded and parsed as the SDK's TLS client does on its first
//!    connection (`rustls-native-certs`, then a `rustls` root store);
//! 4. the first use of each TLS crypto library in the process (random bytes and a key share):
//!    `ring`, which the functions use, and `aws-lc-rs`, the SDK's default;
//! 5. the first DynamoDB call: the SDK's connector (its own load of the roots), TCP, the TLS
//!    handshake, the request;
//! 6. a second call on the same connection: the request alone;
//! 7. a call from a new SDK configuration (a new connection, roots already loaded): TCP and
//!    the handshake and the request;
//! 8. four calls at once from another new configuration: what a batch's concurrent writes cost
//!    on a client without open connections (one handshake each).
//!
//! Needs `TABLE_NAME` (any table: each call is a `GetItem` of a key that is not there).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line probe: printing is its job

use anyhow::Context as _;
use std::process::ExitCode;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;

/// CPU time of this process so far, all threads, in milliseconds (`CLOCK_PROCESS_CPUTIME_ID`,
/// which counts the running slice too).
fn cpu_ms() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

struct Step {
    wall: Instant,
    cpu: f64,
}

impl Step {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu_ms(),
        }
    }

    fn done(self, name: &str) {
        println!(
            "{name}\t{:.3}\t{:.3}",
            self.wall.elapsed().as_secs_f64() * 1e3,
            cpu_ms() - self.cpu
        );
    }
}

async fn get(client: &aws_sdk_dynamodb::Client, table: &str) -> anyhow::Result<()> {
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("REQ#probe".into()))
        .send()
        .await
        .map(|_| ())
        .context("DynamoDB GetItem")
}

async fn run() -> anyhow::Result<()> {
    let table = std::env::var("TABLE_NAME").context("TABLE_NAME is not set")?;

    let step = Step::start();
    let aws = lambda_support::sdk::load().await;
    step.done("SDK configuration");

    let step = Step::start();
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let _sqs = aws_sdk_sqs::Client::new(&aws);
    step.done("clients");

    let step = Step::start();
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (valid, _) = roots.add_parsable_certificates(loaded.certs);
    step.done(&format!("root store ({valid} roots)"));

    for (name, provider) in [
        ("ring", rustls::crypto::ring::default_provider()),
        (
            "aws-lc-rs (the SDK's default)",
            rustls::crypto::aws_lc_rs::default_provider(),
        ),
    ] {
        let step = Step::start();
        let mut random = [0u8; 32];
        provider
            .secure_random
            .fill(&mut random)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let share = provider.kx_groups[0].start()?;
        step.done(&format!(
            "first use of {name}: random bytes, a {:?} key share",
            share.group()
        ));
    }

    let step = Step::start();
    get(&dynamodb, &table).await?;
    step.done("first call (connector, TCP, TLS, request)");

    let step = Step::start();
    get(&dynamodb, &table).await?;
    step.done("second call (open connection)");

    let fresh = aws_sdk_dynamodb::Client::new(&lambda_support::sdk::load().await);
    let step = Step::start();
    get(&fresh, &table).await?;
    step.done("new connection (TCP, TLS, request)");

    let four = aws_sdk_dynamodb::Client::new(&lambda_support::sdk::load().await);
    let step = Step::start();
    futures::future::try_join_all((0..4).map(|_| get(&four, &table))).await?;
    step.done("four calls at once, no open connection");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coldstart-probe: {e}");
            ExitCode::FAILURE
        }
    }
}
