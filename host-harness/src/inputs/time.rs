//! Times and durations, as input files and the command line write them.
//!
//! A time is RFC 3339 with a zone (`2026-11-01T12:00:00Z`, `2026-11-01T14:00:00+02:00`), kept
//! as whole seconds since the epoch in UTC; fractional seconds are dropped. A date alone
//! (`2026-11-01`), as HR exports write it, names a whole day in UTC, and which end of the day
//! depends on what the time bounds:
//!
//! - a cutoff (`offboarded_at`, `expires_at`, the CLI's `--at`) means the END of the day, the
//!   first instant of the next day: `2026-11-01` is `2026-11-02T00:00:00Z`. Someone offboarded on
//!   2026-11-01 keeps access all through November 1 and is offboarded from November 2 on; a
//!   ticket expiring on 2027-06-30 still grants on June 30.
//! - a start (`starts_at`) means the START of the day: a ticket valid from 2026-11-01 grants all
//!   through November 1.
//!
//! Either way the day is the half-open interval `[start, end)`, so an evaluator that compares
//! `at >= offboarded_at` and `at < expires_at` gets whole days right.
//!
//! A date-time without a zone (`2026-11-01T12:00:00`) is refused rather than guessed: a local
//! time read as UTC would move an offboarding by hours.
//!
//! A duration is a sum of whole numbers with units `s`, `m`, `h` and `d`: `"90s"`, `"24h"`,
//! `"1d12h"`, `"1h 30m"`. A bare number is refused because seconds and hours are both plausible
//! readings.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Why a text is not a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "the time is empty (expected RFC 3339 like 2026-11-01T00:00:00Z or a date like 2026-11-01)"
    )]
    Empty,
    /// A date and a time of day, but no zone: the instant it names is unknown.
    #[error(
        "\"{0}\" has no time zone; add Z for UTC or an offset, as in {z} or {offset}",
        z = rfc3339_example(.0, "Z"),
        offset = rfc3339_example(.0, "+01:00")
    )]
    NoZone(String),
    /// A bare number, perhaps seconds since the epoch, perhaps milliseconds.
    #[error(
        "\"{0}\" is a bare number, not a date; write it in RFC 3339 like 2026-11-01T00:00:00Z \
         or as a date like 2026-11-01"
    )]
    Number(String),
    #[error(
        "\"{0}\" is not a date (expected RFC 3339 like 2026-11-01T00:00:00Z or a date like \
         2026-11-01)"
    )]
    Invalid(String),
}

/// A zone-less date-time completed into valid RFC 3339: a `T` between date and time, the
/// seconds RFC 3339 requires, then `zone`.
fn rfc3339_example(text: &str, zone: &str) -> String {
    let mut example = text.replacen(' ', "T", 1);
    // `2026-11-01T12:00` has no seconds, which RFC 3339 does not allow to be left out.
    if example.len() == "2026-11-01T12:00".len() {
        example.push_str(":00");
    }
    example.push_str(zone);
    example
}

/// Which end of the day a date alone stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DateMeans {
    /// `2026-11-01` is `2026-11-01T00:00:00Z`.
    StartOfDay,
    /// `2026-11-01` is `2026-11-02T00:00:00Z`.
    EndOfDay,
}

/// Parses a time for a cutoff: RFC 3339 with a zone, or a date alone meaning the end of that
/// day in UTC (`2026-11-01` is `2026-11-02T00:00:00Z`). Returns seconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64, TimeError> {
    parse_time_as(s, DateMeans::EndOfDay)
}

/// Parses an evaluation time (`--at`): RFC 3339 with a zone, or a date alone meaning the start
/// of that day in UTC, so that `--at 2026-11-01` judges the state on the first of November,
/// before anything that ends "on 2026-11-01" has ended.
pub fn parse_instant(s: &str) -> Result<i64, TimeError> {
    parse_time_as(s, DateMeans::StartOfDay)
}

/// Parses a time, reading a date alone as `means` says.
pub(super) fn parse_time_as(s: &str, means: DateMeans) -> Result<i64, TimeError> {
    let text = s.trim();
    if text.is_empty() {
        return Err(TimeError::Empty);
    }

    if is_plain_date(text) {
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| TimeError::Invalid(text.to_owned()))?;
        let day = match means {
            DateMeans::StartOfDay => Some(day),
            DateMeans::EndOfDay => day.succ_opt(),
        };
        return day
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|midnight| midnight.and_utc().timestamp())
            .ok_or_else(|| TimeError::Invalid(text.to_owned()));
    }

    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        // `timestamp` drops the fraction, which is what whole-second timestamps want.
        return Ok(time.timestamp());
    }

    let without_zone = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok());
    if without_zone {
        return Err(TimeError::NoZone(text.to_owned()));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError::Number(text.to_owned()));
    }
    Err(TimeError::Invalid(text.to_owned()))
}

/// Whether `text` has the shape `YYYY-MM-DD`; chrono alone would also take `2026-1-1` and
/// `+2026-11-01`, which no HR export means.
fn is_plain_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// Formats seconds since the epoch as RFC 3339 in UTC, such as `2026-11-01T12:00:00Z`. A time
/// outside chrono's calendar (beyond ±262,000 years) comes out as `@<seconds>`.
pub fn format_time(t: i64) -> String {
    match DateTime::<Utc>::from_timestamp(t, 0) {
        Some(time) => time.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => format!("@{t}"),
    }
}

/// Parses a duration such as `"24h"`, `"1d12h"` or `"1h 30m"` into seconds. Units: `s`, `m`,
/// `h`, `d`; whitespace may separate the parts. The error says what to write instead.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err("the duration is empty; give one like \"24h\" or \"0s\"".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "\"{text}\" has no unit; add one, such as \"{text}s\" for seconds \
             (units: s, m, h, d)"
        ));
    }

    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, after) = rest.split_at(digits);
        if number.is_empty() {
            return Err(not_a_duration(text));
        }
        let after = after.trim_start();

        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(letters);
        if after.starts_with('.') || after.starts_with(',') {
            return Err(format!(
                "\"{text}\" has a fraction; use whole numbers of smaller units, such as \
                 \"1h30m\" for an hour and a half"
            ));
        }
        let seconds_per_unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 60 * 60,
            "d" => 24 * 60 * 60,
            "" => {
                return Err(format!(
                    "\"{text}\": {number} has no unit; add one of s, m, h or d, as in \
                     \"1h30m\""
                ));
            }
            other => {
                return Err(format!(
                    "\"{text}\" has an unknown unit \"{other}\"; use s, m, h or d, as in \
                     \"24h\" or \"1d12h\""
                ));
            }
        };

        let amount = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(seconds_per_unit))
            .and_then(|seconds| total.checked_add(seconds));
        total = amount.ok_or_else(|| format!("\"{text}\" is too long a duration"))?;
        rest = after.trim_start();
    }
    Ok(total)
}

fn not_a_duration(text: &str) -> String {
    format!(
        "\"{text}\" is not a duration (expected whole numbers with units s, m, h or d, such as \
         \"24h\" or \"1d12h\")"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_1_NOON: i64 = 1_793_534_400; // 2026-11-01T12:00:00Z
    const NOV_2_MIDNIGHT: i64 = 1_793_577_600; // 2026-11-02T00:00:00Z
    const NOV_1_MIDNIGHT: i64 = NOV_2_MIDNIGHT - 86_400;

    #[test]
    fn utc_time_parses_to_seconds_since_the_epoch() {
        assert_eq!(parse_time("2026-11-01T12:00:00Z"), Ok(NOV_1_NOON));
        assert_eq!(parse_time("  2026-11-01t12:00:00z "), Ok(NOV_1_NOON));
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        assert_eq!(parse_time("2026-11-01T14:00:00+02:00"), Ok(NOV_1_NOON));
        assert_eq!(parse_time("2026-11-01T07:00:00-05:00"), Ok(NOV_1_NOON));
    }

    #[test]
    fn fractional_seconds_are_truncated() {
        assert_eq!(parse_time("2026-11-01T12:00:00.999Z"), Ok(NOV_1_NOON));
    }

    #[test]
    fn a_date_alone_means_the_first_instant_of_the_next_day() {
        assert_eq!(parse_time("2026-11-01"), Ok(NOV_2_MIDNIGHT));
        assert_eq!(format_time(NOV_2_MIDNIGHT), "2026-11-02T00:00:00Z");
    }

    #[test]
    fn a_date_alone_at_the_end_of_a_year_rolls_over() {
        assert_eq!(
            parse_time("2026-12-31").map(format_time),
            Ok("2027-01-01T00:00:00Z".into())
        );
    }

    #[test]
    fn a_date_alone_as_a_start_means_midnight_that_day() {
        assert_eq!(
            parse_time_as("2026-11-01", DateMeans::StartOfDay),
            Ok(NOV_1_MIDNIGHT)
        );
    }

    #[test]
    fn date_time_without_zone_asks_for_z_or_an_offset() {
        let err = parse_time("2026-11-01T12:00:00").unwrap_err();
        assert_eq!(err, TimeError::NoZone("2026-11-01T12:00:00".into()));
        assert_eq!(
            err.to_string(),
            "\"2026-11-01T12:00:00\" has no time zone; add Z for UTC or an offset, as in \
             2026-11-01T12:00:00Z or 2026-11-01T12:00:00+01:00"
        );
        // The example must itself be accepted: RFC 3339 wants the seconds and the `T`.
        for text in [
            "2026-11-01 12:00",
            "2026-11-01T12:00",
            "2026-11-01 12:00:00",
        ] {
            let err = parse_time(text).unwrap_err();
            assert!(matches!(err, TimeError::NoZone(_)), "{text}");
            let message = err.to_string();
            assert!(
                message.contains("as in 2026-11-01T12:00:00Z or"),
                "{message}"
            );
            let suggested = message.split("as in ").nth(1).unwrap();
            for example in suggested.split(" or ") {
                assert!(
                    parse_time(example).is_ok(),
                    "suggested {example:?} is refused"
                );
            }
        }
    }

    #[test]
    fn an_evaluation_time_given_as_a_date_is_the_start_of_that_day() {
        assert_eq!(
            parse_instant("2026-11-01"),
            parse_time("2026-11-01T00:00:00Z")
        );
        assert_eq!(parse_time("2026-11-01"), parse_time("2026-11-02T00:00:00Z"));
        assert_eq!(
            parse_instant("2026-11-01T12:00:00+01:00"),
            parse_time("2026-11-01T11:00:00Z")
        );
    }

    #[test]
    fn impossible_dates_are_refused_with_the_expected_shapes() {
        let err = parse_time("2026-13-01").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"2026-13-01\" is not a date (expected RFC 3339 like 2026-11-01T00:00:00Z or a \
             date like 2026-11-01)"
        );
        assert!(matches!(
            parse_time("2026-02-30"),
            Err(TimeError::Invalid(_))
        ));
        assert!(matches!(parse_time("2026-1-1"), Err(TimeError::Invalid(_))));
        assert!(matches!(
            parse_time("01/11/2026"),
            Err(TimeError::Invalid(_))
        ));
    }

    #[test]
    fn empty_and_numeric_times_are_refused() {
        assert_eq!(parse_time("  "), Err(TimeError::Empty));
        assert_eq!(
            parse_time("1793534400"),
            Err(TimeError::Number("1793534400".into()))
        );
    }

    #[test]
    fn format_time_writes_utc_with_z_and_round_trips() {
        assert_eq!(format_time(NOV_1_NOON), "2026-11-01T12:00:00Z");
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time(&format_time(-86_400)), Ok(-86_400));
        assert_eq!(format_time(i64::MAX), format!("@{}", i64::MAX));
    }

    #[test]
    fn durations_sum_their_parts() {
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("1d12h"), Ok(129_600));
        assert_eq!(parse_duration(" 1h 30m "), Ok(5_400));
        assert_eq!(parse_duration("2 d"), Ok(172_800));
    }

    #[test]
    fn bare_integer_duration_is_refused_with_a_hint_to_add_a_unit() {
        assert_eq!(
            parse_duration("86400"),
            Err(
                "\"86400\" has no unit; add one, such as \"86400s\" for seconds \
                 (units: s, m, h, d)"
                    .into()
            )
        );
    }

    #[test]
    fn bad_durations_say_what_to_write_instead() {
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(
            parse_duration("1h30")
                .unwrap_err()
                .contains("30 has no unit")
        );
        assert!(
            parse_duration("2w")
                .unwrap_err()
                .contains("unknown unit \"w\"")
        );
        assert!(
            parse_duration("24 hours")
                .unwrap_err()
                .contains("unknown unit \"hours\"")
        );
        assert!(parse_duration("1.5h").unwrap_err().contains("fraction"));
        assert!(
            parse_duration("-1h")
                .unwrap_err()
                .contains("is not a duration")
        );
        assert!(
            parse_duration("h")
                .unwrap_err()
                .contains("is not a duration")
        );
        assert!(
            parse_duration("99999999999999999999d")
                .unwrap_err()
                .contains("too long")
        );
    }
}
