#!/usr/bin/env python3
"""Where a decode step's device time goes: per-kernel times of one step, by kernel name.

Runs lm_bench under Nsight Compute (ncu, kernel duration only, kernels inside CUDA graphs
profiled one by one) twice, with G and G + 2 generated tokens, and halves the difference:
what one more decode step costs, kernel by kernel, without having to find where the step
starts in the trace. On the GPU machine:

    python3 benchmarks/lm/profile_decode.py --lm-bench <bundle>/bin/lm_bench --model qwen3

With --prefill, the kernels of one prefill of --prompt-tokens instead.
"""
import argparse
import collections
import csv
import io
import subprocess
import sys
import tempfile

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from lm_peer import make_folder  # noqa: E402


def kernel_times(ncu, lm_bench, folder, prompt, gen, extra):
    cmd = [ncu, "--graph-profiling", "node", "--metrics", "gpu__time_duration.sum", "--csv",
           "--cache-control", "none", "--clock-control", "none",
           lm_bench, "--model", folder, "--device", "gpu", "--prompt-tokens", str(prompt),
           "--gen-tokens", str(gen), "--runs", "1"] + extra
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"ncu failed ({proc.returncode}): {proc.stderr[-2000:]}")
    lines = [l for l in proc.stdout.splitlines() if l.startswith('"')]
    totals, counts = collections.Counter(), collections.Counter()
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(row["Metric Value"].replace(",", ""))
        unit = row.get("Metric Unit", "nsecond")
        scale = {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3}.get(unit, 1e-3)
        name = row["Kernel Name"].replace("void ", "")
        for anonymous in ("(anonymous namespace)::", "<unnamed>::"):
            name = name.replace(anonymous, "")
        name = name.split("(")[0].split("<")[0]
        totals[name] += value * scale
        counts[name] += 1
    return totals, counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lm-bench", required=True)
    parser.add_argument("--model", default="qwen3")
    parser.add_argument("--prompt-tokens", type=int, default=2048)
    parser.add_argument("--gen-tokens", type=int, default=2)
    parser.add_argument("--ncu", default="ncu")
    parser.add_argument("--prefill", action="store_true",
                        help="profile one prefill of --prompt-tokens instead (one run, one "
                             "generated token; a 3-token warm-up prefill is included)")
    parser.add_argument("extra", nargs="*", help="more lm_bench flags (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        make_folder(args.model, folder)
        if args.prefill:
            totals, counts = kernel_times(args.ncu, args.lm_bench, folder, args.prompt_tokens, 1,
                                          args.extra)
            return report(f"prefill of {args.prompt_tokens} tokens, {args.model}", totals, counts)
        a, na = kernel_times(args.ncu, args.lm_bench, folder, args.prompt_tokens, args.gen_tokens, args.extra)
        b, nb = kernel_times(args.ncu, args.lm_bench, folder, args.prompt_tokens, args.gen_tokens + 2, args.extra)
    step = {k: (b[k] - a[k]) / 2 for k in b}
    launches = {k: (nb[k] - na[k]) / 2 for k in nb}
    report(f"one decode step of {args.model}", step, launches)


def report(what, times, launches):
    total = sum(v for v in times.values() if v > 0)
    print(f"{what}: {total:.1f} us of kernel time, {sum(launches.values()):.0f} kernels")
    print(f"{'kernel':60} {'us':>9} {'share':>6} {'count':>6}")
    for name, us in sorted(times.items(), key=lambda kv: -kv[1]):
        if us <= 0.05:
            continue
        print(f"{name[:60]:60} {us:9.1f} {100 * us / total:5.1f}% {launches[name]:6.0f}")


if __name__ == "__main__":
    main()
