//! Listing every account of a mock Zoom over loopback: through the component in the harness,
//! against the same Zoom client compiled natively (same code, same `serde_json` types, one
//! connection per request like the component's). See BENCHMARKS.md.
//!
//! `cargo bench -p host-harness --bench listing`

mod common;

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// Accounts per run; the mock serves 300 a page over three statuses.
const SIZES: [usize; 2] = [10_000, 100_000];

fn listing(c: &mut Criterion) {
    let rt = common::runtime();
    for accounts in SIZES {
        let mock = rt.block_on(common::mock(accounts));
        let component = rt.block_on(common::Component::connect(&mock));
        let mut native = common::native_connect(&mock);

        // Both must list everything before their times mean anything.
        let (listed, summary) = rt.block_on(component.list());
        assert!(
            summary.complete && listed.len() == accounts,
            "component: {summary:?}"
        );
        let (listed, summary) = common::native_list(&mut native);
        assert!(
            summary.complete && listed.len() == accounts,
            "native: {summary:?}"
        );

        let mut group = c.benchmark_group(format!("listing/{accounts}"));
        group.throughput(Throughput::Elements(accounts as u64));
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(if accounts > 10_000 { 20 } else { 5 }));

        group.bench_function("component", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let listed = rt.block_on(component.list());
                    total += started.elapsed();
                    drop(listed);
                }
                total
            })
        });
        group.bench_function("native", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let listed = common::native_list(&mut native);
                    total += started.elapsed();
                    drop(listed);
                }
                total
            })
        });
        group.finish();
        rt.block_on(mock.shutdown());
    }
}

criterion_group!(benches, listing);
criterion_main!(benches);
