//! `harness demo` and `harness mock-zoom`: the whole job against the built-in mock Zoom.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use host_harness::evaluation::Evaluated;
use host_harness::keyvalue::MemoryBackend;
use host_harness::mock_zoom::{self, MockConfig, MockZoom, Scenario};
use host_harness::{Grants, demo, inputs, types};

use crate::commands;
use crate::options::GlobalOptions;
use crate::output;

/// Starts the mock, connects with server-to-server credentials, lists every account,
/// evaluates it against the sample directory, and prints the findings.
pub async fn run(global: &GlobalOptions) -> Result<ExitCode> {
    let started = Instant::now();
    let zoom = MockZoom::start(MockConfig::default())
        .await
        .context("starting the mock Zoom")?;
    let staff = inputs::parse_staff("demo/staff.csv", demo::STAFF_CSV, inputs::Format::Csv)?;
    let policy = inputs::parse_policy("demo/policy.toml", demo::POLICY_TOML)?;
    eprintln!(
        "mock Zoom on {} with {} accounts",
        zoom.base_url(),
        zoom.organisation().users().len()
    );

    let host = commands::host(global)?;
    let (plugin, load_time) = commands::load(&host, "zoom").await?;
    let mut grants = Grants::new(Arc::new(MemoryBackend::new()));
    for host in ["zoom.us", "api.zoom.us"] {
        grants
            .routes
            .push(format!("{host}={}", zoom.base_url()).parse()?);
    }

    let connecting = Instant::now();
    let config = zoom.config();
    let params = [
        ("auth", "server-to-server"),
        ("account_id", config.account_id.as_str()),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.as_str()),
    ]
    .map(|(name, value)| types::Parameter {
        name: name.into(),
        value: value.into(),
    });
    let connection = plugin.session(&grants).await?.connect(&params).await?;
    let connect_time = connecting.elapsed();
    eprintln!(
        "connected to account {} as {} ({})",
        connection.account_id, connection.authorized_by, connection.authorized_role
    );

    let listing_started = Instant::now();
    let (accounts, listing) = commands::list(&plugin, &grants).await?;
    let list_time = listing_started.elapsed();
    eprintln!("{}", output::listing_line(&listing));

    let evaluating = Instant::now();
    let at = chrono::Utc::now().timestamp();
    let request = types::EvaluationRequest {
        accounts,
        listing,
        staff,
        tickets: vec![],
        policy,
        at,
        trace: types::TraceScope::None,
    };
    let evaluation = plugin
        .session(&grants)
        .await?
        .evaluate_access(&request)
        .await?;
    let evaluate_time = evaluating.elapsed();

    let evaluated = Evaluated::new(&request, &evaluation).map_err(|e| anyhow!(e))?;
    output::findings_table(&evaluated);
    let counts = output::counts(&evaluated);
    let api_requests = zoom.count(mock_zoom::Endpoint::Users);
    zoom.shutdown().await;
    println!(
        "{} accounts ({} requests to /v2/users), {} allowed, {} failing, {} due; \
         load {:.0} ms, connect {:.0} ms, list {:.0} ms, evaluate {:.0} ms, total {:.2} s",
        counts.accounts,
        api_requests,
        counts.allowed,
        counts.failing,
        counts.due,
        load_time.as_secs_f64() * 1e3,
        connect_time.as_secs_f64() * 1e3,
        list_time.as_secs_f64() * 1e3,
        evaluate_time.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `harness mock-zoom`: serves until Ctrl-C.
pub async fn serve_mock(
    port: u16,
    users: Option<usize>,
    seed: Option<u64>,
    scenario: Option<&Path>,
) -> Result<()> {
    let mut config = match scenario {
        Some(path) => Scenario::from_path(path)?.to_config()?,
        None => MockConfig::default(),
    };
    if port != 0 {
        config.port = Some(port);
    }
    if let Some(users) = users {
        config.accounts = mock_zoom::AccountCounts::split(users);
    }
    if let Some(seed) = seed {
        config.seed = seed;
    }
    mock_zoom::run_until_ctrl_c(config)
        .await
        .context("running the mock Zoom")?;
    Ok(())
}
