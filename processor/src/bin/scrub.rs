//! What the processor would store of each question of a file: the question scrubbed of
//! personal data by the production rules (`shared_types::privacy`), so that an owner can check
//! what would be kept of their own traffic. No AWS call.
//!
//! ```sh
//! cargo run -p processor --bin scrub -- questions.txt     # or `make scrub FILE=questions.txt`
//! ```
//! reads one question per line (`-` reads standard input; blank lines are skipped) and prints
//! one JSON line per question, in input order: `{"question": ..., "stored": ..., "redactions":
//! N}`.

#![allow(clippy::print_stdout)] // a command-line tool: its output is what it is for

use std::io::{BufWriter, Read, Write};
use std::process::ExitCode;

use shared_types::privacy::scrub_question;

const USAGE: &str = "usage: scrub <file of questions, one per line, or - for standard input>";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scrub: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or(USAGE)?;
    let mut text = String::new();
    if path == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("standard input: {e}"))?;
    } else {
        text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    for question in text.lines().filter(|l| !l.trim().is_empty()) {
        let (stored, redactions) = scrub_question(question);
        let line = serde_json::json!({
            "question": question,
            "stored": stored,
            "redactions": redactions,
        });
        writeln!(out, "{line}").map_err(|e| format!("standard output: {e}"))?;
    }
    out.flush().map_err(|e| format!("standard output: {e}"))
}
