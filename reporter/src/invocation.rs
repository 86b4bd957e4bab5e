//! What an invocation asks for: the scheduled weekly run, or a manual request.
//!
//! - The schedule's event (`"detail-type": "Scheduled Event"`, the input wiring.yaml gives
//!   EventBridge Scheduler, as `events/scheduled.json`; an EventBridge rule's event reads the
//!   same): the ISO week, in the owner's zone, before the one the event's `time` falls in, so a
//!   late or repeated delivery still reports the intended week.
//! - A manual request: `{"week": "2025-W45", "dryRun": true, "force": false}`, every key
//!   optional; without `week`, the week before now. Unknown keys are refused, so a typo such
//!   as `dry_run` cannot send an email by accident.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared_types::WeekId;
use shared_types::report::ReportInvocation;
use shared_types::week::Tz;

use crate::error::ReporterError;

/// A resolved request: which week, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRequest {
    pub week: WeekId,
    /// Render, do not send.
    pub dry_run: bool,
    /// Send even if the week's report was already sent.
    pub force: bool,
}

#[derive(Debug, Deserialize)]
struct ScheduledEvent {
    time: DateTime<Utc>,
}

impl ReportRequest {
    /// Reads an invocation payload; `now` serves only a manual request without a week.
    pub fn from_payload(
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Self, ReporterError> {
        Self::from_payload_in(payload, now, Tz::UTC)
    }

    /// [`ReportRequest::from_payload`] for an owner in `zone`: the week before the one the
    /// event's time (or now) falls in there.
    pub fn from_payload_in(
        payload: serde_json::Value,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Result<Self, ReporterError> {
        let invalid = |e: serde_json::Error| ReporterError::Invocation(e.to_string());
        let is_scheduled = payload.get("detail-type").is_some() || payload.get("source").is_some();
        if is_scheduled {
            let event: ScheduledEvent = serde_json::from_value(payload).map_err(invalid)?;
            return Ok(Self {
                week: WeekId::containing_in(event.time, zone).previous(),
                dry_run: false,
                force: false,
            });
        }
        let manual: ReportInvocation = serde_json::from_value(payload).map_err(invalid)?;
        let week = match manual.week {
            Some(text) => text.parse()?,
            None => WeekId::containing_in(now, zone).previous(),
        };
        Ok(Self {
            week,
            dry_run: manual.dry_run,
            force: manual.force,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2025-11-12T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_scheduled_event_reports_the_week_before_its_time() {
        let event: serde_json::Value =
            serde_json::from_str(include_str!("../events/scheduled.json")).unwrap();
        let request = ReportRequest::from_payload(event, now()).unwrap();
        assert_eq!(request.week.to_string(), "2025-W45");
        assert!(!request.dry_run && !request.force);
    }

    #[test]
    fn the_first_monday_of_2025_reports_2024_w52() {
        let event = json!({"source": "aws.events", "detail-type": "Scheduled Event", "time": "2024-12-30T07:00:00Z", "detail": {}});
        let request = ReportRequest::from_payload(event, now()).unwrap();
        assert_eq!(request.week.to_string(), "2024-W52");
    }

    #[test]
    fn a_manual_request_names_a_week_and_flags() {
        let request =
            ReportRequest::from_payload(json!({"week": "2020-W53", "dryRun": true}), now())
                .unwrap();
        assert_eq!(request.week.to_string(), "2020-W53");
        assert!(request.dry_run && !request.force);
        let default = ReportRequest::from_payload(json!({}), now()).unwrap();
        assert_eq!(default.week.to_string(), "2025-W45");
    }

    #[test]
    fn typos_and_bad_weeks_are_refused() {
        assert!(ReportRequest::from_payload(json!({"dry_run": true}), now()).is_err());
        assert!(ReportRequest::from_payload(json!({"week": "2025-W54"}), now()).is_err());
        assert!(ReportRequest::from_payload(json!({"week": 45}), now()).is_err());
    }
}
