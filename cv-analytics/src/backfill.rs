//! `backfill`: the reporter's own logic run here for a range of weeks, honouring the
//! exactly-once marker (a week already sent is skipped) unless forced.

use chrono::{DateTime, Utc};
use reporter::dynamo::{DynamoRecordSource, DynamoReportLedger};
use reporter::ses::SesMailer;
use reporter::{ReportRequest, ReportSummary, Reporter};
use shared_types::WeekId;
use shared_types::settings::Settings;

use crate::Operations;
use crate::error::OpsError;

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

impl Operations {
    /// Runs the reporter for each week in order, calling `progress` after each. Recipients are
    /// those the deployed reporter sends to (its `REPORT_RECIPIENTS`); the sender is the
    /// stack's `ReportSender`.
    pub async fn backfill(
        &self,
        weeks: &[WeekId],
        recipients: &str,
        dry_run: bool,
        force: bool,
        now: DateTime<Utc>,
        mut progress: impl FnMut(&ReportSummary),
    ) -> Result<Vec<ReportSummary>, OpsError> {
        let table = self.stack.output("TableName")?;
        let sender = self.stack.parameter("ReportSender").unwrap_or_default();
        let config = reporter::Config::from_settings(&Settings::from_pairs(&[
            (reporter::config::TABLE_NAME, table),
            (reporter::config::REPORT_SENDER, sender),
            (reporter::config::REPORT_RECIPIENTS, recipients),
        ]))
        .map_err(|e| {
            OpsError::Usage(format!(
                "{e}: pass --recipients with the addresses the deployed reporter sends to"
            ))
        })?;
        let reporter = Reporter::new(
            DynamoRecordSource::new(self.dynamodb.clone(), table),
            DynamoReportLedger::new(self.dynamodb.clone(), table),
            SesMailer::new(
                self.ses.clone(),
                &config.sender,
                config.recipients.clone(),
                None,
            ),
            &config,
        );
        let mut summaries = Vec::with_capacity(weeks.len());
        for &week in weeks {
            let request = ReportRequest {
                week,
                dry_run,
                force,
            };
            let summary = reporter
                .run(request, now, now + chrono::Duration::minutes(15))
                .await?;
            progress(&summary);
            summaries.push(summary);
        }
        Ok(summaries)
    }
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
    fn a_reversed_or_huge_range_is_refused_with_what_to_do() {
        let reversed = weeks(week("2025-W46"), week("2025-W40")).unwrap_err();
        assert!(reversed.to_string().contains("give the earlier week first"));
        let huge = weeks(week("2020-W01"), week("2025-W01")).unwrap_err();
        assert!(huge.to_string().contains("in parts"));
    }
}
