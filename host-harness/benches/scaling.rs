//! How listing and evaluation grow with the number of accounts: 1k, 10k, 100k and 1M, each
//! through the component and natively. Plain timings rather than criterion, since a million
//! accounts are listed only once per run: each figure is the median of a few runs (fewer as
//! the size grows), and the table shows the cost per account, which stays flat when the cost
//! grows linearly. See BENCHMARKS.md.
//!
//! `cargo bench -p host-harness --bench scaling` (GATEHOUSE_BENCH_MAX_ACCOUNTS=100000 stops
//! before the million).

mod common;

use std::time::{Duration, Instant};

use gatehouse_zoom::evaluate::evaluate;

const SIZES: [(usize, usize); 4] = [(1_000, 15), (10_000, 7), (100_000, 3), (1_000_000, 1)];

struct Row {
    accounts: usize,
    runs: usize,
    list_component: Duration,
    list_native: Duration,
    /// The component's time, or why the call failed.
    eval_component: Result<Duration, String>,
    eval_native: Duration,
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let samples = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let out = f();
            let elapsed = started.elapsed();
            drop(out);
            elapsed
        })
        .collect();
    common::median(samples)
}

fn per_account(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument restricts nothing here.
    let max: usize = std::env::var("GATEHOUSE_BENCH_MAX_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    let rt = common::runtime();
    let mut rows = Vec::new();

    for (accounts, runs) in SIZES.into_iter().filter(|(n, _)| *n <= max) {
        eprintln!("scaling: {accounts} accounts, {runs} run(s) each");
        let mock = rt.block_on(common::mock(accounts));
        let component = rt.block_on(common::Component::connect(&mock));
        let mut native = common::native_connect(&mock);

        // The first listing is checked and counts as the first run.
        let started = Instant::now();
        let (listed, summary) = rt.block_on(component.list());
        let mut samples = vec![started.elapsed()];
        assert!(summary.complete && listed.len() == accounts, "{summary:?}");
        for _ in 1..runs {
            samples.push(time(1, || rt.block_on(component.list())));
        }
        let list_component = common::median(samples);
        let list_native = time(runs, || common::native_list(&mut native));

        let staff = common::data::staff(mock.organisation(), accounts);
        let request =
            common::data::request("all-staff", mock.organisation(), listed, summary, staff);
        rt.block_on(mock.shutdown());
        let native_request = common::convert::request(&request);
        let eval_native = time(runs, || evaluate(&native_request));
        let mut session = rt
            .block_on(component.plugin.session(&component.grants))
            .expect("session");
        // A call that fails (a limit of the product) is reported, not fatal: that is a figure.
        let mut failure = None;
        let eval_component = time(runs, || {
            if failure.is_none()
                && let Err(error) = rt.block_on(session.evaluate_access(&request))
            {
                failure = Some(error.to_string());
            }
        });
        let eval_component = match failure {
            None => Ok(eval_component),
            Some(error) => Err(error),
        };
        drop(session);

        rows.push(Row {
            accounts,
            runs,
            list_component,
            list_native,
            eval_component,
            eval_native,
        });
    }

    println!();
    println!("scaling (all-staff policy for evaluation; median of `runs`; µs per account)");
    println!(
        "{:>9} {:>4} | {:>11} {:>8} {:>11} {:>8} {:>6} | {:>11} {:>8} {:>11} {:>8} {:>6}",
        "accounts",
        "runs",
        "list comp",
        "µs/acct",
        "list native",
        "µs/acct",
        "ratio",
        "eval comp",
        "µs/acct",
        "eval native",
        "µs/acct",
        "ratio"
    );
    for row in &rows {
        let n = row.accounts;
        let (eval_component, eval_per_account, eval_ratio) = match &row.eval_component {
            Ok(d) => (
                format!("{:.1}ms", d.as_secs_f64() * 1e3),
                format!("{:.2}", per_account(*d, n)),
                format!("{:.2}", d.as_secs_f64() / row.eval_native.as_secs_f64()),
            ),
            Err(_) => ("FAILED".to_owned(), "-".to_owned(), "-".to_owned()),
        };
        println!(
            "{:>9} {:>4} | {:>9.1}ms {:>8.2} {:>9.1}ms {:>8.2} {:>6.2} | {:>11} {:>8} {:>9.1}ms {:>8.2} {:>6}",
            n,
            row.runs,
            row.list_component.as_secs_f64() * 1e3,
            per_account(row.list_component, n),
            row.list_native.as_secs_f64() * 1e3,
            per_account(row.list_native, n),
            row.list_component.as_secs_f64() / row.list_native.as_secs_f64(),
            eval_component,
            eval_per_account,
            row.eval_native.as_secs_f64() * 1e3,
            per_account(row.eval_native, n),
            eval_ratio,
        );
    }
    for row in &rows {
        if let Err(error) = &row.eval_component {
            println!(
                "evaluation of {} accounts in the component failed: {error}",
                row.accounts
            );
        }
    }
}
