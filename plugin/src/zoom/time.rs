//! The timestamps Zoom writes, read and written without a date crate (the plugin stays small).
//!
//! - RFC 3339 date-times (`2019-06-01T07:58:03Z`, with an offset or fractional seconds) in
//!   user rows and in a daily limit's `Retry-After`;
//! - IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the HTTP-date form of `Retry-After`.
//!
//! Every value comes from the provider, so a parser returns `None` on anything it does not
//! understand rather than guessing.
//!
//! ```
//! use gatehouse_zoom::zoom::time::{format_rfc3339, parse_rfc3339};
//! let at = parse_rfc3339("2030-01-02T01:00:00+01:00").unwrap();
//! assert_eq!(format_rfc3339(at), "2030-01-02T00:00:00Z");
//! ```

use crate::model::Timestamp;

const SECS_PER_DAY: i64 = 86_400;

/// Parses an RFC 3339 date-time: `T`, `t` or a space between date and time, optional
/// fractional seconds (dropped), and `Z` or a `±HH:MM` offset.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let bytes = text.trim().as_bytes();
    if bytes.len() < 20 {
        return None;
    }

    let year = digits(bytes, 0, 4)?;
    let month = digits(bytes, 5, 2)?;
    let day = digits(bytes, 8, 2)?;
    let hour = digits(bytes, 11, 2)?;
    let minute = digits(bytes, 14, 2)?;
    let second = digits(bytes, 17, 2)?;
    let separators_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't' | b' ')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !separators_ok {
        return None;
    }

    let mut rest = &bytes[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let count = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        rest = &fraction[count..];
    }
    let offset = parse_offset(rest)?;

    // Second 60 is a leap second, which RFC 3339 allows; it simply rolls into the next minute.
    let time_ok = hour <= 23 && minute <= 59 && second <= 60;
    if !time_ok || !date_is_valid(year, month, day) {
        return None;
    }
    let seconds = hour * 3600 + minute * 60 + second;
    Some(days_from_civil(year, month, day) * SECS_PER_DAY + seconds - offset)
}

/// Parses an IMF-fixdate, the preferred HTTP-date of RFC 9110: `Sun, 06 Nov 1994 08:49:37 GMT`.
/// The weekday is not checked against the date: the date is what matters.
pub fn parse_http_date(text: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [weekday, day, month, year, time, zone] = parts.as_slice() else {
        return None;
    };
    if !weekday.ends_with(',') || *zone != "GMT" {
        return None;
    }

    let day = parse_number(day, 2)?;
    let month = month_number(month)?;
    let year = parse_number(year, 4)?;
    let time = time.as_bytes();
    if time.len() != 8 || time[2] != b':' || time[5] != b':' {
        return None;
    }
    let hour = digits(time, 0, 2)?;
    let minute = digits(time, 3, 2)?;
    let second = digits(time, 6, 2)?;

    if hour > 23 || minute > 59 || second > 60 || !date_is_valid(year, month, day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second)
}

/// Formats as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(at: Timestamp) -> String {
    let days = at.div_euclid(SECS_PER_DAY);
    let seconds = at.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// The next 00:00 UTC strictly after `at`: when Zoom's daily limits reset.
pub fn next_utc_midnight(at: Timestamp) -> Timestamp {
    (at.div_euclid(SECS_PER_DAY) + 1) * SECS_PER_DAY
}

/// `Z`, `z` or `±HH:MM`, and nothing after it; the offset in seconds east of UTC.
fn parse_offset(rest: &[u8]) -> Option<i64> {
    match rest {
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let hours = digits(rest, 1, 2)?;
            let minutes = digits(rest, 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            Some(if *sign == b'-' { -offset } else { offset })
        }
        _ => None,
    }
}

/// `len` ASCII digits at `start` as a number.
fn digits(bytes: &[u8], start: usize, len: usize) -> Option<i64> {
    let slice = bytes.get(start..start + len)?;
    slice.iter().try_fold(0i64, |value, b| {
        b.is_ascii_digit().then(|| value * 10 + i64::from(b - b'0'))
    })
}

fn parse_number(text: &str, len: usize) -> Option<i64> {
    if text.len() != len {
        return None;
    }
    digits(text.as_bytes(), 0, len)
}

fn month_number(name: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let index = MONTHS.iter().position(|month| *month == name)?;
    i64::try_from(index + 1).ok()
}

fn date_is_valid(year: i64, month: i64, day: i64) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_date_times_parse_to_epoch_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2019-06-01T07:58:03Z"), Some(1_559_375_883));
        assert_eq!(parse_rfc3339("2030-01-02T00:00:00Z"), Some(1_893_542_400));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
    }

    #[test]
    fn offsets_fractions_and_lower_case_separators_are_accepted() {
        let utc = parse_rfc3339("2026-11-25T05:40:55Z");
        assert_eq!(parse_rfc3339("2026-11-25T07:40:55+02:00"), utc);
        assert_eq!(parse_rfc3339("2026-11-25T00:10:55-05:30"), utc);
        assert_eq!(parse_rfc3339("2026-11-25T05:40:55.123456Z"), utc);
        assert_eq!(parse_rfc3339("2026-11-25t05:40:55z"), utc);
        assert_eq!(parse_rfc3339("2026-11-25 05:40:55Z"), utc);
        assert_eq!(parse_rfc3339(" 2026-11-25T05:40:55Z\n"), utc);
    }

    #[test]
    fn leap_days_are_valid_only_in_leap_years() {
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_some());
        assert_eq!(parse_rfc3339("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("1900-02-29T00:00:00Z"), None);
    }

    #[test]
    fn malformed_date_times_are_rejected_not_guessed() {
        for text in [
            "",
            "2026-11-25",
            "2026-11-25T05:40:55",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T05:60:00Z",
            "2026-11-25T05:40:55.Z",
            "2026-11-25T05:40:55+0200",
            "2026-11-25T05:40:55+24:00",
            "2026-11-25T05:40:55Zjunk",
            "2026/11/25T05:40:55Z",
            "２０２６-11-25T05:40:55Z",
            "not a date at all, not at all",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }

    #[test]
    fn formatting_round_trips() {
        for at in [
            0,
            1_559_375_883,
            1_893_542_400,
            -86_401,
            951_782_400,
            4_102_444_799,
        ] {
            assert_eq!(parse_rfc3339(&format_rfc3339(at)), Some(at), "{at}");
        }
        assert_eq!(format_rfc3339(1_893_542_400), "2030-01-02T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Wed, 02 Jan 2030 00:00:00 GMT"),
            Some(1_893_542_400)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 31 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("3"), None);
    }

    #[test]
    fn daily_limits_reset_at_the_next_utc_midnight() {
        let noon = parse_rfc3339("2030-01-01T12:00:00Z").unwrap();
        assert_eq!(
            format_rfc3339(next_utc_midnight(noon)),
            "2030-01-02T00:00:00Z"
        );
        let midnight = parse_rfc3339("2030-01-02T00:00:00Z").unwrap();
        assert_eq!(
            format_rfc3339(next_utc_midnight(midnight)),
            "2030-01-03T00:00:00Z"
        );
    }
}
