//! [`DynamoRecordSource`]: the [`RecordSource`] on the records table, the way it is laid out
//! ([`WeekLookup`]).
//!
//! - [`WeekLookup::Scan`]: one parallel `Scan` of [`SCAN_SEGMENTS`] segments, filtered on the
//!   weeks asked for and projected to the attributes the report uses. DynamoDB charges the
//!   whole table whatever the filter keeps, so a report asks for all its weeks in one read.
//! - [`WeekLookup::Index`]: the index projects the keys and `queryTs`, so each week is a
//!   paginated `Query` for the keys followed by `BatchGetItem` of up to 100 items at a time,
//!   projected; a week only counted is a `Query` of its keys and `queryTs` (little more than the
//!   read units of a `COUNT` query; they give the week's fingerprints).

use std::collections::HashMap;

use futures::StreamExt;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::{ScanError, ScanOutput};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use shared_types::record::{WEEK_INDEX, WeekLookup, attr};
use shared_types::{RequestRecord, WeekId};

use super::{Item, batch_get};
use crate::error::ReporterError;
use crate::source::{RecordSource, WeeksRead};

/// Segments of a parallel scan, read at once. DynamoDB advises about one per 2 GB of table;
/// eight keep a table of a few GB within a couple of minutes and cost nothing extra on a small
/// one (a segment of an empty range is one request).
pub const SCAN_SEGMENTS: i32 = 8;

/// `BatchGetItem` takes at most 100 keys.
const BATCH_GET_LIMIT: usize = 100;

/// The attributes the report reads: all but the headers and the reasoning text.
const REPORT_ATTRIBUTES: [&str; 17] = [
    attr::PK,
    attr::WEEK,
    attr::EXPIRES_AT,
    attr::SESSION_ID,
    attr::QUERY_TS,
    attr::QUERY,
    attr::REDACTIONS,
    attr::RESPONSE_TS,
    attr::MATCH_TYPE,
    attr::MATCH_SCORE,
    attr::VECTOR_MATCHES,
    attr::MATCH_QUALITY,
    attr::SOURCES_USED,
    attr::TOTAL_TIME_MS,
    attr::LLM_TIME_MS,
    attr::RETRIEVAL_TIME_MS,
    attr::CACHE_HIT,
];

/// Reads weeks of records from the table.
#[derive(Debug, Clone)]
pub struct DynamoRecordSource {
    client: Client,
    table_name: String,
    lookup: WeekLookup,
}

impl DynamoRecordSource {
    pub fn new(client: Client, table_name: impl Into<String>, lookup: WeekLookup) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            lookup,
        }
    }

    /// The projection of [`REPORT_ATTRIBUTES`]: the expression and its names.
    fn projection() -> (String, HashMap<String, String>) {
        let names: HashMap<String, String> = REPORT_ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(i, name)| (format!("#a{i}"), (*name).to_owned()))
            .collect();
        let projection = (0..REPORT_ATTRIBUTES.len())
            .map(|i| format!("#a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        (projection, names)
    }

    /// Fetches the items of up to 100 keys, retrying the unprocessed ones.
    async fn fetch(
        &self,
        keys: Vec<Item>,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<u64, ReporterError> {
        let (projection, names) = Self::projection();
        let mut passed = 0;
        batch_get(
            &self.client,
            &self.table_name,
            keys,
            (&projection, &names),
            &mut |item| {
                sink(record_from(item)?);
                passed += 1;
                Ok(())
            },
        )
        .await?;
        Ok(passed)
    }
}

fn record_from(item: Item) -> Result<RequestRecord, ReporterError> {
    let key = item
        .get(attr::PK)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    serde_dynamo::from_item(item).map_err(|e| ReporterError::Record {
        key,
        message: e.to_string(),
    })
}

impl DynamoRecordSource {
    /// One parallel scan, filtered on every week asked for or counted.
    async fn scan(
        &self,
        weeks: &[WeekId],
        counted: &[WeekId],
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<WeeksRead, ReporterError> {
        let mut read = WeeksRead::starting(weeks, counted);
        if read.counts.is_empty() {
            return Ok(read);
        }
        let listed: Vec<WeekId> = read.counts.keys().copied().collect();
        let mut pages = futures::stream::select_all(
            (0..SCAN_SEGMENTS).map(|segment| self.scan_segment(segment, &listed)),
        );
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ReporterError::aws("DynamoDB Scan", e))?;
            for item in page.items.unwrap_or_default() {
                let Some(week) = item
                    .get(attr::WEEK)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|w| w.parse::<WeekId>().ok())
                else {
                    continue;
                };
                let pk = item.get(attr::PK).and_then(|v| v.as_s().ok());
                let has_query = item.contains_key(attr::QUERY_TS);
                read.list(week, pk.map_or("", String::as_str), has_query);
                if weeks.contains(&week) {
                    sink(record_from(item)?);
                    read.passed += 1;
                }
            }
        }
        Ok(read)
    }

    /// The pages of one segment of the scan, filtered on `weeks` and projected.
    fn scan_segment(
        &self,
        segment: i32,
        weeks: &[WeekId],
    ) -> impl futures::Stream<Item = Result<ScanOutput, SdkError<ScanError, HttpResponse>>> + use<>
    {
        let (projection, mut names) = Self::projection();
        names.insert("#week".to_owned(), attr::WEEK.to_owned());
        let values: HashMap<String, AttributeValue> = weeks
            .iter()
            .enumerate()
            .map(|(i, week)| (format!(":w{i}"), AttributeValue::S(week.to_string())))
            .collect();
        let filter = format!(
            "#week IN ({})",
            (0..values.len())
                .map(|i| format!(":w{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let pages = self
            .client
            .scan()
            .table_name(&self.table_name)
            .segment(segment)
            .total_segments(SCAN_SEGMENTS)
            .filter_expression(filter)
            .projection_expression(projection)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .into_paginator()
            .send();
        Box::pin(futures::stream::unfold(pages, |mut pages| async move {
            pages.next().await.map(|page| (page, pages))
        }))
    }

    /// One week through the index: its keys (listed in `read`), then the items.
    async fn query_week(
        &self,
        week: WeekId,
        read: &mut WeeksRead,
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<(), ReporterError> {
        let mut pages = self.week_keys(week).into_paginator().send();
        let mut keys: Vec<Item> = Vec::with_capacity(BATCH_GET_LIMIT);
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ReporterError::aws("DynamoDB Query", e))?;
            for item in page.items.unwrap_or_default() {
                let Some(pk) = item.get(attr::PK).cloned() else {
                    continue;
                };
                let has_query = item.contains_key(attr::QUERY_TS);
                read.list(week, pk.as_s().map_or("", String::as_str), has_query);
                keys.push(HashMap::from([(attr::PK.to_owned(), pk)]));
                if keys.len() == BATCH_GET_LIMIT {
                    read.passed += self.fetch(std::mem::take(&mut keys), sink).await?;
                }
            }
        }
        if !keys.is_empty() {
            read.passed += self.fetch(keys, sink).await?;
        }
        Ok(())
    }

    /// The query of the keys (and `queryTs`) the index holds for `week`.
    fn week_keys(&self, week: WeekId) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table_name)
            .index_name(WEEK_INDEX)
            .key_condition_expression("#week = :week")
            .expression_attribute_names("#week", attr::WEEK)
            .expression_attribute_values(":week", AttributeValue::S(week.to_string()))
    }

    /// The keys the index holds for `week`, listed in a read of their own (their number and
    /// fingerprints). The index projects the keys and `queryTs`, so this reads little more
    /// than a `COUNT` query would.
    async fn list_week(&self, week: WeekId) -> Result<WeeksRead, ReporterError> {
        let mut read = WeeksRead::starting(&[], &[week]);
        let mut pages = self.week_keys(week).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ReporterError::aws("DynamoDB Query (keys)", e))?;
            for item in page.items.unwrap_or_default() {
                if let Some(pk) = item.get(attr::PK).and_then(|v| v.as_s().ok()) {
                    read.list(week, pk, item.contains_key(attr::QUERY_TS));
                }
            }
        }
        Ok(read)
    }
}

impl RecordSource for DynamoRecordSource {
    async fn read_weeks(
        &self,
        weeks: &[WeekId],
        counted: &[WeekId],
        sink: &mut (dyn FnMut(RequestRecord) + Send),
    ) -> Result<WeeksRead, ReporterError> {
        match self.lookup {
            WeekLookup::Scan => self.scan(weeks, counted, sink).await,
            WeekLookup::Index => {
                let mut read = WeeksRead::starting(weeks, &[]);
                for week in weeks {
                    self.query_week(*week, &mut read, sink).await?;
                }
                let only_counted: Vec<WeekId> = counted
                    .iter()
                    .filter(|w| !weeks.contains(w))
                    .copied()
                    .collect();
                let listed = futures::future::try_join_all(
                    only_counted.iter().map(|week| self.list_week(*week)),
                )
                .await?;
                for other in listed {
                    read.counts.extend(other.counts);
                    read.fingerprints.extend(other.fingerprints);
                    read.states.extend(other.states);
                }
                Ok(read)
            }
        }
    }
}
