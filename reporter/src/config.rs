//! Settings, read once at cold start from the environment.

use crate::error::ConfigError;

/// Name of the DynamoDB table (required).
pub const TABLE_NAME: &str = "TABLE_NAME";
/// Verified SES identity the report is sent from (required).
pub const REPORT_SENDER: &str = "REPORT_SENDER";
/// Comma-separated recipients (required, at least one).
pub const REPORT_RECIPIENTS: &str = "REPORT_RECIPIENTS";
/// SES configuration set (optional).
pub const SES_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";
/// `false` to send nothing for a week without questions (optional, default `true`).
pub const SEND_EMPTY_REPORT: &str = "SEND_EMPTY_REPORT";

/// The reporter's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub table_name: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub configuration_set: Option<String>,
    pub send_empty_report: bool,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let value = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| value(name).ok_or(ConfigError::Missing(name));
        let sender = required(REPORT_SENDER)?;
        if !is_address(&sender) {
            return Err(invalid(REPORT_SENDER, &sender, "an email address"));
        }
        let recipients_text = required(REPORT_RECIPIENTS)?;
        let recipients: Vec<String> = recipients_text
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        if recipients.is_empty() || !recipients.iter().all(|r| is_address(r)) {
            return Err(invalid(
                REPORT_RECIPIENTS,
                &recipients_text,
                "one or more email addresses separated by commas",
            ));
        }
        let send_empty_report = match value(SEND_EMPTY_REPORT).as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => return Err(invalid(SEND_EMPTY_REPORT, other, "true or false")),
        };
        Ok(Self {
            table_name: required(TABLE_NAME)?,
            sender,
            recipients,
            configuration_set: value(SES_CONFIGURATION_SET),
            send_empty_report,
        })
    }
}

/// A plausible single address: one `@`, no white space or control characters (which could
/// otherwise smuggle a header), something on both sides.
fn is_address(text: &str) -> bool {
    let clean = !text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ',');
    match text.split_once('@') {
        Some((local, domain)) => {
            clean && !local.is_empty() && domain.contains('.') && !domain.contains('@')
        }
        None => false,
    }
}

fn invalid(name: &'static str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: value.to_owned(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const BASE: [(&str, &str); 3] = [
        (TABLE_NAME, "records"),
        (REPORT_SENDER, "reports@example.dev"),
        (REPORT_RECIPIENTS, "owner@example.dev, second@example.dev"),
    ];

    #[test]
    fn reads_recipients_and_defaults() {
        let config = config(&BASE).unwrap();
        assert_eq!(
            config.recipients,
            vec!["owner@example.dev", "second@example.dev"]
        );
        assert!(config.send_empty_report);
        assert_eq!(config.configuration_set, None);
    }

    #[test]
    fn a_missing_variable_is_named() {
        for missing in [TABLE_NAME, REPORT_SENDER, REPORT_RECIPIENTS] {
            let vars: Vec<_> = BASE
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let err = config(&vars).unwrap_err().to_string();
            assert_eq!(err, format!("environment variable {missing} is not set"));
        }
    }

    #[test]
    fn an_address_with_a_line_break_is_refused() {
        let mut vars = BASE.to_vec();
        vars[1] = (REPORT_SENDER, "a@example.dev\r\nBcc: x@evil.dev");
        assert!(
            config(&vars)
                .unwrap_err()
                .to_string()
                .contains("REPORT_SENDER")
        );
        let mut vars = BASE.to_vec();
        vars[2] = (REPORT_RECIPIENTS, "owner@example.dev, not-an-address");
        assert!(
            config(&vars)
                .unwrap_err()
                .to_string()
                .contains("REPORT_RECIPIENTS")
        );
    }
}
