//! `cv-analytics`: look after a deployed stage without the AWS console. Readable by a person by
//! default, JSON with `--json`; every error says what to do next.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program: printing is its job

use std::process::ExitCode;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use chrono::Utc;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use ops::backfill::weeks;
use ops::dlq::{DeadLetter, Peek, RedriveReport};
use ops::email::{EmailReadiness, Verified};
use ops::release::Function;
use ops::status::age;
use ops::{Operations, OpsError};
use serde::Serialize;
use shared_types::WeekId;
use shared_types::report::{Outcome, ReportSummary};

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
    let ops = Operations::connect(&loader.load().await, &cli.stage).await?;
    let now = Utc::now();
    match cli.command {
        Command::Status => {
            let status = ops.status(now).await?;
            show(cli.json, &status, |s| s.to_string());
        }
        Command::Dlq { action } => dlq(&ops, action, cli.json).await?,
        Command::Backfill {
            from,
            to,
            dry_run,
            force,
        } => {
            let weeks = weeks(from, to)?;
            let bar = progress(cli.json, weeks.len() as u64, "weeks");
            let summaries = ops
                .backfill(&weeks, dry_run, force, |s| {
                    bar.set_message(s.week.clone());
                    bar.inc(1);
                })
                .await;
            bar.finish_and_clear();
            show(cli.json, &summaries?, |s| backfill_text(s));
        }
        Command::Rollback { function } => {
            let rollback = ops.rollback(function).await?;
            show(cli.json, &rollback, |r| {
                format!(
                    "{}: alias live moved from version {} to {} (make status shows it)\n",
                    r.function, r.from, r.to
                )
            });
        }
        Command::Verify { timeout, no_email } => {
            let request_id = uuid::Uuid::new_v4().to_string();
            let verified = ops
                .verify(&request_id, now, Duration::from_secs(timeout))
                .await?;
            let email = if no_email {
                None
            } else {
                Some(ops.email_readiness().await?)
            };
            let checked = Checked {
                canary: verified,
                email,
            };
            show(cli.json, &checked, |c| {
                let v = &c.canary;
                format!(
                    "verified {}: canary {} stored and merged in {:.1} s (week {}), deleted; \
                     dead-letter queue unchanged ({} messages)\n{}",
                    ops.stack.name,
                    v.request_id,
                    v.stored_after_ms as f64 / 1000.0,
                    v.week,
                    v.dead_letters,
                    c.email.as_ref().map_or_else(String::new, email_lines)
                )
            });
            if let Some(email) = checked.email.as_ref().filter(|e| !e.problems.is_empty()) {
                return Err(OpsError::Refused {
                    step: "check that SES will send the weekly email",
                    message: email.problems.join("; "),
                });
            }
        }
    }
    Ok(())
}

/// What `verify` checked: the canary through the stage, and SES for the weekly email.
#[derive(Serialize)]
struct Checked {
    canary: ops::verify::Verified,
    /// `None` with `--no-email`.
    email: Option<EmailReadiness>,
}

/// SES's state, a line each: the account, the sender, the recipients, what stops the email.
fn email_lines(email: &EmailReadiness) -> String {
    let verified = |v: Verified| match v {
        Some(true) => "verified",
        Some(false) => "NOT verified",
        None => "not an SES identity",
    };
    let mut lines = vec![match &email.account {
        Some(a) => format!(
            "SES account: {}, sending {}, {:.0} of {:.0} emails sent in the last 24 hours",
            if a.production {
                "production"
            } else {
                "sandbox (verified recipients only)"
            },
            if a.sending_enabled {
                "enabled"
            } else {
                "DISABLED"
            },
            a.sent_last_24_hours,
            a.max_24_hours
        ),
        None => "SES account: not read".to_owned(),
    }];
    lines.push(format!(
        "sender {}: {}",
        email.sender,
        verified(email.sender_verified)
    ));
    if email.account.as_ref().is_some_and(|a| a.production) {
        lines.push(format!(
            "{} recipients (production: no verification needed)",
            email.recipients.len()
        ));
    } else {
        for (recipient, v) in &email.recipients {
            lines.push(format!("recipient {recipient}: {}", verified(*v)));
        }
    }
    lines.extend(email.warnings.iter().map(|w| format!("warning: {w}")));
    lines.extend(email.problems.iter().map(|p| format!("PROBLEM: {p}")));
    lines.iter().map(|l| format!("  {l}\n")).collect()
}

fn show<T: Serialize>(json: bool, value: &T, text: impl Fn(&T) -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_else(|e| e.to_string())
        );
    } else {
        print!("{}", text(value));
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

fn list_text(peek: &Peek) -> String {
    let mut out = format!(
        "{} waiting in the dead-letter queue, {} in flight",
        peek.approximate_total, peek.approximate_in_flight
    );
    if peek.messages.is_empty() {
        return out + "\n";
    }
    out += &format!("; the first {}:\n", peek.messages.len());
    let now = Utc::now();
    for m in &peek.messages {
        let waited = m
            .sent_at
            .map_or_else(|| "?".into(), |t| age((now - t).num_seconds().max(0)));
        let body: String = m.body.chars().take(60).collect();
        out += &format!(
            "  {}  {waited} old\n    reason: {}\n    body:   {body}{}\n",
            m.message_id,
            m.reason_or_redrive(),
            if m.body.chars().count() > 60 {
                "…"
            } else {
                ""
            }
        );
    }
    if (peek.messages.len() as u64) < peek.approximate_total {
        out += "  (a FIFO queue lends only the first messages of a group at a time: \
                 redrive them, or fix the cause, to see the rest)\n";
    }
    out + "Show one whole: cv-analytics dlq show <ID>; move them back after a fix: cv-analytics dlq redrive\n"
}

fn show_text(m: &DeadLetter) -> String {
    format!(
        "message   {}\ngroup     {}\nsent      {}\nreceived  {} times from the dead-letter queue\nreason    {}\nsource id {}\nbody\n{}\n",
        m.message_id,
        m.group_id.as_deref().unwrap_or("-"),
        m.sent_at.map_or_else(|| "-".into(), |t| t.to_rfc3339()),
        m.receive_count,
        m.reason_or_redrive(),
        m.source_message_id.as_deref().unwrap_or("-"),
        m.body
    )
}

fn redrive_text(report: &RedriveReport) -> String {
    if report.dry_run {
        return format!(
            "{} messages would move back to the event queue (dry run: nothing moved)\n",
            report.would_move
        );
    }
    let mut out = format!(
        "{} of the {} messages held at the start moved back to the event queue; the processor \
         takes them from there\n",
        report.moved, report.held_at_start
    );
    if report.came_back > 0 {
        out += &format!(
            "{} came back already, still poison (their reasons: cv-analytics dlq list); they \
             were left in the dead-letter queue\n",
            report.came_back
        );
    }
    out
}

fn backfill_text(summaries: &[ReportSummary]) -> String {
    let mut out = String::new();
    for s in summaries {
        out += &format!(
            "  {}  {:<22} {} requests read  {}\n",
            s.week,
            format!("{:?}", s.outcome),
            s.records_read,
            s.subject
        );
    }
    let sent = summaries
        .iter()
        .filter(|s| s.outcome == Outcome::Sent)
        .count();
    out + &format!("{sent} of {} weeks sent\n", summaries.len())
}

/// The dead-letter commands: list, show one, redrive.
async fn dlq(ops: &Operations, action: DlqCommand, json: bool) -> Result<(), OpsError> {
    let dead_letters = ops.dead_letters()?;
    match action {
        DlqCommand::List { limit } => {
            let peek = dead_letters.peek(limit).await?;
            show(json, &peek, list_text);
        }
        DlqCommand::Show { message_id } => {
            let message = dead_letters.show(&message_id).await?.ok_or_else(|| {
                OpsError::Usage(format!(
                    "no message {message_id} in the first messages of the dead-letter queue: \
                     see cv-analytics dlq list"
                ))
            })?;
            show(json, &message, show_text);
        }
        DlqCommand::Redrive { dry_run } => {
            let bar = progress(json, dead_letters.depth().await?.0, "moved");
            let report = dead_letters
                .redrive(dry_run, |n| bar.set_position(n as u64))
                .await;
            bar.finish_and_clear();
            show(json, &report?, redrive_text);
        }
    }
    Ok(())
}
