//! Settings, read once at cold start from the environment.

use lambda_support::{ConfigError, Settings};
use shared_types::stage::setting::{DEAD_LETTER_QUEUE_URL, TABLE_NAME, WRITE_CONCURRENCY};
use shared_types::week::Tz;

/// Default bound on concurrent writes: a FIFO batch holds at most 10 messages.
pub const DEFAULT_WRITE_CONCURRENCY: usize = 4;

/// The processor's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub table_name: String,
    pub dead_letter_queue_url: String,
    pub ttl_days: u32,
    pub write_concurrency: usize,
    /// The owner's time zone (`REPORT_TIMEZONE`): a request is filed under the week its
    /// query's time falls in on its clocks.
    pub zone: Tz,
}

impl Config {
    /// Reads the settings (the process environment, at start-up), failing by name.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required(TABLE_NAME)?,
            dead_letter_queue_url: settings.required(DEAD_LETTER_QUEUE_URL)?,
            ttl_days: settings.record_ttl_days()?,
            zone: settings.report_timezone()?,
            write_concurrency: settings.bounded(
                WRITE_CONCURRENCY,
                DEFAULT_WRITE_CONCURRENCY,
                1..=64,
                "a whole number from 1 to 64",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_types::stage::setting::RECORD_TTL_DAYS;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_settings(&Settings::from_pairs(vars))
    }

    const REQUIRED: [(&str, &str); 2] = [
        (TABLE_NAME, "cv-analytics-dev"),
        (DEAD_LETTER_QUEUE_URL, "https://sqs.example/dlq.fifo"),
    ];

    #[test]
    fn defaults_apply_when_optional_settings_are_absent() {
        let config = config(&REQUIRED).unwrap();
        assert_eq!(config.ttl_days, 90);
        assert_eq!(config.write_concurrency, DEFAULT_WRITE_CONCURRENCY);
    }

    #[test]
    fn a_missing_variable_is_named() {
        let err = config(&REQUIRED[1..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable TABLE_NAME is not set"
        );
        let err = config(&[(TABLE_NAME, "t"), (DEAD_LETTER_QUEUE_URL, " ")]).unwrap_err();
        assert_eq!(err, ConfigError::Missing(DEAD_LETTER_QUEUE_URL));
    }

    #[test]
    fn an_unusable_number_is_named_with_what_is_expected() {
        let mut vars = REQUIRED.to_vec();
        vars.push((RECORD_TTL_DAYS, "ninety"));
        let err = config(&vars).unwrap_err().to_string();
        assert!(err.contains("RECORD_TTL_DAYS is \"ninety\""), "{err}");
        let mut vars = REQUIRED.to_vec();
        vars.push((WRITE_CONCURRENCY, "0"));
        assert!(config(&vars).is_err());
        vars.pop();
        vars.push((RECORD_TTL_DAYS, "30"));
        assert_eq!(config(&vars).unwrap().ttl_days, 30);
    }
}
