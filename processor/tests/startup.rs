//! The built Lambda binary refuses to start without its settings, naming what is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed step fails the test

use std::process::Command;

fn start_with(vars: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_processor"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // A runtime API that nothing listens on: start-up must fail before it is needed.
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().expect("processor binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn a_missing_table_name_stops_start_up_naming_the_variable() {
    let (ok, output) = start_with(&[("DEAD_LETTER_QUEUE_URL", "https://sqs/dlq.fifo")]);
    assert!(!ok);
    assert!(
        output.contains("environment variable TABLE_NAME is not set"),
        "{output}"
    );
}

#[test]
fn a_missing_dead_letter_queue_stops_start_up_naming_the_variable() {
    let (ok, output) = start_with(&[("TABLE_NAME", "records")]);
    assert!(!ok);
    assert!(
        output.contains("DEAD_LETTER_QUEUE_URL is not set"),
        "{output}"
    );
}

#[test]
fn an_invalid_ttl_stops_start_up_naming_the_variable() {
    let (ok, output) = start_with(&[
        ("TABLE_NAME", "records"),
        ("DEAD_LETTER_QUEUE_URL", "https://sqs/dlq.fifo"),
        ("RECORD_TTL_DAYS", "-3"),
    ]);
    assert!(!ok);
    assert!(output.contains("RECORD_TTL_DAYS is \"-3\""), "{output}");
}
