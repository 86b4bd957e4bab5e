//! The pipeline's CloudWatch metrics: their namespace, their one dimension and their names, the
//! contract between the functions that write them (`lambda-support` writes the lines) and the
//! alarms of `infrastructure/stack.yaml` that watch them.
//!
//! Every metric is in [`NAMESPACE`] with the one dimension `Stage`, so that the alarms and the
//! maintainer command can name them by stage alone.

/// The namespace of every metric of the pipeline.
pub const NAMESPACE: &str = "CvAnalytics";
/// The one dimension.
pub const STAGE_DIMENSION: &str = "Stage";

/// Metric names: the processor's per-batch counts.
pub mod processor {
    pub const EVENTS_RECEIVED: &str = "EventsReceived";
    pub const REQUESTS_STORED: &str = "RequestsStored";
    pub const MERGED_IN_BATCH: &str = "MergedInBatch";
    pub const REJECTED_TO_DEAD_LETTER_QUEUE: &str = "RejectedToDeadLetterQueue";
    pub const RETRIED: &str = "Retried";
    /// Deliveries that added nothing: the same event again, or a rebuilt one that lost.
    pub const DUPLICATES_ABSORBED: &str = "DuplicatesAbsorbed";
    /// Stored events whose week's report was already due.
    pub const LATE_DELIVERIES: &str = "LateDeliveries";
}

/// Metric names: the reporter's outcome.
pub mod reporter {
    pub const RECORDS_READ: &str = "ReportRecordsRead";
    pub const SENT: &str = "ReportsSent";
    pub const ALREADY_SENT: &str = "ReportsSkippedAlreadySent";
    pub const IN_PROGRESS_ELSEWHERE: &str = "ReportsSkippedInProgress";
    pub const EMPTY_WEEK_NOT_SENT: &str = "ReportsSkippedEmptyWeek";
    pub const DRY_RUNS: &str = "ReportDryRuns";
    /// 1 when the week's email may have gone out but is not confirmed (see
    /// `Outcome::Unconfirmed`): the `report-unconfirmed` alarm watches it.
    pub const UNCONFIRMED: &str = "ReportsUnconfirmed";
    /// 1 when the requested week's report is sent, or deliberately not sent (an empty week
    /// with `SEND_EMPTY_REPORT=false`); 0 otherwise. The daily scheduled run writes it every
    /// day, so the no-weekly-report alarm has a data point a day.
    pub const UP_TO_DATE: &str = "ReportUpToDate";
}
