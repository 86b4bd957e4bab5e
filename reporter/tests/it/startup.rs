//! The built Lambda binary refuses to start without its settings, naming what is missing.

fn start_with(vars: &[(&str, &str)]) -> (bool, String) {
    local_aws::start_lambda_binary(env!("CARGO_BIN_EXE_reporter"), vars)
}

#[test]
fn each_missing_variable_stops_start_up_by_name() {
    let all = [
        ("TABLE_NAME", "records"),
        ("REPORT_SENDER", "reports@example.dev"),
        ("REPORT_RECIPIENTS", "owner@example.dev"),
    ];
    for missing in ["TABLE_NAME", "REPORT_SENDER", "REPORT_RECIPIENTS"] {
        let vars: Vec<_> = all.iter().copied().filter(|(k, _)| *k != missing).collect();
        let (ok, output) = start_with(&vars);
        assert!(!ok, "{missing}");
        assert!(
            output.contains(&format!("environment variable {missing} is not set")),
            "{output}"
        );
    }
}

#[test]
fn a_missing_stage_stops_start_up_naming_the_variable() {
    let (ok, output) = start_with(&[
        ("TABLE_NAME", "records"),
        ("REPORT_SENDER", "reports@example.dev"),
        ("REPORT_RECIPIENTS", "owner@example.dev"),
    ]);
    assert!(!ok);
    assert!(
        output.contains("environment variable STAGE is not set"),
        "{output}"
    );
}

#[test]
fn a_recipient_list_without_an_address_stops_start_up() {
    let (ok, output) = start_with(&[
        ("TABLE_NAME", "records"),
        ("REPORT_SENDER", "reports@example.dev"),
        ("REPORT_RECIPIENTS", " , "),
    ]);
    assert!(!ok);
    assert!(output.contains("REPORT_RECIPIENTS"), "{output}");
}
