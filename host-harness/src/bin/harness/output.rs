//! What the user sees: tables for people, JSON and CSV for programs. Data goes to stdout,
//! progress and notes to stderr.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use host_harness::evaluation::Evaluated;
use host_harness::{Plugin, inputs, types};
use serde::{Deserialize, Serialize};

use crate::options::ReportFormat;

/// Provider data (names, emails) on a terminal: control characters become `?`, so a hostile
/// account cannot move the cursor, recolour or erase the lines around it.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A CSV cell a spreadsheet will not run: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return would start a formula, so such cells get a leading apostrophe.
fn csv_cell(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

pub fn inspect(plugin: &Plugin, format: ReportFormat) -> Result<()> {
    let info = plugin.info();
    if format == ReportFormat::Json {
        let json = serde_json::json!({
            "id": info.id,
            "name": info.name,
            "version": info.version,
            "world": "gatehouse:integration/plugin@0.1.0",
            "sha256": plugin.sha256(),
            "size": plugin.size(),
            "imports": plugin.imports(),
            "exports": plugin.exports(),
            "hosts": info.hosts,
            "scopes": info.scopes,
            "auth_methods": info.auth_methods.iter().map(|m| serde_json::json!({
                "id": m.id,
                "description": m.description,
                "parameters": m.parameters.iter().map(|p| serde_json::json!({
                    "name": p.name, "description": p.description,
                    "secret": p.secret, "required": p.required,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!("plugin    {} ({}) {}", info.id, info.name, info.version);
    println!("world     gatehouse:integration/plugin@0.1.0");
    println!("size      {} bytes", plugin.size());
    println!("sha256    {}", plugin.sha256());
    println!("hosts     {}", info.hosts.join(", "));
    println!("scopes    {}", info.scopes.join(", "));
    for method in &info.auth_methods {
        println!("auth      {}: {}", method.id, method.description);
        for p in &method.parameters {
            let mut flags = Vec::new();
            if p.required {
                flags.push("required");
            }
            if p.secret {
                flags.push("secret");
            }
            println!(
                "            {:<16} {} [{}]",
                p.name,
                p.description,
                flags.join(", ")
            );
        }
    }
    println!("imports");
    for import in plugin.imports() {
        println!("          {import}");
    }
    println!("exports");
    for export in plugin.exports() {
        println!("          {export}");
    }
    Ok(())
}

pub fn connection(connection: &types::Connection) {
    println!("connected to account {}", connection.account_id);
    println!("  method         {}", connection.auth_method);
    println!(
        "  authorised by  {} ({})",
        connection.authorized_by, connection.authorized_role
    );
    println!("  scopes         {}", connection.scopes.join(" "));
}

fn status_name(status: types::AccountStatus) -> &'static str {
    match status {
        types::AccountStatus::Active => "active",
        types::AccountStatus::Inactive => "inactive",
        types::AccountStatus::Pending => "pending",
    }
}

/// One account as `list-users --format json` writes it and `evaluate --users` reads it.
#[derive(Debug, Serialize, Deserialize)]
struct AccountJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    email: String,
    status: String,
    #[serde(default)]
    role: String,
    #[serde(rename = "type", default)]
    license: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    last_login: Option<String>,
    #[serde(default)]
    created: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ListingJson {
    complete: bool,
    #[serde(default)]
    incomplete_reason: Option<String>,
    #[serde(default)]
    listed: u32,
    #[serde(default)]
    expected: u32,
    accounts: Vec<AccountJson>,
}

fn account_json(account: &types::Account) -> AccountJson {
    AccountJson {
        id: account.id.clone(),
        email: account.email.clone(),
        status: status_name(account.status).to_owned(),
        role: account.role.clone(),
        license: account.license.clone(),
        first_name: account.first_name.clone(),
        last_name: account.last_name.clone(),
        display_name: account.display_name.clone(),
        last_login: account.last_login.map(inputs::format_time),
        created: account.created.map(inputs::format_time),
    }
}

pub fn accounts_json(accounts: &[types::Account], summary: &types::ListingSummary) -> Result<()> {
    let listing = ListingJson {
        complete: summary.complete,
        incomplete_reason: summary.incomplete_reason.clone(),
        listed: summary.listed,
        expected: summary.expected,
        accounts: accounts.iter().map(account_json).collect(),
    };
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &listing)?;
    writeln!(stdout)?;
    Ok(())
}

pub fn accounts_csv(accounts: &[types::Account]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
    writer.write_record([
        "id",
        "email",
        "status",
        "role",
        "type",
        "first_name",
        "last_name",
        "display_name",
        "last_login",
        "created",
    ])?;
    for account in accounts {
        let a = account_json(account);
        writer.write_record(
            [
                a.id.unwrap_or_default(),
                a.email,
                a.status,
                a.role,
                a.license,
                a.first_name,
                a.last_name,
                a.display_name,
                a.last_login.unwrap_or_default(),
                a.created.unwrap_or_default(),
            ]
            .map(csv_cell),
        )?;
    }
    writer.flush()?;
    Ok(())
}

pub fn accounts_table(accounts: &[types::Account], summary: &types::ListingSummary) {
    println!(
        "{:<24} {:<40} {:<9} {:<10} {:<11} NAME",
        "ID", "EMAIL", "STATUS", "ROLE", "TYPE"
    );
    for a in accounts {
        println!(
            "{:<24} {:<40} {:<9} {:<10} {:<11} {}",
            clean(a.id.as_deref().unwrap_or("-")),
            clean(&a.email),
            status_name(a.status),
            clean(&a.role),
            clean(&a.license),
            clean(&a.display_name)
        );
    }
    eprintln!("{}", listing_line(summary));
}

pub fn listing_line(summary: &types::ListingSummary) -> String {
    if summary.complete {
        format!(
            "{}, listing complete",
            plural(summary.listed as usize, "account")
        )
    } else {
        format!(
            "{} of {} announced, listing INCOMPLETE: {}",
            plural(summary.listed as usize, "account"),
            summary.expected,
            summary
                .incomplete_reason
                .as_deref()
                .unwrap_or("no reason given")
        )
    }
}

/// Reads the output of `list-users --format json` back.
pub fn read_accounts_json(path: &Path) -> Result<(Vec<types::Account>, types::ListingSummary)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read users file {}", path.display()))?;
    let not_a_listing = || {
        format!(
            "{} is not the output of `list-users --format json`",
            path.display()
        )
    };
    let value: serde_json::Value = serde_json::from_str(&text).with_context(not_a_listing)?;
    if !value.is_object() {
        return Err(anyhow::anyhow!(
            "expected an object with `complete`, `listed`, `expected` and `accounts`, found {}",
            json_kind(&value)
        ))
        .with_context(not_a_listing);
    }
    let listing: ListingJson = serde_json::from_value(value).with_context(not_a_listing)?;
    let mut accounts = Vec::with_capacity(listing.accounts.len());
    for (index, a) in listing.accounts.into_iter().enumerate() {
        let at = |field: &str, value: Option<String>| -> Result<Option<i64>> {
            value
                .map(|v| inputs::parse_time(&v))
                .transpose()
                .with_context(|| format!("{}: accounts[{index}].{field}", path.display()))
        };
        let status = match a.status.as_str() {
            "active" => types::AccountStatus::Active,
            "inactive" => types::AccountStatus::Inactive,
            "pending" => types::AccountStatus::Pending,
            other => bail!(
                "{}: accounts[{index}].status: {other:?} is not active, inactive or pending",
                path.display()
            ),
        };
        accounts.push(types::Account {
            last_login: at("last_login", a.last_login)?,
            created: at("created", a.created)?,
            id: a.id,
            email: a.email,
            first_name: a.first_name,
            last_name: a.last_name,
            display_name: a.display_name,
            status,
            role: a.role,
            license: a.license,
        });
    }
    // A file says it is complete; believe it only when its own counts agree with what it
    // holds, so that a truncated or edited file cannot pass for the whole account.
    let listed = u32::try_from(accounts.len()).unwrap_or(u32::MAX);
    let mut summary = types::ListingSummary {
        complete: listing.complete,
        incomplete_reason: listing.incomplete_reason,
        listed,
        expected: listing.expected,
    };
    if summary.complete && (listing.listed != listed || listing.expected != listed) {
        summary.complete = false;
        summary.incomplete_reason = Some(format!(
            "{} holds {} but says {} were listed of {} announced",
            path.display(),
            plural(accounts.len(), "account"),
            listing.listed,
            listing.expected
        ));
    }
    Ok((accounts, summary))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn state_name(state: types::FindingState) -> &'static str {
    match state {
        types::FindingState::Failing => "failing",
        types::FindingState::Due => "due",
    }
}

fn severity_name(severity: types::Severity) -> &'static str {
    match severity {
        types::Severity::Low => "low",
        types::Severity::Medium => "medium",
        types::Severity::High => "high",
        types::Severity::Critical => "critical",
    }
}

fn ruling_name(ruling: types::Ruling) -> &'static str {
    match ruling {
        types::Ruling::Inactive => "inactive",
        types::Ruling::Exception => "exception",
        types::Ruling::Identity => "identity",
        types::Ruling::Inconclusive => "inconclusive",
        types::Ruling::Offboarding => "offboarding",
        types::Ruling::Policy => "policy",
    }
}

fn via_name(via: types::MatchKind) -> &'static str {
    match via {
        types::MatchKind::PrimaryEmail => "primary-email",
        types::MatchKind::Alias => "alias",
        types::MatchKind::Mapping => "mapping",
    }
}

fn policy_name(rule: &types::AccessRule) -> &'static str {
    match rule {
        types::AccessRule::AllStaff => "all-staff",
        types::AccessRule::RoleBased(_) => "role-based",
        types::AccessRule::TicketBased => "ticket-based",
    }
}

/// Counts behind the one-line summary.
pub struct Counts {
    pub accounts: usize,
    pub failing: usize,
    pub due: usize,
    pub allowed: usize,
    /// Matched nobody, but the listing is incomplete, so nothing was concluded about them.
    pub unjudged: usize,
}

impl Counts {
    /// "2400 accounts evaluated: 2390 allowed, 7 failing, 3 due", and the accounts left
    /// unjudged when there are any.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} evaluated: {} allowed, {} failing, {} due",
            plural(self.accounts, "account"),
            self.allowed,
            self.failing,
            self.due
        );
        if self.unjudged > 0 {
            line.push_str(&format!(
                ", {} not judged (matched nobody in an incomplete listing)",
                self.unjudged
            ));
        }
        line
    }
}

/// "1 account", "2 accounts".
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub fn counts(evaluated: &Evaluated<'_>) -> Counts {
    // Counted per account, so that allowed + failing + due adds up to the accounts: one
    // account can have several findings.
    use std::collections::HashSet;
    let evaluation = evaluated.evaluation();
    let accounts_in = |state: types::FindingState| -> HashSet<u32> {
        evaluation
            .findings
            .iter()
            .filter(|f| f.state == state)
            .map(|f| f.account)
            .collect()
    };
    let failing = accounts_in(types::FindingState::Failing);
    let due = accounts_in(types::FindingState::Due);
    let unjudged = |d: &&types::Decision| d.decided_by == types::Ruling::Inconclusive;
    let allowed = evaluation.decisions.iter().filter(|d| d.allowed);
    Counts {
        accounts: evaluated.request().accounts.len(),
        failing: failing.len(),
        due: due.difference(&failing).count(),
        allowed: allowed.clone().filter(|d| !unjudged(d)).count(),
        unjudged: allowed.filter(unjudged).count(),
    }
}

pub fn evaluation(evaluated: &Evaluated<'_>, format: ReportFormat) -> Result<()> {
    let (request, evaluation) = (evaluated.request(), evaluated.evaluation());
    let counts = counts(evaluated);
    if format == ReportFormat::Json {
        let json = serde_json::json!({
            "evaluated_at": inputs::format_time(request.at),
            "policy": policy_name(&request.policy.access),
            "listing": {
                "complete": request.listing.complete,
                "incomplete_reason": request.listing.incomplete_reason,
                "listed": request.listing.listed,
                "expected": request.listing.expected,
            },
            "conclusive": evaluation.conclusive,
            "inconclusive_reason": evaluation.inconclusive_reason,
            "summary": {
                "accounts": counts.accounts,
                "allowed": counts.allowed,
                "failing": counts.failing,
                "due": counts.due,
                "unjudged": counts.unjudged,
            },
            "findings": evaluated.findings().map(|(f, account, owner)| serde_json::json!({
                "check": f.check,
                "severity": severity_name(f.severity),
                "state": state_name(f.state),
                "email": account.email,
                "account_id": account.id,
                "staff_email": owner.map(|m| &m.email),
                "reason": f.reason,
            })).collect::<Vec<_>>(),
            "accounts": evaluated.decisions().map(|(d, account, owner)| serde_json::json!({
                "email": account.email,
                "account_id": account.id,
                // Unjudged accounts are not counted as allowed; not shown as allowed either.
                "allowed": d.allowed && d.decided_by != types::Ruling::Inconclusive,
                "staff_email": owner.map(|m| &m.email),
                "matched_via": d.matched.as_ref().map(|m| via_name(m.via)),
                "decided_by": ruling_name(d.decided_by),
                "checks": d.checks,
            })).collect::<Vec<_>>(),
        });
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &json)?;
        writeln!(stdout)?;
        return Ok(());
    }
    findings_table(evaluated);
    if let Some(reason) = &evaluation.inconclusive_reason {
        println!("INCONCLUSIVE: {}", clean(reason));
    }
    println!("{}", counts.line());
    Ok(())
}

pub fn findings_table(evaluated: &Evaluated<'_>) {
    let width = evaluated
        .findings()
        .map(|(_, account, _)| account.email.chars().count())
        .max()
        .unwrap_or(5);
    let width = width.clamp(5, 48);
    println!(
        "{:<8} {:<9} {:<24} {:<width$} REASON",
        "STATE", "SEVERITY", "CHECK", "EMAIL"
    );
    for (f, account, _) in evaluated.findings() {
        println!(
            "{:<8} {:<9} {:<24} {:<width$} {}",
            state_name(f.state),
            severity_name(f.severity),
            f.check,
            clean(&account.email),
            clean(&f.reason)
        );
    }
}

/// Prints the trace of every account with this email; the request asked the plugin for
/// exactly those traces.
pub fn explain(evaluated: &Evaluated<'_>, email: &str) -> Result<()> {
    let wanted = email.trim().to_lowercase();
    let decisions: Vec<_> = evaluated
        .decisions()
        .filter(|(_, account, _)| account.email.trim().to_lowercase() == wanted)
        .collect();
    if decisions.is_empty() {
        bail!("no account with the email {email:?} was evaluated");
    }
    for (d, account, owner) in decisions {
        println!(
            "account {} ({})",
            clean(&account.email),
            account.id.as_deref().map_or("no id".into(), clean)
        );
        match (&d.matched, owner) {
            (Some(m), Some(owner)) => println!(
                "  staff member  {} (by {})",
                clean(&owner.email),
                via_name(m.via)
            ),
            _ => println!("  staff member  none"),
        }
        println!("  decided by    {}", ruling_name(d.decided_by));
        for line in &d.trace {
            println!("  - {}", clean(line));
        }
        // Due findings deny too, but the account is still within its grace period.
        let states: Vec<types::FindingState> = evaluated
            .findings()
            .filter(|(f, _, _)| f.account == d.account)
            .map(|(f, _, _)| f.state)
            .collect();
        let due_only = !states.is_empty() && states.iter().all(|s| *s == types::FindingState::Due);
        if d.decided_by == types::Ruling::Inconclusive {
            println!("  verdict       not judged: the listing is incomplete");
        } else if d.allowed {
            println!("  verdict       allowed");
        } else if due_only {
            println!("  verdict       due: {}", d.checks.join(", "));
        } else {
            println!("  verdict       failing: {}", d.checks.join(", "));
        }
    }
    if let Some(reason) = &evaluated.evaluation().inconclusive_reason {
        println!("INCONCLUSIVE: {}", clean(reason));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider display name once reached the terminal with its escape sequences intact.
    #[test]
    fn provider_text_cannot_drive_the_terminal() {
        assert_eq!(
            clean("Layla\x1b[31mRED\x1b[0m\x07\r"),
            "Layla?[31mRED?[0m??"
        );
        assert_eq!(clean("渡辺 健"), "渡辺 健");
    }

    /// Zoom names like `=cmd|' /C calc'!A0` once went into CSV as live formulas.
    #[test]
    fn csv_cells_never_start_a_spreadsheet_formula() {
        for formula in ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                csv_cell(formula.to_owned()).starts_with('\''),
                "{formula:?}"
            );
        }
        assert_eq!(csv_cell("jo@acme.example".to_owned()), "jo@acme.example");
    }
}
