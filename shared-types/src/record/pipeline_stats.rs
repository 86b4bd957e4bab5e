//! What the processor absorbed in a week, counted by processing time: the pipeline-integrity
//! line of that week's report. The item `STATS#<week>` is written only by batches that have
//! something to count (one `UpdateItem` with `ADD`), so ordinary batches cost nothing more.
//! The counts are approximate: a batch that SQS delivers again counts again.

use serde::{Deserialize, Serialize};

use crate::week::WeekId;

/// Messages sent to the dead-letter queue.
pub const DEAD_LETTERED: &str = "deadLettered";
/// Deliveries that added nothing: the same event again, or a rebuilt one that lost.
pub const DUPLICATES: &str = "duplicates";
/// Events processed after their week's report was due (07:00 on the Monday after the week, in the owner's zone).
pub const LATE: &str = "late";

/// The partition key of a week's counts.
pub fn key(week: WeekId) -> String {
    format!("{}{week}", super::STATS_KEY_PREFIX)
}

/// One week's counts (or one batch's, before they are added up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStats {
    #[serde(default)]
    pub dead_lettered: u64,
    #[serde(default)]
    pub duplicates: u64,
    #[serde(default)]
    pub late: u64,
}

impl PipelineStats {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
