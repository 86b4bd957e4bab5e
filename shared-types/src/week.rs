//! ISO-8601 week ids (`2025-W45`): the key of the weekly index and of the report.
//!
//! ISO weeks start on Monday and belong to the year that holds their Thursday, so
//! 2024-12-30 is in `2025-W01` and some years (2020, 2026) have a week 53. A week is a calendar
//! week in the owner's time zone (`REPORT_TIMEZONE`, an IANA name, UTC by default): from Monday
//! 00:00 there to the next Monday 00:00 there, 168 hours, or 167 and 169 in the weeks whose
//! clocks change. The `_in` methods take the zone; the others are the same in UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
pub use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::WeekIdError;

/// The local hour of the reporter's daily schedule (`infrastructure/wiring.yaml`).
pub const REPORT_HOUR: u32 = 7;

/// One ISO-8601 week.
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
        Self::containing_in(instant, Tz::UTC)
    }

    /// The week that holds this instant on the clocks of `zone`.
    pub fn containing_in(instant: DateTime<Utc>, zone: Tz) -> Self {
        let iso = instant.with_timezone(&zone).iso_week();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week that holds an epoch-milliseconds timestamp (UTC), or `None` when chrono cannot
    /// represent it (hundreds of thousands of years away: validation rejects those first).
    pub fn of_timestamp_ms(ms: i64) -> Option<Self> {
        Self::of_timestamp_ms_in(ms, Tz::UTC)
    }

    /// [`WeekId::of_timestamp_ms`] on the clocks of `zone`.
    pub fn of_timestamp_ms_in(ms: i64, zone: Tz) -> Option<Self> {
        Utc.timestamp_millis_opt(ms)
            .single()
            .map(|instant| Self::containing_in(instant, zone))
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn week(self) -> u32 {
        self.week
    }

    /// Monday 00:00:00 UTC, the first instant of the week.
    pub fn start(self) -> DateTime<Utc> {
        self.start_in(Tz::UTC)
    }

    /// The first instant of the week on the clocks of `zone`: Monday 00:00 there (or, where
    /// the clocks skip midnight, the first minute that exists).
    pub fn start_in(self, zone: Tz) -> DateTime<Utc> {
        at_local(zone, self.monday(), NaiveTime::MIN)
    }

    /// The first instant of the next week: the week is `start() <= t < end()`.
    pub fn end(self) -> DateTime<Utc> {
        self.end_in(Tz::UTC)
    }

    /// [`WeekId::end`] on the clocks of `zone`: 167, 168 or 169 hours after `start_in`.
    pub fn end_in(self, zone: Tz) -> DateTime<Utc> {
        self.next().start_in(zone)
    }

    /// When the week's report is due: the schedule's run on the Monday after it, at 07:00 UTC.
    pub fn report_due(self) -> DateTime<Utc> {
        self.report_due_in(Tz::UTC)
    }

    /// When the week's report is due in `zone`: the Monday after it, at 07:00 there.
    pub fn report_due_in(self, zone: Tz) -> DateTime<Utc> {
        let seven = NaiveTime::from_hms_opt(REPORT_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
        at_local(zone, self.next().monday(), seven)
    }

    /// The week before this one.
    pub fn previous(self) -> Self {
        Self::containing(self.start() - Duration::days(1))
    }

    /// The week after this one.
    pub fn next(self) -> Self {
        Self::containing(self.start() + Duration::weeks(1))
    }

    fn monday(self) -> NaiveDate {
        // `new` and `containing` only build weeks that exist, so the Monday does too; the
        // fallback is unreachable and keeps this function total without a panic.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }
}

/// The instant `date` at `time` on the clocks of `zone`: the earlier of a time that happens
/// twice, and for a time the clocks skip, the same time an hour later (the first that exists).
fn at_local(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| local.and_utc(), |instant| instant.with_timezone(&Utc))
}

/// Reads an IANA time-zone name (`Europe/London`, `UTC`).
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse().ok()
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

    fn zone(name: &str) -> Tz {
        parse_zone(name).unwrap()
    }

    fn hours(week: &str, zone: Tz) -> i64 {
        let week: WeekId = week.parse().unwrap();
        (week.end_in(zone) - week.start_in(zone)).num_hours()
    }

    #[test]
    fn weeks_whose_clocks_change_are_167_and_169_hours_whole() {
        let london = zone("Europe/London");
        let new_york = zone("America/New_York");
        // London: clocks forward on Sunday 30 March 2025 (W13), back on 26 October (W43).
        assert_eq!(hours("2025-W13", london), 167);
        assert_eq!(hours("2025-W43", london), 169);
        assert_eq!(hours("2025-W20", london), 168);
        // New York: forward on 9 March 2025 (W10), back on 2 November (W44).
        assert_eq!(hours("2025-W10", new_york), 167);
        assert_eq!(hours("2025-W44", new_york), 169);
        // No gap and no overlap between one week and the next.
        let w43: WeekId = "2025-W43".parse().unwrap();
        assert_eq!(w43.end_in(london), w43.next().start_in(london));
        assert_eq!(w43.start_in(london), at("2025-10-19T23:00:00Z"));
        assert_eq!(w43.end_in(london), at("2025-10-27T00:00:00Z"));
    }

    #[test]
    fn a_request_is_filed_under_the_week_its_zones_clocks_show() {
        // Sunday 23:30 UTC in summer is Monday 00:30 in London: the next week there.
        let late_sunday = at("2025-07-13T23:30:00Z");
        assert_eq!(WeekId::containing(late_sunday).to_string(), "2025-W28");
        let london = WeekId::containing_in(late_sunday, zone("Europe/London"));
        assert_eq!(london.to_string(), "2025-W29");
        // In winter London is UTC.
        let winter = at("2025-01-12T23:30:00Z");
        assert_eq!(
            WeekId::containing_in(winter, zone("Europe/London")),
            WeekId::containing(winter)
        );
        // Singapore (UTC+8): Sunday 20:00 UTC is Monday 04:00 there.
        let singapore = zone("Asia/Singapore");
        let sunday_evening = at("2025-11-16T20:00:00Z");
        assert_eq!(WeekId::containing(sunday_evening).to_string(), "2025-W46");
        assert_eq!(
            WeekId::containing_in(sunday_evening, singapore).to_string(),
            "2025-W47"
        );
        // New York (UTC-5 in winter): Monday 03:00 UTC is still Sunday there.
        let monday_early = at("2025-11-17T03:00:00Z");
        assert_eq!(
            WeekId::containing_in(monday_early, zone("America/New_York")).to_string(),
            "2025-W46"
        );
    }

    #[test]
    fn the_report_is_due_at_seven_on_monday_local_time_all_year() {
        let london = zone("Europe/London");
        let summer: WeekId = "2025-W28".parse().unwrap();
        assert_eq!(summer.report_due_in(london), at("2025-07-14T06:00:00Z"));
        let winter: WeekId = "2025-W02".parse().unwrap();
        assert_eq!(winter.report_due_in(london), at("2025-01-13T07:00:00Z"));
        let w46: WeekId = "2025-W46".parse().unwrap();
        assert_eq!(
            w46.report_due_in(zone("Asia/Singapore")),
            at("2025-11-16T23:00:00Z")
        );
        assert_eq!(
            w46.report_due_in(zone("America/New_York")),
            at("2025-11-17T12:00:00Z")
        );
        assert_eq!(w46.report_due(), at("2025-11-17T07:00:00Z"));
    }

    #[test]
    fn zone_names_are_iana_names() {
        assert!(parse_zone("Europe/London").is_some());
        assert!(parse_zone("UTC").is_some());
        assert!(parse_zone("Europe/Londn").is_none());
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
