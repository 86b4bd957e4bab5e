//! ISO-8601 week ids in UTC (`2025-W45`): the key of the weekly index and of the report.
//!
//! ISO weeks start on Monday and belong to the year that holds their Thursday, so
//! 2024-12-30 is in `2025-W01` and some years (2020, 2026) have a week 53.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::WeekIdError;

/// The hour (UTC) of the reporter's daily schedule (`infrastructure/wiring.yaml`).
pub(crate) const REPORT_HOUR_UTC: i64 = 7;

/// One ISO-8601 week, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WeekId {
    year: i32,
    week: u32,
}

impl WeekId {
    /// The week `week` of ISO year `year`, if it exists.
    pub fn new(year: i32, week: u32) -> Result<Self, WeekIdError> {
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|_| Self { year, week })
            .ok_or(WeekIdError::NoSuchWeek { year, week })
    }

    /// The week that holds this instant (UTC).
    pub fn containing(instant: DateTime<Utc>) -> Self {
        let iso = instant.iso_week();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week that holds an epoch-milliseconds timestamp, or `None` when chrono cannot
    /// represent it (hundreds of thousands of years away: validation rejects those first).
    pub fn of_timestamp_ms(ms: i64) -> Option<Self> {
        Utc.timestamp_millis_opt(ms).single().map(Self::containing)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn week(self) -> u32 {
        self.week
    }

    /// Monday 00:00:00 UTC, the first instant of the week.
    pub fn start(self) -> DateTime<Utc> {
        self.monday().and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The first instant of the next week: the week is `start() <= t < end()`.
    pub fn end(self) -> DateTime<Utc> {
        self.start() + Duration::weeks(1)
    }

    /// When the week's report is due: the schedule's run on the Monday after it, at 07:00 UTC.
    pub fn report_due(self) -> DateTime<Utc> {
        self.end() + Duration::hours(REPORT_HOUR_UTC)
    }

    /// The week before this one.
    pub fn previous(self) -> Self {
        Self::containing(self.start() - Duration::days(1))
    }

    /// The week after this one.
    pub fn next(self) -> Self {
        Self::containing(self.end())
    }

    fn monday(self) -> NaiveDate {
        // `new` and `containing` only build weeks that exist, so the Monday does too; the
        // fallback is unreachable and keeps this function total without a panic.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for WeekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl FromStr for WeekId {
    type Err = WeekIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let format_error = || WeekIdError::Format(s.to_owned());
        let (year, week) = s.split_once("-W").ok_or_else(format_error)?;
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || week.len() != 2 || !all_digits(year) || !all_digits(week) {
            return Err(format_error());
        }
        let year = year.parse().map_err(|_| format_error())?;
        let week = week.parse().map_err(|_| format_error())?;
        Self::new(year, week)
    }
}

impl Serialize for WeekId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WeekId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn formats_with_four_digit_year_and_two_digit_week() {
        assert_eq!(WeekId::new(2025, 5).unwrap().to_string(), "2025-W05");
        assert_eq!(WeekId::new(2025, 45).unwrap().to_string(), "2025-W45");
    }

    #[test]
    fn december_30_2024_is_in_2025_w01() {
        assert_eq!(
            WeekId::containing(at("2024-12-30T00:00:00Z")).to_string(),
            "2025-W01"
        );
        assert_eq!(
            WeekId::containing(at("2024-12-29T23:59:59Z")).to_string(),
            "2024-W52"
        );
    }

    #[test]
    fn january_2021_days_belong_to_2020_w53() {
        assert_eq!(
            WeekId::containing(at("2021-01-03T12:00:00Z")).to_string(),
            "2020-W53"
        );
        assert_eq!(
            WeekId::containing(at("2021-01-04T00:00:00Z")).to_string(),
            "2021-W01"
        );
        assert_eq!(
            "2020-W53".parse::<WeekId>().unwrap().next().to_string(),
            "2021-W01"
        );
    }

    #[test]
    fn sunday_last_second_and_monday_midnight_are_in_different_weeks() {
        let sunday = WeekId::containing(at("2025-11-09T23:59:59.999Z"));
        let monday = WeekId::containing(at("2025-11-10T00:00:00Z"));
        assert_eq!(sunday.to_string(), "2025-W45");
        assert_eq!(monday.to_string(), "2025-W46");
        assert_eq!(sunday.next(), monday);
        assert_eq!(monday.previous(), sunday);
    }

    #[test]
    fn week_bounds_are_monday_midnight_to_next_monday_midnight_utc() {
        let week: WeekId = "2025-W45".parse().unwrap();
        assert_eq!(week.start(), at("2025-11-03T00:00:00Z"));
        assert_eq!(week.end(), at("2025-11-10T00:00:00Z"));
        let w01: WeekId = "2025-W01".parse().unwrap();
        assert_eq!(w01.start(), at("2024-12-30T00:00:00Z"));
    }

    #[test]
    fn timestamps_in_milliseconds_map_to_their_week() {
        // The example query of the event spec: 2025-11-08T13:14:18.821Z, a Saturday.
        assert_eq!(
            WeekId::of_timestamp_ms(1_762_607_658_821)
                .unwrap()
                .to_string(),
            "2025-W45"
        );
    }

    #[test]
    fn rejects_malformed_and_nonexistent_weeks() {
        for bad in [
            "2025W45",
            "2025-W5",
            "25-W45",
            "2025-w45",
            "2025-W4x",
            "",
            "2025-W045",
        ] {
            assert!(
                matches!(bad.parse::<WeekId>(), Err(WeekIdError::Format(_))),
                "{bad}"
            );
        }
        assert_eq!(
            "2025-W53".parse::<WeekId>(),
            Err(WeekIdError::NoSuchWeek {
                year: 2025,
                week: 53
            })
        );
        assert!("2025-W00".parse::<WeekId>().is_err());
    }

    #[test]
    fn round_trips_through_serde_as_a_string() {
        let week: WeekId = "2020-W53".parse().unwrap();
        let json = serde_json::to_string(&week).unwrap();
        assert_eq!(json, "\"2020-W53\"");
        assert_eq!(serde_json::from_str::<WeekId>(&json).unwrap(), week);
    }
}
