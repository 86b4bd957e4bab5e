//! The contract shared by the processor and the reporter.
//!
//! - [`event`]: the events the chatbot sends (see `shared/spec/events.md`) and their validation;
//! - [`week`]: ISO-8601 week ids in UTC, the unit of the weekly report;
//! - [`record`]: the DynamoDB item both Lambdas agree on, its key builders and merge rules;
//! - [`dead_letter`]: what travels with a message the processor dead-letters;
//! - [`report`]: the reporter's invocation contract (a manual request, the answer);
//! - [`metrics`]: the CloudWatch metrics both functions write (Embedded Metric Format);
//! - [`settings`]: reading each Lambda's settings from the environment, failing by name.
//!
//! Nothing here talks to AWS: both sides depend on this crate, never on each other.

pub mod dead_letter;
pub mod error;
pub mod event;
pub mod metrics;
pub mod record;
pub mod report;
pub mod settings;
pub mod week;

pub use error::{EventError, WeekIdError};
pub use event::{AnalyticsEvent, MatchType, Performance, QueryEvent, ResponseEvent};
pub use record::RequestRecord;
pub use week::WeekId;
