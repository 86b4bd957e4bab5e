//! DynamoDB traffic counted on the wire: an SDK interceptor that counts the requests a client
//! sends by operation, asks DynamoDB to report the capacity each write and read consumed
//! (`ReturnConsumedCapacity=INDEXES`, set on the request as it leaves, so the code under
//! measurement is not changed), and adds up what the answers report, table and indexes apart.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemInput, DeleteItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::scan::{ScanInput, ScanOutput};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// What a client sent and what DynamoDB said it cost.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    pub requests: BTreeMap<String, usize>,
    /// Write units charged to the base table.
    pub table_wru: f64,
    /// Write units charged to global secondary indexes.
    pub index_wru: f64,
    /// Read units.
    pub rru: f64,
}

impl Tally {
    pub fn total_requests(&self) -> usize {
        self.requests.values().sum()
    }

    /// Requests of one operation (`UpdateItem`, ...).
    pub fn count(&self, operation: &str) -> usize {
        self.requests.get(operation).copied().unwrap_or(0)
    }

    pub fn wru(&self) -> f64 {
        self.table_wru + self.index_wru
    }
}

/// The interceptor; clones share one tally.
#[derive(Debug, Clone, Default)]
pub struct WireCounter(Arc<Mutex<Tally>>);

impl WireCounter {
    pub fn tally(&self) -> Tally {
        self.lock().clone()
    }

    pub fn reset(&self) {
        *self.lock() = Tally::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, capacity: Option<&ConsumedCapacity>, write: bool) {
        let Some(capacity) = capacity else {
            return;
        };
        let mut tally = self.lock();
        let table = capacity
            .table
            .as_ref()
            .and_then(|t| t.capacity_units)
            .or(capacity.capacity_units)
            .unwrap_or(0.0);
        let indexes: f64 = capacity
            .global_secondary_indexes
            .iter()
            .flatten()
            .filter_map(|(_, c)| c.capacity_units)
            .sum();
        if write {
            tally.table_wru += table;
            tally.index_wru += indexes;
        } else {
            // The total where DynamoDB gives one (a read of an index may leave out the table).
            tally.rru += capacity.capacity_units.unwrap_or(table + indexes);
        }
    }
}

/// The name of the operation (`UpdateItem`, `DeleteMessageBatch`, ...) an interceptor sees.
pub fn operation(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| m.name().to_owned())
        .unwrap_or_default()
}

impl Intercept for WireCounter {
    fn name(&self) -> &'static str {
        "WireCounter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let indexes = Some(ReturnConsumedCapacity::Indexes);
        if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<PutItemInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<DeleteItemInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<QueryInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<ScanInput>() {
            i.return_consumed_capacity = indexes;
        } else if let Some(i) = input.downcast_mut::<BatchGetItemInput>() {
            i.return_consumed_capacity = indexes;
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        *self.lock().requests.entry(operation(cfg)).or_default() += 1;
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
            self.add(o.consumed_capacity.as_ref(), true);
        } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
            self.add(o.consumed_capacity.as_ref(), true);
        } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
            self.add(o.consumed_capacity.as_ref(), true);
        } else if let Some(o) = output.downcast_ref::<GetItemOutput>() {
            self.add(o.consumed_capacity.as_ref(), false);
        } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
            self.add(o.consumed_capacity.as_ref(), false);
        } else if let Some(o) = output.downcast_ref::<ScanOutput>() {
            self.add(o.consumed_capacity.as_ref(), false);
        } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
            for capacity in o.consumed_capacity.iter().flatten() {
                self.add(Some(capacity), false);
            }
        }
        Ok(())
    }
}
