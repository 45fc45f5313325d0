//! Native mirrors of the WIT `types` records.
//!
//! Evaluation and the Zoom client work on these plain Rust types so that they compile and are
//! unit-tested natively; the component glue (`component.rs`, wasm only) converts at the boundary.

/// Whole seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountStatus {
    Active,
    Inactive,
    Pending,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Inactive => "inactive",
            AccountStatus::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub role: String,
    pub license: String,
    pub last_login: Option<Timestamp>,
    pub created: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingSummary {
    pub complete: bool,
    pub incomplete_reason: Option<String>,
    pub listed: u32,
    pub expected: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffStatus {
    Active,
    OnLeave,
    Offboarded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub email: String,
    pub aliases: Vec<String>,
    pub name: String,
    pub status: StaffStatus,
    pub offboarded_at: Option<Timestamp>,
    pub roles: Vec<String>,
    pub employee_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTicket {
    pub id: String,
    pub email: String,
    pub status: String,
    pub starts_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessRule {
    AllStaff,
    RoleBased(Vec<String>),
    TicketBased,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMapping {
    pub account: String,
    pub staff: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessException {
    pub account: String,
    pub reason: String,
    pub approved_by: String,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub access: AccessRule,
    /// Seconds.
    pub offboarding_grace: u64,
    pub mappings: Vec<AccountMapping>,
    pub exceptions: Vec<AccessException>,
    pub privileged_roles: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRequest {
    pub accounts: Vec<Account>,
    pub listing: ListingSummary,
    pub staff: Vec<StaffMember>,
    pub tickets: Vec<AccessTicket>,
    pub policy: Policy,
    pub at: Timestamp,
    pub trace: TraceScope,
}

/// Which decisions carry trace lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TraceScope {
    #[default]
    None,
    All,
    /// The accounts with these emails, compared as evaluation compares emails.
    Accounts(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingState {
    Failing,
    Due,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: String,
    pub severity: Severity,
    pub state: FindingState,
    /// Position of the account in the request's `accounts`.
    pub account: u32,
    /// Position of the matched staff member in the request's `staff`.
    pub staff: Option<u32>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    PrimaryEmail,
    Alias,
    Mapping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffMatch {
    /// Position of the member in the request's `staff`.
    pub staff: u32,
    pub via: MatchKind,
}

/// What settled an account's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ruling {
    Inactive,
    Exception,
    Identity,
    Inconclusive,
    Offboarding,
    Policy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Position of the account in the request's `accounts`.
    pub account: u32,
    pub allowed: bool,
    pub matched: Option<StaffMatch>,
    pub decided_by: Ruling,
    pub checks: Vec<String>,
    /// Empty unless the request's trace scope covers the account.
    pub trace: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub conclusive: bool,
    pub inconclusive_reason: Option<String>,
    pub decisions: Vec<Decision>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSpec {
    pub name: String,
    pub description: String,
    pub secret: bool,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMethod {
    pub id: String,
    pub description: String,
    pub parameters: Vec<ParameterSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub auth_methods: Vec<AuthMethod>,
    pub hosts: Vec<String>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub auth_method: String,
    pub account_id: String,
    pub authorized_by: String,
    pub authorized_role: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub retry_at: Option<Timestamp>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFailure {
    /// Method and path, such as `GET /v2/users`.
    pub endpoint: String,
    pub status: Option<u16>,
    pub message: String,
}

/// Mirrors the WIT `error` variant one to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    InvalidCredentials(String),
    MissingScope(String),
    InsufficientRole(String),
    ReauthorizationRequired(String),
    NotConnected(String),
    RateLimited(RateLimit),
    ProviderError(ProviderFailure),
    InvalidInput(String),
    IncompleteListing(String),
    Storage(String),
}
