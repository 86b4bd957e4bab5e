//! `cv-analytics deploy` and `deploy-stack`: the deploy, whole or one part.
//!
//! - all: first time and every time: stack.yaml, the build, `cargo lambda deploy` of each
//!   function with its role and settings from the stack's outputs (publishing a version and
//!   moving the alias `live` to it), wiring.yaml, then the post-deploy check (a canary through
//!   the deployed queue; `VERIFY=false` leaves it out);
//! - processor, reporter: that function alone: built, deployed, its `live` moved, then checked
//!   (the canary; for the reporter, a dry run of `live` for the last complete week); the stacks
//!   and the other function are not touched;
//! - stack: stack.yaml and wiring.yaml alone: no build, no function update; refused before the
//!   functions were ever deployed.
//!
//! The settings are the stage's committed file ([`Settings`]). A part is refused when it would
//! change, on its side only, what both a stack and a function hold ([`one_sided`]).

use shared_types::stage::output;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared_types::WeekId;

use super::functions::{self, Wanted};
use super::one_sided::VISIBILITY_PER_TIMEOUT;
use super::settings::Settings;
use super::stacks::{self, Template};
use super::{Deployer, Part};
use crate::Operations;
use crate::error::OpsError;
use crate::release::Function;
use crate::stack::Stack;

const STACK_TEMPLATE: &str = include_str!("../../../infrastructure/stack.yaml");
const WIRING_TEMPLATE: &str = include_str!("../../../infrastructure/wiring.yaml");

/// How a deploy runs, besides the stage's settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub part: Part,
    /// Where the stages' files are (`infrastructure/stages`).
    pub stages_dir: PathBuf,
    /// Run the post-deploy check.
    pub verify: bool,
    pub verify_timeout: Duration,
    /// `cargo lambda build`'s flags (`--release --arm64`).
    pub build_flags: Vec<String>,
    /// Binaries built already (the tests' debug builds, which the emulator runs), deployed as
    /// they are instead of building.
    pub binary_dir: Option<PathBuf>,
    /// Whether the queue's trigger is enabled (the emulator's is not: moto would consume the
    /// queue itself).
    pub event_source_enabled: bool,
    /// The commit recorded in each version published (else the work tree's HEAD).
    pub commit: Option<String>,
    /// The longest wait for a function's update in progress, and the wait between two looks.
    pub update_wait: Duration,
    pub update_poll: Duration,
    /// The first wait before deploying again with a role Lambda cannot assume yet; doubled each
    /// time.
    pub role_retry_delay: Duration,
}

#[cfg(test)]
impl Options {
    /// A deploy of everything with no waits.
    pub(crate) fn for_tests() -> Self {
        Self {
            part: Part::All,
            stages_dir: PathBuf::from("infrastructure/stages"),
            verify: false,
            verify_timeout: Duration::ZERO,
            build_flags: Vec::new(),
            binary_dir: None,
            event_source_enabled: false,
            commit: None,
            update_wait: Duration::from_secs(300),
            update_poll: Duration::ZERO,
            role_retry_delay: Duration::ZERO,
        }
    }
}

/// The commit the functions are built from, "-dirty" when the work tree differs from it.
fn commit_built() -> String {
    let head = super::run("git", &["rev-parse", "--short=12", "HEAD"]);
    let Ok(head) = head else {
        return "unknown".to_owned();
    };
    let head = head.trim().to_owned();
    match super::run("git", &["diff", "--quiet", "HEAD"]) {
        Ok(_) => head,
        Err(_) => format!("{head}-dirty"),
    }
}

/// FUNCTION's binary, and how `cargo lambda deploy` is told it: what `cargo lambda build` made,
/// or the binary of `options.binary_dir`.
fn binary(function: Function, options: &Options) -> (PathBuf, Vec<String>) {
    match &options.binary_dir {
        Some(dir) => {
            let file = dir.join(function.to_string());
            let flag = vec!["--binary-path".to_owned(), file.display().to_string()];
            (file, flag)
        }
        None => (
            PathBuf::from(format!("target/lambda/{function}/bootstrap")),
            vec!["--binary-name".to_owned(), function.to_string()],
        ),
    }
}

/// `cargo lambda build`'s arguments for `functions`: each as its package alone.
fn build_arguments(functions: &[Function], flags: &[String]) -> Vec<String> {
    let mut arguments = vec!["lambda".to_owned(), "build".to_owned()];
    arguments.extend(flags.iter().cloned());
    arguments.push("--locked".to_owned());
    for function in functions {
        let name = function.to_string();
        arguments.extend(["-p".to_owned(), name.clone(), "--bin".to_owned(), name]);
    }
    arguments
}

/// The last complete week at `now` on the clocks of `zone`, as the reporter counts weeks.
fn last_complete_week(now: DateTime<Utc>, zone: &str) -> Result<WeekId, OpsError> {
    let zone = shared_types::week::parse_zone(zone).ok_or_else(|| {
        OpsError::Usage(format!("REPORT_TIMEZONE is \"{zone}\": no such time zone"))
    })?;
    Ok(WeekId::containing_in(now, zone).previous())
}

fn step(say: &mut dyn FnMut(String), what: String) {
    say(format!("\n==> {what}"));
}

impl Deployer {
    /// Deploys the stage, or the part `options.part` of it.
    pub async fn deploy(
        &self,
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let given = |name: &str| std::env::var(name).ok();
        let settings = Settings::load(&options.stages_dir, &self.stage, &given)?;
        let part = options.part;
        settings.check(
            part != Part::Processor,
            matches!(part, Part::All | Part::Reporter),
        )?;
        let commit = options.commit.clone().unwrap_or_else(commit_built);
        if part != Part::All {
            self.refuse_missing(part, &settings).await?;
        }
        if part != Part::Processor && part != Part::Reporter {
            self.deploy_stack(&settings, say).await?;
        }
        let stack = Stack::find(&self.cloudformation, &self.stage, &self.region).await?;
        let functions: &[Function] = match part {
            Part::All => &Function::ALL,
            Part::Processor => &[Function::Processor],
            Part::Reporter => &[Function::Reporter],
            Part::Stack => &[],
        };
        if !functions.is_empty() {
            self.build(functions, options, say)?;
        }
        for &function in functions {
            self.deploy_one(function, &stack, &settings, &commit, options, say)
                .await?;
        }
        if part == Part::All || part == Part::Stack {
            self.deploy_wiring(&stack, &settings, options, say).await?;
        }
        if options.verify && part != Part::Stack {
            self.verify(part, &settings, options, say).await?;
        }
        match part {
            Part::All => step(say, format!("deployed {} in {}", stack.name, self.region)),
            _ => step(
                say,
                format!("deployed {part} of {} in {}", stack.name, self.region),
            ),
        }
        for (key, value) in stacks::outputs(&self.cloudformation, &stack.name).await? {
            say(format!("{key:<22} {value}"));
        }
        Ok(())
    }

    /// stack.yaml, with the stage's settings; refused where a kept table stands in its way.
    async fn deploy_stack(
        &self,
        settings: &Settings,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let name = self.stack_name();
        step(
            say,
            format!(
                "stack {name} in {} (queue, dead-letter queue, table, roles, alarms)",
                self.region
            ),
        );
        self.refuse_retained_table().await?;
        let visibility = settings
            .number("PROCESSOR_TIMEOUT")?
            .checked_mul(VISIBILITY_PER_TIMEOUT)
            .ok_or_else(|| OpsError::Usage("PROCESSOR_TIMEOUT is too large".into()))?;
        let template = Template {
            name,
            body: STACK_TEMPLATE,
            parameters: vec![
                ("Stage", self.stage.clone()),
                ("QueueVisibilityTimeoutSeconds", visibility.to_string()),
                ("ReportSender", settings.get("REPORT_SENDER").to_owned()),
                (
                    "SesConfigurationSet",
                    settings.get("SES_CONFIGURATION_SET").to_owned(),
                ),
                ("WeekLookup", settings.get("WEEK_LOOKUP").to_owned()),
                ("AlarmEmail", settings.get("ALARM_EMAIL").to_owned()),
                ("Owner", settings.get("OWNER").to_owned()),
            ],
        };
        stacks::apply(&self.cloudformation, &template, say).await?;
        Ok(())
    }

    /// wiring.yaml: the SQS trigger, the daily report schedule, the retries.
    async fn deploy_wiring(
        &self,
        stack: &Stack,
        settings: &Settings,
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let name = shared_types::stage::wiring_stack_name(&self.stage);
        step(
            say,
            format!("wiring {name} (SQS trigger, daily report schedule, retries)"),
        );
        let template = Template {
            name,
            body: WIRING_TEMPLATE,
            parameters: vec![
                ("Stage", self.stage.clone()),
                ("QueueArn", stack.output(output::QUEUE_ARN)?.to_owned()),
                ("Owner", settings.get("OWNER").to_owned()),
                (
                    "ProcessorMaxConcurrency",
                    settings.get("PROCESSOR_MAX_CONCURRENCY").to_owned(),
                ),
                (
                    "ProcessorEventSourceEnabled",
                    options.event_source_enabled.to_string(),
                ),
                ("ReportTimezone", settings.get("REPORT_TIMEZONE").to_owned()),
                (
                    output::REPORT_SCHEDULE_ROLE_ARN,
                    stack.output(output::REPORT_SCHEDULE_ROLE_ARN)?.to_owned(),
                ),
            ],
        };
        stacks::apply(&self.cloudformation, &template, say).await?;
        Ok(())
    }

    /// One function, built already, deployed with its settings.
    async fn deploy_one(
        &self,
        function: Function,
        stack: &Stack,
        settings: &Settings,
        commit: &str,
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let (binary_file, binary) = binary(function, options);
        let sha256 = functions::sha256(&binary_file)?;
        let (memory, timeout, name_output, role_output) = match function {
            Function::Processor => (
                "PROCESSOR_MEMORY",
                "PROCESSOR_TIMEOUT",
                output::PROCESSOR_FUNCTION_NAME,
                output::PROCESSOR_ROLE_ARN,
            ),
            Function::Reporter => (
                "REPORTER_MEMORY",
                "REPORTER_TIMEOUT",
                output::REPORTER_FUNCTION_NAME,
                output::REPORTER_ROLE_ARN,
            ),
        };
        let number = |name: &'static str| -> Result<i32, OpsError> {
            settings
                .number(name)?
                .try_into()
                .map_err(|_| OpsError::Refused {
                    step: "read the stage's settings",
                    message: format!("{name} is too large"),
                })
        };
        let wanted = Wanted {
            name: stack.output(name_output)?.to_owned(),
            role: stack.output(role_output)?.to_owned(),
            memory: number(memory)?,
            timeout: number(timeout)?,
            environment: functions::environment(function, stack, settings, commit, &sha256)?,
            tags: functions::tags(&self.stage, settings.get("OWNER")),
        };
        step(
            say,
            format!(
                "function {} (alias {}, commit {commit})",
                wanted.name,
                shared_types::stage::LIVE_ALIAS
            ),
        );
        self.deploy_function(&wanted, &binary, options, say).await
    }

    /// Builds the functions given, unless `options.binary_dir` has them. The packages alone
    /// (`-p`), so that their features are their own: the workspace's tools turn on the SDK's
    /// aws-lc client and the processor's test fakes, which a workspace-wide build would put in
    /// the functions too.
    fn build(
        &self,
        functions: &[Function],
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        if let Some(dir) = &options.binary_dir {
            step(say, format!("binaries from {} (no build)", dir.display()));
            return Ok(());
        }
        let arguments = build_arguments(functions, &options.build_flags);
        step(say, format!("build (cargo {})", arguments.join(" ")));
        let built = std::process::Command::new("cargo")
            .args(&arguments)
            .status()
            .map_err(|e| OpsError::Refused {
                step: "build the functions",
                message: e.to_string(),
            })?;
        match built.success() {
            true => Ok(()),
            false => Err(OpsError::Refused {
                step: "build the functions",
                message: format!("cargo {} failed ({built})", arguments.join(" ")),
            }),
        }
    }

    /// The post-deploy check: a canary question and answer through the deployed queue (SES
    /// left out for the processor alone, whose deploy does not touch it); for the reporter
    /// alone, its live version renders the last complete week in the owner's zone without
    /// sending it.
    async fn verify(
        &self,
        part: Part,
        settings: &Settings,
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let ops = Operations::connect(&self.sdk, &self.stage).await?;
        if part == Part::Reporter {
            let week = last_complete_week(Utc::now(), settings.get("REPORT_TIMEZONE"))?;
            step(
                say,
                format!(
                    "verify: the reporter's live version renders {week} (a dry run, nothing sent)"
                ),
            );
            let backfilled = ops.backfill(&[week], true, false, |_| {}).await?;
            say(backfilled.to_string());
            return Ok(());
        }
        step(
            say,
            format!(
                "verify: a canary question and answer through {}",
                ops.stack.output(output::QUEUE_URL)?
            ),
        );
        let request_id = uuid::Uuid::new_v4().to_string();
        let checked = ops
            .check(
                &request_id,
                Utc::now(),
                options.verify_timeout,
                part != Part::Processor,
            )
            .await?;
        say(checked.to_string());
        match checked.refusal() {
            Some(refused) => Err(refused),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deploy_builds_each_function_as_its_package_alone() {
        let flags = ["--release".to_owned(), "--arm64".to_owned()];
        assert_eq!(
            build_arguments(&Function::ALL, &flags).join(" "),
            "lambda build --release --arm64 --locked -p processor --bin processor -p reporter --bin reporter"
        );
        assert_eq!(
            build_arguments(&[Function::Reporter], &[]).join(" "),
            "lambda build --locked -p reporter --bin reporter"
        );
    }

    #[test]
    fn the_reporters_check_renders_the_last_complete_week_where_the_owner_lives() {
        // Sunday 16 November 2025, 12:00 UTC, still 2025-W46 in UTC (the last complete week
        // W45), is Monday 02:00 in Kiritimati (UTC+14): W47 there, so the last complete week is
        // W46. In New York (UTC-5) it is Sunday morning: W45.
        let now = "2025-11-16T12:00:00Z".parse().unwrap();
        for (zone, week) in [
            ("Pacific/Kiritimati", "2025-W46"),
            ("America/New_York", "2025-W45"),
            ("UTC", "2025-W45"),
        ] {
            assert_eq!(
                last_complete_week(now, zone).unwrap().to_string(),
                week,
                "{zone}"
            );
        }
    }
}
