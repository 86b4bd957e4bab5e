//! The built Lambda binary refuses to start without its settings, naming what is missing.

fn start_with(vars: &[(&str, &str)]) -> (bool, String) {
    local_aws::start_lambda_binary(env!("CARGO_BIN_EXE_processor"), vars)
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

#[test]
fn a_missing_stage_stops_start_up_naming_the_variable() {
    let (ok, output) = start_with(&[
        ("TABLE_NAME", "records"),
        ("DEAD_LETTER_QUEUE_URL", "https://sqs/dlq.fifo"),
    ]);
    assert!(!ok);
    assert!(
        output.contains("environment variable STAGE is not set"),
        "{output}"
    );
}
