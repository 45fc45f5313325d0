#!/usr/bin/env bash
# Every figure of BENCHMARKS.md in one run: the in-process benchmarks (criterion and the
# scaling table, `cargo bench`), then the whole-process ones (a release `harness` timed and
# measured from outside), then a summary of all of them with the ratios.
#
#   bash host-harness/benches/run.sh            # about 10 minutes on 2 cores, once built
#   QUICK=1 bash host-harness/benches/run.sh    # no million-account runs
#
# Needs: the wasm32-wasip2 target (host-harness/build.rs adds it), python3, GNU time
# (/usr/bin/time, Debian package `time`). Output: target/bench-run/{machine,bench,process,
# summary}.txt. Nothing here asserts on time; only a run that cannot measure fails.
# Network: loopback only, to mock servers this script or the benchmarks start.

set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=target/bench-run
rm -rf "$out" target/criterion
mkdir -p "$out"
work=$(mktemp -d)
mock_pid=
cleanup() {
    if [[ -n $mock_pid ]]; then kill "$mock_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -x /usr/bin/time ]]; then
    echo "run.sh needs GNU time: apt-get install -y time" >&2
    exit 1
fi

{
    echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
    echo "rustc:   $(rustc --version)"
    echo "nproc:   $(nproc)"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
    free -h
    lscpu | head -20
} > "$out/machine.txt"
cat "$out/machine.txt"

# --- In-process: criterion benchmarks and the scaling table -------------------------------
# `--bench '*'` builds only the benchmark targets (plain `cargo bench -p host-harness` also
# builds the library's unit tests in release and runs none of them).
if [[ -n ${QUICK:-} ]]; then
    export GATEHOUSE_BENCH_MAX_ACCOUNTS=100000
fi
cargo bench -p host-harness --bench '*' 2>&1 | tee "$out/bench.log"
echo "load after the in-process benchmarks: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

# --- Whole-process ------------------------------------------------------------------------
cargo build --release --quiet -p host-harness --bin harness
harness=$root/target/release/harness
wasm=$root/target/plugin/wasm32-wasip2/wasm/gatehouse_zoom.wasm
cache=$work/cache

# Prints the median, minimum and maximum of N runs of a command, in milliseconds.
time_runs() {
    local n=$1
    shift
    local i t0 t1
    for ((i = 0; i < n; i++)); do
        t0=$(date +%s%N)
        "$@" > /dev/null 2>&1
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000))
    done | sort -n | awk '{ v[NR] = $1 } END {
        printf "median %.2f ms (min %.2f, max %.2f, %d runs)\n",
            v[int(NR / 2) + 1] / 1000, v[1] / 1000, v[NR] / 1000, NR }'
}

{
    echo "component_bytes $(stat -c %s "$wasm")"
    # Start to first plugin call: `inspect` creates the host, loads the component (from the
    # cache when warm), instantiates it and calls describe(), then prints and exits.
    "$harness" --cache-dir "$cache" inspect zoom > /dev/null
    echo "start_to_first_call_cached $(time_runs 50 "$harness" --cache-dir "$cache" inspect zoom)"
    echo "start_to_first_call_uncached $(time_runs 5 "$harness" --no-cache inspect zoom)"
    echo "process_noop $(time_runs 50 "$harness" --version)"
} | tee "$out/process.txt"

# Peak memory of the harness listing a million accounts from a mock in another process.
users=1000000
if [[ -n ${QUICK:-} ]]; then users=100000; fi
"$harness" mock-zoom --users "$users" > "$work/mock.txt" 2>&1 &
mock_pid=$!
for _ in $(seq 600); do
    grep -q "listening on" "$work/mock.txt" 2>/dev/null && break
    sleep 0.1
done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/mock.txt" | head -1)
if [[ -z $url ]]; then
    echo "the mock did not start:" >&2
    cat "$work/mock.txt" >&2
    exit 1
fi
plugin_args=(zoom --store "$work/store.db" --route "zoom.us=$url" --route "api.zoom.us=$url")
"$harness" --cache-dir "$cache" connect "${plugin_args[@]}" \
    --param account_id=acct-demo --param client_id=demo-client \
    --param client_secret=demo-secret > /dev/null
/usr/bin/time -v -o "$work/time.txt" "$harness" --cache-dir "$cache" list-users \
    "${plugin_args[@]}" --format csv > "$work/accounts.csv"
kill "$mock_pid"
wait "$mock_pid" 2>/dev/null || true
mock_pid=
{
    echo "listing_process_accounts $(($(wc -l < "$work/accounts.csv") - 1)) of $users"
    echo "listing_process_peak_rss_kib $(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")"
    echo "listing_process_wall $(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$work/time.txt")"
} | tee -a "$out/process.txt"

# --- Summary ------------------------------------------------------------------------------
python3 "$root/host-harness/benches/summary.py" target/criterion "$out" | tee "$out/summary.txt"
