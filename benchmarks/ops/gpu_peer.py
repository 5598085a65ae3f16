#!/usr/bin/env python3
"""GPU op throughput, ember vs PyTorch (and MLX's CUDA build when it can be imported), same
machine, same run (issue 4's speed targets).

Runs ember's gpu_ops_bench (one JSON line per case), then the same work in PyTorch eager
(median of 10 timed runs after 3 warm-ups, each 8 ops then a CUDA synchronise), and prints a table:
ember and torch figures and ember / torch, where higher is better for GB/s and GFLOP/s and
lower is better for us/node and us/eval (the ratio is then torch / ember so that > 1 means ember wins).

    python3 benchmarks/ops/gpu_peer.py --ember-bench build/cuda/benchmarks/gpu_ops_bench

--only NAME runs one case on both sides; --softmax-variants resident,pipelined,cluster,cluster128
adds ember's softmax row under each EMBER_CUDA_SOFTMAX value (backend/cuda/softmax_rows.cu);
--ab-env VAR=VALUE adds ember's figure of every row under that setting.

MLX: when `import mlx.core` works and its default device is the GPU (scripts/gpu.sh puts
benchmarks/peers/mlx_cuda_pack.py's pack on the path), every case also runs in MLX, timed
the same way as ember (a burst of 8 lazy results evaluated together), and the table gains
the columns mlx and ember/mlx. The replayed chain has no MLX row: mx.compile would fuse the
10k adds into one kernel, a different computation. --no-mlx leaves MLX out.
"""
import argparse
import json
import os
import subprocess
import time

import torch


BURST = 8  # ops per timed call, as in gpu_ops_bench.cpp (the chain is one op of its own)


def median_per_op_ms(timed, per_call, runs=10, warmup=3):
    """Median ms per op of `timed()`, a call that runs `per_call` ops and returns once the
    device has finished them."""
    for _ in range(warmup):
        timed()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        timed()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3 / per_call


def median_ms(fn, burst=BURST):
    """PyTorch: each timed call runs `burst` ops back to back and synchronises."""
    def timed():
        for _ in range(burst):
            fn()
        torch.cuda.synchronize()
    return median_per_op_ms(timed, burst)


def torch_cases(only=None):
    """The PyTorch figures, {name: (unit, work, ms)}; with `only`, just that case."""
    def wanted(*names):
        return only is None or only in names

    n = 1 << 28
    dev = "cuda"
    out = {}
    if wanted("copy_f32_256M", "add_f32_256M"):
        x = torch.rand(n, device=dev)
        y = torch.rand(n, device=dev)
        out["copy_f32_256M"] = ("GB/s", 2.0 * n * 4, median_ms(lambda: x.clone()))
        out["add_f32_256M"] = ("GB/s", 3.0 * n * 4, median_ms(lambda: x + y))
        del x, y
    if wanted("add_bf16_256M"):
        xb = torch.rand(n, device=dev, dtype=torch.bfloat16)
        yb = torch.rand(n, device=dev, dtype=torch.bfloat16)
        out["add_bf16_256M"] = ("GB/s", 3.0 * n * 2, median_ms(lambda: xb + yb))
        del xb, yb
    if wanted("sum_rows_f32_4096x65536"):
        r = torch.rand(4096, 65536, device=dev)
        out["sum_rows_f32_4096x65536"] = ("GB/s", 4096.0 * 65536 * 4, median_ms(lambda: r.sum(-1)))
        del r
    if wanted("softmax_bf16_8192x32768"):
        s = torch.rand(8192, 32768, device=dev, dtype=torch.bfloat16)
        out["softmax_bf16_8192x32768"] = ("GB/s", 2.0 * 8192 * 32768 * 2,
                                          median_ms(lambda: torch.softmax(s, -1)))
        del s
    if wanted("attention_decode_bf16_4096", "attention_decode_bf16_2176_of_4096"):
        q = torch.rand(1, 16, 1, 128, device=dev, dtype=torch.bfloat16)
        k = torch.rand(1, 8, 4096, 128, device=dev, dtype=torch.bfloat16)
        v = torch.rand(1, 8, 4096, 128, device=dev, dtype=torch.bfloat16)
        sdpa = torch.nn.functional.scaled_dot_product_attention
        out["attention_decode_bf16_4096"] = ("GB/s", 2.0 * 8 * 4096 * 128 * 2,
                                             median_ms(lambda: sdpa(q, k, v, enable_gqa=True)))
        valid = (torch.arange(4096, device=dev) < 2176).view(1, 1, 1, 4096)
        out["attention_decode_bf16_2176_of_4096"] = (
            "GB/s", 2.0 * 8 * 2176 * 128 * 2,
            median_ms(lambda: sdpa(q, k, v, attn_mask=valid, enable_gqa=True)))
        del q, k, v
    if wanted("attention_prefill_bf16_2048"):
        q = torch.rand(1, 16, 2048, 128, device=dev, dtype=torch.bfloat16)
        k = torch.rand(1, 8, 2048, 128, device=dev, dtype=torch.bfloat16)
        v = torch.rand(1, 8, 2048, 128, device=dev, dtype=torch.bfloat16)
        sdpa = torch.nn.functional.scaled_dot_product_attention
        out["attention_prefill_bf16_2048"] = (
            "GFLOP/s", 2.0 * 2 * 2048 * 2048 * 128 * 16 / 2,
            median_ms(lambda: sdpa(q, k, v, is_causal=True, enable_gqa=True)))
        del q, k, v
    for cols, depth in ((2048, 2048), (4096, 2048), (12288, 2048), (2048, 6144)):
        if not wanted(f"gemv_bf16_{cols}x{depth}"):
            continue
        weights = [torch.rand(cols, depth, device=dev, dtype=torch.bfloat16) for _ in range(BURST)]
        xv = torch.rand(1, depth, device=dev, dtype=torch.bfloat16)
        turn = iter(range(1 << 30))
        out[f"gemv_bf16_{cols}x{depth}"] = (
            "GB/s", 2.0 * cols * depth,
            median_ms(lambda: xv @ weights[next(turn) % BURST].t()))
        del weights
    if wanted("matmul_bf16_8192"):
        a = torch.rand(8192, 8192, device=dev, dtype=torch.bfloat16)
        b = torch.rand(8192, 8192, device=dev, dtype=torch.bfloat16)
        out["matmul_bf16_8192"] = ("GFLOP/s", 2.0 * 8192 ** 3, median_ms(lambda: a @ b))
        del a, b
    if wanted("matmul_f32_4096"):
        torch.backends.cuda.matmul.allow_tf32 = os.environ.get("EMBER_CUDA_TF32") == "1"
        a = torch.rand(4096, 4096, device=dev)
        b = torch.rand(4096, 4096, device=dev)
        out["matmul_f32_4096"] = ("GFLOP/s", 2.0 * 4096 ** 3, median_ms(lambda: a @ b))
    if not wanted("chain_10k_small_adds", "chain_10k_small_adds_replayed", "eval_round_trip"):
        return out
    small = torch.rand(16, device=dev)
    one = torch.rand(16, device=dev)
    if wanted("eval_round_trip"):
        out["eval_round_trip"] = ("us/eval", 1, median_ms(lambda: small + one, burst=1))
    if not wanted("chain_10k_small_adds", "chain_10k_small_adds_replayed"):
        return out

    def chain():
        v = small
        for _ in range(10000):
            v = v + one
        return v
    out["chain_10k_small_adds"] = ("us/node", 10000, median_ms(chain, burst=1))
    # The chain captured once and replayed (torch.cuda.CUDAGraph), as ember's capture_graph:
    # each call copies the input in, replays and copies the result out.
    static_in = small.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(2):
            v = static_in
            for _ in range(10000):
                v = v + one
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_out = static_in
        for _ in range(10000):
            static_out = static_out + one

    def replay():
        static_in.copy_(small)
        graph.replay()
        return static_out.clone()
    out["chain_10k_small_adds_replayed"] = ("us/node", 10000, median_ms(replay, burst=1))
    return out


def mlx_cases(mx, only=None):
    """MLX's figures, {name: (unit, work, ms)}, timed as ember's gpu_ops_bench times its
    own: each timed call builds a burst of lazy results and evaluates them together."""
    def wanted(*names):
        return only is None or only in names

    def median_eval_ms(build, burst=BURST):
        def timed():
            mx.eval([build() for _ in range(burst)])
            mx.synchronize()
        return median_per_op_ms(timed, burst)

    def rand(shape, dtype=mx.float32):
        x = mx.random.uniform(shape=shape).astype(dtype)
        mx.eval(x)
        return x

    n = 1 << 28
    out = {}
    if wanted("copy_f32_256M", "add_f32_256M"):
        x, y = rand((n,)), rand((n,))
        # mlx.core has no copy op; x * 1.0 reads and writes the same bytes as one.
        out["copy_f32_256M"] = ("GB/s", 2.0 * n * 4, median_eval_ms(lambda: x * 1.0))
        out["add_f32_256M"] = ("GB/s", 3.0 * n * 4, median_eval_ms(lambda: x + y))
        del x, y
    if wanted("add_bf16_256M"):
        xb, yb = rand((n,), mx.bfloat16), rand((n,), mx.bfloat16)
        out["add_bf16_256M"] = ("GB/s", 3.0 * n * 2, median_eval_ms(lambda: xb + yb))
        del xb, yb
    if wanted("sum_rows_f32_4096x65536"):
        r = rand((4096, 65536))
        out["sum_rows_f32_4096x65536"] = ("GB/s", 4096.0 * 65536 * 4,
                                          median_eval_ms(lambda: mx.sum(r, axis=-1)))
        del r
    if wanted("softmax_bf16_8192x32768"):
        s = rand((8192, 32768), mx.bfloat16)
        out["softmax_bf16_8192x32768"] = ("GB/s", 2.0 * 8192 * 32768 * 2,
                                          median_eval_ms(lambda: mx.softmax(s, axis=-1)))
        del s
    sdpa = mx.fast.scaled_dot_product_attention
    if wanted("attention_decode_bf16_4096", "attention_decode_bf16_2176_of_4096"):
        q = rand((1, 16, 1, 128), mx.bfloat16)
        k = rand((1, 8, 4096, 128), mx.bfloat16)
        v = rand((1, 8, 4096, 128), mx.bfloat16)
        scale = 128 ** -0.5
        out["attention_decode_bf16_4096"] = ("GB/s", 2.0 * 8 * 4096 * 128 * 2,
                                             median_eval_ms(lambda: sdpa(q, k, v, scale=scale)))
        valid = (mx.arange(4096) < 2176).reshape(1, 1, 1, 4096)
        out["attention_decode_bf16_2176_of_4096"] = (
            "GB/s", 2.0 * 8 * 2176 * 128 * 2,
            median_eval_ms(lambda: sdpa(q, k, v, scale=scale, mask=valid)))
        del q, k, v
    if wanted("attention_prefill_bf16_2048"):
        q = rand((1, 16, 2048, 128), mx.bfloat16)
        k = rand((1, 8, 2048, 128), mx.bfloat16)
        v = rand((1, 8, 2048, 128), mx.bfloat16)
        out["attention_prefill_bf16_2048"] = (
            "GFLOP/s", 2.0 * 2 * 2048 * 2048 * 128 * 16 / 2,
            median_eval_ms(lambda: sdpa(q, k, v, scale=128 ** -0.5, mask="causal")))
        del q, k, v
    for cols, depth in ((2048, 2048), (4096, 2048), (12288, 2048), (2048, 6144)):
        if not wanted(f"gemv_bf16_{cols}x{depth}"):
            continue
        weights = [rand((cols, depth), mx.bfloat16) for _ in range(BURST)]
        xv = rand((1, depth), mx.bfloat16)
        turn = iter(range(1 << 30))
        out[f"gemv_bf16_{cols}x{depth}"] = (
            "GB/s", 2.0 * cols * depth,
            median_eval_ms(lambda: xv @ weights[next(turn) % BURST].T))
        del weights
    if wanted("matmul_bf16_8192"):
        a, b = rand((8192, 8192), mx.bfloat16), rand((8192, 8192), mx.bfloat16)
        out["matmul_bf16_8192"] = ("GFLOP/s", 2.0 * 8192 ** 3, median_eval_ms(lambda: a @ b))
        del a, b
    if wanted("matmul_f32_4096"):
        a, b = rand((4096, 4096)), rand((4096, 4096))
        out["matmul_f32_4096"] = ("GFLOP/s", 2.0 * 4096 ** 3, median_eval_ms(lambda: a @ b))
        del a, b
    small, one = rand((16,)), rand((16,))
    if wanted("eval_round_trip"):
        out["eval_round_trip"] = ("us/eval", 1, median_eval_ms(lambda: small + one, burst=1))
    if wanted("chain_10k_small_adds"):
        def chain():
            v = small
            for _ in range(10000):
                v = v + one
            return v
        out["chain_10k_small_adds"] = ("us/node", 10000, median_eval_ms(chain, burst=1))
    return out


def import_mlx():
    """mlx.core when it imports and runs on a GPU, else None (with the reason printed)."""
    try:
        import mlx.core as mx
    except Exception as error:  # an ImportError, or a missing CUDA library under it
        print(f"MLX: not used ({type(error).__name__}: {error})")
        return None
    if mx.default_device() != mx.gpu:
        print(f"MLX: not used (its default device is {mx.default_device()}, not the GPU)")
        return None
    return mx


def run_ember(bench, only, softmax_variant=None, extra_env=None):
    """gpu_ops_bench's rows, {name: row}; EMBER_CUDA_SOFTMAX set to `softmax_variant` if
    given, and `extra_env` ({name: value}) added to the environment."""
    env = dict(os.environ)
    if softmax_variant is not None:
        env["EMBER_CUDA_SOFTMAX"] = softmax_variant
    env.update(extra_env or {})
    proc = subprocess.run([bench] + (["--only", only] if only else []), capture_output=True,
                          text=True, env=env)
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            rows[row["name"]] = row
    if proc.returncode != 0:
        print(f"gpu_ops_bench exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ember-bench", required=True)
    parser.add_argument("--only", help="one case (a gpu_ops_bench name) on both sides")
    parser.add_argument("--softmax-variants",
                        help="comma-separated EMBER_CUDA_SOFTMAX values: ember's softmax row "
                             "once per value, e.g. resident,pipelined,cluster,cluster128")
    parser.add_argument("--ab-env", action="append", default=[], metavar="VAR=VALUE",
                        help="also run ember's bench with VAR=VALUE set (repeatable): every row "
                             "gets a second ember figure under that setting, same lease")
    parser.add_argument("--no-mlx", action="store_true", help="leave MLX out")
    args = parser.parse_args()
    ember = run_ember(args.ember_bench, args.only)
    settings = {}
    for setting in args.ab_env:
        name, _, value = setting.partition("=")
        settings[setting] = run_ember(args.ember_bench, args.only, extra_env={name: value})
    variants = {}
    softmax_case = "softmax_bf16_8192x32768"
    if args.softmax_variants and (args.only is None or args.only == softmax_case):
        for variant in args.softmax_variants.split(","):
            variants[variant] = run_ember(args.ember_bench, softmax_case, variant).get(softmax_case)
    peer = torch_cases(args.only)
    torch.cuda.empty_cache()
    mx = None if args.no_mlx else import_mlx()
    mlx_peer = mlx_cases(mx, args.only) if mx is not None else {}

    def value(unit, work, ms):
        return ms * 1e3 / work if unit.startswith("us/") else work / (ms * 1e-3) / 1e9

    def ratio(unit, ours, theirs):  # > 1 means ember is faster
        if ours is None or theirs is None:
            return f"{'-':>12}"
        return f"{(theirs / ours if unit.startswith('us/') else ours / theirs):12.2f}"

    def figure(x):
        return f"{'-':>10}" if x is None else f"{x:10.2f}"

    header = f"\n{'case':26} {'unit':8} {'ember':>10} {'torch':>10} {'ember/torch':>12}"
    print(header + (f" {'mlx':>10} {'ember/mlx':>12}" if mx is not None else ""))
    for name, (unit, work, ms) in peer.items():
        torch_value = value(unit, work, ms)
        mlx_value = value(*mlx_peer[name]) if name in mlx_peer else None
        rows = [(name, ember.get(name))]
        if name == softmax_case:
            rows += [(f"  {name[:7]} {variant}", row) for variant, row in variants.items()]
        rows += [(f"  {setting}", result.get(name)) for setting, result in settings.items()]
        for label, row in rows:
            e = row["value"] if row else None
            line = f"{label:26} {unit:8} {figure(e)} {torch_value:10.2f} {ratio(unit, e, torch_value)}"
            if mx is not None:
                line += f" {figure(mlx_value)} {ratio(unit, e, mlx_value)}"
            print(line)
    copy = ember.get("copy_f32_256M")
    if copy:
        for name in ("add_f32_256M", "add_bf16_256M"):
            if name in ember:
                print(f"{name}: {ember[name]['value'] / copy['value'] * 100:.0f}% of ember's copy bandwidth")


if __name__ == "__main__":
    main()
