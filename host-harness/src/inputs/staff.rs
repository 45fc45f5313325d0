//! The staff directory: who works here, under which addresses, in which org roles, and
//! whether and when they left. The formats are described in the parent module.

use std::collections::HashMap;

use super::table::{self, Cell, Columns, Row};
use super::time::{DateMeans, parse_time_as};
use super::{Format, InputError, Location, check_email};
use crate::types::{StaffMember, StaffStatus};

const COLUMNS: Columns = Columns {
    row: "staff member",
    names: &[
        ("email", "email"),
        ("name", "name"),
        ("status", "status"),
        ("roles", "roles"),
        ("offboarded_at", "offboarded_at"),
        ("aliases", "aliases"),
        ("employee_id", "employee_id"),
    ],
    required: &["email", "status"],
    lists: &["roles", "aliases"],
    example_header: "email,name,status,roles,offboarded_at,aliases",
};

/// Parses a staff directory from `text`; `name` is the file name used in messages.
pub fn parse_staff(name: &str, text: &str, format: Format) -> Result<Vec<StaffMember>, InputError> {
    let rows = match format {
        Format::Csv => table::read_csv(name, text, &COLUMNS)?,
        Format::Json => table::read_json(name, text, &COLUMNS)?,
    };

    let mut addresses = Addresses::default();
    let mut members = Vec::with_capacity(rows.len());
    for row in &rows {
        let member = member_from_row(name, row)?;
        addresses.claim(name, row, &member)?;
        members.push(member);
    }
    Ok(members)
}

fn member_from_row(file: &str, row: &Row) -> Result<StaffMember, InputError> {
    let email_cell = row.required(file, &COLUMNS, "email")?;
    let email = email_cell.text();
    check_email(&email).map_err(|message| email_cell.error(file, message))?;

    let status_cell = row.required(file, &COLUMNS, "status")?;
    let status = parse_status(&status_cell.text()).ok_or_else(|| {
        status_cell.error(
            file,
            format!(
                "\"{}\" is not a staff status; use active, on-leave or offboarded",
                status_cell.text()
            ),
        )
    })?;

    // A date alone is the last day worked: access ends when that day does.
    let offboarded_at = row
        .optional("offboarded_at")
        .map(|cell| {
            parse_time_as(&cell.text(), DateMeans::EndOfDay)
                .map_err(|error| cell.error(file, error.to_string()))
        })
        .transpose()?;

    let aliases = match row.optional("aliases") {
        Some(cell) => aliases_from_cell(file, cell, &email)?,
        None => Vec::new(),
    };

    Ok(StaffMember {
        email,
        aliases,
        name: row.optional("name").map(Cell::text).unwrap_or_default(),
        status,
        offboarded_at,
        roles: row.optional("roles").map(Cell::items).unwrap_or_default(),
        employee_id: row.optional("employee_id").map(Cell::text),
    })
}

/// Reads a staff status, forgiving case and the spelling of on-leave.
fn parse_status(text: &str) -> Option<StaffStatus> {
    match text.trim().to_lowercase().replace(['_', ' '], "-").as_str() {
        "active" => Some(StaffStatus::Active),
        "on-leave" | "leave" => Some(StaffStatus::OnLeave),
        "offboarded" => Some(StaffStatus::Offboarded),
        _ => None,
    }
}

/// A member's aliases, checked as addresses; repeats and the member's own email are dropped.
fn aliases_from_cell(file: &str, cell: &Cell, email: &str) -> Result<Vec<String>, InputError> {
    let mut aliases: Vec<String> = Vec::new();
    for alias in cell.items() {
        check_email(&alias).map_err(|message| cell.error(file, message))?;
        let known = alias.eq_ignore_ascii_case(email)
            || aliases.iter().any(|seen| seen.eq_ignore_ascii_case(&alias));
        if !known {
            aliases.push(alias);
        }
    }
    Ok(aliases)
}

/// Every address claimed so far, lower-cased, so that no address leads to two staff members:
/// an account matching two would be judged by whichever the evaluator met first.
#[derive(Default)]
struct Addresses {
    claims: HashMap<String, Claim>,
}

struct Claim {
    at: Location,
    as_alias: bool,
}

impl Addresses {
    fn claim(&mut self, file: &str, row: &Row, member: &StaffMember) -> Result<(), InputError> {
        let addresses = std::iter::once((&member.email, false))
            .chain(member.aliases.iter().map(|alias| (alias, true)));

        for (address, as_alias) in addresses {
            let key = address.to_lowercase();
            if let Some(earlier) = self.claims.get(&key) {
                let field = if as_alias { "aliases" } else { "email" };
                let cell = row.optional(field);
                let what = if earlier.as_alias {
                    "an alias"
                } else {
                    "the email"
                };
                let message = format!(
                    "{address} is already {what} of the staff member {}; an address may belong \
                     to one staff member only, so list each person once",
                    describe_location(earlier.at)
                );
                return Err(match cell {
                    Some(cell) => cell.error(file, message),
                    None => InputError::parse(file, row.at, Some(field), message),
                });
            }
            self.claims.insert(
                key,
                Claim {
                    at: row.at,
                    as_alias,
                },
            );
        }
        Ok(())
    }
}

/// "on line 4", "on line 4 (entry 2)", or "in entry 2" when the line is unknown.
fn describe_location(at: Location) -> String {
    match (at.line, at.entry) {
        (Some(line), Some(entry)) => format!("on line {line} (entry {entry})"),
        (Some(line), None) => format!("on line {line}"),
        (None, Some(entry)) => format!("in entry {entry}"),
        (None, None) => "listed earlier".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_2_MIDNIGHT: i64 = 1_793_577_600; // 2026-11-02T00:00:00Z

    fn csv(text: &str) -> Result<Vec<StaffMember>, InputError> {
        parse_staff("staff.csv", text, Format::Csv)
    }

    fn json(text: &str) -> Result<Vec<StaffMember>, InputError> {
        parse_staff("staff.json", text, Format::Json)
    }

    fn csv_error(text: &str) -> String {
        csv(text).unwrap_err().to_string()
    }

    const HEADER: &str = "email,name,status,roles,offboarded_at,aliases\n";

    #[test]
    fn csv_with_every_column_reads_each_field() {
        let text = "\
Email,Name,Status,Roles,Offboarded At,Aliases,Employee ID,Department
jo@acme.example,\"Park, Jo\",active,Engineering; IT ;,,jo.park@acme.example;JO@acme.example,E-1,R&D
kim@acme.example,Kim Lee,offboarded,Sales,2026-11-01,,,Sales
lee@acme.example,,On Leave,,,,,
";
        let staff = csv(text).unwrap();
        assert_eq!(staff.len(), 3);

        let jo = &staff[0];
        assert_eq!(jo.email, "jo@acme.example");
        assert_eq!(jo.name, "Park, Jo");
        assert_eq!(jo.status, StaffStatus::Active);
        assert_eq!(jo.roles, ["Engineering", "IT"]);
        assert_eq!(jo.aliases, ["jo.park@acme.example"]);
        assert_eq!(jo.offboarded_at, None);
        assert_eq!(jo.employee_id.as_deref(), Some("E-1"));

        let kim = &staff[1];
        assert_eq!(kim.status, StaffStatus::Offboarded);
        assert_eq!(kim.offboarded_at, Some(NOV_2_MIDNIGHT));
        assert!(kim.aliases.is_empty());
        assert_eq!(kim.employee_id, None);

        let lee = &staff[2];
        assert_eq!(lee.status, StaffStatus::OnLeave);
        assert_eq!(lee.name, "");
        assert!(lee.roles.is_empty());
    }

    #[test]
    fn csv_with_only_the_required_columns_reads() {
        let staff = csv("status,email\nactive,jo@acme.example\n").unwrap();
        assert_eq!(staff[0].email, "jo@acme.example");
        assert!(staff[0].roles.is_empty() && staff[0].aliases.is_empty());
    }

    #[test]
    fn json_with_lists_or_semicolon_strings_reads_each_field() {
        let text = r#"[
  {"email": "jo@acme.example", "name": "Jo Park", "status": "active",
   "roles": ["Engineering", "IT"], "aliases": "jo.park@acme.example; jp@acme.example",
   "employee_id": 1001, "manager": "kim@acme.example"},
  {"email": "kim@acme.example", "status": "offboarded",
   "offboarded_at": "2026-11-02T01:00:00+01:00", "roles": "Sales", "aliases": null}
]"#;
        let staff = json(text).unwrap();
        assert_eq!(staff[0].roles, ["Engineering", "IT"]);
        assert_eq!(
            staff[0].aliases,
            ["jo.park@acme.example", "jp@acme.example"]
        );
        assert_eq!(staff[0].employee_id.as_deref(), Some("1001"));
        assert_eq!(staff[1].roles, ["Sales"]);
        assert_eq!(staff[1].offboarded_at, Some(NOV_2_MIDNIGHT));
        assert_eq!(staff[1].name, "");
    }

    #[test]
    fn status_spellings_are_forgiven() {
        for spelling in ["on-leave", "on_leave", "ON LEAVE", "Leave"] {
            let staff = csv(&format!("email,status\njo@acme.example,{spelling}\n")).unwrap();
            assert_eq!(staff[0].status, StaffStatus::OnLeave, "{spelling}");
        }
        assert_eq!(
            csv("email,status\njo@acme.example, ACTIVE \n").unwrap()[0].status,
            StaffStatus::Active
        );
    }

    #[test]
    fn bad_status_is_named_with_the_valid_ones() {
        assert_eq!(
            csv_error("email,status\njo@acme.example,active\nkim@acme.example,inactive\n"),
            "staff.csv:3: field \"status\": \"inactive\" is not a staff status; use active, \
             on-leave or offboarded"
        );
    }

    #[test]
    fn bad_offboarding_date_names_file_line_and_field() {
        let mut text = HEADER.to_owned();
        for n in 2..14 {
            text.push_str(&format!("p{n}@acme.example,P,active,,,\n"));
        }
        text.push_str("kim@acme.example,Kim,offboarded,,2026-13-01,\n");
        assert_eq!(
            csv_error(&text),
            "staff.csv:14: field \"offboarded_at\": \"2026-13-01\" is not a date (expected \
             RFC 3339 like 2026-11-01T00:00:00Z or a date like 2026-11-01)"
        );
    }

    #[test]
    fn offboarding_time_without_zone_asks_for_one() {
        let err = csv_error(&format!(
            "{HEADER}kim@acme.example,Kim,offboarded,,2026-11-01T17:00:00,\n"
        ));
        assert_eq!(
            err,
            "staff.csv:2: field \"offboarded_at\": \"2026-11-01T17:00:00\" has no time zone; add \
             Z for UTC or an offset, as in 2026-11-01T17:00:00Z or 2026-11-01T17:00:00+01:00"
        );
    }

    #[test]
    fn offboarding_date_alone_means_access_ends_with_that_day() {
        let staff = csv(&format!(
            "{HEADER}kim@acme.example,Kim,offboarded,,2026-11-01,\n"
        ))
        .unwrap();
        assert_eq!(staff[0].offboarded_at, Some(NOV_2_MIDNIGHT));
    }

    #[test]
    fn offboarding_time_with_offset_is_converted_to_utc() {
        let staff = csv(&format!(
            "{HEADER}kim@acme.example,Kim,offboarded,,2026-11-01T19:00:00-05:00,\n"
        ))
        .unwrap();
        assert_eq!(staff[0].offboarded_at, Some(NOV_2_MIDNIGHT));
    }

    #[test]
    fn offboarded_without_a_date_and_active_with_one_are_both_kept() {
        let text = format!(
            "{HEADER}kim@acme.example,Kim,offboarded,,,\njo@acme.example,Jo,active,,2026-11-01,\n"
        );
        let staff = csv(&text).unwrap();
        assert_eq!(staff[0].offboarded_at, None);
        assert_eq!(staff[1].offboarded_at, Some(NOV_2_MIDNIGHT));
    }

    #[test]
    fn empty_email_is_refused() {
        assert_eq!(
            csv_error(&format!("{HEADER} ,Jo,active,,,\n")),
            "staff.csv:2: field \"email\": the value is empty; every staff member needs one"
        );
    }

    #[test]
    fn name_in_the_email_column_is_refused() {
        assert_eq!(
            csv_error("email,status\nJo Park,active\n"),
            "staff.csv:2: field \"email\": \"Jo Park\" is not an email address (expected one \
             like jo@acme.example)"
        );
    }

    #[test]
    fn bad_alias_is_refused() {
        let err = csv_error(&format!(
            "{HEADER}jo@acme.example,Jo,active,,,jo.park;jp@acme.example\n"
        ));
        assert!(
            err.starts_with("staff.csv:2: field \"aliases\": \"jo.park\" is not an email"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_primary_email_names_both_lines() {
        let text = format!(
            "{HEADER}jo@acme.example,Jo,offboarded,,2025-01-31,\nkim@acme.example,Kim,active,,,\n\
             JO@acme.example,Jo,active,,,\n"
        );
        assert_eq!(
            csv_error(&text),
            "staff.csv:4: field \"email\": JO@acme.example is already the email of the staff \
             member on line 2; an address may belong to one staff member only, so list each \
             person once"
        );
    }

    #[test]
    fn alias_of_one_member_used_by_another_names_both_lines() {
        let text = format!(
            "{HEADER}jo@acme.example,Jo,active,,,shared@acme.example\n\
             kim@acme.example,Kim,active,,,shared@acme.example\n"
        );
        assert_eq!(
            csv_error(&text),
            "staff.csv:3: field \"aliases\": shared@acme.example is already an alias of the \
             staff member on line 2; an address may belong to one staff member only, so list \
             each person once"
        );
    }

    #[test]
    fn duplicate_in_json_names_entries_and_lines() {
        let text = "[\n{\"email\": \"jo@acme.example\", \"status\": \"active\"},\n\
                    {\"status\": \"active\",\n \"email\": \"jo@acme.example\"}\n]";
        assert_eq!(
            json(text).unwrap_err().to_string(),
            "staff.json:4:2: entry 2, field \"email\": jo@acme.example is already the email of \
             the staff member on line 2 (entry 1); an address may belong to one staff member \
             only, so list each person once"
        );
    }

    #[test]
    fn missing_required_column_is_named() {
        assert_eq!(
            csv_error("email,name,roles\njo@acme.example,Jo,IT\n"),
            "staff.csv:1: the header has no \"status\" column; it needs at least email and \
             status, as in email,name,status,roles,offboarded_at,aliases"
        );
        assert!(csv_error("name,status\n").contains("the header has no \"email\" column"));
    }

    #[test]
    fn json_missing_status_names_the_entry() {
        let text = r#"[
  {"email": "jo@acme.example", "status": "active"},
  {"email": "kim@acme.example"}
]"#;
        assert_eq!(
            json(text).unwrap_err().to_string(),
            "staff.json:3:3: entry 2, field \"status\": the key is missing; every staff member \
             needs one"
        );
    }

    #[test]
    fn json_bad_time_names_the_line_of_its_key() {
        let text = r#"[{"email": "kim@acme.example",
  "status": "offboarded",
  "offboarded_at": "yesterday"}]"#;
        assert_eq!(
            json(text).unwrap_err().to_string(),
            "staff.json:3:3: entry 1, field \"offboarded_at\": \"yesterday\" is not a date \
             (expected RFC 3339 like 2026-11-01T00:00:00Z or a date like 2026-11-01)"
        );
    }

    #[test]
    fn malformed_json_gives_its_line() {
        let err = json(
            "[\n {\"email\": \"jo@acme.example\", \"status\": \"active\"}\n {\"email\": \"x\"}\n]",
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "staff.json:3:2: invalid JSON: expected `,` or `]`"
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let staff = csv("\u{feff}email,status\njo@acme.example,active\n").unwrap();
        assert_eq!(staff[0].email, "jo@acme.example");
        let staff =
            json("\u{feff}[{\"email\": \"jo@acme.example\", \"status\": \"active\"}]").unwrap();
        assert_eq!(staff[0].email, "jo@acme.example");
    }

    #[test]
    fn header_only_file_is_an_empty_directory() {
        assert!(csv(HEADER).unwrap().is_empty());
        assert!(json(" [ ] ").unwrap().is_empty());
    }

    #[test]
    fn totally_empty_file_says_the_header_is_missing() {
        assert_eq!(
            csv_error(""),
            "staff.csv:1: the file is empty: the header line is missing (expected columns like \
             email,name,status,roles,offboarded_at,aliases)"
        );
        assert_eq!(
            json("\n").unwrap_err().to_string(),
            "staff.json:1: the file is empty; expected a JSON array of staff members, like \
             [{\"email\": ..., \"status\": ...}]"
        );
    }

    #[test]
    fn ragged_row_and_bad_quote_are_reported_with_their_lines() {
        let err = csv_error(&format!("{HEADER}jo@acme.example,Jo,active,,\n"));
        assert!(
            err.starts_with(
                "staff.csv:2: malformed CSV: the line has 5 fields but the header has 6"
            ),
            "{err}"
        );
        let err = csv_error(&format!(
            "{HEADER}jo@acme.example,\"Jo,active,,,\nkim@acme.example,Kim,active,,,\n"
        ));
        assert!(
            err.starts_with("staff.csv:2: malformed CSV: a quoted value starts on this line"),
            "{err}"
        );
    }
}
