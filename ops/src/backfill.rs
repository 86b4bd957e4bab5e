//! `backfill`: the deployed reporter function (its live version), invoked once per week of a range, in order. One
//! code path and one configuration (recipients, configuration set, empty weeks, record lifetime):
//! the function's own. It honours the exactly-once marker (a week already sent is skipped)
//! unless forced, takes its claim's time from Lambda's clock, refuses weeks whose records have
//! expired, and writes the same metrics as the weekly run (so a backfill clears the
//! no-weekly-report alarm).

use std::fmt;

use aws_sdk_lambda::primitives::Blob;
use serde::Serialize;
use shared_types::WeekId;
use shared_types::report::{Outcome, ReportInvocation, ReportSummary};

use crate::Operations;
use crate::error::{OpsError, aws_failed};
use shared_types::stage::LIVE_ALIAS;

use crate::release::Function;

/// Longest range, in weeks: two years.
const MAX_WEEKS: usize = 104;

/// The weeks from `from` to `to`, both included.
pub fn weeks(from: WeekId, to: WeekId) -> Result<Vec<WeekId>, OpsError> {
    if from > to {
        return Err(OpsError::Usage(format!(
            "--from {from} is after --to {to}: give the earlier week first"
        )));
    }
    let mut weeks = vec![from];
    while let Some(&last) = weeks.last()
        && last < to
    {
        if weeks.len() == MAX_WEEKS {
            return Err(OpsError::Usage(format!(
                "{from} to {to} is more than {MAX_WEEKS} weeks: backfill it in parts"
            )));
        }
        weeks.push(last.next());
    }
    Ok(weeks)
}

/// What a backfill did: the reporter's answer for each week, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Backfilled(pub Vec<ReportSummary>);

/// A line a week (its outcome, the requests read, the subject), then how many were sent.
impl fmt::Display for Backfilled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.0 {
            writeln!(
                f,
                "  {}  {:<22} {} requests read  {}",
                s.week,
                format!("{:?}", s.outcome),
                s.records_read,
                s.subject
            )?;
        }
        let sent = self.0.iter().filter(|s| s.outcome == Outcome::Sent).count();
        writeln!(f, "{sent} of {} weeks sent", self.0.len())
    }
}

impl Operations {
    /// Invokes the stage's reporter for each week in order, calling `progress` after each; stops
    /// at the first week the function fails on, with its error.
    pub async fn backfill(
        &self,
        weeks: &[WeekId],
        dry_run: bool,
        force: bool,
        mut progress: impl FnMut(&ReportSummary),
    ) -> Result<Backfilled, OpsError> {
        let function = self.function_name(Function::Reporter)?;
        let mut summaries = Vec::with_capacity(weeks.len());
        for &week in weeks {
            let summary = self.invoke_reporter(function, week, dry_run, force).await?;
            progress(&summary);
            summaries.push(summary);
        }
        Ok(Backfilled(summaries))
    }

    async fn invoke_reporter(
        &self,
        function: &str,
        week: WeekId,
        dry_run: bool,
        force: bool,
    ) -> Result<ReportSummary, OpsError> {
        let request = ReportInvocation {
            week: Some(week.to_string()),
            dry_run,
            force,
        };
        let payload = serde_json::to_vec(&request).map_err(|e| OpsError::Usage(e.to_string()))?;
        let answer = self
            .lambda
            .invoke()
            .function_name(function)
            .qualifier(LIVE_ALIAS)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(aws_failed("invoke the reporter function"))?;
        let body = answer
            .payload()
            .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
            .unwrap_or_default();
        if answer.function_error().is_some() {
            return Err(OpsError::ReporterFailed {
                week: week.to_string(),
                function: function.to_owned(),
                message: error_message(&body),
            });
        }
        serde_json::from_str(&body).map_err(|e| OpsError::Refused {
            step: "read the reporter's answer",
            message: format!("{e}: {body}"),
        })
    }
}

/// The message of a function error (`{"errorType": ..., "errorMessage": ...}`), or the body.
fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(text: &str) -> WeekId {
        text.parse().unwrap()
    }

    #[test]
    fn a_range_crosses_the_year_and_includes_both_ends() {
        let weeks = weeks(week("2025-W51"), week("2026-W02")).unwrap();
        let names: Vec<String> = weeks.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2025-W51", "2025-W52", "2026-W01", "2026-W02"]);
    }

    #[test]
    fn a_function_error_reads_as_its_message() {
        let body = r#"{"errorType":"ReporterError::WeekExpired","errorMessage":"2025-W10 cannot be reported"}"#;
        assert_eq!(error_message(body), "2025-W10 cannot be reported");
        assert_eq!(error_message("not json"), "not json");
    }

    #[test]
    fn a_reversed_or_huge_range_is_refused_with_what_to_do() {
        let reversed = weeks(week("2025-W46"), week("2025-W40")).unwrap_err();
        assert!(reversed.to_string().contains("give the earlier week first"));
        let huge = weeks(week("2020-W01"), week("2025-W01")).unwrap_err();
        assert!(huge.to_string().contains("in parts"));
    }
}
