//! The access policy: who may have an account, how long offboarded staff keep access, which
//! accounts under other addresses belong to whom, and which accounts are allowed regardless.
//! The format is described in the parent module.
//!
//! The TOML is read into private structs that refuse unknown keys, then checked and turned into
//! the WIT records; values keep their spans so that each message points at the line.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::time::parse_time;
use super::{InputError, Location, check_email, parse_duration, strip_bom};
use crate::types::{AccessException, AccessRule, AccountMapping, Policy};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    access: Option<Spanned<String>>,
    allowed_roles: Option<Spanned<Vec<Spanned<String>>>>,
    offboarding_grace: Option<Spanned<Value>>,
    privileged_roles: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    mappings: Vec<RawMapping>,
    #[serde(default)]
    exceptions: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    account: Spanned<String>,
    staff: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    account: Spanned<String>,
    reason: Spanned<String>,
    approved_by: Spanned<String>,
    expires_at: Option<Spanned<Value>>,
}

/// The access kinds as the policy spells them.
const ACCESS_KINDS: &str = "\"all-staff\", \"role-based\" or \"ticket-based\"";

/// The longest offboarding grace period a policy may set. Longer is far more likely a slip
/// (days for hours, an extra digit) than intent, and it would hide every leaver.
const MAX_GRACE_SECS: u64 = 365 * 86_400;

/// Parses an access policy from TOML `text`; `name` is the file name used in messages.
pub fn parse_policy(name: &str, text: &str) -> Result<Policy, InputError> {
    let text = strip_bom(text);
    let raw: RawPolicy = toml::from_str(text).map_err(|error| {
        let at = error.span().map_or_else(Location::default, |span| {
            Location::of_offset(text, span.start)
        });
        InputError::parse(name, at, None, error.message())
    })?;
    let checker = Checker { file: name, text };

    Ok(Policy {
        access: checker.access(&raw)?,
        offboarding_grace: checker.grace(raw.offboarding_grace.as_ref())?,
        mappings: checker.mappings(&raw.mappings)?,
        exceptions: checker.exceptions(&raw.exceptions)?,
        privileged_roles: raw
            .privileged_roles
            .as_ref()
            .map(|roles| checker.roles("privileged_roles", roles, "nobody could be Owner or Admin"))
            .transpose()?,
    })
}

/// Turns spans into messages for one policy file.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn error(&self, span: Range<usize>, field: &str, message: impl Into<String>) -> InputError {
        InputError::parse(self.file, self.at(span), Some(field), message)
    }

    fn at(&self, span: Range<usize>) -> Location {
        Location::of_offset(self.text, span.start)
    }

    fn access(&self, raw: &RawPolicy) -> Result<AccessRule, InputError> {
        let Some(access) = &raw.access else {
            return Err(InputError::parse(
                self.file,
                Location::default(),
                Some("access"),
                format!("the key is missing; add access = {ACCESS_KINDS}"),
            ));
        };

        let kind = access.get_ref().trim();
        let rule = match (kind, &raw.allowed_roles) {
            ("all-staff", None) => AccessRule::AllStaff,
            ("ticket-based", None) => AccessRule::TicketBased,
            ("role-based", Some(roles)) => AccessRule::RoleBased(self.roles(
                "allowed_roles",
                roles,
                "nobody could have an account",
            )?),
            ("role-based", None) => {
                return Err(self.error(
                    access.span(),
                    "allowed_roles",
                    "access = \"role-based\" needs allowed_roles, the org roles whose members \
                     may have an account, such as allowed_roles = [\"Engineering\"]",
                ));
            }
            ("all-staff" | "ticket-based", Some(roles)) => {
                return Err(self.error(
                    roles.span(),
                    "allowed_roles",
                    format!(
                        "allowed_roles only applies to access = \"role-based\", not \"{kind}\"; \
                         remove it or change access"
                    ),
                ));
            }
            (other, _) => {
                return Err(self.error(
                    access.span(),
                    "access",
                    format!("\"{other}\" is not an access rule; use {ACCESS_KINDS}"),
                ));
            }
        };
        Ok(rule)
    }

    /// A list of org roles, none empty and the list not empty either: an empty list would
    /// mean `consequence`, which no one writes on purpose.
    fn roles(
        &self,
        field: &str,
        roles: &Spanned<Vec<Spanned<String>>>,
        consequence: &str,
    ) -> Result<Vec<String>, InputError> {
        if roles.get_ref().is_empty() {
            return Err(self.error(
                roles.span(),
                field,
                format!("the list is empty, so {consequence}; list at least one role"),
            ));
        }

        let mut names = Vec::with_capacity(roles.get_ref().len());
        for role in roles.get_ref() {
            let name = role.get_ref().trim();
            if name.is_empty() {
                return Err(self.error(role.span(), field, "a role name is empty; remove it"));
            }
            names.push(name.to_owned());
        }
        Ok(names)
    }

    fn grace(&self, grace: Option<&Spanned<Value>>) -> Result<u64, InputError> {
        let Some(grace) = grace else {
            return Ok(0);
        };
        let field = "offboarding_grace";
        match grace.get_ref() {
            Value::String(text) => {
                let seconds = parse_duration(text)
                    .map_err(|message| self.error(grace.span(), field, message))?;
                if seconds > MAX_GRACE_SECS {
                    return Err(self.error(
                        grace.span(),
                        field,
                        format!(
                            "{text:?} is longer than 365 days: offboarded staff would keep their accounts that long without a failing finding"
                        ),
                    ));
                }
                Ok(seconds)
            }
            // Seconds or hours? Refuse rather than guess.
            Value::Integer(n) => Err(self.error(
                grace.span(),
                field,
                format!(
                    "{n} has no unit; write a string with one, such as \"{n}s\" for seconds \
                     (units: s, m, h, d)"
                ),
            )),
            other => Err(self.error(
                grace.span(),
                field,
                format!(
                    "expected a duration such as \"24h\"; found {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn mappings(&self, raw: &[RawMapping]) -> Result<Vec<AccountMapping>, InputError> {
        let mut seen = HashMap::new();
        let mut mappings = Vec::with_capacity(raw.len());
        for mapping in raw {
            let account = self.email("mappings.account", &mapping.account)?;
            let staff = self.email("mappings.staff", &mapping.staff)?;
            self.first_time(&mut seen, "mappings.account", &mapping.account, "mapped")?;
            mappings.push(AccountMapping { account, staff });
        }
        Ok(mappings)
    }

    fn exceptions(&self, raw: &[RawException]) -> Result<Vec<AccessException>, InputError> {
        let mut seen = HashMap::new();
        let mut exceptions = Vec::with_capacity(raw.len());
        for exception in raw {
            let account = self.email("exceptions.account", &exception.account)?;
            self.first_time(
                &mut seen,
                "exceptions.account",
                &exception.account,
                "excepted",
            )?;
            let reason = self.non_empty(
                "exceptions.reason",
                &exception.reason,
                "say why this account is allowed",
            )?;
            let approved_by = self.non_empty(
                "exceptions.approved_by",
                &exception.approved_by,
                "say who approved the exception",
            )?;
            let expires_at = exception
                .expires_at
                .as_ref()
                .map(|expires| self.time("exceptions.expires_at", expires))
                .transpose()?;
            exceptions.push(AccessException {
                account,
                reason,
                approved_by,
                expires_at,
            });
        }
        Ok(exceptions)
    }

    fn email(&self, field: &str, value: &Spanned<String>) -> Result<String, InputError> {
        let email = value.get_ref().trim();
        check_email(email).map_err(|message| self.error(value.span(), field, message))?;
        Ok(email.to_owned())
    }

    fn non_empty(
        &self,
        field: &str,
        value: &Spanned<String>,
        hint: &str,
    ) -> Result<String, InputError> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.error(value.span(), field, format!("the value is empty; {hint}")));
        }
        Ok(text.to_owned())
    }

    /// Refuses an account listed twice: two mappings or two exceptions for one account
    /// contradict each other, and the evaluator would silently pick one.
    fn first_time(
        &self,
        seen: &mut HashMap<String, usize>,
        field: &str,
        account: &Spanned<String>,
        verb: &str,
    ) -> Result<(), InputError> {
        let line = self.at(account.span()).line.unwrap_or_default();
        let key = account.get_ref().trim().to_lowercase();
        if let Some(first) = seen.insert(key, line) {
            return Err(self.error(
                account.span(),
                field,
                format!(
                    "{} is already {verb} on line {first}; list each account once",
                    account.get_ref().trim()
                ),
            ));
        }
        Ok(())
    }

    /// A time as a string, or as a TOML date or date-time (`expires_at = 2027-06-30`); a date
    /// alone means the end of that day.
    fn time(&self, field: &str, value: &Spanned<Value>) -> Result<i64, InputError> {
        let text = match value.get_ref() {
            Value::String(text) => text.clone(),
            Value::Datetime(datetime) => datetime.to_string(),
            other => {
                return Err(self.error(
                    value.span(),
                    field,
                    format!(
                        "expected a time such as \"2027-06-30T00:00:00Z\" or a date such as \
                         \"2027-06-30\"; found {}",
                        other.type_str()
                    ),
                ));
            }
        };
        parse_time(&text).map_err(|error| self.error(value.span(), field, error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::format_time;
    use super::*;

    fn parse(text: &str) -> Result<Policy, InputError> {
        parse_policy("policy.toml", text)
    }

    fn error_of(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(err) => err.to_string(),
        }
    }

    const FULL: &str = r#"
access = "role-based"                  # "all-staff" | "role-based" | "ticket-based"
allowed_roles = ["Engineering", " Sales "]
offboarding_grace = "1d 12h"
privileged_roles = ["IT"]

[[mappings]]
account = "jo.personal@mail.example"
staff = "jo@acme.example"

[[mappings]]
account = "kim.home@mail.example"
staff = "kim@acme.example"

[[exceptions]]
account = "lobby-room@acme.example"
reason = "conference room device"
approved_by = "it-lead@acme.example"
expires_at = "2027-06-30T00:00:00Z"

[[exceptions]]
account = "auditor@firm.example"
reason = "external audit"
approved_by = "CFO"
"#;

    #[test]
    fn role_based_policy_with_every_option_reads_each_field() {
        let policy = parse(FULL).unwrap();
        let AccessRule::RoleBased(roles) = &policy.access else {
            panic!("expected role-based, got {:?}", policy.access);
        };
        assert_eq!(roles, &["Engineering", "Sales"]);
        assert_eq!(policy.offboarding_grace, 36 * 3600);
        assert_eq!(policy.privileged_roles, Some(vec!["IT".to_owned()]));

        assert_eq!(policy.mappings.len(), 2);
        assert_eq!(policy.mappings[0].account, "jo.personal@mail.example");
        assert_eq!(policy.mappings[0].staff, "jo@acme.example");

        let lobby = &policy.exceptions[0];
        assert_eq!(lobby.account, "lobby-room@acme.example");
        assert_eq!(lobby.reason, "conference room device");
        assert_eq!(lobby.approved_by, "it-lead@acme.example");
        assert_eq!(
            lobby.expires_at.map(format_time),
            Some("2027-06-30T00:00:00Z".into())
        );
        assert_eq!(policy.exceptions[1].approved_by, "CFO");
        assert_eq!(policy.exceptions[1].expires_at, None);
    }

    #[test]
    fn all_staff_policy_takes_defaults_for_everything_else() {
        let policy = parse("access = \"all-staff\"\n").unwrap();
        assert!(matches!(policy.access, AccessRule::AllStaff));
        assert_eq!(policy.offboarding_grace, 0);
        assert!(policy.mappings.is_empty() && policy.exceptions.is_empty());
        assert_eq!(policy.privileged_roles, None);
    }

    #[test]
    fn ticket_based_policy_with_every_option_reads_each_field() {
        let text = r#"
access = "ticket-based"
offboarding_grace = "0s"
privileged_roles = ["IT", "Security"]
mappings = [{ account = "jo.personal@mail.example", staff = "jo@acme.example" }]

[[exceptions]]
account = "bot@acme.example"
reason = "CI"
approved_by = "kim@acme.example"
expires_at = 2027-06-30
"#;
        let policy = parse(text).unwrap();
        assert!(matches!(policy.access, AccessRule::TicketBased));
        assert_eq!(policy.offboarding_grace, 0);
        assert_eq!(
            policy.privileged_roles.as_deref().map(<[String]>::len),
            Some(2)
        );
        assert_eq!(policy.mappings[0].staff, "jo@acme.example");
        // A bare TOML date is an end-of-day cutoff, like a date in a string.
        let expires = policy.exceptions[0].expires_at.map(format_time);
        assert_eq!(expires, Some("2027-07-01T00:00:00Z".into()));
    }

    #[test]
    fn exception_expiry_as_a_toml_date_time_with_offset_is_converted_to_utc() {
        let text = "access = \"all-staff\"\n[[exceptions]]\naccount = \"a@acme.example\"\n\
                    reason = \"r\"\napproved_by = \"b\"\nexpires_at = 2027-06-30T02:00:00+02:00\n";
        let expires = parse(text).unwrap().exceptions[0]
            .expires_at
            .map(format_time);
        assert_eq!(expires, Some("2027-06-30T00:00:00Z".into()));
    }

    #[test]
    fn unknown_key_is_named_with_the_valid_ones() {
        assert_eq!(
            error_of("access = \"role-based\"\nallowed_role = [\"IT\"]\n"),
            "policy.toml:2:1: unknown field `allowed_role`, expected one of `access`, \
             `allowed_roles`, `offboarding_grace`, `privileged_roles`, `mappings`, `exceptions`"
        );
    }

    #[test]
    fn unknown_key_in_a_mapping_is_named_with_the_valid_ones() {
        let text = r#"access = "all-staff"

[[mappings]]
account = "a@x.example"
staf = "b@x.example"
"#;
        assert_eq!(
            error_of(text),
            "policy.toml:5:1: unknown field `staf`, expected `account` or `staff`"
        );
    }

    #[test]
    fn bad_access_kind_lists_the_valid_ones() {
        assert_eq!(
            error_of("# policy\naccess = \"rolebased\"\n"),
            "policy.toml:2:10: field \"access\": \"rolebased\" is not an access rule; use \
             \"all-staff\", \"role-based\" or \"ticket-based\""
        );
    }

    #[test]
    fn missing_access_says_what_to_add() {
        assert_eq!(
            error_of("offboarding_grace = \"1d\"\n"),
            "policy.toml: field \"access\": the key is missing; add access = \"all-staff\", \
             \"role-based\" or \"ticket-based\""
        );
    }

    #[test]
    fn role_based_without_allowed_roles_is_refused() {
        assert_eq!(
            error_of("access = \"role-based\"\n"),
            "policy.toml:1:10: field \"allowed_roles\": access = \"role-based\" needs \
             allowed_roles, the org roles whose members may have an account, such as \
             allowed_roles = [\"Engineering\"]"
        );
    }

    #[test]
    fn allowed_roles_outside_role_based_is_refused() {
        assert_eq!(
            error_of("access = \"all-staff\"\nallowed_roles = [\"IT\"]\n"),
            "policy.toml:2:17: field \"allowed_roles\": allowed_roles only applies to access = \
             \"role-based\", not \"all-staff\"; remove it or change access"
        );
    }

    #[test]
    fn empty_role_lists_and_empty_role_names_are_refused() {
        let err = error_of("access = \"role-based\"\nallowed_roles = []\n");
        assert_eq!(
            err,
            "policy.toml:2:17: field \"allowed_roles\": the list is empty, so nobody could have \
             an account; list at least one role"
        );
        let err = error_of("access = \"role-based\"\nallowed_roles = [\"IT\", \" \"]\n");
        assert_eq!(
            err,
            "policy.toml:2:24: field \"allowed_roles\": a role name is empty; remove it"
        );
        let err = error_of("access = \"all-staff\"\nprivileged_roles = []\n");
        assert!(err.contains("nobody could be Owner or Admin"), "{err}");
    }

    #[test]
    fn bad_duration_names_the_line() {
        assert_eq!(
            error_of("access = \"all-staff\"\noffboarding_grace = \"2 weeks\"\n"),
            "policy.toml:2:21: field \"offboarding_grace\": \"2 weeks\" has an unknown unit \
             \"weeks\"; use s, m, h or d, as in \"24h\" or \"1d12h\""
        );
    }

    /// A grace period of centuries was accepted, which silences every offboarding finding.
    #[test]
    fn grace_period_longer_than_a_year_is_refused() {
        assert_eq!(
            error_of("access = \"all-staff\"\noffboarding_grace = \"36500d\"\n"),
            "policy.toml:2:21: field \"offboarding_grace\": \"36500d\" is longer than 365 days: \
             offboarded staff would keep their accounts that long without a failing finding"
        );
        let year = "access = \"all-staff\"\noffboarding_grace = \"365d\"\n";
        let policy = parse_policy("policy.toml", year).unwrap();
        assert_eq!(policy.offboarding_grace, 365 * 86_400);
    }

    #[test]
    fn bare_integer_duration_is_refused_with_a_hint_to_add_a_unit() {
        assert_eq!(
            error_of("access = \"all-staff\"\noffboarding_grace = 86400\n"),
            "policy.toml:2:21: field \"offboarding_grace\": 86400 has no unit; write a string \
             with one, such as \"86400s\" for seconds (units: s, m, h, d)"
        );
        let err = error_of("access = \"all-staff\"\noffboarding_grace = \"86400\"\n");
        assert!(
            err.ends_with(
                "\"86400\" has no unit; add one, such as \"86400s\" for seconds (units: s, m, h, d)"
            ),
            "{err}"
        );
    }

    #[test]
    fn malformed_toml_gives_line_and_column() {
        assert_eq!(
            error_of("access = \"all-staff\"\n\n[[mappings]\naccount = \"a@x.example\"\n"),
            "policy.toml:3:12: unclosed array table, expected `]`"
        );
    }

    #[test]
    fn duplicate_mapping_names_both_lines() {
        let text = r#"access = "all-staff"
[[mappings]]
account = "jo@mail.example"
staff = "jo@acme.example"
[[mappings]]
account = "JO@mail.example"
staff = "kim@acme.example"
"#;
        assert_eq!(
            error_of(text),
            "policy.toml:6:11: field \"mappings.account\": JO@mail.example is already mapped on \
             line 3; list each account once"
        );
    }

    #[test]
    fn mapping_to_something_that_is_not_an_email_is_refused() {
        let text = r#"access = "all-staff"
[[mappings]]
account = "jo@mail.example"
staff = "Jo Park"
"#;
        assert_eq!(
            error_of(text),
            "policy.toml:4:9: field \"mappings.staff\": \"Jo Park\" is not an email address \
             (expected one like jo@acme.example)"
        );
    }

    #[test]
    fn exception_needs_a_reason_and_an_approver() {
        let text = r#"access = "all-staff"
[[exceptions]]
account = "a@acme.example"
reason = " "
approved_by = "b"
"#;
        assert_eq!(
            error_of(text),
            "policy.toml:4:10: field \"exceptions.reason\": the value is empty; say why this \
             account is allowed"
        );
        let text = r#"access = "all-staff"
[[exceptions]]
account = "a@acme.example"
reason = "r"
"#;
        assert_eq!(
            error_of(text),
            "policy.toml:2:1: missing field `approved_by`"
        );
    }

    #[test]
    fn exception_expiry_without_zone_asks_for_one() {
        let text = "access = \"all-staff\"\n[[exceptions]]\naccount = \"a@acme.example\"\n\
                    reason = \"r\"\napproved_by = \"b\"\nexpires_at = 2027-06-30T00:00:00\n";
        assert_eq!(
            error_of(text),
            "policy.toml:6:14: field \"exceptions.expires_at\": \"2027-06-30T00:00:00\" has no \
             time zone; add Z for UTC or an offset, as in 2027-06-30T00:00:00Z or \
             2027-06-30T00:00:00+01:00"
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        assert!(parse("\u{feff}access = \"ticket-based\"\n").is_ok());
    }
}
