//! [`DynamoReportLedger`]: the [`ReportLedger`] on the week's marker item, `REPORT#<week>`, in
//! the records table (see [`crate::ledger`] for the failure semantics).

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::{DateTime, Utc};
use shared_types::WeekId;
use shared_types::record::pipeline_stats::{self, PipelineStats};
use shared_types::record::report_marker::WeekSummary;
use shared_types::record::{REPORT_KEY_PREFIX, attr, report_key};

use super::batch_get;
use crate::error::ReporterError;
use crate::ledger::{Claim, ReportLedger};

/// How long a claim written before claims carried their lease protects a send: Lambda's
/// longest timeout (15 minutes).
const LEGACY_CLAIM_LEASE_SECONDS: i64 = 900;

// The marker's attributes: see `shared_types::record::report_marker`.
use shared_types::record::report_marker::{
    CLAIM_TOKEN, CLAIMED_AT, CORRECTED_BY, CORRECTIONS, LEASE_UNTIL, MESSAGE_ID, SENDING, SENT,
    SENT_AT, STATUS, SUMMARY,
};

/// Keeps the sent markers in the records table.
#[derive(Debug, Clone)]
pub struct DynamoReportLedger {
    client: Client,
    table_name: String,
}

impl DynamoReportLedger {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
        }
    }
}

fn millis(value: Option<&AttributeValue>) -> Option<DateTime<Utc>> {
    let ms = value?.as_n().ok()?.parse::<i64>().ok()?;
    DateTime::from_timestamp_millis(ms)
}

fn epoch_millis(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp_millis().to_string())
}

fn epoch_seconds(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp().to_string())
}

fn summary_value(summary: &WeekSummary) -> Result<AttributeValue, ReporterError> {
    serde_dynamo::to_attribute_value(summary).map_err(|e| {
        ReporterError::request(
            "DynamoDB (report marker)",
            format!("the week's summary: {e}"),
        )
    })
}

impl ReportLedger for DynamoReportLedger {
    async fn claim(
        &self,
        week: WeekId,
        (now, lease_until): (DateTime<Utc>, DateTime<Utc>),
        expires_at: DateTime<Utc>,
        force: bool,
    ) -> Result<Claim, ReporterError> {
        let token = claim_token();
        // An update, not a put: a forced claim keeps what a sent marker holds (its summary,
        // pending corrections, SES's message id, expiry), so a refusal can restore it; every
        // marker gets an expiry from its claim on.
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .update_expression(
                "SET #status = :sending, #claimed = :now, #lease = :lease, #token = :token, \
                 #expires = if_not_exists(#expires, :expires)",
            )
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#claimed", CLAIMED_AT)
            .expression_attribute_names("#lease", LEASE_UNTIL)
            .expression_attribute_names("#token", CLAIM_TOKEN)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
            .expression_attribute_values(":now", epoch_millis(now))
            .expression_attribute_values(":lease", epoch_millis(lease_until))
            .expression_attribute_values(":token", AttributeValue::S(token.clone()))
            .expression_attribute_values(":expires", epoch_seconds(expires_at));
        if !force {
            // Only a week without a marker: a claim is never taken over (see `crate::ledger`).
            request = request
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", attr::PK)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        match request.send().await {
            Ok(_) => Ok(Claim::Granted),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => Ok(
                    refused_claim(&failed.item().cloned().unwrap_or_default(), &token, now),
                ),
                _ => Err(ReporterError::aws(
                    "DynamoDB UpdateItem (report claim)",
                    err,
                )),
            },
        }
    }

    async fn mark_sent(
        &self,
        week: WeekId,
        now: DateTime<Utc>,
        message_id: &str,
        summary: &WeekSummary,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ReporterError> {
        self.client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .update_expression(
                "SET #status = :sent, #sent_at = :now, #message = :id, #summary = :summary, \
                 #expires = :expires REMOVE #lease",
            )
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":expires", epoch_seconds(expires_at))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#sent_at", SENT_AT)
            .expression_attribute_names("#message", MESSAGE_ID)
            .expression_attribute_names("#summary", SUMMARY)
            .expression_attribute_names("#lease", LEASE_UNTIL)
            .expression_attribute_values(":sent", AttributeValue::S(SENT.into()))
            .expression_attribute_values(":now", epoch_millis(now))
            .expression_attribute_values(":id", AttributeValue::S(message_id.into()))
            .expression_attribute_values(":summary", summary_value(summary)?)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ReporterError::aws("DynamoDB UpdateItem (report marker)", e))
    }

    async fn release(&self, week: WeekId, claimed_at: DateTime<Utc>) -> Result<(), ReporterError> {
        // Only this claim, still sending: someone else's claim or a sent marker is not ours.
        let ours = "#status = :sending AND #claimed = :claimed";
        // A forced claim over a week sent before: the week is sent again, as its marker says.
        done_unless_refused(
            "DynamoDB UpdateItem (report marker restored)",
            self.client
                .update_item()
                .table_name(&self.table_name)
                .key(attr::PK, AttributeValue::S(report_key(week)))
                .update_expression("SET #status = :sent REMOVE #lease, #token")
                .condition_expression(format!("{ours} AND attribute_exists(#sent_at)"))
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_names("#claimed", CLAIMED_AT)
                .expression_attribute_names("#sent_at", SENT_AT)
                .expression_attribute_names("#lease", LEASE_UNTIL)
                .expression_attribute_names("#token", CLAIM_TOKEN)
                .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
                .expression_attribute_values(":sent", AttributeValue::S(SENT.into()))
                .expression_attribute_values(":claimed", epoch_millis(claimed_at))
                .send()
                .await,
        )?;
        // A week never sent: the claim goes.
        done_unless_refused(
            "DynamoDB DeleteItem (report marker)",
            self.client
                .delete_item()
                .table_name(&self.table_name)
                .key(attr::PK, AttributeValue::S(report_key(week)))
                .condition_expression(format!("{ours} AND attribute_not_exists(#sent_at)"))
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_names("#claimed", CLAIMED_AT)
                .expression_attribute_names("#sent_at", SENT_AT)
                .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
                .expression_attribute_values(":claimed", epoch_millis(claimed_at))
                .send()
                .await,
        )
    }

    async fn summaries(
        &self,
        weeks: &[WeekId],
    ) -> Result<HashMap<WeekId, WeekSummary>, ReporterError> {
        let keys = weeks
            .iter()
            .map(|week| {
                HashMap::from([(attr::PK.to_owned(), AttributeValue::S(report_key(*week)))])
            })
            .collect();
        let names = HashMap::from([
            ("#pk".to_owned(), attr::PK.to_owned()),
            ("#status".to_owned(), STATUS.to_owned()),
            ("#summary".to_owned(), SUMMARY.to_owned()),
        ]);
        let mut found = HashMap::new();
        batch_get(
            &self.client,
            &self.table_name,
            keys,
            ("#pk, #status, #summary", &names),
            &mut |item| {
                let sent = item
                    .get(STATUS)
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some(SENT);
                let week = item
                    .get(attr::PK)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|pk| pk.strip_prefix(REPORT_KEY_PREFIX))
                    .and_then(|w| w.parse::<WeekId>().ok());
                let summary = item
                    .get(SUMMARY)
                    .and_then(|v| serde_dynamo::from_attribute_value(v.clone()).ok());
                if let (true, Some(week), Some(summary)) = (sent, week, summary) {
                    found.insert(week, summary);
                }
                Ok(())
            },
        )
        .await?;
        Ok(found)
    }

    async fn pipeline_stats(&self, week: WeekId) -> Result<PipelineStats, ReporterError> {
        let key = pipeline_stats::key(week);
        let names = HashMap::from([
            ("#pk".to_owned(), attr::PK.to_owned()),
            ("#d".to_owned(), pipeline_stats::DEAD_LETTERED.to_owned()),
            ("#u".to_owned(), pipeline_stats::DUPLICATES.to_owned()),
            ("#l".to_owned(), pipeline_stats::LATE.to_owned()),
        ]);
        let mut stats = PipelineStats::default();
        batch_get(
            &self.client,
            &self.table_name,
            vec![HashMap::from([(
                attr::PK.to_owned(),
                AttributeValue::S(key),
            )])],
            ("#pk, #d, #u, #l", &names),
            &mut |item| {
                stats = serde_dynamo::from_item(item)
                    .map_err(|e| ReporterError::request("DynamoDB (pipeline counts)", e))?;
                Ok(())
            },
        )
        .await?;
        Ok(stats)
    }

    async fn correct(
        &self,
        week: WeekId,
        summary: &WeekSummary,
        by: WeekId,
    ) -> Result<(), ReporterError> {
        let (update, fields) = figures_update(summary, by)?;
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .key(attr::PK, AttributeValue::S(report_key(week)))
            .condition_expression(
                "#status = :sent AND (attribute_not_exists(#summary.#by) OR #summary.#by < :by)",
            )
            .update_expression(update)
            .expression_attribute_names("#summary", SUMMARY)
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#by", CORRECTED_BY)
            .expression_attribute_values(":by", AttributeValue::S(by.to_string()))
            .expression_attribute_values(":sent", AttributeValue::S(SENT.into()));
        for (i, (name, value)) in fields.into_iter().enumerate() {
            request = request
                .expression_attribute_names(format!("#f{i}"), name)
                .expression_attribute_values(format!(":f{i}"), value);
        }
        // Not sent (a forced resend is under way, or the marker expired), or corrected by this
        // report or a later one already: nothing to do.
        done_unless_refused(
            "DynamoDB UpdateItem (report marker summary)",
            request.send().await,
        )
    }

    async fn clear_corrections(&self, week: WeekId) -> Result<(), ReporterError> {
        // A marker not sent (a forced resend under way, or expired): nothing to clear.
        done_unless_refused(
            "DynamoDB UpdateItem (report marker corrections)",
            self.client
                .update_item()
                .table_name(&self.table_name)
                .key(attr::PK, AttributeValue::S(report_key(week)))
                .update_expression("REMOVE #summary.#corrections")
                .condition_expression("#status = :sent")
                .expression_attribute_names("#summary", SUMMARY)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_names("#corrections", CORRECTIONS)
                .expression_attribute_values(":sent", AttributeValue::S(SENT.into()))
                .send()
                .await,
        )
    }
}

/// A claim's random token: 64 bits from the standard library's random hash keys (seeded from
/// the system's randomness, different at each call).
fn claim_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let hasher = std::collections::hash_map::RandomState::new().build_hasher();
    format!("{:016x}", hasher.finish())
}

/// What a claim refused by its condition found in the marker (`old`, as it was). The claim's
/// own `token` means that an earlier attempt of this very claim was applied and its answer
/// lost (a 500 or a timeout, after which the SDK sent it again): the claim is this run's.
fn refused_claim(old: &HashMap<String, AttributeValue>, token: &str, now: DateTime<Utc>) -> Claim {
    let text = |name| {
        old.get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
    };
    if text(STATUS) == Some(SENT) {
        return Claim::AlreadySent {
            sent_at: millis(old.get(SENT_AT)),
        };
    }
    if text(STATUS) == Some(SENDING) && text(CLAIM_TOKEN) == Some(token) {
        return Claim::Granted;
    }
    let claimed_at = millis(old.get(CLAIMED_AT)).unwrap_or(now);
    let lease_until = millis(old.get(LEASE_UNTIL))
        .unwrap_or_else(|| claimed_at + chrono::Duration::seconds(LEGACY_CLAIM_LEASE_SECONDS));
    if lease_until >= now {
        Claim::InProgress {
            claimed_at,
            lease_until,
        }
    } else {
        Claim::Unconfirmed { claimed_at }
    }
}

/// The update that sets a week's stored figures to `summary`, corrected by the report of `by`,
/// attribute by attribute: the marker's own gaps and pending corrections (absent from a
/// correction, so never named here) stay as they are. The expression, and the names and values
/// of its `#f<i>` and `:f<i>` placeholders.
fn figures_update(
    summary: &WeekSummary,
    by: WeekId,
) -> Result<(String, Vec<(String, AttributeValue)>), ReporterError> {
    let figures = WeekSummary {
        corrected_by: Some(by),
        gaps: Vec::new(),
        corrections: Vec::new(),
        ..summary.clone()
    };
    let AttributeValue::M(fields) = summary_value(&figures)? else {
        return Err(ReporterError::request(
            "DynamoDB (report marker)",
            "a week's summary is not a map",
        ));
    };
    let mut sets = Vec::new();
    let mut named = Vec::new();
    for (name, value) in fields {
        if name == CORRECTED_BY {
            sets.push("#summary.#by = :by".to_owned());
            continue;
        }
        sets.push(format!("#summary.#f{i} = :f{i}", i = named.len()));
        named.push((name, value));
    }
    Ok((format!("SET {}", sets.join(", ")), named))
}

/// The result of a conditional write whose failed condition means there was nothing to do
/// (another run's claim, a marker not sent, a correction already made): done, unless DynamoDB
/// refused it for another reason.
fn done_unless_refused<T, E>(
    operation: &'static str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<(), ReporterError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(err)
            if err.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(())
        }
        Err(err) => Err(ReporterError::aws(operation, err)),
    }
}
