//! The files an operator hands the harness: the staff directory, access tickets and the access
//! policy, read into the WIT records that an evaluation takes.
//!
//! These files come from HR exports, ticketing systems and hand edits, so every reader is strict
//! about what decides access and says exactly where a problem is and how to fix it: each error
//! names the file, the line (and column, where the format gives one), the JSON entry and the
//! field, as in
//!
//! ```text
//! staff.csv:14: field "offboarded_at": "2026-13-01" is not a date (expected RFC 3339 like
//! 2026-11-01T00:00:00Z or a date like 2026-11-01)
//! ```
//!
//! # Staff directory
//!
//! CSV, with a header naming the columns in any order (names are trimmed and case-insensitive;
//! spaces and dashes count as underscores, so `Offboarded At` is `offboarded_at`):
//!
//! ```text
//! email,name,status,roles,offboarded_at,aliases,employee_id
//! jo@acme.example,Jo Park,active,Engineering;IT,,jo.park@acme.example,E-1001
//! kim@acme.example,Kim Lee,offboarded,Sales,2026-11-01,,
//! ```
//!
//! or a JSON array of objects with the same keys, where `roles` and `aliases` are arrays of
//! strings or `;`-separated strings:
//!
//! ```text
//! [{"email": "jo@acme.example", "name": "Jo Park", "status": "active",
//!   "roles": ["Engineering", "IT"], "aliases": ["jo.park@acme.example"]}]
//! ```
//!
//! `email` and `status` are required; the other columns are optional and columns the reader
//! does not know are ignored, since HR exports carry many. Ignoring is safe because each
//! optional column, when absent, errs on the strict side: no `offboarded_at` makes an
//! offboarded member fail at once, no `roles` matches no role-based rule, no `aliases` matches
//! fewer accounts. `status` is `active`, `on-leave` (or `on_leave`, `leave`) or `offboarded`,
//! in any case. An `offboarded_at` on an active member is kept (a departure planned ahead). A
//! primary email or alias listed twice, across all members and compared case-insensitively, is
//! an error naming both lines; a member's alias equal to their own email is dropped. Rows whose
//! cells are all empty (trailing `,,,,` rows from spreadsheets) are skipped.
//!
//! # Tickets
//!
//! CSV or JSON in the same way, with `ticket` (or `id`), `email` and `status` required and
//! `starts_at`, `expires_at` optional:
//!
//! ```text
//! ticket,email,status,starts_at,expires_at
//! IT-4711,jo@acme.example,approved,2026-11-01,2027-06-30T00:00:00Z
//! ```
//!
//! The status is free text, trimmed and lower-cased (so `Approved` grants like `approved`); an
//! empty status is allowed and grants nothing. Several rows may share a ticket id (one ticket
//! for several people). A ticket that expires before it starts is an error, as the columns
//! were probably swapped.
//!
//! # Policy
//!
//! TOML; a key the reader does not know is an error listing the valid ones, since a typo in a
//! compliance policy must not be silently ignored:
//!
//! ```toml
//! access = "role-based"                     # "all-staff" | "role-based" | "ticket-based"
//! allowed_roles = ["Engineering", "Sales"]  # role-based only, and required there
//! offboarding_grace = "24h"                 # default "0s"; units s, m, h, d, as in "1d12h"
//! privileged_roles = ["IT"]                 # optional: who may be Owner or Admin
//!
//! [[mappings]]
//! account = "jo.personal@mail.example"
//! staff = "jo@acme.example"
//!
//! [[exceptions]]
//! account = "lobby-room@acme.example"
//! reason = "conference room device"
//! approved_by = "it-lead@acme.example"
//! expires_at = "2027-06-30T00:00:00Z"       # optional; a TOML date-time works too
//! ```
//!
//! # Times
//!
//! RFC 3339 with a zone, or a date alone; the `time` module says which end of the day a
//! date means. [`parse_time`] and [`format_time`] serve the CLI's `--at` flag and its output.
//!
//! # Encodings
//!
//! Files must be UTF-8; a leading byte order mark is ignored. The format of a staff or tickets
//! file comes from its extension (`.csv`, `.json`, any case), else from its content: a file
//! whose first non-blank character is `[` or `{` is JSON, anything else CSV.

mod policy;
mod staff;
mod table;
mod tickets;
mod time;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::types::{AccessTicket, Policy, StaffMember};

pub use self::policy::parse_policy;
pub use self::staff::parse_staff;
pub use self::tickets::parse_tickets;
pub use self::time::{TimeError, format_time, parse_duration, parse_instant, parse_time};

/// Which input file a problem is in, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Staff,
    Tickets,
    Policy,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Staff => "staff file",
            FileKind::Tickets => "tickets file",
            FileKind::Policy => "policy file",
        })
    }
}

/// The syntax of a staff or tickets file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// The format a file's extension names (`.csv` or `.json`, any case), if it names one.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?;
        if extension.eq_ignore_ascii_case("csv") {
            Some(Format::Csv)
        } else if extension.eq_ignore_ascii_case("json") {
            Some(Format::Json)
        } else {
            None
        }
    }

    /// Guesses the format from the text: JSON when the first non-blank character opens an
    /// array or an object, CSV otherwise.
    pub fn sniff(text: &str) -> Format {
        match strip_bom(text).trim_start().chars().next() {
            Some('[' | '{') => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// Why an input file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read at all. The I/O error is part of the message rather than a
    /// `source`, so that a report chaining sources does not print it twice.
    #[error("cannot read {kind} {}: {error}", .path.display())]
    Io {
        kind: FileKind,
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file was read but its content is unusable. `file` is the name it was read under;
    /// `line` and `column` count from 1; `entry` is the 1-based position in a JSON array;
    /// `field` is the column or key as the file spells it.
    #[error("{}", describe_parse(.file, *.line, *.column, *.entry, .field.as_deref(), .message))]
    Parse {
        file: String,
        line: Option<usize>,
        column: Option<usize>,
        entry: Option<usize>,
        field: Option<String>,
        message: String,
    },
}

fn describe_parse(
    file: &str,
    line: Option<usize>,
    column: Option<usize>,
    entry: Option<usize>,
    field: Option<&str>,
    message: &str,
) -> String {
    let mut out = file.to_owned();
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
        if let Some(column) = column {
            out.push_str(&format!(":{column}"));
        }
    }

    let mut subject = Vec::new();
    if let Some(entry) = entry {
        subject.push(format!("entry {entry}"));
    }
    if let Some(field) = field {
        subject.push(format!("field \"{field}\""));
    }
    if !subject.is_empty() {
        out.push_str(&format!(": {}", subject.join(", ")));
    }

    out.push_str(&format!(": {message}"));
    out
}

/// Where in a file something is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Location {
    line: Option<usize>,
    column: Option<usize>,
    entry: Option<usize>,
}

impl Location {
    fn line(line: usize) -> Location {
        Location {
            line: Some(line),
            ..Location::default()
        }
    }

    /// The line and column of byte `offset` in `text`.
    fn of_offset(text: &str, offset: usize) -> Location {
        let before = text.get(..offset).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        Location {
            line: Some(before.matches('\n').count() + 1),
            column: Some(before.get(line_start..).unwrap_or_default().chars().count() + 1),
            entry: None,
        }
    }
}

impl InputError {
    fn parse(file: &str, at: Location, field: Option<&str>, message: impl Into<String>) -> Self {
        InputError::Parse {
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            entry: at.entry,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// Reads a staff directory, CSV or JSON by extension or else by content.
pub fn load_staff(path: &Path) -> Result<Vec<StaffMember>, InputError> {
    let text = read_text(FileKind::Staff, path)?;
    let format = Format::from_path(path).unwrap_or_else(|| Format::sniff(&text));
    parse_staff(&path.display().to_string(), &text, format)
}

/// Reads access tickets, CSV or JSON by extension or else by content.
pub fn load_tickets(path: &Path) -> Result<Vec<AccessTicket>, InputError> {
    let text = read_text(FileKind::Tickets, path)?;
    let format = Format::from_path(path).unwrap_or_else(|| Format::sniff(&text));
    parse_tickets(&path.display().to_string(), &text, format)
}

/// Reads an access policy (TOML).
pub fn load_policy(path: &Path) -> Result<Policy, InputError> {
    let text = read_text(FileKind::Policy, path)?;
    parse_policy(&path.display().to_string(), &text)
}

/// Checks the policy's mappings against the directory they point into. A mapping is for an
/// account under an address the directory does not know (a personal or old address); one
/// whose account is another member's primary email or alias would silently hand that
/// member's account to someone else, an offboarded person's to an active one, say.
pub fn check_mappings(policy: &Policy, staff: &[StaffMember]) -> Result<(), String> {
    let key = |address: &str| address.trim().to_lowercase();
    let mut owners: std::collections::HashMap<String, &StaffMember> =
        std::collections::HashMap::new();
    for member in staff {
        for address in std::iter::once(&member.email).chain(&member.aliases) {
            owners.entry(key(address)).or_insert(member);
        }
    }
    for mapping in &policy.mappings {
        let Some(owner) = owners.get(&key(&mapping.account)) else {
            continue;
        };
        if key(&owner.email) == key(&mapping.staff)
            || owner
                .aliases
                .iter()
                .any(|alias| key(alias) == key(&mapping.staff))
        {
            continue;
        }
        return Err(format!(
            "the mapping of account {} to {} is refused: {} is already in the staff directory, \
             as {} ({}); mappings are for addresses the directory does not know",
            mapping.account.trim(),
            mapping.staff.trim(),
            mapping.account.trim(),
            owner.email.trim(),
            staff_status_name(owner.status),
        ));
    }
    Ok(())
}

fn staff_status_name(status: crate::types::StaffStatus) -> &'static str {
    match status {
        crate::types::StaffStatus::Active => "active",
        crate::types::StaffStatus::OnLeave => "on leave",
        crate::types::StaffStatus::Offboarded => "offboarded",
    }
}

/// The largest input file read: a directory of a million members in CSV is about 100 MiB.
const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a file as UTF-8, saying where it is not: spreadsheet programs still save UTF-16 and
/// legacy code pages, and a person needs the line to find the bad character.
fn read_text(kind: FileKind, path: &Path) -> Result<String, InputError> {
    use std::io::Read;

    let io_error = |error| InputError::Io {
        kind,
        path: path.to_owned(),
        error,
    };
    // Read at most one byte past the limit: a device such as /dev/zero never ends.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(io_error(std::io::Error::other(format!(
            "larger than {} MiB, more than any directory, ticket list or policy needs",
            MAX_INPUT_BYTES / (1024 * 1024)
        ))));
    }
    let file = path.display().to_string();

    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(InputError::parse(
            &file,
            Location::default(),
            None,
            "the file is UTF-16 text; save it as UTF-8 (in Excel: \"CSV UTF-8\")",
        ));
    }

    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let valid = bytes
            .get(..error.utf8_error().valid_up_to())
            .unwrap_or(bytes);
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        InputError::parse(
            &file,
            Location::line(line),
            None,
            "the line is not valid UTF-8; save the file as UTF-8",
        )
    })
}

/// The text without a leading UTF-8 byte order mark, which Excel writes.
fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Checks that `value` looks like an email address: something, `@`, something, no spaces. Not
/// a full RFC 5322 check; it catches a name or an id in an email column.
fn check_email(value: &str) -> Result<(), String> {
    let looks_right = match value.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !value.contains(char::is_whitespace)
        }
        None => false,
    };
    if looks_right {
        Ok(())
    } else {
        Err(format!(
            "\"{value}\" is not an email address (expected one like jo@acme.example)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file under the system temp directory, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, content: &[u8]) -> TempFile {
            let dir = std::env::temp_dir().join(format!("gatehouse-inputs-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, content).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// A mapping of an offboarded member's own address to an active member made that
    /// member's account look allowed, silently.
    #[test]
    fn a_mapping_of_another_members_address_is_refused_and_names_both() {
        let staff = parse_staff(
            "staff.csv",
            "email,status,offboarded_at,aliases\n\
             jo@acme.example,active,,jo.old@acme.example\n\
             kim@acme.example,offboarded,2026-11-01,\n",
            Format::Csv,
        )
        .unwrap();
        let policy = |account: &str, to: &str| {
            parse_policy(
                "policy.toml",
                &format!(
                    "access = \"all-staff\"\n[[mappings]]\naccount = \"{account}\"\nstaff = \"{to}\"\n"
                ),
            )
            .unwrap()
        };

        let refused = check_mappings(&policy(" KIM@acme.example", "jo@acme.example"), &staff);
        assert_eq!(
            refused.unwrap_err(),
            "the mapping of account KIM@acme.example to jo@acme.example is refused: \
             KIM@acme.example is already in the staff directory, as kim@acme.example \
             (offboarded); mappings are for addresses the directory does not know"
        );
        // Addresses outside the directory, and a member's own alias mapped to them, are fine.
        assert!(
            check_mappings(
                &policy("jo.personal@mail.example", "jo@acme.example"),
                &staff
            )
            .is_ok()
        );
        assert!(check_mappings(&policy("jo.old@acme.example", "jo@acme.example"), &staff).is_ok());
    }

    #[test]
    fn missing_file_names_its_kind_and_path() {
        let path = Path::new("/nonexistent/gatehouse/staff.csv");
        let err = load_staff(path).unwrap_err();
        assert!(matches!(
            err,
            InputError::Io {
                kind: FileKind::Staff,
                ..
            }
        ));
        let message = err.to_string();
        assert!(
            message.starts_with("cannot read staff file /nonexistent/gatehouse/staff.csv: "),
            "{message}"
        );

        let err = load_policy(Path::new("/nonexistent/policy.toml")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read policy file /nonexistent/policy.toml")
        );
        let err = load_tickets(Path::new("/nonexistent/tickets.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read tickets file /nonexistent/tickets.json")
        );
    }

    #[test]
    fn staff_csv_file_loads_by_extension() {
        let file = TempFile::new(
            "by-extension.CSV",
            b"email,status\njo@acme.example,active\n",
        );
        let staff = load_staff(&file.0).unwrap();
        assert_eq!(staff.len(), 1);
        assert_eq!(staff[0].email, "jo@acme.example");
    }

    #[test]
    fn file_without_known_extension_is_sniffed_as_json() {
        let file = TempFile::new(
            "tickets.export",
            b"  [{\"id\": \"IT-1\", \"email\": \"jo@acme.example\", \"status\": \"approved\"}]",
        );
        let tickets = load_tickets(&file.0).unwrap();
        assert_eq!(tickets[0].id, "IT-1");
    }

    #[test]
    fn file_with_byte_order_mark_loads() {
        let file = TempFile::new(
            "bom.csv",
            b"\xEF\xBB\xBFemail,status\njo@acme.example,active\n",
        );
        assert_eq!(load_staff(&file.0).unwrap()[0].email, "jo@acme.example");
        let file = TempFile::new("bom.toml", b"\xEF\xBB\xBFaccess = \"all-staff\"\n");
        assert!(load_policy(&file.0).is_ok());
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let file = TempFile::new(
            "latin1.csv",
            b"email,name,status\njo@acme.example,Jo,active\nre@acme.example,Ren\xE9,active\n",
        );
        let err = load_staff(&file.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:3: the line is not valid UTF-8; save the file as UTF-8",
                file.0.display()
            )
        );
    }

    #[test]
    fn utf16_file_is_refused_with_a_hint() {
        let file = TempFile::new("utf16.csv", b"\xFF\xFEe\0m\0");
        let err = load_staff(&file.0).unwrap_err();
        assert!(
            err.to_string()
                .contains("the file is UTF-16 text; save it as UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn sniffing_looks_past_blanks_and_the_byte_order_mark() {
        assert_eq!(Format::sniff("\u{feff} \n [ ]"), Format::Json);
        assert_eq!(Format::sniff("{\"a\": 1}"), Format::Json);
        assert_eq!(Format::sniff("email,status\n"), Format::Csv);
        assert_eq!(Format::sniff(""), Format::Csv);
        assert_eq!(
            Format::from_path(Path::new("staff.Json")),
            Some(Format::Json)
        );
        assert_eq!(Format::from_path(Path::new("staff.txt")), None);
    }

    #[test]
    fn parse_error_message_names_file_line_column_entry_and_field() {
        let at = Location {
            line: Some(4),
            column: Some(7),
            entry: Some(2),
        };
        let err = InputError::parse("staff.json", at, Some("status"), "bad");
        assert_eq!(
            err.to_string(),
            "staff.json:4:7: entry 2, field \"status\": bad"
        );
        let err = InputError::parse("p.toml", Location::default(), None, "bad");
        assert_eq!(err.to_string(), "p.toml: bad");
    }

    #[test]
    fn location_of_offset_counts_lines_and_characters_from_one() {
        let text = "ab\ncdé\nfg";
        assert_eq!(Location::of_offset(text, 0).line, Some(1));
        let at = Location::of_offset(text, text.find('f').unwrap());
        assert_eq!((at.line, at.column), (Some(3), Some(1)));
        let at = Location::of_offset(text, text.find('é').unwrap() + 2);
        assert_eq!((at.line, at.column), (Some(2), Some(4)));
    }

    #[test]
    fn email_check_catches_names_and_spaces() {
        assert!(check_email("jo@acme.example").is_ok());
        assert!(check_email("Jo Park").is_err());
        assert!(check_email("jo @acme.example").is_err());
        assert!(check_email("@acme.example").is_err());
        assert!(check_email("jo@").is_err());
    }
}
