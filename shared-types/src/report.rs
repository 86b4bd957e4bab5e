//! The reporter's invocation contract: what a manual invocation asks for, and what every
//! invocation answers. The maintainer command's backfill invokes the deployed reporter with it.

use serde::{Deserialize, Serialize};

/// A manual invocation: `{"week": "2025-W45", "dryRun": true, "force": false}`, every key
/// optional (without `week`, the week before now). Unknown keys are refused, so a typo such as
/// `dry_run` cannot send an email by accident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportInvocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week: Option<String>,
    /// Render, do not send.
    #[serde(default)]
    pub dry_run: bool,
    /// Send even if the week's report was already sent.
    #[serde(default)]
    pub force: bool,
}

/// What became of the week's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Sent,
    DryRun,
    AlreadySent,
    /// Another invocation holds the week's claim: the invocation fails, so that Lambda retries.
    InProgressElsewhere,
    EmptyWeekNotSent,
    /// The email may have gone out but is not confirmed: SES accepted it and the mark failed,
    /// or an earlier invocation claimed the week and did not live to mark it. No scheduled run
    /// sends over this (a second email is worse than a late one); `force` does, once someone
    /// has checked the inbox. An alarm watches it.
    Unconfirmed,
}

/// An invocation's answer: the outcome and the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    pub week: String,
    pub outcome: Outcome,
    pub subject: String,
    pub records_read: u64,
    pub asked: u64,
    pub answered: u64,
    pub unanswered: u64,
    pub html_bytes: usize,
    pub text_bytes: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl ReportSummary {
    /// The answer of a run that read no record: the week was found sent, say.
    pub fn nothing_read(week: crate::WeekId, outcome: Outcome) -> Self {
        Self {
            week: week.to_string(),
            outcome,
            subject: String::new(),
            records_read: 0,
            asked: 0,
            answered: 0,
            unanswered: 0,
            html_bytes: 0,
            text_bytes: 0,
            message_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_invocation_reads_and_writes_the_documented_keys() {
        let asked: ReportInvocation =
            serde_json::from_str(r#"{"week": "2025-W45", "dryRun": true}"#).unwrap();
        assert_eq!(asked.week.as_deref(), Some("2025-W45"));
        assert!(asked.dry_run && !asked.force);
        assert_eq!(
            serde_json::to_string(&asked).unwrap(),
            r#"{"week":"2025-W45","dryRun":true,"force":false}"#
        );
        assert!(serde_json::from_str::<ReportInvocation>(r#"{"dry_run": true}"#).is_err());
    }
}
