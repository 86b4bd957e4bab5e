//! A checker for CloudWatch Embedded Metric Format documents, for the tests of the functions'
//! metrics: a JSON Schema written from the published specification (the `_aws` metadata, its
//! metric directives, their limits and units), plus the rule a schema cannot state: the root
//! holds a member for every dimension and every metric a directive names, metrics as numbers
//! and dimensions as strings.

use anyhow::Context as _;
use serde_json::Value;

/// The structure of an EMF document, after the specification's "Embedded metric format
/// document structure".
const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["_aws"],
  "properties": {
    "_aws": {
      "type": "object",
      "required": ["Timestamp", "CloudWatchMetrics"],
      "properties": {
        "Timestamp": { "type": "integer", "minimum": 0 },
        "CloudWatchMetrics": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["Namespace", "Dimensions", "Metrics"],
            "additionalProperties": false,
            "properties": {
              "Namespace": { "type": "string", "minLength": 1, "maxLength": 1024 },
              "Dimensions": {
                "type": "array",
                "items": {
                  "type": "array",
                  "maxItems": 30,
                  "items": { "type": "string", "minLength": 1, "maxLength": 250 }
                }
              },
              "Metrics": {
                "type": "array",
                "maxItems": 100,
                "items": {
                  "type": "object",
                  "required": ["Name"],
                  "additionalProperties": false,
                  "properties": {
                    "Name": { "type": "string", "minLength": 1, "maxLength": 1024 },
                    "Unit": {
                      "enum": ["Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
                        "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits",
                        "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
                        "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
                        "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
                        "Gigabits/Second", "Terabits/Second", "Count/Second", "None"]
                    },
                    "StorageResolution": { "enum": [1, 60] }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}"#;

/// Checks one log line: it must be a JSON object and a valid EMF document.
pub fn validate_line(line: &str) -> anyhow::Result<Value> {
    let document: Value =
        serde_json::from_str(line).with_context(|| format!("not JSON: {line}"))?;
    validate(&document)?;
    Ok(document)
}

/// Checks a parsed document.
pub fn validate(document: &Value) -> anyhow::Result<()> {
    let schema: Value = serde_json::from_str(SCHEMA)?;
    let validator = jsonschema::validator_for(&schema)?;
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    if !errors.is_empty() {
        anyhow::bail!("{}", errors.join("; "));
    }
    let directives = document["_aws"]["CloudWatchMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for directive in &directives {
        for set in directive["Dimensions"].as_array().into_iter().flatten() {
            for name in set
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !document[name].is_string() {
                    anyhow::bail!("dimension {name} has no string member at the root");
                }
            }
        }
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let name = metric["Name"].as_str().unwrap_or_default();
            if !document[name].is_number() {
                anyhow::bail!("metric {name} has no number at the root");
            }
        }
    }
    Ok(())
}
