//! The functions as Lambda runs them: in the CPU share of their memory size, with AWS's
//! endpoints behind TLS. Builds the settings the cold-start runs use, and runs the
//! `coldstart-probe` that says where a cold function's time goes.

use anyhow::Context as _;
use std::path::{Path, PathBuf};

use local_aws::cpu_share::CpuShare;
use local_aws::tls::{TestCa, TlsFront};

use super::stats::median;

/// One way of running a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Setting {
    pub memory_mb: u32,
    /// In the CPU share of its memory size; otherwise on the whole machine.
    pub shared: bool,
    pub tls: bool,
}

impl Setting {
    pub(super) fn label(&self) -> String {
        let cpu = if self.shared {
            format!(
                "{} MB share ({:.1}% CPU)",
                self.memory_mb,
                100.0 * CpuShare::for_memory(self.memory_mb)
            )
        } else {
            "whole CPU".to_owned()
        };
        format!("{cpu}, {}", if self.tls { "TLS" } else { "HTTP" })
    }
}

/// TLS in front of the emulator, and the root bundle a function trusts it with.
#[derive(Debug)]
pub(super) struct Tls {
    pub front: TlsFront,
    pub bundle: PathBuf,
    /// Roots in the system's bundle (the test CA comes on top).
    pub system_roots: usize,
}

impl Tls {
    /// A test CA under `dir` and a front for `upstream`, or why not.
    pub(super) fn start(dir: &Path, upstream: &str) -> anyhow::Result<Self> {
        let ca = TestCa::create(dir)?;
        let (bundle, system_roots) = ca.bundle_with_system_roots()?;
        let front = TlsFront::start(&ca, upstream)?;
        Ok(Self {
            front,
            bundle,
            system_roots,
        })
    }
}

/// The CPU shares of `memories`, or the reason there are none here.
pub(super) fn shares(memories: &[u32]) -> anyhow::Result<Vec<(u32, CpuShare)>> {
    memories
        .iter()
        .map(|&mb| {
            CpuShare::create(
                &format!("cv-analytics-bench-{mb}"),
                CpuShare::for_memory(mb),
            )
            .map(|share| (mb, share))
        })
        .collect()
}

/// One step of the probe: its median wall and CPU time over the trials.
#[derive(Debug, Clone)]
pub(super) struct ProbeStep {
    pub name: String,
    pub wall_ms: f64,
    pub cpu_ms: f64,
}

/// Runs `probe` `trials` times inside `share` with `vars` and gives each step's medians.
pub(super) fn probe(
    probe: &str,
    share: &CpuShare,
    vars: &[(&str, &str)],
    trials: usize,
) -> anyhow::Result<Vec<ProbeStep>> {
    let mut steps: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for _ in 0..trials {
        let output = share
            .command(probe)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(vars.iter().copied())
            .output()
            .with_context(|| probe.to_string())?;
        if !output.status.success() {
            anyhow::bail!("{probe}: {}", String::from_utf8_lossy(&output.stderr));
        }
        for (i, line) in String::from_utf8_lossy(&output.stdout).lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, wall, cpu] = fields[..] else {
                anyhow::bail!("{probe}: unexpected line {line:?}");
            };
            let parse = |v: &str| v.parse::<f64>().with_context(|| format!("{line:?}"));
            if steps.len() <= i {
                steps.push((name.to_owned(), Vec::new(), Vec::new()));
            }
            steps[i].1.push(parse(wall)?);
            steps[i].2.push(parse(cpu)?);
        }
    }
    Ok(steps
        .into_iter()
        .map(|(name, wall, cpu)| ProbeStep {
            name,
            wall_ms: median(&wall),
            cpu_ms: median(&cpu),
        })
        .collect())
}
