//! A share of one CPU in proportion to a function's memory, as Lambda gives it: a cgroup (v1,
//! `/sys/fs/cgroup/cpu`) whose CFS quota is that share (one vCPU at 1,769 MB, so 7.2% at 128 MB
//! and 14.5% at 256 MB). Needs root and a cgroup v1 CPU controller; [`CpuShare::create`] says
//! why when it cannot.

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Memory at which Lambda gives a function one full vCPU.
pub(crate) const MB_PER_VCPU: f64 = 1_769.0;

/// The CFS period of the share's cgroup, in microseconds (the kernel's default).
const PERIOD_US: u64 = 100_000;

/// Where the cgroup v1 CPU controller is mounted.
const CPU_CONTROLLER: &str = "/sys/fs/cgroup/cpu";

/// A cgroup limiting its processes to a share of one CPU; removed when dropped (once its
/// processes have ended).
#[derive(Debug)]
pub struct CpuShare {
    dir: PathBuf,
    /// The share of one CPU, 0 to 1.
    pub share: f64,
}

impl CpuShare {
    /// The share Lambda gives a function of `memory_mb`.
    pub fn for_memory(memory_mb: u32) -> f64 {
        (f64::from(memory_mb) / MB_PER_VCPU).min(1.0)
    }

    /// Creates the cgroup `name` with `share` of one CPU, or says why it cannot.
    pub fn create(name: &str, share: f64) -> anyhow::Result<Self> {
        let controller = Path::new(CPU_CONTROLLER);
        if !controller.join("cpu.cfs_quota_us").is_file() {
            anyhow::bail!(
                "no cgroup v1 CPU controller at {CPU_CONTROLLER} (cgroup v2 or a container without it)"
            );
        }
        let dir = controller.join(name);
        if !dir.is_dir() {
            std::fs::create_dir(&dir).with_context(|| {
                format!(
                    "cannot create {} (creating a cgroup needs root)",
                    dir.display()
                )
            })?;
        }
        let quota = ((share * PERIOD_US as f64).round() as u64).max(1_000);
        let write = |file: &str, value: u64| {
            std::fs::write(dir.join(file), value.to_string())
                .with_context(|| format!("cannot set {}/{file}", dir.display()))
        };
        write("cpu.cfs_period_us", PERIOD_US)?;
        write("cpu.cfs_quota_us", quota)?;
        Ok(Self { dir, share })
    }

    /// The file a process writes its PID to, to join the share.
    pub(crate) fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    /// A command that runs `binary` inside the share from its first instruction: a shell joins
    /// the cgroup and then becomes the binary (`exec`), so nothing of it runs outside the share.
    pub fn command(&self, binary: &str) -> Command {
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(r#"echo $$ > "$1" && exec "$0""#)
            .arg(binary)
            .arg(self.procs_file());
        command
    }

    /// How many times the kernel held the share's processes back, and for how long in all
    /// (`cpu.stat`: `nr_throttled`, `throttled_time` in nanoseconds).
    pub fn throttled(&self) -> (u64, u64) {
        let stat = std::fs::read_to_string(self.dir.join("cpu.stat")).unwrap_or_default();
        let field = |name: &str| {
            stat.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        (field("nr_throttled "), field("throttled_time "))
    }
}

impl Drop for CpuShare {
    fn drop(&mut self) {
        // Fails while a process is still inside; the kernel then keeps the group, harmlessly.
        let _ = std::fs::remove_dir(&self.dir);
    }
}
