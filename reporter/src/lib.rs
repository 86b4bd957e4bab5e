//! The reporter Lambda: one ISO week of records in, one email out.
//!
//! - [`invocation`]: what an invocation asks for (scheduled, or a manual week / dry run / force);
//! - [`report`]: the report's pure stages (aggregate, gaps, significance, view, render);
//! - [`handler`]: read, render, claim, send, mark;
//! - [`source`], [`ledger`], [`mailer`]: the capabilities, with in-memory fakes in `fakes`;
//! - [`aws`]: the adapters behind them (DynamoDB, SES).

pub mod aws;
mod config;
mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod handler;
mod invocation;
pub mod ledger;
pub mod mailer;
pub mod report;
pub mod source;

pub use config::{
    Config, REPORT_RECIPIENTS, REPORT_SENDER, SEND_EMPTY_REPORT, SES_CONFIGURATION_SET, TABLE_NAME,
    WEEK_LOOKUP,
};
pub use error::{ConfigError, ReporterError};
pub use handler::{BuiltReport, Outcome, ReportSummary, Reporter, build_report};
pub use invocation::ReportRequest;
