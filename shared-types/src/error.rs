//! Errors of the contract: why an event was rejected, why a week id did not parse.

use thiserror::Error;

/// Why a message body is not an acceptable analytics event.
///
/// Every variant is permanent: retrying the same body can never succeed, so the processor sends
/// the message to the dead-letter queue with this text as its reason.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EventError {
    #[error("body is {bytes} bytes, more than the {max} bytes any real event needs")]
    BodyTooLarge { bytes: usize, max: usize },

    #[error("body is not JSON: {0}")]
    NotJson(String),

    #[error("body is JSON but not an object")]
    NotAnObject,

    #[error("missing eventType")]
    MissingEventType,

    #[error("unknown eventType {0:?} (expected \"query\" or \"response\")")]
    UnknownEventType(String),

    #[error("{event_type} event: field {path}: {message}")]
    InvalidField {
        event_type: &'static str,
        path: String,
        message: String,
    },

    #[error("requestId {0:?} is not an id of 1 to 64 letters, digits, '-' or '_'")]
    InvalidRequestId(String),

    #[error("timestamp {value} is not a plausible epoch-milliseconds time ({why})")]
    ImplausibleTimestamp { value: i64, why: &'static str },

    #[error("field {field} is {len} characters long, more than the limit of {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },

    #[error("field {field} is {value}, outside {range}")]
    OutOfRange {
        field: &'static str,
        value: String,
        range: &'static str,
    },

    #[error(
        "field {field} is {value:e}, a number DynamoDB cannot store (0, or 1e-130 to 1e126 in magnitude, at most 38 significant digits)"
    )]
    NotStorable { field: &'static str, value: f64 },
}

/// Why a string is not an ISO week id such as `2025-W45`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WeekIdError {
    #[error("{0:?} is not a week id of the form YYYY-Www (for example 2025-W45)")]
    Format(String),

    #[error("{year} has no ISO week {week}")]
    NoSuchWeek { year: i32, week: u32 },
}
