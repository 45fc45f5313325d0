"""Summarises one benchmark run for BENCHMARKS.md: criterion's medians, the ratios against the
native baseline, the scaling table, the whole-process figures, and each target met or missed.

    python3 host-harness/benches/summary.py target/criterion target/bench-run

Targets are measured against, never asserted: this script always exits 0 when it can read
the results.
"""

import json
import os
import re
import sys


def criterion_medians(root):
    """full_id -> median in nanoseconds, from criterion's `new/` results."""
    medians = {}
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            estimates = json.load(f)
        medians[bench["full_id"]] = estimates["median"]["point_estimate"]
    return medians


def ms(ns):
    return f"{ns / 1e6:.1f} ms"


def us(ns):
    return f"{ns / 1e3:.1f} µs"


def verdict(ok):
    return "met" if ok else "MISSED"


def main():
    criterion_dir, run_dir = sys.argv[1], sys.argv[2]
    m = criterion_medians(criterion_dir)
    process = {}
    with open(os.path.join(run_dir, "process.txt")) as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            process[key] = value
    targets = []

    print("== Listing (criterion medians; mock over loopback, page size 300, 3 statuses)")
    print(f"{'accounts':>9} | {'component':>10} {'accts/s':>9} | {'native':>10} {'accts/s':>9} | ratio")
    for n in (10000, 100000):
        comp, nat = m.get(f"listing/{n}/component"), m.get(f"listing/{n}/native")
        if comp is None or nat is None:
            continue
        ratio = comp / nat
        print(f"{n:>9} | {ms(comp):>10} {n / comp * 1e9:>9.0f} | {ms(nat):>10} {n / nat * 1e9:>9.0f} | {ratio:.2f}×")
        targets.append((f"listing {n} through the component within 1.3× native", f"{ratio:.2f}×", ratio <= 1.3))

    print()
    print("== Evaluation, 100,000 accounts × ~100,000 staff (criterion medians)")
    print(f"{'policy':>12} | {'native':>9} {'component':>10} {'ratio':>6} | {'in':>8} {'out':>8} "
          f"{'boundary':>9} | {'compute':>9} {'ratio':>6} | {'probe':>9}")
    for policy in ("all-staff", "role-based", "ticket-based"):
        get = lambda name: m.get(f"evaluation/{policy}/{name}")
        nat, comp = get("native"), get("component")
        if nat is None or comp is None:
            continue
        b_in, b_out, probe = get("boundary-in"), get("boundary-out"), get("probe-full")
        boundary = (b_in or 0) + (b_out or 0)
        compute = comp - boundary
        print(f"{policy:>12} | {ms(nat):>9} {ms(comp):>10} {comp / nat:>5.2f}× | {ms(b_in or 0):>8} "
              f"{ms(b_out or 0):>8} {ms(boundary):>9} | {ms(compute):>9} {compute / nat:>5.2f}× | "
              f"{ms(probe or 0):>9}")
        targets.append((f"evaluation ({policy}) inside the component within 1.5× native",
                        f"{comp / nat:.2f}×", comp / nat <= 1.5))
        targets.append((f"evaluation ({policy}) 100k×100k under 300 ms", ms(comp), comp < 300e6))
    print("  in / out: crossing the boundary with the request / the result (probe component);")
    print("  compute = component − (in + out); probe = the probe running the full evaluation.")

    print()
    print("== Start-up (criterion medians)")
    for name in ("compile", "host-load-uncached", "deserialize-file", "host-load-cached",
                 "instantiate", "first-describe", "instantiate-and-describe", "later-describe"):
        value = m.get(f"startup/{name}")
        if value is not None:
            print(f"  {name:<26} {us(value) if value < 1e6 else ms(value):>12}")
    if "startup/instantiate" in m:
        v = m["startup/instantiate"]
        targets.append(("instantiation from an InstancePre under 100 µs", us(v), v < 100e3))

    print()
    print("== Scaling (from the scaling benchmark)")
    with open(os.path.join(run_dir, "bench.log")) as f:
        log = f.read()
    block = re.search(r"^scaling \(.*?(?=\n\n|\Z)", log, re.S | re.M)
    print(block.group(0) if block else "  (not in bench.log)")
    for line in log.splitlines():
        if line.startswith("evaluation of ") and "failed" in line:
            print(line)

    print()
    print("== Whole process (benches/run.sh)")
    for key, value in process.items():
        print(f"  {key:<32} {value}")
    size = int(process.get("component_bytes", "0"))
    targets.append(("component under 400 KB (409,600 bytes)", f"{size:,} bytes", 0 < size < 409600))
    start = re.search(r"median ([0-9.]+) ms", process.get("start_to_first_call_cached", ""))
    if start:
        v = float(start.group(1))
        targets.append(("harness start to first plugin call, cached, under 50 ms", f"{v:.1f} ms", v < 50))
    rss = process.get("listing_process_peak_rss_kib")
    accounts = process.get("listing_process_accounts", "")
    if rss:
        gib = int(rss) / 1024 / 1024
        targets.append((f"peak memory listing {accounts.split(' of ')[-1]} accounts under 1 GiB",
                        f"{gib:.2f} GiB", gib < 1))

    print()
    print("== Targets (measured against, not asserted)")
    for what, value, ok in targets:
        print(f"  {verdict(ok):<6} {what}: {value}")


if __name__ == "__main__":
    main()
