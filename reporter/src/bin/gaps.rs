//! Groups a list of questions as the weekly report groups a week's unanswered questions, so
//! that an owner can try the grouping on their own traffic: no AWS call, the production method
//! and settings.
//!
//! ```sh
//! cargo run -p reporter --bin gaps -- questions.txt     # or `make gaps FILE=questions.txt`
//! ```
//! reads one question per line (`-` reads standard input; blank lines are skipped) and prints
//! one JSON line per question, in input order: `{"question": ..., "gap": N, "label": ...,
//! "topic": ...}`, questions of one gap sharing its number (numbered in order of first
//! appearance); `topic` is the lexicon's id (`reporter/data/topics.toml`) or null, and `gap`
//! is null for a question the report would count without grouping (beyond its cap).

#![allow(clippy::print_stdout)] // a command-line tool: its output is what it is for

use std::io::{BufWriter, Read, Write};
use std::process::ExitCode;

use reporter::gaps;

const USAGE: &str = "usage: gaps <file of questions, one per line, or - for standard input>";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gaps: {message}");
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
    let questions: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let assignments = gaps::assignments(&questions);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (question, assignment) in questions.iter().zip(assignments) {
        let line = serde_json::json!({
            "question": question,
            "gap": assignment.gap,
            "label": assignment.label,
            "topic": assignment.topic,
        });
        writeln!(out, "{line}").map_err(|e| format!("standard output: {e}"))?;
    }
    out.flush().map_err(|e| format!("standard output: {e}"))
}
