//! Access tickets: requests for access from a ticketing system, with their status and the
//! window in which they grant. The formats are described in the parent module.

use super::table::{self, Cell, Columns, Row};
use super::time::{DateMeans, format_time, parse_time_as};
use super::{Format, InputError, check_email};
use crate::types::AccessTicket;

const COLUMNS: Columns = Columns {
    row: "ticket",
    names: &[
        ("ticket", "id"),
        ("id", "id"),
        ("email", "email"),
        ("status", "status"),
        ("starts_at", "starts_at"),
        ("expires_at", "expires_at"),
    ],
    required: &["id", "email", "status"],
    lists: &[],
    example_header: "ticket,email,status,starts_at,expires_at",
};

/// Parses access tickets from `text`; `name` is the file name used in messages.
pub fn parse_tickets(
    name: &str,
    text: &str,
    format: Format,
) -> Result<Vec<AccessTicket>, InputError> {
    let rows = match format {
        Format::Csv => table::read_csv(name, text, &COLUMNS)?,
        Format::Json => table::read_json(name, text, &COLUMNS)?,
    };
    rows.iter().map(|row| ticket_from_row(name, row)).collect()
}

fn ticket_from_row(file: &str, row: &Row) -> Result<AccessTicket, InputError> {
    let id = row.required(file, &COLUMNS, "id")?.text();

    let email_cell = row.required(file, &COLUMNS, "email")?;
    let email = email_cell.text();
    check_email(&email).map_err(|message| email_cell.error(file, message))?;

    // Free text, but lower-cased so that an export's `Approved` grants like `approved`. The
    // column must exist; an empty status is a ticket that grants nothing.
    let status = match row.present(file, &COLUMNS, "status")? {
        Some(cell) => cell.text().to_lowercase(),
        None => String::new(),
    };

    // A ticket valid from a date grants all through that day; one expiring on a date grants
    // until that day ends.
    let starts_at = time_of(file, row.optional("starts_at"), DateMeans::StartOfDay)?;
    let expires_at = time_of(file, row.optional("expires_at"), DateMeans::EndOfDay)?;
    if let (Some(starts), Some(expires), Some(cell)) =
        (starts_at, expires_at, row.optional("expires_at"))
        && expires < starts
    {
        return Err(cell.error(
            file,
            format!(
                "the ticket expires ({}) before it starts ({}); check that the two columns are \
                 not swapped",
                format_time(expires),
                format_time(starts)
            ),
        ));
    }

    Ok(AccessTicket {
        id,
        email,
        status,
        starts_at,
        expires_at,
    })
}

fn time_of(file: &str, cell: Option<&Cell>, means: DateMeans) -> Result<Option<i64>, InputError> {
    cell.map(|cell| {
        parse_time_as(&cell.text(), means).map_err(|error| cell.error(file, error.to_string()))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_1_MIDNIGHT: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z
    const NOV_2_MIDNIGHT: i64 = 1_793_577_600; // 2026-11-02T00:00:00Z

    fn csv(text: &str) -> Result<Vec<AccessTicket>, InputError> {
        parse_tickets("tickets.csv", text, Format::Csv)
    }

    fn json(text: &str) -> Result<Vec<AccessTicket>, InputError> {
        parse_tickets("tickets.json", text, Format::Json)
    }

    #[test]
    fn csv_with_every_column_reads_each_field() {
        let text = "\
ticket,email,status,starts_at,expires_at,summary
IT-1,jo@acme.example,Approved,2026-11-01,2026-11-01,Zoom for the sales kickoff
IT-2,kim@acme.example,pending,,2026-11-01T12:00:00+00:00,
IT-2,lee@acme.example,,,,
";
        let tickets = csv(text).unwrap();
        assert_eq!(tickets.len(), 3);

        let first = &tickets[0];
        assert_eq!(first.id, "IT-1");
        assert_eq!(first.email, "jo@acme.example");
        assert_eq!(first.status, "approved");
        assert_eq!(first.starts_at, Some(NOV_1_MIDNIGHT));
        assert_eq!(first.expires_at, Some(NOV_2_MIDNIGHT));

        assert_eq!(tickets[1].starts_at, None);
        assert_eq!(tickets[1].expires_at, Some(NOV_1_MIDNIGHT + 12 * 3600));
        assert_eq!(tickets[2].id, "IT-2");
        assert_eq!(tickets[2].status, "");
        assert_eq!(tickets[2].expires_at, None);
    }

    #[test]
    fn id_column_is_accepted_for_ticket() {
        let tickets = csv("ID,Email,Status\nIT-9,jo@acme.example,approved\n").unwrap();
        assert_eq!(tickets[0].id, "IT-9");
    }

    #[test]
    fn json_with_id_or_ticket_keys_reads_each_field() {
        let text = r#"[
  {"id": "IT-1", "email": "jo@acme.example", "status": "approved",
   "starts_at": "2026-11-01T00:00:00Z", "expires_at": null},
  {"ticket": 4711, "email": "kim@acme.example", "status": "Denied", "expires_at": "2026-11-01"}
]"#;
        let tickets = json(text).unwrap();
        assert_eq!(tickets[0].id, "IT-1");
        assert_eq!(tickets[0].starts_at, Some(NOV_1_MIDNIGHT));
        assert_eq!(tickets[0].expires_at, None);
        assert_eq!(tickets[1].id, "4711");
        assert_eq!(tickets[1].status, "denied");
        assert_eq!(tickets[1].expires_at, Some(NOV_2_MIDNIGHT));
    }

    #[test]
    fn json_with_both_id_and_ticket_is_refused() {
        let text = r#"[{"id": "IT-1", "ticket": "IT-2",
                        "email": "jo@acme.example", "status": "approved"}]"#;
        let err = json(text).unwrap_err().to_string();
        assert!(err.starts_with("tickets.json:1:"), "{err}");
        assert!(err.ends_with("already gives the id; keep one"), "{err}");
    }

    #[test]
    fn json_without_an_id_names_both_accepted_keys() {
        let text = r#"[{"email": "jo@acme.example", "status": "approved"}]"#;
        assert_eq!(
            json(text).unwrap_err().to_string(),
            "tickets.json:1:2: entry 1, field \"ticket\": the key is missing; every ticket needs \
             one (as \"ticket\" or \"id\")"
        );
    }

    #[test]
    fn json_without_a_status_key_is_refused_but_an_empty_status_is_kept() {
        let err = json(r#"[{"id": "IT-1", "email": "jo@acme.example"}]"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tickets.json:1:2: entry 1, field \"status\": the key is missing; every ticket needs \
             one"
        );
        let tickets = json(r#"[{"id": "IT-1", "email": "jo@acme.example", "status": ""}]"#);
        assert_eq!(tickets.unwrap()[0].status, "");
    }

    #[test]
    fn missing_required_column_is_named() {
        assert_eq!(
            csv("email,status\njo@acme.example,approved\n")
                .unwrap_err()
                .to_string(),
            "tickets.csv:1: the header has no \"ticket\" or \"id\" column; it needs at least \
             ticket, email and status, as in ticket,email,status,starts_at,expires_at"
        );
    }

    #[test]
    fn bad_expiry_names_the_line_and_field() {
        let text = "ticket,email,status,expires_at\nIT-1,jo@acme.example,approved,30/06/2027\n";
        assert_eq!(
            csv(text).unwrap_err().to_string(),
            "tickets.csv:2: field \"expires_at\": \"30/06/2027\" is not a date (expected RFC 3339 \
             like 2026-11-01T00:00:00Z or a date like 2026-11-01)"
        );
    }

    #[test]
    fn start_time_without_zone_asks_for_one() {
        let text =
            "ticket,email,status,starts_at\nIT-1,jo@acme.example,approved,2026-11-01T09:00:00\n";
        let err = csv(text).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "tickets.csv:2: field \"starts_at\": \"2026-11-01T09:00:00\" has no time zone"
            ),
            "{err}"
        );
    }

    #[test]
    fn ticket_expiring_before_it_starts_is_refused() {
        let text = "ticket,email,status,starts_at,expires_at\n\
                    IT-1,jo@acme.example,approved,2027-06-30,2026-11-01\n";
        assert_eq!(
            csv(text).unwrap_err().to_string(),
            "tickets.csv:2: field \"expires_at\": the ticket expires (2026-11-02T00:00:00Z) \
             before it starts (2027-06-30T00:00:00Z); check that the two columns are not swapped"
        );
    }

    #[test]
    fn ticket_of_a_single_day_is_accepted() {
        let text = "ticket,email,status,starts_at,expires_at\n\
                    IT-1,jo@acme.example,approved,2026-11-01,2026-11-01\n";
        let ticket = &csv(text).unwrap()[0];
        assert_eq!(
            ticket.expires_at.zip(ticket.starts_at).map(|(e, s)| e - s),
            Some(86_400)
        );
    }

    #[test]
    fn empty_ticket_id_and_bad_email_are_refused() {
        let err = csv("ticket,email,status\n ,jo@acme.example,approved\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "tickets.csv:2: field \"ticket\": the value is empty; every ticket needs one"
        );
        let err = csv("ticket,email,status\nIT-1,jo,approved\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("tickets.csv:2: field \"email\": \"jo\" is not an email")
        );
    }

    #[test]
    fn header_only_and_empty_files() {
        assert!(
            csv("ticket,email,status,starts_at,expires_at\r\n")
                .unwrap()
                .is_empty()
        );
        let err = csv("").unwrap_err().to_string();
        assert!(err.starts_with("tickets.csv:1: the file is empty: the header line is missing"));
    }

    #[test]
    fn malformed_csv_is_reported_with_its_line() {
        let text = "ticket,email,status\nIT-1,jo@acme.example,approved\nIT-2,kim@acme.example\n";
        let err = csv(text).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "tickets.csv:3: malformed CSV: the line has 2 fields but the header has 3"
            ),
            "{err}"
        );
    }

    #[test]
    fn malformed_json_gives_its_line() {
        let err = json("[\n{\"id\": \"IT-1\",\n\"email\": \"jo@acme.example\",\n}]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "tickets.json:4:1: invalid JSON: trailing comma"
        );
    }
}
