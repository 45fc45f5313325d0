//! `harness`: load, inspect, connect, list and evaluate gatehouse plugins from a terminal.
//!
//! A thin layer over the `host_harness` library: it parses flags and files, calls the library,
//! and decides what the user sees. Exit codes: 0 success; `evaluate` exits 1 when it found a
//! failing check; 2 on any error (and on an evaluation that could not conclude).

mod commands;
mod demo;
mod options;
mod output;

use std::process::ExitCode;

use clap::Parser;

use options::Cli;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so every `println!` into a closed pipe (`harness ... | head`)
    // would panic. Restore the Unix default: the process ends quietly when its reader has gone,
    // and the shell sees 141, never a success code for output nobody read.
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with success; usage errors exit 2.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    // The mock is a tool for reproducing cases by hand: show every request it receives.
    let mock = matches!(cli.command, options::Command::MockZoom { .. });
    init_tracing(cli.global.verbose, mock);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader that stops early (`harness list-users | head`) is not an error of ours.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let broken = std::io::ErrorKind::BrokenPipe;
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == broken)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                == Some(broken)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == broken))
    })
}

/// Crates whose own logs are capped whatever `-v` or `RUST_LOG` ask: wasmtime's HTTP layer
/// traces URLs with their query strings (which can carry tokens), and Cranelift traces every
/// compilation step (gigabytes for one component).
const CAPPED: &[&str] = &[
    "wasmtime_wasi_http=info",
    "wasmtime_wasi=info",
    "wasmtime=info",
    "wasmtime_internal_cranelift=info",
    "cranelift_codegen=info",
    "cranelift_frontend=info",
    "regalloc2=info",
    "hyper=info",
    "hyper_util=info",
];

/// Logs go to stderr, coloured only on a terminal; `RUST_LOG` overrides `-v`.
fn init_tracing(verbose: u8, mock: bool) {
    let default = match verbose {
        0 if mock => "warn,host_harness::mock_zoom=debug",
        0 => "warn",
        1 => "info,host_harness=debug",
        2 => "debug",
        _ => "trace",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    for cap in CAPPED {
        if let Ok(directive) = cap.parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
