//! Settings, read once at cold start from the environment.

use lambda_support::{ConfigError, Settings};
use shared_types::record::WeekLookup;
use shared_types::stage::setting::{
    REPORT_RECIPIENTS, REPORT_SENDER, SEND_EMPTY_REPORT, SES_CONFIGURATION_SET, TABLE_NAME,
    WEEK_LOOKUP,
};
use shared_types::week::Tz;

/// Most recipients one SES message may have (To, CC and BCC together): more would make every
/// send fail, and the week's email would never go out.
const MAX_RECIPIENTS: usize = 50;

/// The reporter's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub table_name: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub configuration_set: Option<String>,
    pub send_empty_report: bool,
    /// How long records live (`RECORD_TTL_DAYS`, the processor's setting): a week whose first
    /// records may have expired is refused rather than reported short.
    pub ttl_days: u32,
    pub week_lookup: WeekLookup,
    /// The owner's time zone (`REPORT_TIMEZONE`): the week reported is the one that just ended
    /// there, and its days and hours are its clocks'.
    pub zone: Tz,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_settings(&Settings::from_env())
    }

    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let sender = settings.required(REPORT_SENDER)?;
        if !is_address(&sender) {
            return Err(ConfigError::invalid(
                REPORT_SENDER,
                &sender,
                "an email address",
            ));
        }
        let recipients_text = settings.required(REPORT_RECIPIENTS)?;
        let recipients: Vec<String> = recipients_text
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        if recipients.is_empty() || !recipients.iter().all(|r| is_address(r)) {
            return Err(ConfigError::invalid(
                REPORT_RECIPIENTS,
                &recipients_text,
                "one or more email addresses separated by commas",
            ));
        }
        if recipients.len() > MAX_RECIPIENTS {
            return Err(ConfigError::invalid(
                REPORT_RECIPIENTS,
                &format!("{} addresses", recipients.len()),
                "at most 50 addresses: SES refuses a message to more (use a mailing list)",
            ));
        }
        Ok(Self {
            table_name: settings.required(TABLE_NAME)?,
            sender,
            recipients,
            configuration_set: settings.optional(SES_CONFIGURATION_SET),
            send_empty_report: settings.flag(SEND_EMPTY_REPORT, true)?,
            ttl_days: settings.record_ttl_days()?,
            week_lookup: week_lookup(settings)?,
            zone: settings.report_timezone()?,
        })
    }
}

/// How a week's requests are found, as the table is laid out: `scan` (the default; right for
/// a table with the index too) or `index` (the stack's `WeekLookup`).
pub fn week_lookup(settings: &Settings) -> Result<WeekLookup, ConfigError> {
    match settings.optional(WEEK_LOOKUP) {
        None => Ok(WeekLookup::default()),
        Some(text) => text
            .parse()
            .map_err(|_| ConfigError::invalid(WEEK_LOOKUP, &text, "scan or index")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_settings(&Settings::from_pairs(vars))
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
        assert_eq!(config.week_lookup, WeekLookup::Scan);
    }

    #[test]
    fn reads_the_week_lookup() {
        let mut vars = BASE.to_vec();
        vars.push((WEEK_LOOKUP, "index"));
        assert_eq!(config(&vars).unwrap().week_lookup, WeekLookup::Index);
        vars.pop();
        vars.push((WEEK_LOOKUP, "gsi"));
        let err = config(&vars).unwrap_err().to_string();
        assert!(
            err.contains("WEEK_LOOKUP") && err.contains("scan or index"),
            "{err}"
        );
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
        let many = (0..=MAX_RECIPIENTS)
            .map(|i| format!("r{i}@example.dev"))
            .collect::<Vec<_>>()
            .join(",");
        let mut vars = BASE.to_vec();
        vars[2] = (REPORT_RECIPIENTS, &many);
        let error = config(&vars).unwrap_err().to_string();
        assert!(
            error.contains("REPORT_RECIPIENTS") && error.contains("51 addresses"),
            "{error}"
        );
        let fifty = many.rsplit_once(',').unwrap().0;
        vars[2] = (REPORT_RECIPIENTS, fifty);
        assert_eq!(config(&vars).unwrap().recipients.len(), MAX_RECIPIENTS);
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
