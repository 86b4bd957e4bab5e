//! What the reporter's tests share: the builders of records (one set, `shared_types::testing`),
//! and the reporter's settings as a test runs it.

use reporter::Config;

pub(crate) use shared_types::testing::{answer, at, incomplete, record, week};

pub(crate) fn config(send_empty_report: bool) -> Config {
    Config {
        table_name: "records".into(),
        sender: "reports@example.dev".into(),
        recipients: vec!["owner@example.dev".into()],
        configuration_set: None,
        send_empty_report,
        ttl_days: 90,
        week_lookup: shared_types::record::WeekLookup::default(),
        zone: shared_types::week::Tz::UTC,
    }
}
