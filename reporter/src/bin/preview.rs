//! Renders any week's report to files without sending it, reading the same table as the Lambda.
//!
//! ```sh
//! TABLE_NAME=cv-analytics-dev cargo run -p reporter --bin preview -- 2025-W45 target/preview
//! ```
//! writes `report.html` and `report.txt` into the folder and prints the subject. `WEEK_LOOKUP`
//! (`scan`, the default, or `index`) says how the table finds a week, as for the Lambda.

#![allow(clippy::print_stdout)] // a command-line tool: its output is what it is for

use std::path::PathBuf;
use std::process::ExitCode;

use lambda_support::Settings;
use reporter::{BuiltReport, DynamoRecordSource, DynamoReportLedger, build_report, week_lookup};
use shared_types::WeekId;
use shared_types::stage::setting::TABLE_NAME;

const USAGE: &str = "usage: TABLE_NAME=<table> preview <week, e.g. 2025-W45> [output folder, default target/preview]";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("preview: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let week: WeekId = args
        .next()
        .ok_or(USAGE)?
        .parse()
        .map_err(|e| format!("{e}\n{USAGE}"))?;
    let folder = PathBuf::from(args.next().unwrap_or_else(|| "target/preview".into()));
    let settings = Settings::from_env();
    let table = settings.required(TABLE_NAME).map_err(|e| e.to_string())?;
    let lookup = week_lookup(&settings).map_err(|e| e.to_string())?;
    let zone = settings.report_timezone().map_err(|e| e.to_string())?;
    let ttl_days = settings.record_ttl_days().map_err(|e| e.to_string())?;

    let aws = lambda_support::sdk::load().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let source = DynamoRecordSource::new(dynamodb.clone(), &table, lookup);
    // Read only: the ledger gives the stored figures of earlier weeks, nothing is written.
    let ledger = DynamoReportLedger::new(dynamodb, table);
    let BuiltReport {
        figures,
        rendered: report,
        ..
    } = build_report(&source, &ledger, week, chrono::Utc::now(), zone, ttl_days)
        .await
        .map_err(|e| e.to_string())?;

    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let html = folder.join("report.html");
    let text = folder.join("report.txt");
    std::fs::write(&html, &report.html).map_err(|e| format!("{}: {e}", html.display()))?;
    std::fs::write(&text, &report.text).map_err(|e| format!("{}: {e}", text.display()))?;
    Ok(format!(
        "{}\n{} records read; wrote {} ({} bytes) and {}",
        report.subject,
        figures.records_read,
        html.display(),
        report.html.len(),
        text.display()
    ))
}
