//! The reporter Lambda: one ISO week of records in, one email out.
//!
//! Its surface, as `main`, the tools and the tests use it: the [`Reporter`] (its settings,
//! [`Config`]; [`Reporter::invoke`] for Lambda, [`Reporter::run`] for a [`ReportRequest`]),
//! [`build_report`] (a week's email built, nothing written), the capabilities it needs
//! ([`RecordSource`], [`ReportLedger`], [`Mailer`]) with their AWS adapters and, with the
//! `fakes` feature, their in-memory fakes; and the report's pure stages: the week's figures
//! ([`WeekAggregator`]), its content [`gaps`], the [`view`] the templates show and the email
//! [`render`]ed.
//!
//! Inside: `invocation` (what an invocation asks for), `build` (read, look back, render),
//! `handler` (claim, send, mark), `source`, `ledger` and `mailer` (the capabilities), `aws`
//! (DynamoDB and SES), and `report`, the stages in the order they run.

mod aws;
mod build;
mod config;
mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
mod handler;
mod invocation;
mod ledger;
mod mailer;
mod report;
mod source;

pub use aws::dynamo::{DynamoRecordSource, DynamoReportLedger, SCAN_SEGMENTS};
pub use aws::ses::SesMailer;
pub use build::{BuiltReport, LATE_ARRIVAL_WEEKS, build_report};
pub use config::{Config, week_lookup};
pub use error::ReporterError;
pub use handler::{AwsReporter, Outcome, ReportSummary, Reporter, outcome_metrics};
pub use invocation::ReportRequest;
pub use ledger::{Claim, ReportLedger};
pub use mailer::Mailer;
pub use report::aggregate::WeekAggregator;
pub use report::render::{RenderedReport, render};
pub use report::text::{header_safe, normalise_question};
pub use report::{gaps, view};
pub use source::{RecordSource, WeeksRead};
