//! The contract shared by the processor and the reporter.
//!
//! - [`event`]: the events the chatbot sends (see `docs/events.md`) and their validation;
//! - [`week`]: ISO-8601 week ids in UTC, the unit of the weekly report;
//! - [`record`]: the DynamoDB item both Lambdas agree on, its key builders and merge rules;
//! - [`dead_letter`]: what travels with a message the processor dead-letters;
//! - [`report`]: the reporter's invocation contract (a manual request, the answer);
//! - [`privacy`]: what is kept of what people type: personal data scrubbed, headers reduced;
//! - [`metrics`]: the names of the CloudWatch metrics both functions write, which the alarms watch;
//! - [`stage`]: a deployed stage's facts: its stack, its outputs, the functions' settings;
//! - `testing` (feature `test-util`): builders of events and records for tests, benchmarks and
//!   the demo.
//!
//! Nothing here talks to AWS: both sides depend on this crate, never on each other.

pub mod dead_letter;
pub mod error;
pub mod event;
pub mod metrics;
pub mod privacy;
pub mod record;
pub mod report;
pub mod stage;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;
pub mod week;

pub use error::{EventError, WeekIdError};
pub use event::{AnalyticsEvent, MatchType, Performance, QueryEvent, ResponseEvent};
pub use record::RequestRecord;
pub use week::WeekId;
