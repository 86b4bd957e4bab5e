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

use std::time::{Duration, Instant};

use local_aws::limits::CpuShare;
use local_aws::runtime_api::{Completion, LambdaProcess, RuntimeApi};

/// One function's runs in one setting.
#[derive(Debug, Clone, Default)]
pub struct Runs {
    pub name: String,
    pub init_ms: Vec<f64>,
    pub first_ms: Vec<f64>,
    pub second_ms: Vec<f64>,
    pub init_cpu_ms: Vec<f64>,
    pub first_cpu_ms: Vec<f64>,
    pub second_cpu_ms: Vec<f64>,
    /// Peak resident memory per trial, in MiB.
    pub peak_rss_mib: Vec<f64>,
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

impl Runs {
    pub fn init(&self) -> f64 {
        median(&self.init_ms)
    }

    pub fn first(&self) -> f64 {
        median(&self.first_ms)
    }

    pub fn second(&self) -> f64 {
        median(&self.second_ms)
    }

    /// Process start to the first answer: what a caller of a cold function waits.
    pub fn cold(&self) -> f64 {
        let totals: Vec<f64> = self
            .init_ms
            .iter()
            .zip(&self.first_ms)
            .map(|(i, f)| i + f)
            .collect();
        median(&totals)
    }

    pub fn rss(&self) -> f64 {
        median(&self.peak_rss_mib)
    }

    /// Milliseconds Lambda bills for a cold start: init and the first invocation, each rounded
    /// up to the millisecond.
    pub fn billed_cold_ms(&self) -> f64 {
        self.init().ceil() + self.first().ceil()
    }

    /// Milliseconds Lambda bills a warm invocation.
    pub fn billed_warm_ms(&self) -> f64 {
        self.second().ceil()
    }
}

/// How a function is run.
#[derive(Debug, Clone, Copy)]
pub struct Setting<'a> {
    pub memory_mb: u32,
    /// The CPU share to run in; `None`: the whole machine.
    pub share: Option<&'a CpuShare>,
}

fn cpu_ms(process: &LambdaProcess) -> f64 {
    process.cpu_ns().map_or(f64::NAN, |ns| ns as f64 / 1e6)
}

/// Runs `binary` `trials` times; `event(trial, n)` gives the n-th event of a trial.
pub fn measure(
    name: &str,
    binary: &str,
    setting: Setting<'_>,
    vars: &[(&str, &str)],
    trials: usize,
    event: impl Fn(usize, usize) -> String,
) -> Result<Runs, String> {
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
                return Err(format!(
                    "{name}: no request for an event within 120 s\n{}",
                    process.lines().join("\n")
                ));
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let init_cpu = cpu_ms(&process);
        api.push(event(trial, 0));
        api.wait_for(1, Duration::from_secs(120))
            .map_err(|e| format!("{name}: {e}\n{}", process.lines().join("\n")))?;
        let first_cpu = cpu_ms(&process);
        api.push(event(trial, 1));
        let both = api
            .wait_for(2, Duration::from_secs(120))
            .map_err(|e| format!("{name}: {e}"))?;
        let second_cpu = cpu_ms(&process);
        for invocation in &both {
            if let Completion::Error(error) = &invocation.completion {
                return Err(format!("{name}: an invocation failed: {error}"));
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
            .ok_or_else(|| format!("{name}: no peak RSS in /proc"))?;
        runs.peak_rss_mib.push(rss as f64 / 1024.0);
    }
    Ok(runs)
}
