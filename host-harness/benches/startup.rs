//! Start-up: compiling the component from scratch, loading it from the on-disk cache,
//! instantiating it from its `InstancePre`, and the first `describe()` call; each as criterion
//! medians over many runs. The whole-process figure (a `harness` process from start to its
//! first plugin call) is measured by `benches/run.sh`. See BENCHMARKS.md.
//!
//! `cargo bench -p host-harness --bench startup`

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use host_harness::keyvalue::MemoryBackend;
use host_harness::{Grants, Host, ZOOM_PLUGIN_WASM};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

fn startup(c: &mut Criterion) {
    let rt = common::runtime();
    let cache = tempfile::tempdir().expect("temporary cache directory");

    // An engine configured as `Host::new` configures its own (epoch interruption on, fuel
    // off, everything else wasmtime's default), for the two raw wasmtime operations.
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).expect("engine");
    let serialized = cache.path().join("raw.cwasm");
    let compiled = Component::new(&engine, ZOOM_PLUGIN_WASM).expect("compiles");
    std::fs::write(&serialized, compiled.serialize().expect("serializes")).expect("written");

    let mut group = c.benchmark_group("startup");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("compile", |b| {
        b.iter(|| Component::new(&engine, ZOOM_PLUGIN_WASM).expect("compiles"))
    });
    // Host::load without a cache: compile, import check, link to an InstancePre, describe().
    let uncached = Host::new(common::host_config(None)).expect("host");
    group.bench_function("host-load-uncached", |b| {
        b.iter(|| rt.block_on(uncached.load(ZOOM_PLUGIN_WASM)).expect("loads"))
    });
    group.finish();

    let mut group = c.benchmark_group("startup");
    group.sample_size(100);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("deserialize-file", |b| {
        // SAFETY: the file was serialized just above by an engine with the same settings.
        b.iter(|| unsafe { Component::deserialize_file(&engine, &serialized) }.expect("loads"))
    });
    // Host::load from a warm cache: hash, deserialize, import check, link, describe().
    let cached =
        Host::new(common::host_config(Some(cache.path().join("components")))).expect("host");
    rt.block_on(cached.load(ZOOM_PLUGIN_WASM))
        .expect("fills the cache");
    group.bench_function("host-load-cached", |b| {
        b.iter(|| rt.block_on(cached.load(ZOOM_PLUGIN_WASM)).expect("loads"))
    });

    let plugin = rt.block_on(cached.load(ZOOM_PLUGIN_WASM)).expect("loads");
    let grants = Grants::new(Arc::new(MemoryBackend::new()));
    // Plugin::session: a fresh store and WASI context, instantiated from the InstancePre.
    // Each instance is dropped outside the timing.
    group.bench_function("instantiate", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let session = plugin.session(&grants).await.expect("instantiates");
                    total += started.elapsed();
                    drop(session);
                }
                total
            })
        })
    });
    group.bench_function("first-describe", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut session = plugin.session(&grants).await.expect("instantiates");
                    let started = Instant::now();
                    let info = session.describe().await.expect("describes");
                    total += started.elapsed();
                    drop((info, session));
                }
                total
            })
        })
    });
    group.bench_function("instantiate-and-describe", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let mut session = plugin.session(&grants).await.expect("instantiates");
                    let info = session.describe().await.expect("describes");
                    total += started.elapsed();
                    drop((info, session));
                }
                total
            })
        })
    });
    let mut warm = rt.block_on(plugin.session(&grants)).expect("instantiates");
    rt.block_on(warm.describe()).expect("describes");
    group.bench_function("later-describe", |b| {
        b.iter(|| rt.block_on(warm.describe()).expect("describes"))
    });
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
