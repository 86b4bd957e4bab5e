//! The reporter Lambda: one ISO week of records in, one email out.
//!
//! - [`invocation`]: what an invocation asks for (scheduled, or a manual week / dry run / force);
//! - [`aggregate`]: the streaming pass over a week's records;
//! - [`gaps`]: the week's unanswered questions grouped by meaning;
//! - [`view`] and [`render`]: the view model and the askama templates;
//! - [`handler`]: read, render, claim, send, mark;
//! - [`source`], [`ledger`], [`mailer`]: the capabilities, with in-memory fakes;
//! - [`dynamo`] and [`ses`]: the AWS adapters behind them.

pub mod aggregate;
mod config;
pub mod dynamo;
mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod gaps;
pub mod handler;
mod invocation;
pub mod ledger;
pub mod mailer;
pub mod render;
pub mod ses;
pub mod significance;
pub mod source;
pub mod view;

pub use config::{
    Config, REPORT_RECIPIENTS, REPORT_SENDER, SEND_EMPTY_REPORT, SES_CONFIGURATION_SET, TABLE_NAME,
    WEEK_LOOKUP,
};
pub use error::{ConfigError, ReporterError};
pub use handler::{BuiltReport, Outcome, ReportSummary, Reporter, build_report};
pub use invocation::ReportRequest;
