//! `harness conformance`: checks any integration plugin must pass, offline and reproducibly.
//!
//! The suite certifies a compiled component, not its source. Each check runs in a fresh
//! instance with a fresh in-memory store, a fixed wall clock and a fixed random seed. The
//! contract, evaluation and sandbox groups apply to every plugin; connection, listing and
//! resilience checks come from a provider pack chosen by the plugin's id (the Zoom pack runs
//! against the built-in mock Zoom, which records every request so that checks can bound them).
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use host_harness::conformance;
//! let report = conformance::run(&std::fs::read("zoom.wasm")?, None).await;
//! print!("{}", report.table());
//! assert!(report.passed());
//! # Ok(())
//! # }
//! ```

mod contract;
mod evaluation;
mod report;
mod zoom;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub use report::{CheckResult, Outcome, Report};

use crate::keyvalue::MemoryBackend;
use crate::{Grants, Host, HostConfig, InstanceLimits, Plugin};

/// The wall clock every check's plugin sees: 2026-12-01T00:00:00Z.
pub const FIXED_CLOCK_SECS: u64 = 1_795_996_800;

/// The seed of every check's random generators.
pub const FIXED_SEED: u64 = 0x6a7e_4005e;

/// Wall-clock time one plugin call may take inside the suite. Short, so that a plugin that
/// loops (or waits out a daily rate limit) fails its check instead of stalling the run.
pub const CALL_DEADLINE: Duration = Duration::from_secs(15);

/// Time one check may take in all. A plugin that keeps making quick calls (paging forever,
/// say) never hits the per-call deadline, and still must not stall the suite.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(40);

type CheckFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// One named check.
pub struct Check {
    /// `group/name`, such as `listing/many-pages`.
    pub id: &'static str,
    run: for<'a> fn(&'a Context) -> CheckFuture<'a>,
}

impl Check {
    pub const fn new(id: &'static str, run: for<'a> fn(&'a Context) -> CheckFuture<'a>) -> Self {
        Self { id, run }
    }
}

/// What a check works with: the loaded plugin, and fresh grants on demand.
pub struct Context {
    pub plugin: Plugin,
}

impl Context {
    /// Fresh grants: an empty in-memory store, the fixed clock and seed, logs captured.
    pub fn grants(&self) -> Grants {
        let mut grants = Grants::new(Arc::new(MemoryBackend::new()));
        grants.clock = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_CLOCK_SECS));
        grants.random_seed = Some(FIXED_SEED);
        grants.capture_logs = Some(Arc::default());
        grants
    }
}

/// Fails a check with a formatted reason.
macro_rules! fail {
    ($($arg:tt)*) => {
        return $crate::conformance::Outcome::Fail(format!($($arg)*))
    };
}
pub(crate) use fail;

/// Every check for a plugin: the generic groups, and the provider pack of its id.
fn checks_for(plugin_id: &str) -> Vec<Check> {
    let mut checks = contract::checks();
    // Provider packs by plugin id; a plugin without one gets the generic groups only.
    if plugin_id == "zoom" {
        checks.extend(zoom::checks());
    }
    checks.extend(evaluation::checks());
    checks.extend(zoom::sandbox_checks_for(plugin_id));
    checks
}

/// Whether a check id matches a filter: a substring, or a pattern with `*` wildcards.
fn matches(filter: &str, id: &str) -> bool {
    if !filter.contains('*') {
        return id.contains(filter);
    }
    let mut rest = id;
    let parts: Vec<&str> = filter.split('*').collect();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        match rest.find(part) {
            Some(0) => rest = &rest[part.len()..],
            Some(at) if i > 0 => rest = &rest[at + part.len()..],
            _ => return false,
        }
    }
    parts
        .last()
        .is_none_or(|last| last.is_empty() || id.ends_with(last))
}

/// Loads the component and runs every check the filter selects.
pub async fn run(wasm: &[u8], filter: Option<&str>) -> Report {
    let started = Instant::now();
    let config = HostConfig {
        limits: InstanceLimits {
            deadline: CALL_DEADLINE,
            ..InstanceLimits::default()
        },
        ..HostConfig::default()
    };
    let loaded = match Host::new(config) {
        Ok(host) => host.load(wasm).await.map(|plugin| (host, plugin)),
        Err(error) => Err(error),
    };
    let (_host, plugin) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            let result = CheckResult {
                id: "contract/valid-component".into(),
                outcome: Outcome::Fail(error.to_string()),
                duration: started.elapsed(),
            };
            return Report {
                results: vec![result],
                duration: started.elapsed(),
            };
        }
    };

    let context = Context { plugin };
    let mut results = vec![CheckResult {
        id: "contract/valid-component".into(),
        outcome: Outcome::Pass,
        duration: started.elapsed(),
    }];
    for check in checks_for(context.plugin.id()) {
        if filter.is_some_and(|f| !matches(f, check.id)) {
            continue;
        }
        let check_started = Instant::now();
        let outcome = match tokio::time::timeout(CHECK_DEADLINE, (check.run)(&context)).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Fail(format!(
                "the check did not finish within {} s",
                CHECK_DEADLINE.as_secs()
            )),
        };
        results.push(CheckResult {
            id: check.id.into(),
            outcome,
            duration: check_started.elapsed(),
        });
    }
    if let Some(filter) = filter {
        results.retain(|r| matches(filter, &r.id));
    }
    Report {
        results,
        duration: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn filters_match_substrings_and_wildcards() {
        assert!(matches("listing", "listing/many-pages"));
        assert!(matches("listing/*", "listing/many-pages"));
        assert!(matches("*pages", "listing/many-pages"));
        assert!(matches("*/many-*", "listing/many-pages"));
        assert!(!matches("resilience/*", "listing/many-pages"));
        assert!(!matches("*token", "listing/many-pages"));
    }
}
