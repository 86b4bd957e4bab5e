//! The functions' CloudWatch metrics, written as Embedded Metric Format (EMF) documents: one
//! JSON line in the function's log, from which CloudWatch Logs extracts the metrics. No API
//! call, no added latency, nothing to batch or flush. The namespace, the dimension and the names
//! are the contract in `shared_types::metrics`.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use shared_types::metrics::{NAMESPACE, STAGE_DIMENSION};
use shared_types::stage::setting::STAGE;

use crate::settings::{ConfigError, Settings};

/// One value of a metric, a count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    pub name: &'static str,
    pub value: u64,
}

/// Where a function's metrics go: the stage they are filed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    stage: String,
}

impl Metrics {
    pub fn new(stage: impl Into<String>) -> Self {
        Self {
            stage: stage.into(),
        }
    }

    /// The stage from [`STAGE`], or an error naming the variable.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self::new(settings.required(STAGE)?))
    }

    /// The EMF document for `counts` at `at`.
    pub fn document(&self, at: DateTime<Utc>, counts: &[Count]) -> Value {
        let definitions: Vec<Value> = counts
            .iter()
            .map(|c| json!({ "Name": c.name, "Unit": "Count" }))
            .collect();
        let mut root = Map::new();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": at.timestamp_millis(),
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [[STAGE_DIMENSION]],
                    "Metrics": definitions,
                }],
            }),
        );
        root.insert(STAGE_DIMENSION.into(), Value::String(self.stage.clone()));
        for count in counts {
            root.insert(count.name.into(), json!(count.value));
        }
        Value::Object(root)
    }

    /// Writes the document as one line on standard output, where Lambda's log capture finds it.
    /// A failed write loses only these metrics, so it is ignored rather than failing the event.
    pub fn emit(&self, at: DateTime<Utc>, counts: &[Count]) {
        let line = self.document(at, counts).to_string();
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_types::metrics::processor;

    #[test]
    fn the_stage_is_required_by_name() {
        let error = Metrics::from_settings(&Settings::from_pairs(&[])).unwrap_err();
        assert_eq!(error.to_string(), "environment variable STAGE is not set");
    }

    #[test]
    fn a_document_carries_each_count_and_its_definition() {
        let at = DateTime::from_timestamp_millis(1_762_700_000_000).unwrap();
        let document = Metrics::new("dev").document(
            at,
            &[
                Count {
                    name: processor::EVENTS_RECEIVED,
                    value: 10,
                },
                Count {
                    name: processor::RETRIED,
                    value: 0,
                },
            ],
        );
        assert_eq!(document["Stage"], "dev");
        assert_eq!(document["EventsReceived"], 10);
        assert_eq!(document["Retried"], 0);
        assert_eq!(document["_aws"]["Timestamp"], 1_762_700_000_000i64);
        let directive = &document["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "CvAnalytics");
        assert_eq!(directive["Dimensions"], json!([["Stage"]]));
        assert_eq!(
            directive["Metrics"][1],
            json!({"Name": "Retried", "Unit": "Count"})
        );
    }
}
