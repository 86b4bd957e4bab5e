//! Reading a Lambda's settings from the environment, the same way in both functions: read once
//! at cold start, and a missing or unusable value is an error that names the variable.

use std::collections::HashMap;
use std::str::FromStr;

use thiserror::Error;

/// A setting is missing or unusable: the Lambda stops at start-up with this message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),

    #[error("environment variable {name} is {value:?}: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl ConfigError {
    pub fn invalid(name: &'static str, value: &str, expected: &'static str) -> Self {
        Self::Invalid {
            name,
            value: value.to_owned(),
            expected,
        }
    }
}

use shared_types::stage::setting::{RECORD_TTL_DAYS, REPORT_TIMEZONE};
use shared_types::week::{Tz, parse_zone};

/// Finds a setting's raw value by name.
type Lookup = Box<dyn Fn(&str) -> Option<String>>;

/// Named settings, read through a lookup (the process environment, or a map in tests).
/// Values are trimmed; an empty value counts as not set.
pub struct Settings {
    lookup: Lookup,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Settings")
    }
}

impl Settings {
    /// The process environment.
    pub fn from_env() -> Self {
        Self {
            lookup: Box::new(|name| std::env::var(name).ok()),
        }
    }

    /// Fixed pairs, for tests.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self {
            lookup: Box::new(move |name| map.get(name).cloned()),
        }
    }

    /// The value of `name`, if set.
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, or an error naming it.
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    /// A whole number in `range`, or `default` when `name` is not set.
    pub fn bounded<N>(
        &self,
        name: &'static str,
        default: N,
        range: std::ops::RangeInclusive<N>,
        expected: &'static str,
    ) -> Result<N, ConfigError>
    where
        N: FromStr + PartialOrd,
    {
        let Some(text) = self.optional(name) else {
            return Ok(default);
        };
        match text.parse::<N>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError::invalid(name, &text, expected)),
        }
    }

    /// [`RECORD_TTL_DAYS`]: how long a record lives, which both functions need (the processor
    /// sets it, the reporter refuses weeks already expired).
    pub fn record_ttl_days(&self) -> Result<u32, ConfigError> {
        self.bounded(
            RECORD_TTL_DAYS,
            shared_types::record::DEFAULT_TTL_DAYS,
            shared_types::record::MIN_TTL_DAYS..=shared_types::record::MAX_TTL_DAYS,
            "a whole number of days from 14 to 3650",
        )
    }

    /// [`REPORT_TIMEZONE`]: the owner's time zone, which both functions need (the processor
    /// files a request under the week its zone's clocks show, the reporter reports it).
    pub fn report_timezone(&self) -> Result<Tz, ConfigError> {
        match self.optional(REPORT_TIMEZONE) {
            None => Ok(Tz::UTC),
            Some(name) => parse_zone(&name).ok_or_else(|| {
                ConfigError::invalid(
                    REPORT_TIMEZONE,
                    &name,
                    "an IANA time-zone name such as Europe/London or UTC",
                )
            }),
        }
    }

    /// `true` or `false`, or `default` when `name` is not set.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(name).as_deref() {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(ConfigError::invalid(name, other, "true or false")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_missing_and_are_named() {
        let settings = Settings::from_pairs(&[("A", "  "), ("B", " x ")]);
        assert_eq!(settings.required("A"), Err(ConfigError::Missing("A")));
        assert_eq!(settings.required("B").unwrap(), "x");
        assert_eq!(
            ConfigError::Missing("A").to_string(),
            "environment variable A is not set"
        );
    }

    #[test]
    fn the_time_zone_is_an_iana_name_utc_by_default() {
        assert_eq!(Settings::from_pairs(&[]).report_timezone(), Ok(Tz::UTC));
        let london = Settings::from_pairs(&[(REPORT_TIMEZONE, "Europe/London")]);
        assert_eq!(london.report_timezone(), Ok(Tz::Europe__London));
        let typo = Settings::from_pairs(&[(REPORT_TIMEZONE, "Europe/Londn")]);
        let error = typo.report_timezone().unwrap_err().to_string();
        assert!(
            error.starts_with("environment variable REPORT_TIMEZONE is \"Europe/Londn\""),
            "{error}"
        );
    }

    #[test]
    fn numbers_and_flags_are_checked() {
        let settings = Settings::from_pairs(&[("N", "0"), ("M", "12"), ("F", "yes")]);
        assert!(settings.bounded::<u32>("N", 5, 1..=64, "1 to 64").is_err());
        assert_eq!(settings.bounded::<u32>("M", 5, 1..=64, "1 to 64"), Ok(12));
        assert_eq!(
            settings.bounded::<u32>("absent", 5, 1..=64, "1 to 64"),
            Ok(5)
        );
        assert_eq!(
            settings.flag("F", true).unwrap_err().to_string(),
            "environment variable F is \"yes\": true or false"
        );
        assert_eq!(settings.flag("absent", true), Ok(true));
    }

    #[test]
    fn records_live_at_least_two_weeks() {
        let ttl = |v: &str| Settings::from_pairs(&[(RECORD_TTL_DAYS, v)]).record_ttl_days();
        assert_eq!(Settings::from_pairs(&[]).record_ttl_days(), Ok(90));
        assert_eq!(ttl("14"), Ok(14));
        assert!(
            ttl("13")
                .unwrap_err()
                .to_string()
                .contains("from 14 to 3650")
        );
        assert!(ttl("3651").is_err());
    }
}
