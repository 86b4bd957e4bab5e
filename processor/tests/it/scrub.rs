//! `make scrub FILE=...`: the binary prints, for each question of a file, what the processor
//! would store of it, with the production rules.

/// One JSON line per question, in input order, blank lines skipped; a missing file is a clear
/// error.
#[test]
fn the_scrub_command_shows_what_would_be_stored_of_each_question() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/scrub/questions.txt");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_scrub"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let shown: Vec<(&str, &str, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["question"].as_str().unwrap(),
                l["stored"].as_str().unwrap(),
                l["redactions"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "Is he looking for 60 000 - 80 000 per year?",
                "Is he looking for 60 000 - 80 000 per year?",
                0
            ),
            (
                "my card is 4111 1111 1111 1111 12/25",
                "my card is [card]",
                1
            ),
            ("call me on 5551234", "call me on [phone]", 1),
        ]
    );
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_scrub"))
        .arg("no-such-file.txt")
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("scrub: no-such-file.txt: "));
}
