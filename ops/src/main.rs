//! `cv-analytics`: look after a deployed stage without the AWS console. Readable by a person by
//! default, JSON with `--json`; every error says what to do next. This file parses the command
//! line and dispatches: each command's work and its text are in the library, a module each.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program: printing is its job

use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use chrono::Utc;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use ops::{Deployer, Function, GitHubRole, Operations, OpsError, Options, Part, weeks};
use serde::Serialize;
use shared_types::WeekId;

#[derive(Debug, Parser)]
#[command(
    name = "cv-analytics",
    version,
    about = "Look after a deployed cv-analytics stage"
)]
struct Cli {
    /// The stage (its stack is cv-analytics-<stage>).
    #[arg(long, env = "STAGE", default_value = "dev", global = true)]
    stage: String,
    /// The AWS region (default: the SDK's, from AWS_REGION or the profile).
    #[arg(long, global = true)]
    region: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Queue depths, the dead-letter queue's oldest message, requests this and last week, the
    /// last report sent.
    Status,
    /// The dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: DlqCommand,
    },
    /// Invoke the deployed reporter for a range of weeks (weeks already sent are skipped unless
    /// --force); it sends to the recipients it is deployed with.
    Backfill {
        /// First week, e.g. 2025-W40.
        #[arg(long)]
        from: WeekId,
        /// Last week, included.
        #[arg(long)]
        to: WeekId,
        /// Render and count, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send again weeks already sent.
        #[arg(long)]
        force: bool,
    },
    /// Move a function's alias `live` back to the version published before the one live now
    /// (no build; the next deploy moves it forward again).
    Rollback {
        #[arg(long, value_enum)]
        function: Function,
    },
    #[command(flatten)]
    Deploy(DeployCommand),
    /// Print the AWS region every command uses: AWS_REGION, AWS_DEFAULT_REGION, or the
    /// profile's (the SDK's own order).
    Region,
    /// Send one canary question and answer through the deployed queue, wait for the merged
    /// record, check and delete it, and check that the dead-letter queue did not grow.
    Verify {
        /// Seconds to wait for the trigger, then as many for the merged record.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Leave out the look at SES (a deploy of the processor alone).
        #[arg(long)]
        no_email: bool,
    },
}

/// The deployer's commands, each for an administrator or the deploy (`make deployer-role`,
/// `make destroy`, `make import-table`).
#[derive(Debug, Subcommand)]
enum DeployCommand {
    /// Once per stage, as an administrator: the deployer's policies and, for a GitHub
    /// repository, the role its deploy workflow assumes (the stack cv-analytics-<stage>-deployer).
    DeployerRole {
        /// owner/name of the repository whose deploy workflow may assume the role; none: the
        /// policies alone.
        #[arg(long, env = "GITHUB_REPOSITORY", default_value = "")]
        github_repository: String,
        /// Whether this stack creates the account's OIDC provider for GitHub: false for the
        /// second stage, or an account that has one.
        #[arg(long, env = "CREATE_OIDC_PROVIDER", default_value_t = true, action = clap::ArgAction::Set)]
        create_oidc_provider: bool,
        /// The cost-allocation tag Owner (none: no tag).
        #[arg(long, env = "OWNER", default_value = "")]
        owner: String,
    },
    /// Deploy the stage with the settings of its committed file (infrastructure/stages/
    /// <stage>.env): stack, build, cargo lambda deploy of each function, wiring, the post-deploy
    /// check; --function deploys that function alone.
    Deploy {
        #[arg(long, value_enum)]
        function: Option<Function>,
        #[command(flatten)]
        how: How,
    },
    /// Apply the stage's stack.yaml and wiring.yaml alone: no build, no function update.
    DeployStack {
        #[command(flatten)]
        how: How,
    },
    /// Remove everything a deploy made for the stage: the wiring stack, the two functions, the
    /// stack (the prod table is kept).
    Destroy,
    /// Bring the stage's kept table (after a destroy of prod) into a new stack; then deploy.
    ImportTable,
}

/// How a deploy runs, besides the stage's settings (each from the environment the Makefile
/// gives it, or its flag).
#[derive(Debug, clap::Args)]
struct How {
    /// Where the stages' settings files are.
    #[arg(long, env = "STAGES_DIR", default_value = "infrastructure/stages")]
    stages_dir: std::path::PathBuf,
    /// Run the post-deploy check.
    #[arg(long, env = "VERIFY", default_value_t = true, action = clap::ArgAction::Set,
          value_parser = clap::builder::BoolishValueParser::new())]
    verify: bool,
    /// Seconds the check waits for the trigger, then as many for the merged record.
    #[arg(long, env = "VERIFY_TIMEOUT", default_value_t = 60)]
    verify_timeout: u64,
    /// Binaries built already, deployed as they are instead of building (the tests').
    #[arg(long, env = "LAMBDA_BINARY_DIR")]
    binary_dir: Option<std::path::PathBuf>,
    /// Whether the queue's trigger is enabled.
    #[arg(long, env = "EVENT_SOURCE_ENABLED", default_value_t = true, action = clap::ArgAction::Set,
          value_parser = clap::builder::BoolishValueParser::new())]
    event_source_enabled: bool,
    /// The commit recorded in each version (default: the work tree's HEAD).
    #[arg(long, env = "DEPLOY_COMMIT")]
    commit: Option<String>,
    /// The longest wait, in seconds, for a function's update in progress.
    #[arg(long, env = "UPDATE_WAIT_SECONDS", default_value_t = 300)]
    update_wait_seconds: u64,
    /// Seconds between two looks at a function's update in progress.
    #[arg(long, env = "UPDATE_POLL_SECONDS", default_value_t = 2)]
    update_poll_seconds: u64,
    /// Seconds before deploying again with a role Lambda cannot assume yet (doubled each time).
    #[arg(long, env = "ROLE_RETRY_DELAY", default_value_t = 2)]
    role_retry_delay: u64,
}

impl How {
    fn options(self, part: Part) -> Options {
        // `cargo lambda build`'s flags: LAMBDA_BUILD_FLAGS as it is, empty included (the
        // Makefile sets it; an emulator's build has none).
        let flags =
            std::env::var("LAMBDA_BUILD_FLAGS").unwrap_or_else(|_| "--release --arm64".into());
        Options {
            part,
            stages_dir: self.stages_dir,
            verify: self.verify,
            verify_timeout: Duration::from_secs(self.verify_timeout),
            build_flags: flags.split_whitespace().map(str::to_owned).collect(),
            binary_dir: self.binary_dir.filter(|d| !d.as_os_str().is_empty()),
            event_source_enabled: self.event_source_enabled,
            commit: self.commit.filter(|c| !c.is_empty()),
            update_wait: Duration::from_secs(self.update_wait_seconds),
            update_poll: Duration::from_secs(self.update_poll_seconds),
            role_retry_delay: Duration::from_secs(self.role_retry_delay),
        }
    }
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// The messages waiting, with the reasons the processor attached.
    List {
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// One message, whole.
    Show { message_id: String },
    /// Move every message back to the event queue (after a fix).
    Redrive {
        /// Say how many would move, move nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                println!("{}", serde_json::json!({ "error": e.to_string() }));
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), OpsError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &cli.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let sdk = loader.load().await;
    let json = cli.json;
    if let Command::Region = cli.command {
        println!("{}", Deployer::new(&sdk, &cli.stage)?.region);
        return Ok(());
    }
    if let Command::Deploy(command) = cli.command {
        return deploy(&Deployer::new(&sdk, &cli.stage)?, command, json).await;
    }
    let ops = Operations::connect(&sdk, &cli.stage).await?;
    match cli.command {
        Command::Status => show(json, &ops.status(Utc::now()).await?),
        Command::Dlq { action } => dlq(&ops, action, json).await?,
        Command::Backfill {
            from,
            to,
            dry_run,
            force,
        } => {
            let weeks = weeks(from, to)?;
            let bar = progress(json, weeks.len() as u64, "weeks");
            let backfilled = ops
                .backfill(&weeks, dry_run, force, |s| {
                    bar.set_message(s.week.clone());
                    bar.inc(1);
                })
                .await;
            bar.finish_and_clear();
            show(json, &backfilled?);
        }
        Command::Rollback { function } => show(json, &ops.rollback(function).await?),
        Command::Deploy(_) | Command::Region => {}
        Command::Verify { timeout, no_email } => {
            let request_id = uuid::Uuid::new_v4().to_string();
            let checked = ops
                .check(
                    &request_id,
                    Utc::now(),
                    Duration::from_secs(timeout),
                    !no_email,
                )
                .await?;
            show(json, &checked);
            if let Some(refused) = checked.refusal() {
                return Err(refused);
            }
        }
    }
    Ok(())
}

/// The deployer's commands; each says what it does as it goes (on stderr with --json).
async fn deploy(deployer: &Deployer, command: DeployCommand, json: bool) -> Result<(), OpsError> {
    let mut say = |line: String| {
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    match command {
        DeployCommand::DeployerRole {
            github_repository,
            create_oidc_provider,
            owner,
        } => {
            let github = (!github_repository.is_empty()).then_some(GitHubRole {
                repository: github_repository,
                create_oidc_provider,
            });
            let role = deployer
                .deployer_role(github.as_ref(), &owner, &mut say)
                .await?;
            show(json, &role);
        }
        DeployCommand::Deploy { function, how } => {
            let part = match function {
                None => Part::All,
                Some(Function::Processor) => Part::Processor,
                Some(Function::Reporter) => Part::Reporter,
            };
            deployer.deploy(&how.options(part), &mut say).await?;
        }
        DeployCommand::DeployStack { how } => {
            deployer.deploy(&how.options(Part::Stack), &mut say).await?;
        }
        DeployCommand::Destroy => show(json, &deployer.destroy(&mut say).await?),
        DeployCommand::ImportTable => show(json, &deployer.import_table(&mut say).await?),
    }
    Ok(())
}

/// The dead-letter commands: list, show one, redrive.
async fn dlq(ops: &Operations, action: DlqCommand, json: bool) -> Result<(), OpsError> {
    let dead_letters = ops.dead_letters()?;
    match action {
        DlqCommand::List { limit } => show(json, &dead_letters.peek(limit).await?),
        DlqCommand::Show { message_id } => {
            let message = dead_letters.show(&message_id).await?.ok_or_else(|| {
                OpsError::Usage(format!(
                    "no message {message_id} in the first messages of the dead-letter queue: \
                     see cv-analytics dlq list"
                ))
            })?;
            show(json, &message);
        }
        DlqCommand::Redrive { dry_run } => {
            let bar = progress(json, dead_letters.depth().await?.0, "moved");
            let report = dead_letters
                .redrive(dry_run, |n| bar.set_position(n as u64))
                .await;
            bar.finish_and_clear();
            show(json, &report?);
        }
    }
    Ok(())
}

/// A command's result: its JSON with `--json`, its text otherwise.
fn show<T: Serialize + Display>(json: bool, value: &T) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_else(|e| e.to_string())
        );
    } else {
        print!("{value}");
    }
}

fn progress(json: bool, length: u64, unit: &'static str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "[{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} ({{elapsed}})"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
