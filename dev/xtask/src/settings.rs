//! The settings of the chores, in one place: the functions' memory sizes and timeouts as the
//! Makefile deploys them, the demo's workload, the fault run's faults and the benchmark's runs.
//!
//! The Makefile is where a maintainer sets them (`make demo PROCESSOR_TIMEOUT=60`): it passes
//! each one through the environment. The defaults here are the Makefile's own, for a chore run
//! without make (`cargo xtask demo`); a test holds the two together.

use std::str::FromStr;

use anyhow::Context as _;
use shared_types::WeekId;
use shared_types::record::WeekLookup;
use shared_types::week::Tz;

/// Every setting, read once.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `PROCESSOR_MEMORY`, MB.
    pub processor_memory_mb: u32,
    /// `PROCESSOR_TIMEOUT`, seconds (the queue's visibility timeout is 6 times it).
    pub processor_timeout_s: u32,
    /// `REPORTER_MEMORY`, MB.
    pub reporter_memory_mb: u32,
    /// `REPORTER_TIMEOUT`, seconds (a report run's deadline).
    pub reporter_timeout_s: u32,
    /// `PROCESSOR_MAX_CONCURRENCY`: the queue trigger's maximum concurrency.
    pub processor_max_concurrency: u32,
    /// `WEEK_LOOKUP`: the table's layout.
    pub week_lookup: WeekLookup,
    /// `SEED`: the demo workload's seed.
    pub seed: u64,
    /// `QUESTIONS`: the demo workload's questions.
    pub questions: usize,
    /// `DEMO_WEEK`: the week the demo reports (its workload spans it and the week before).
    pub week: WeekId,
    /// `EVENTS`: the fewest messages of the fault run.
    pub events: usize,
    /// `FAULT_RATE`: the share of the processor's DynamoDB calls that fail in the fault run.
    pub fault_rate: f64,
    /// `SDK_ATTEMPTS`: the SDK's attempts per call in the fault run (1: SQS does the retrying).
    pub sdk_attempts: u32,
    /// `BENCH_TRIALS`: cold starts per function and setting.
    pub bench_trials: usize,
    /// `REPORT_TIMEZONE`: the owner's time zone, an IANA name.
    pub zone: Tz,
}

/// The names of the settings, as the Makefile spells them, with their defaults.
pub const DEFAULTS: [(&str, &str); 14] = [
    ("PROCESSOR_MEMORY", "128"),
    ("PROCESSOR_TIMEOUT", "30"),
    ("REPORTER_MEMORY", "256"),
    ("REPORTER_TIMEOUT", "120"),
    ("PROCESSOR_MAX_CONCURRENCY", "100"),
    ("WEEK_LOOKUP", "scan"),
    ("SEED", "42"),
    ("QUESTIONS", "2000"),
    ("DEMO_WEEK", "2025-W46"),
    ("EVENTS", "10000"),
    ("FAULT_RATE", "0.4"),
    ("SDK_ATTEMPTS", "1"),
    ("BENCH_TRIALS", "7"),
    ("REPORT_TIMEZONE", "UTC"),
];

impl Settings {
    /// The settings of the process environment, each default where it is not set.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::read(|name| std::env::var(name).ok())
    }

    /// The defaults alone.
    pub fn defaults() -> anyhow::Result<Self> {
        Self::read(|_| None)
    }

    fn read(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |name: &str| -> String {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default(name).to_owned())
        };
        let settings = Self {
            processor_memory_mb: parse("PROCESSOR_MEMORY", &get("PROCESSOR_MEMORY"))?,
            processor_timeout_s: parse("PROCESSOR_TIMEOUT", &get("PROCESSOR_TIMEOUT"))?,
            reporter_memory_mb: parse("REPORTER_MEMORY", &get("REPORTER_MEMORY"))?,
            reporter_timeout_s: parse("REPORTER_TIMEOUT", &get("REPORTER_TIMEOUT"))?,
            processor_max_concurrency: parse(
                "PROCESSOR_MAX_CONCURRENCY",
                &get("PROCESSOR_MAX_CONCURRENCY"),
            )?,
            week_lookup: get("WEEK_LOOKUP")
                .trim()
                .parse()
                .map_err(anyhow::Error::msg)
                .context("WEEK_LOOKUP")?,
            seed: parse("SEED", &get("SEED"))?,
            questions: parse("QUESTIONS", &get("QUESTIONS"))?,
            week: parse("DEMO_WEEK", &get("DEMO_WEEK"))?,
            events: parse("EVENTS", &get("EVENTS"))?,
            fault_rate: parse("FAULT_RATE", &get("FAULT_RATE"))?,
            sdk_attempts: parse("SDK_ATTEMPTS", &get("SDK_ATTEMPTS"))?,
            bench_trials: parse("BENCH_TRIALS", &get("BENCH_TRIALS"))?,
            zone: parse("REPORT_TIMEZONE", &get("REPORT_TIMEZONE"))?,
        };
        anyhow::ensure!(
            (0.0..=1.0).contains(&settings.fault_rate) && settings.sdk_attempts > 0,
            "FAULT_RATE must be within 0..=1 and SDK_ATTEMPTS at least 1"
        );
        Ok(settings)
    }
}

fn default(name: &str) -> &'static str {
    DEFAULTS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, v)| v)
}

fn parse<T: FromStr>(name: &str, text: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{name}={text:?}: {e}"))
}
