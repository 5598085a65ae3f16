#!/usr/bin/env python3
"""One gpu_ops_bench case, kernel against kernel: ember's and PyTorch's under Nsight Compute.

gpu_peer.py times whole ops from the host; this profiles the kernels themselves (duration,
DRAM throughput, occupancy, launch shape, instructions) so a gap can be pinned on the
kernel or on what surrounds it. On the GPU machine:

    python3 benchmarks/ops/kernel_peer.py --ember-bench <bundle>/bin/gpu_ops_bench --only add_bf16_256M

Each side's first --count kernels matching its name pattern are profiled (clocks and caches
left as they are); the table gives the mean of each metric.
"""
import argparse
import collections
import csv
import io
import os
import subprocess
import sys

# The kernels each case times, as regexes over demangled names: (ember, torch). The
# inputs are made by other kernels first (random, astype); --skip passes over warm-ups.
KERNELS = {
    "copy_f32_256M": ("copy", "copy|elementwise"),
    "add_f32_256M": ("binary_(flat|contiguous)<ember::functors::Add, float",
                     "vectorized_elementwise_kernel.*add"),
    "add_bf16_256M": ("binary_(flat|contiguous)<ember::functors::Add, ember::bfloat16_t",
                      "vectorized_elementwise_kernel.*add"),
    "sum_rows_f32_4096x65536": ("reduce_rows", "reduce_kernel"),
    "softmax_bf16_8192x32768": ("softmax", "softmax"),
}
METRICS = [
    "gpu__time_duration.sum",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed",
    "dram__bytes_read.sum",
    "dram__bytes_write.sum",
    "sm__warps_active.avg.pct_of_peak_sustained_active",
    "smsp__inst_executed.sum",
    "launch__grid_size",
    "launch__block_size",
    "launch__registers_per_thread",
    "launch__waves_per_multiprocessor",
]


def profile(ncu, kernel_regex, skip, count, command):
    cmd = [ncu, "--metrics", ",".join(METRICS), "--csv", "--cache-control", "none",
           "--clock-control", "none", "--kernel-name-base", "demangled",
           "-k", f"regex:{kernel_regex}", "--launch-skip", str(skip), "-c", str(count)] + command
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"ncu failed ({proc.returncode}): {proc.stderr[-2000:]}")
    lines = [l for l in proc.stdout.splitlines() if l.startswith('"')]
    sums, counts, names = collections.Counter(), collections.Counter(), set()
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        metric = row.get("Metric Name")
        if metric not in METRICS:
            continue
        value = float(row["Metric Value"].replace(",", ""))
        if metric == "gpu__time_duration.sum":
            unit = row.get("Metric Unit", "nsecond")
            value *= {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3}.get(unit, 1e-3)
        sums[metric] += value
        counts[metric] += 1
        names.add(row["Kernel Name"][:70])
    return {m: sums[m] / counts[m] for m in counts}, sorted(names)


def torch_case(name):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gpu_peer import torch_cases
    torch_cases(name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ember-bench")
    parser.add_argument("--only", default="add_bf16_256M", choices=sorted(KERNELS))
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--skip", type=int, default=5, help="matching kernels passed over first")
    parser.add_argument("--ncu", default="ncu")
    parser.add_argument("--torch-case", help=argparse.SUPPRESS)  # the profiled torch process
    args = parser.parse_args()
    if args.torch_case:
        return torch_case(args.torch_case)
    if not args.ember_bench:
        parser.error("--ember-bench is required")
    ember_regex, torch_regex = KERNELS[args.only]
    ember, ember_names = profile(args.ncu, ember_regex, args.skip, args.count,
                                 [args.ember_bench, "--only", args.only])
    peer, peer_names = profile(args.ncu, torch_regex, args.skip, args.count,
                               [sys.executable, os.path.abspath(__file__), "--torch-case", args.only])
    print(f"{args.only}: ember {ember_names}, torch {peer_names}")
    print(f"{'metric':52} {'ember':>14} {'torch':>14}")
    for metric in METRICS:
        e, t = ember.get(metric), peer.get(metric)
        fmt = lambda v: "-" if v is None else f"{v:14.2f}"
        print(f"{metric:52} {fmt(e):>14} {fmt(t):>14}")


if __name__ == "__main__":
    main()
