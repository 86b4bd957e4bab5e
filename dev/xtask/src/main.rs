//! `cargo xtask <chore>`: the developers' chores as one command (see the crate's library).
#![allow(clippy::print_stdout)] // a command-line program: printing is its job

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use xtask::Settings;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "The developers' chores of cv-analytics")]
struct Cli {
    #[command(subcommand)]
    chore: Chore,
}

#[derive(Debug, Subcommand)]
enum Chore {
    /// The whole pipeline on the local emulator; the email and its pictures in target/demo/.
    Demo,
    /// The fault run: EVENTS messages while FAULT_RATE of the processor's DynamoDB calls fail.
    Reliability,
    /// Measure, write BENCHMARKS.md and print its summary (BENCH_ONLY=cold|probe: cold starts only).
    Bench,
    /// Run a command against a fresh local stack, its settings in the environment.
    LocalStack {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Lambda's SQS trigger on this machine: QUEUE_URL into BINARY, with NAME=VALUE variables.
    SqsTrigger {
        queue_url: String,
        binary: String,
        vars: Vec<String>,
    },
    /// Run a cargo fuzz target.
    Fuzz(xtask::FuzzArgs),
    /// Write docs/events.schema.json, the JSON Schema the event types derive.
    Schema,
    /// Print pub items no other crate uses, long functions and files, and import cycles.
    Structure {
        /// Another checkout of the workspace to measure (default: this one).
        root: Option<std::path::PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.chore).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cargo xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(chore: Chore) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    match chore {
        Chore::Demo => xtask::demo(&settings).await?,
        Chore::Reliability => {
            if !xtask::reliability(&settings).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Chore::Bench => xtask::bench(&settings).await?,
        Chore::LocalStack { command } => {
            return xtask::local_stack(&command, &settings).await;
        }
        Chore::SqsTrigger {
            queue_url,
            binary,
            vars,
        } => xtask::sqs_trigger(&queue_url, &binary, &vars).await?,
        Chore::Fuzz(args) => xtask::fuzz(&args)?,
        Chore::Schema => {
            let path = local_aws::servers::workspace_root().join("docs/events.schema.json");
            std::fs::write(&path, shared_types::event::json_schema_file())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote docs/events.schema.json");
        }
        Chore::Structure { root } => {
            let root = root.unwrap_or_else(local_aws::servers::workspace_root);
            print!("{}", xtask::Structure::measure(&root)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
