//! The reporter's DynamoDB adapters, in the records table: [`DynamoRecordSource`] reads weeks of
//! records the way the table is laid out, [`DynamoReportLedger`] keeps the sent markers.

mod ledger;
mod source;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use lambda_support::{FailureKind, ServiceFailure};

use crate::error::ReporterError;

pub use ledger::DynamoReportLedger;
pub use source::{DynamoRecordSource, SCAN_SEGMENTS};

type Item = HashMap<String, AttributeValue>;

/// Attempts for keys that `BatchGetItem` leaves unprocessed (throttling), with backoff.
const UNPROCESSED_ATTEMPTS: u32 = 8;

/// `BatchGetItem` of up to 100 `keys` of `table`, projected, with the keys DynamoDB leaves
/// unprocessed (throttling) asked again with backoff; each item found goes to `sink`.
async fn batch_get(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
    (projection, names): (&str, &HashMap<String, String>),
    sink: &mut (dyn FnMut(Item) -> Result<(), ReporterError> + Send),
) -> Result<(), ReporterError> {
    let mut pending = keys;
    for attempt in 0..UNPROCESSED_ATTEMPTS {
        if pending.is_empty() {
            return Ok(());
        }
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
        }
        let request = KeysAndAttributes::builder()
            .set_keys(Some(std::mem::take(&mut pending)))
            .projection_expression(projection)
            .set_expression_attribute_names(Some(names.clone()))
            .build()
            .map_err(|e| ReporterError::request("DynamoDB BatchGetItem", e))?;
        let output = client
            .batch_get_item()
            .request_items(table, request)
            .send()
            .await
            .map_err(|e| ReporterError::aws("DynamoDB BatchGetItem", e))?;
        for item in output
            .responses
            .and_then(|mut r| r.remove(table))
            .unwrap_or_default()
        {
            sink(item)?;
        }
        pending = output
            .unprocessed_keys
            .and_then(|mut u| u.remove(table))
            .map(|k| k.keys)
            .unwrap_or_default();
    }
    if pending.is_empty() {
        Ok(())
    } else {
        // Throttling that outlasted the backoff: a later run may succeed.
        Err(ReporterError::Aws(ServiceFailure::new(
            FailureKind::Transient,
            format!(
                "DynamoDB BatchGetItem: {} keys still unprocessed after {UNPROCESSED_ATTEMPTS} attempts",
                pending.len()
            ),
        )))
    }
}
