//! A function's binary started as Lambda starts it, against the [`RuntimeApi`]: the variables
//! Lambda sets, a CPU share, what it prints kept, stopped by PID when dropped; and the checks
//! that the binary a test runs is built from the sources it tests.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::RuntimeApi;
use crate::cpu_share::CpuShare;

/// A function binary started as Lambda starts it, against a [`RuntimeApi`].
#[derive(Debug)]
pub struct LambdaProcess {
    child: Child,
    pub started: Instant,
    output: Arc<Mutex<Vec<String>>>,
}

impl LambdaProcess {
    /// Starts `binary` with only `vars`, `PATH` and the variables Lambda sets (the function's
    /// name, memory size, version, log group and stream, and the Runtime API's address).
    pub fn start(binary: &str, api: &RuntimeApi, memory_mb: u32, vars: &[(&str, &str)]) -> Self {
        Self::spawn(Command::new(binary), binary, api, memory_mb, vars)
    }

    /// The same, inside `share` from its first instruction ([`CpuShare::command`]).
    pub fn start_in(
        share: &CpuShare,
        binary: &str,
        api: &RuntimeApi,
        memory_mb: u32,
        vars: &[(&str, &str)],
    ) -> Self {
        Self::spawn(share.command(binary), binary, api, memory_mb, vars)
    }

    fn spawn(
        mut command: Command,
        binary: &str,
        api: &RuntimeApi,
        memory_mb: u32,
        vars: &[(&str, &str)],
    ) -> Self {
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "local")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string())
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in vars {
            command.env(name, value);
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(line);
                }
            });
        }
        Self {
            child,
            started,
            output,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every line printed so far (standard output and error, interleaved by arrival).
    pub fn lines(&self) -> Vec<String> {
        self.output
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// CPU time the process has used so far, all its threads, in nanoseconds (the first field
    /// of each thread's `/proc/<pid>/task/<tid>/schedstat`).
    pub fn cpu_ns(&self) -> Option<u64> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid())).ok()?;
        let mut total = 0;
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(total)
    }

    /// Peak resident memory so far, in KiB (Linux `VmHWM`), while the process runs.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for LambdaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `predicate` holds for the process's output, or `timeout` passes.
pub fn wait_for_output(
    process: &LambdaProcess,
    timeout: Duration,
    predicate: impl Fn(&[String]) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if predicate(&process.lines()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    predicate(&process.lines())
}

/// Starts a Lambda binary with only `vars` (and `PATH`) set and a runtime API that nothing
/// listens on, and returns whether it exited successfully and what it printed. A binary whose
/// settings are incomplete must stop before it needs the runtime API.
pub fn start_lambda_binary(binary: &str, vars: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().expect("the Lambda binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The debug build of a workspace binary, for tests of one crate that run another crate's
/// binary (the end-to-end tests run the reporter and the maintainer command): Cargo gives a test
/// `CARGO_BIN_EXE_<name>` only for its own package's binaries, and builds every package's
/// binaries for `cargo test --workspace` (`make test`). Building it here instead would be a
/// second build with other features (a `cargo build` of one package unifies fewer of them), so
/// the test refuses a binary that is missing or older than its crate's sources, saying what to
/// run.
pub fn workspace_binary(name: &str, crate_dir: &str) -> std::path::PathBuf {
    let root = crate::servers::workspace_root();
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), Into::into);
    let binary = target.join("debug").join(name);
    let built = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is not built: run `cargo test --workspace` (make test)",
                binary.display()
            )
        });
    let sources = [crate_dir, "shared-types", "lambda-support", "Cargo.lock"];
    let newest = sources
        .iter()
        .filter_map(|path| newest_change(&root.join(path)))
        .max();
    assert!(
        newest.is_none_or(|changed| changed <= built),
        "{} is older than its sources: run `cargo test --workspace` (make test), which builds it",
        binary.display()
    );
    binary
}

/// The latest modification under `path` (a file, or a folder's files, recursively).
fn newest_change(path: &std::path::Path) -> Option<std::time::SystemTime> {
    let metadata = std::fs::metadata(path).ok()?;
    if metadata.is_file() {
        return metadata.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name() != "target")
        .filter_map(|entry| newest_change(&entry.path()))
        .max()
}
