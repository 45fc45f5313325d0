//! The sample company behind `harness demo`: a staff directory and a policy that match the
//! mock Zoom's default organisation.
//!
//! Both files are shipped in `host-harness/demo/` so that a person can read and edit them, and
//! they are generated from the organisation by [`staff_csv`] and [`policy_toml`]; a test keeps
//! the shipped copies equal to the generated ones (`GATEHOUSE_REGENERATE_DEMO=1 cargo test -p
//! host-harness demo` rewrites them after the generator changes).
//!
//! The directory holds every current employee, and everyone who left with the date they left.
//! Against the mock's accounts that yields what a real first run finds: a handful of people
//! who left but still have active Zoom accounts, a couple of contractor accounts nobody owns,
//! inactive accounts of people who left properly (no finding), and meeting-room accounts
//! covered by policy exceptions.

use crate::mock_zoom::{Employment, Organisation, UserStatus};

/// The shipped staff directory.
pub const STAFF_CSV: &str = include_str!("../demo/staff.csv");

/// The shipped policy.
pub const POLICY_TOML: &str = include_str!("../demo/policy.toml");

/// Directory members who never had a Zoom account, as every real directory has.
const WITHOUT_ZOOM: &[(&str, &str, &str)] = &[
    ("amara.okafor@acme.example", "Amara Okafor", "Warehouse"),
    ("tomas.novak@acme.example", "Tomáš Novák", "Warehouse"),
    ("mei.chen@acme.example", "Mei Chen", "Facilities"),
];

/// Every this-many employees, one is listed under a newer primary address, with the address
/// Zoom knows as an alias: matching by alias is part of what the demo shows.
const ALIAS_EVERY: usize = 97;

/// A deterministic day in 2026 (January to October) for someone's departure.
fn departure_date(email: &str) -> String {
    let hash = email.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    let month = 1 + hash % 10;
    let day = 1 + (hash / 10) % 28;
    format!("2026-{month:02}-{day:02}")
}

/// The staff directory CSV for an organisation.
pub fn staff_csv(organisation: &Organisation) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut row = |fields: [&str; 6]| {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(fields);
    };
    row([
        "email",
        "name",
        "status",
        "roles",
        "offboarded_at",
        "aliases",
    ]);

    let mut employed = 0usize;
    for person in organisation.people() {
        let name = format!("{} {}", person.first_name, person.last_name);
        let name = if name.trim().is_empty() {
            person.display_name.clone()
        } else {
            name
        };
        match person.employment {
            Employment::Unowned => {}
            Employment::Offboarded => {
                let left = departure_date(&person.email);
                row([&person.email, &name, "offboarded", &person.dept, &left, ""]);
            }
            Employment::Employed => {
                employed += 1;
                if employed.is_multiple_of(ALIAS_EVERY) {
                    let (local, _) = person.email.split_once('@').unwrap_or((&person.email, ""));
                    let primary = format!("{}@acme-group.example", local.to_lowercase());
                    row([&primary, &name, "active", &person.dept, "", &person.email]);
                } else {
                    row([&person.email, &name, "active", &person.dept, "", ""]);
                }
            }
        }
    }
    for (email, name, dept) in WITHOUT_ZOOM {
        row([email, name, "active", dept, "", ""]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The policy TOML for an organisation: all staff may use Zoom, a day's grace after leaving,
/// only IT may be Owner or Admin, and meeting rooms are excepted.
pub fn policy_toml(organisation: &Organisation) -> String {
    let mut toml = String::from(
        "# Policy for `harness demo`: every active member of staff may have a Zoom account.\n\
         access = \"all-staff\"\n\
         # Someone who left keeps access for a day before it counts as a failure.\n\
         offboarding_grace = \"24h\"\n",
    );
    let rooms = organisation
        .users()
        .iter()
        .filter(|u| u.is_room() && u.status() != UserStatus::Inactive);
    for room in rooms {
        toml.push_str(&format!(
            "\n[[exceptions]]\naccount = \"{}\"\nreason = \"meeting room device ({})\"\n\
             approved_by = \"it-lead@acme.example\"\n",
            room.email(),
            room.display_name()
        ));
    }
    toml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock_zoom::MockConfig;

    fn default_organisation() -> Organisation {
        let config = MockConfig::default();
        Organisation::generate(config.seed, config.accounts)
    }

    #[test]
    fn shipped_demo_files_match_the_default_organisation() {
        let organisation = default_organisation();
        let staff = staff_csv(&organisation);
        let policy = policy_toml(&organisation);
        if std::env::var_os("GATEHOUSE_REGENERATE_DEMO").is_some() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/demo");
            std::fs::write(format!("{dir}/staff.csv"), &staff).unwrap();
            std::fs::write(format!("{dir}/policy.toml"), &policy).unwrap();
            return;
        }
        assert_eq!(STAFF_CSV, staff, "demo/staff.csv is stale: regenerate it");
        assert_eq!(
            POLICY_TOML, policy,
            "demo/policy.toml is stale: regenerate it"
        );
    }

    #[test]
    fn shipped_demo_files_parse() {
        let staff =
            crate::inputs::parse_staff("staff.csv", STAFF_CSV, crate::inputs::Format::Csv).unwrap();
        assert!(staff.len() > 2000, "{} members", staff.len());
        let policy = crate::inputs::parse_policy("policy.toml", POLICY_TOML).unwrap();
        assert!(!policy.exceptions.is_empty());
    }
}
