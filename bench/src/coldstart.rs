//! Cold starts and memory: a function's release binary started as Lambda starts it, against a
//! Runtime API on loopback ([`local_aws::runtime_api`]), timed from process start to the end of
//! its first invocation; then one warm invocation; peak resident memory (`VmHWM`) after both.

use std::time::{Duration, Instant};

use local_aws::runtime_api::{LambdaProcess, RuntimeApi};

/// One function's runs.
#[derive(Debug, Clone)]
pub struct Runs {
    pub name: String,
    /// Process start to the first invocation's answer, per trial, in milliseconds.
    pub cold_ms: Vec<f64>,
    /// A second invocation, from queueing the event to its answer, per trial.
    pub warm_ms: Vec<f64>,
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
    pub fn cold(&self) -> f64 {
        median(&self.cold_ms)
    }

    pub fn warm(&self) -> f64 {
        median(&self.warm_ms)
    }

    pub fn rss(&self) -> f64 {
        median(&self.peak_rss_mib)
    }
}

/// Runs `binary` `trials` times; `event(trial, n)` gives the n-th event of a trial.
pub fn measure(
    name: &str,
    binary: &str,
    memory_mb: u32,
    vars: &[(&str, &str)],
    trials: usize,
    event: impl Fn(usize, usize) -> String,
) -> Result<Runs, String> {
    let mut runs = Runs {
        name: name.to_owned(),
        cold_ms: Vec::new(),
        warm_ms: Vec::new(),
        peak_rss_mib: Vec::new(),
    };
    for trial in 0..trials {
        let api = RuntimeApi::start();
        api.push(event(trial, 0));
        let process = LambdaProcess::start(binary, &api, memory_mb, vars);
        let first = api
            .wait_for(1, Duration::from_secs(120))
            .map_err(|e| format!("{name}: {e}\n{}", process.lines().join("\n")))?;
        let queued = Instant::now();
        api.push(event(trial, 1));
        let both = api
            .wait_for(2, Duration::from_secs(120))
            .map_err(|e| format!("{name}: {e}"))?;
        for invocation in &both {
            if let local_aws::runtime_api::Completion::Error(error) = &invocation.completion {
                return Err(format!("{name}: an invocation failed: {error}"));
            }
        }
        runs.cold_ms
            .push(first[0].at.duration_since(process.started).as_secs_f64() * 1e3);
        runs.warm_ms
            .push(both[1].at.duration_since(queued).as_secs_f64() * 1e3);
        let rss = process
            .peak_rss_kib()
            .ok_or_else(|| format!("{name}: no peak RSS in /proc"))?;
        runs.peak_rss_mib.push(rss as f64 / 1024.0);
    }
    Ok(runs)
}
