//! The `cv-analytics` command line: what it offers, what it refuses before it calls AWS, and
//! how it fails when AWS cannot be reached (an error naming what failed, exit status 1, never a
//! panic).

use std::process::{Command, Output};

fn cv_analytics(args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cv-analytics"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn help_lists_every_maintainer_command() {
    let output = cv_analytics(&["--help"], &[]);
    assert!(output.status.success());
    let help = text(&output);
    // Each a line of the command list: `  <command>  <what it does>`.
    let listed: Vec<&str> = help
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.split_whitespace().next())
        .collect();
    for command in [
        "status",
        "dlq",
        "backfill",
        "rollback",
        "verify",
        "deploy",
        "deploy-stack",
        "destroy",
        "import-table",
        "deployer-role",
        "region",
    ] {
        assert!(listed.contains(&command), "{command} missing from:\n{help}");
    }
    // Every command says what it does.
    for line in help
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('-'))
    {
        assert!(line.split_whitespace().count() > 1, "no help text: {line}");
    }
}

#[test]
fn a_backfill_without_its_range_is_refused_before_any_call() {
    let output = cv_analytics(&["backfill", "--from", "2025-W40"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("--to"), "{}", text(&output));
}

#[test]
fn an_unreachable_aws_is_an_error_that_names_the_stack_not_a_panic() {
    let output = cv_analytics(
        &["--stage", "dev", "status"],
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.starts_with("error: "), "{said}");
    assert!(said.contains("cv-analytics-dev"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

#[test]
fn the_region_is_the_environments_then_the_profiles_or_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[profile work]\nregion = eu-south-2\n[profile bare]\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let home = dir.path().to_str().unwrap();
    let region = |vars: &[(&str, &str)]| {
        let mut all = vec![
            ("HOME", home),
            ("AWS_CONFIG_FILE", config),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        all.extend_from_slice(vars);
        cv_analytics(&["region"], &all)
    };
    for (vars, expected) in [
        (
            &[("AWS_REGION", "eu-west-1"), ("AWS_PROFILE", "work")][..],
            "eu-west-1",
        ),
        (&[("AWS_DEFAULT_REGION", "eu-north-1")][..], "eu-north-1"),
        (&[("AWS_PROFILE", "work")][..], "eu-south-2"),
    ] {
        let output = region(vars);
        assert!(output.status.success(), "{}", text(&output));
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("{expected}\n")
        );
    }
    let none = region(&[("AWS_PROFILE", "bare")]);
    let said = text(&none);
    assert_eq!(none.status.code(), Some(1), "{said}");
    assert!(said.contains("no AWS region: set AWS_REGION"), "{said}");
    assert!(
        said.contains("aws configure set region <region> --profile bare"),
        "{said}"
    );
}
