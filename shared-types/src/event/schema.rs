//! The JSON Schema of a message body, derived from the event types and their limits (feature
//! `schema`): `docs/events.schema.json`.

use super::{AnalyticsEvent, limits};

/// What a number must not be for DynamoDB to store it, as a schema says it: strictly between 0
/// and [`limits::SMALLEST_STORABLE`] (the ranges already refuse negative numbers).
pub(super) fn storable_only() -> serde_json::Value {
    serde_json::json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": limits::SMALLEST_STORABLE})
}

/// The JSON Schema (draft 2020-12) of a message body, derived from these types and their
/// limits: `docs/events.schema.json`. What it cannot say (duplicate keys, a timestamp more than
/// 24 hours ahead, an integer written with a fraction, a body over 16 KB) the parser still
/// refuses.
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    // Each event inlined, its fields beside its `eventType`, so that every reader (the
    // TypeScript generator among them) sees one object per event.
    let mut schema: serde_json::Value = generator.into_root_schema_for::<AnalyticsEvent>().into();
    // What no keyword says, as an annotation a producer reads (validators ignore it).
    schema["x-maxBodyBytes"] = limits::MAX_BODY_BYTES.into();
    // Keys in one order whatever serde_json's features, so that the file never churns.
    schema.sort_all_objects();
    schema
}

/// `docs/events.schema.json` as it must read: [`json_schema`], pretty-printed.
pub fn json_schema_file() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}
