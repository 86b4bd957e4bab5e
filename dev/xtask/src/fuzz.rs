//! `cargo xtask fuzz`: runs one of the `cargo fuzz` targets of `dev/fuzz` (outside the
//! workspace: it builds with the fuzzer's flags). cargo fuzz needs nightly-only flags
//! (`-Zsanitizer=address`); the machine's one toolchain is stable, and `RUSTC_BOOTSTRAP=1` lets
//! it accept them. The corpus grows in `dev/fuzz/corpus/<target>` (ignored); the seeds are
//! `dev/fuzz/seeds/<target>` (committed), and `parse_event` also reads the poison corpus.

use std::process::Command;

use anyhow::Context as _;

/// What to fuzz, and for how long.
#[derive(Debug, Clone, clap::Args)]
pub struct FuzzArgs {
    /// The target: parse_event or merge_events.
    #[arg(long, env = "FUZZ_TARGET", default_value = "parse_event")]
    pub target: String,
    /// Seconds to run (ignored with --runs).
    #[arg(long, env = "FUZZ_SECONDS", default_value_t = 60)]
    pub seconds: u64,
    /// Executions to run.
    #[arg(long, env = "FUZZ_RUNS")]
    pub runs: Option<u64>,
    /// The sanitizer: address, or none (about twice as fast on these safe-Rust targets).
    #[arg(long, env = "FUZZ_SANITIZER", default_value = "address")]
    pub sanitizer: String,
}

pub fn fuzz(args: &FuzzArgs) -> anyhow::Result<()> {
    let dir = local_aws::servers::workspace_root().join("dev/fuzz");
    let target = args.target.as_str();
    anyhow::ensure!(
        matches!(target, "parse_event" | "merge_events"),
        "FUZZ_TARGET is parse_event or merge_events, not {target:?}"
    );
    for folder in ["corpus", "seeds"] {
        std::fs::create_dir_all(dir.join(folder).join(target))
            .with_context(|| format!("dev/fuzz/{folder}/{target}"))?;
    }
    let mut command = Command::new("cargo");
    command
        .current_dir(&dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", "-O", "-s", &args.sanitizer, target])
        .arg(format!("corpus/{target}"))
        .arg(format!("seeds/{target}"));
    // The parser also starts from the poison corpus; the merge target's inputs stay short.
    let max_len = if target == "parse_event" {
        command.arg("../../processor/tests/poison");
        17_000
    } else {
        512
    };
    command
        .arg("--")
        .arg(format!("-max_len={max_len}"))
        .arg("-print_final_stats=1")
        .arg(match args.runs {
            Some(runs) => format!("-runs={runs}"),
            None => format!("-max_total_time={}", args.seconds),
        });
    let status = command
        .status()
        .context("run cargo fuzz (make tools installs it)")?;
    anyhow::ensure!(status.success(), "cargo fuzz {target} failed: {status}");
    Ok(())
}
