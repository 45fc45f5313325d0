//! How findings and trace lines name things: accounts, staff members, times and durations.
//!
//! Reasons are read by people deciding whether to remove an account, so times are RFC 3339 in
//! UTC rather than raw epoch seconds, and every name is shown trimmed of the padding that
//! directory exports tend to carry.

use std::borrow::Cow;
use std::fmt::{self, Display, Formatter};

use crate::model::{Account, MatchKind, StaffMember, Timestamp};

const SECONDS_PER_DAY: i64 = 86_400;

/// The account as a person would look for it at the provider: its email, or, when the email
/// is unusable, the raw value quoted and the provider id so the account can still be found.
pub(super) fn account(account: &Account, email_usable: bool) -> Cow<'_, str> {
    let email = account.email.trim();
    if email_usable {
        return Cow::Borrowed(email);
    }

    let shown = if email.is_empty() {
        "with an empty email".to_owned()
    } else {
        format!("\"{email}\"")
    };
    let id = account
        .id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    Cow::Owned(match id {
        Some(id) => format!("{shown} (id {id})"),
        None => format!("{shown} (no id)"),
    })
}

/// A staff member as "Name (email)", or just the email when the directory has no name.
pub(super) fn member(member: &StaffMember) -> MemberName<'_> {
    MemberName(member)
}

/// Written straight into the sentence that names the member, since nearly every trace line
/// does and a string of its own per account would be garbage at once.
pub(super) struct MemberName<'m>(&'m StaffMember);

impl Display for MemberName<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (name, email) = (self.0.name.trim(), self.0.email.trim());
        if name.is_empty() {
            f.write_str(email)
        } else {
            write!(f, "{name} ({email})")
        }
    }
}

pub(super) fn match_kind(via: MatchKind) -> &'static str {
    match via {
        MatchKind::PrimaryEmail => "primary email",
        MatchKind::Alias => "alias",
        MatchKind::Mapping => "mapping",
    }
}

/// Free text from the operator (an exception's reason, its approver, a ticket id), quoted,
/// with a stand-in when blank so that a sentence never ends up with a hole in it.
pub(super) fn quoted_or_blank(text: &str) -> QuotedOrBlank<'_> {
    QuotedOrBlank(text.trim())
}

pub(super) struct QuotedOrBlank<'t>(&'t str);

impl Display for QuotedOrBlank<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("(blank)")
        } else {
            write!(f, "\"{}\"", self.0)
        }
    }
}

/// Role names, trimmed and quoted, or "none" for an empty list.
pub(super) fn roles<S: AsRef<str>>(roles: &[S]) -> Roles<'_, S> {
    Roles(roles)
}

pub(super) struct Roles<'r, S>(&'r [S]);

/// How many org roles a reason names before counting the rest: a policy allowing thousands
/// of roles would otherwise copy all of them into every finding it raises.
const NAMED_ROLES: usize = 10;

impl<S: AsRef<str>> Display for Roles<'_, S> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Some((first, rest)) = self.0.split_first() else {
            return f.write_str("none");
        };
        write!(f, "\"{}\"", first.as_ref().trim())?;
        for role in rest.iter().take(NAMED_ROLES - 1) {
            write!(f, ", \"{}\"", role.as_ref().trim())?;
        }
        match self.0.len().saturating_sub(NAMED_ROLES) {
            0 => Ok(()),
            unnamed => write!(f, " and {unnamed} more"),
        }
    }
}

/// "a", "a and b", "a, b and c".
pub(super) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// RFC 3339 in UTC, such as `2024-05-01T09:30:00Z`.
pub(super) fn timestamp(at: Timestamp) -> Rfc3339 {
    Rfc3339(at)
}

/// Total over every `i64`: the civil-date arithmetic stays far inside `i64` even for the
/// extreme values, which a hostile or corrupt timestamp may well be.
pub(super) struct Rfc3339(Timestamp);

impl Display for Rfc3339 {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(SECONDS_PER_DAY);
        let second_of_day = self.0.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute, second) = (
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60,
        );
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
        )
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01, after Howard Hinnant's
/// `civil_from_days`, which needs no tables and no loops.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
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

/// A grace period in the largest whole unit that states it exactly: "7 days", "90 minutes".
pub(super) fn duration(seconds: u64) -> String {
    let (count, unit) = match seconds {
        0 => (0, "second"),
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_rfc3339_utc() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_714_555_800, "2024-05-01T09:30:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
        ];
        for (at, expected) in cases {
            assert_eq!(timestamp(at).to_string(), expected, "rendering {at}");
        }
    }

    #[test]
    fn extreme_timestamps_render_without_overflow() {
        assert!(timestamp(i64::MAX).to_string().ends_with('Z'));
        assert!(timestamp(i64::MIN).to_string().ends_with('Z'));
    }

    #[test]
    fn durations_use_the_largest_exact_unit() {
        let cases = [
            (0, "0 seconds"),
            (1, "1 second"),
            (59, "59 seconds"),
            (60, "1 minute"),
            (5_400, "90 minutes"),
            (7_200, "2 hours"),
            (86_400, "1 day"),
            (604_800, "7 days"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(duration(seconds), expected, "rendering {seconds}s");
        }
    }

    #[test]
    fn role_lists_name_ten_roles_and_count_the_rest() {
        let roles: Vec<String> = (1..=12).map(|n| format!(" r{n} ")).collect();
        assert_eq!(roles_shown(&roles[..1]), "\"r1\"");
        assert_eq!(
            roles_shown(&roles[..10]),
            "\"r1\", \"r2\", \"r3\", \"r4\", \"r5\", \"r6\", \"r7\", \"r8\", \"r9\", \"r10\""
        );
        assert_eq!(
            roles_shown(&roles),
            "\"r1\", \"r2\", \"r3\", \"r4\", \"r5\", \"r6\", \"r7\", \"r8\", \"r9\", \"r10\" and 2 more"
        );
        assert_eq!(roles_shown::<String>(&[]), "none");
    }

    fn roles_shown<S: AsRef<str>>(roles: &[S]) -> String {
        super::roles(roles).to_string()
    }

    #[test]
    fn lists_join_with_commas_and_a_final_and() {
        let words = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(list(&words(&[])), "");
        assert_eq!(list(&words(&["a"])), "a");
        assert_eq!(list(&words(&["a", "b"])), "a and b");
        assert_eq!(list(&words(&["a", "b", "c"])), "a, b and c");
    }
}
