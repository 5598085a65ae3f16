#!/usr/bin/env python3
"""Prefill and decode throughput, ember vs HF transformers (and mlx-lm on MLX's CUDA build
when it imports), batch 1, bf16, on the GPU machine.

Makes random-weight model folders shaped like Qwen3-1.7B and like a Qwen3.5 hybrid of
similar size (transformers writes them; weights are random, so only speed is measured),
times transformers (prefill of --prompt-tokens in one forward; greedy decode of --gen-tokens
with its KV cache), runs ember's lm_bench on the same folder, and prints a table: tokens/s,
ember / transformers, and decode as a fraction of the memory-bandwidth limit
(weight bytes per token / measured copy bandwidth).

    python3 benchmarks/lm/lm_peer.py --lm-bench build/release/bin/lm_bench [--models qwen3,qwen3_5]

mlx-lm runs in a process of its own (mlx_lm_time.py, on the same folder, after ember);
scripts/gpu.sh puts benchmarks/peers/mlx_cuda_pack.py's pack on the path. When it cannot
run, its columns read "-" and the reason is printed. --no-mlx leaves it out.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SHAPES = {
    # Qwen3-1.7B's published shape.
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", dict(
        model_type="qwen3", hidden_size=2048, intermediate_size=6144, num_hidden_layers=28,
        num_attention_heads=16, num_key_value_heads=8, head_dim=128, vocab_size=151936,
        tie_word_embeddings=True, max_position_embeddings=40960, rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})),
    # A Qwen3.5-style hybrid of similar size: 3 Gated DeltaNet layers per gated-attention layer.
    "qwen3_5": ("Qwen3_5TextConfig", "Qwen3_5ForCausalLM", dict(
        hidden_size=2048, intermediate_size=6144, num_hidden_layers=24,
        layer_types=(["linear_attention"] * 3 + ["full_attention"]) * 6,
        num_attention_heads=8, num_key_value_heads=2, head_dim=256, vocab_size=151936,
        linear_num_key_heads=16, linear_num_value_heads=16, linear_key_head_dim=128,
        linear_value_head_dim=128, linear_conv_kernel_dim=4, tie_word_embeddings=True,
        max_position_embeddings=262144, rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 10000000.0,
                         "partial_rotary_factor": 0.25})),
}


def make_folder(name, out):
    import torch
    import transformers
    cfg_name, model_name, fields = SHAPES[name]
    config = getattr(transformers, cfg_name)(**{k: v for k, v in fields.items() if k != "model_type"})
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = getattr(transformers, model_name)(config).to(torch.bfloat16)
    model.save_pretrained(out)
    return model


def time_transformers(model, vocab, prompt_tokens, gen_tokens, runs):
    import torch
    model.eval()
    ids = torch.randint(0, vocab, (1, prompt_tokens), device="cuda",
                        generator=torch.Generator("cuda").manual_seed(7))
    best_prefill, best_decode = 1e30, 1e30
    with torch.inference_mode():
        model(ids[:, :16])  # warm-up
        for _ in range(runs):
            torch.cuda.synchronize()
            start = time.perf_counter()
            out = model(ids, use_cache=True)
            token = out.logits[:, -1].argmax(-1, keepdim=True)
            torch.cuda.synchronize()
            best_prefill = min(best_prefill, time.perf_counter() - start)
            cache = out.past_key_values
            start = time.perf_counter()
            for _ in range(gen_tokens):
                out = model(token, past_key_values=cache, use_cache=True)
                cache = out.past_key_values
                token = out.logits[:, -1].argmax(-1, keepdim=True)
            torch.cuda.synchronize()
            best_decode = min(best_decode, time.perf_counter() - start)
    return prompt_tokens / best_prefill, gen_tokens / best_decode


def time_mlx_lm(name, folder, args):
    """mlx_lm_time.py's figures on `folder` ({prefill_tps, decode_tps, ...}), or None with the
    reason printed."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlx_lm_time.py")
    result = subprocess.run(
        [sys.executable, script, "--model", folder, "--prompt-tokens", str(args.prompt_tokens),
         "--gen-tokens", str(args.gen_tokens), "--runs", str(args.runs)],
        capture_output=True, text=True)
    if result.returncode != 0:
        print(f"[{name}] mlx-lm not measured: {result.stderr.strip()[-600:]}", flush=True)
        return None
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if "gpu" not in figures["device"]:
        print(f"[{name}] mlx-lm not counted: it ran on {figures['device']}", flush=True)
        return None
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lm-bench", required=True)
    parser.add_argument("--models", default="qwen3,qwen3_5")
    parser.add_argument("--prompt-tokens", type=int, default=2048)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ab-decode-graphs", action="store_true",
                        help="also run lm_bench --no-step-graphs and --no-decode-graphs on each folder (same lease A/B)")
    parser.add_argument("--ab-env", action="append", default=[], metavar="VAR=VALUE",
                        help="also run lm_bench with VAR=VALUE in its environment (same lease A/B, "
                             "e.g. EMBER_CUDA_PDL=0); repeatable")
    parser.add_argument("--no-mlx", action="store_true", help="leave mlx-lm out")
    args = parser.parse_args()
    rows = []
    for name in args.models.split(","):
        with tempfile.TemporaryDirectory() as folder:
            model = make_folder(name, folder)
            vocab = model.config.vocab_size
            hf_prefill, hf_decode = time_transformers(model, vocab, args.prompt_tokens,
                                                      args.gen_tokens, args.runs)
            del model
            import torch
            torch.cuda.empty_cache()
            result = subprocess.run(
                [args.lm_bench, "--model", folder, "--device", "gpu", "--prompt-tokens",
                 str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens), "--runs",
                 str(args.runs)], capture_output=True, text=True)
            mlx = None if args.no_mlx else time_mlx_lm(name, folder, args)
            if result.returncode != 0:
                print(f"[{name}] ember lm_bench failed:\n{result.stderr[-3000:]}", file=sys.stderr)
                rows.append((name, hf_prefill, None, hf_decode, None, None, mlx))
                continue
            # EMBER_CUDA_PROFILE=1 in the environment: lm_bench's launch profile.
            for line in result.stderr.splitlines():
                if line.startswith("[EMBER_CUDA_PROFILE]"):
                    print(f"[{name}] {line}", flush=True)
            ember = json.loads(result.stdout.strip().splitlines()[-1])
            if args.ab_decode_graphs:
                # Same lease: whole-step graphs (the default) against decode segments
                # (--no-step-graphs) and against no graphs at all (--no-decode-graphs).
                report = [f"step graphs {ember['decode_tps']:.1f} tok/s ({ember['decode_step_nodes']} nodes)"]
                for flag, label in (("--no-step-graphs", "segments"), ("--no-decode-graphs", "no graphs")):
                    other = subprocess.run(
                        [args.lm_bench, "--model", folder, "--device", "gpu", "--prompt-tokens",
                         str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens), "--runs",
                         str(args.runs), flag], capture_output=True, text=True)
                    if other.returncode == 0:
                        off = json.loads(other.stdout.strip().splitlines()[-1])
                        report.append(f"{label} {off['decode_tps']:.1f} tok/s "
                                      f"({off['decode_step_nodes']} nodes)")
                    else:
                        report.append(f"{label} failed: {other.stderr.strip()[-300:]}")
                print(f"[{name}] A/B decode: " + ", ".join(report), flush=True)
            for setting in args.ab_env:
                var, _, value = setting.partition("=")
                other = subprocess.run(
                    [args.lm_bench, "--model", folder, "--device", "gpu", "--prompt-tokens",
                     str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens), "--runs",
                     str(args.runs)], capture_output=True, text=True,
                    env={**os.environ, var: value})
                if other.returncode == 0:
                    off = json.loads(other.stdout.strip().splitlines()[-1])
                    print(f"[{name}] A/B {setting}: decode {off['decode_tps']:.1f} tok/s, prefill "
                          f"{off['prefill_tps']:.1f} (default: {ember['decode_tps']:.1f}, "
                          f"{ember['prefill_tps']:.1f})", flush=True)
                else:
                    print(f"[{name}] A/B {setting} failed: {other.stderr.strip()[-300:]}", flush=True)
            rows.append((name, hf_prefill, ember["prefill_tps"], hf_decode, ember["decode_tps"],
                         ember["decode_bandwidth_fraction"], mlx))
            print(json.dumps({"model": name, "hf_prefill_tps": hf_prefill,
                              "hf_decode_tps": hf_decode, "ember": ember, "mlx_lm": mlx}), flush=True)

    def fmt(v, w, p=1):
        return f"{v:{w}.{p}f}" if v is not None else f"{'-':>{w}}"

    def ratio(ours, theirs):
        return ours / theirs if ours and theirs else None

    print(f"\n{'model':8} {'prefill HF':>11} {'mlx-lm':>9} {'ember':>9} {'/HF':>6} {'/mlx':>6} "
          f"{'decode HF':>10} {'mlx-lm':>8} {'ember':>8} {'/HF':>6} {'/mlx':>6} {'of BW limit':>11}")
    for name, hp, ep, hd, ed, frac, mlx in rows:
        mp, md = (mlx["prefill_tps"], mlx["decode_tps"]) if mlx else (None, None)
        print(f"{name:8} {fmt(hp, 11)} {fmt(mp, 9)} {fmt(ep, 9)} {fmt(ratio(ep, hp), 6, 2)} "
              f"{fmt(ratio(ep, mp), 6, 2)} {fmt(hd, 10)} {fmt(md, 8)} {fmt(ed, 8)} "
              f"{fmt(ratio(ed, hd), 6, 2)} {fmt(ratio(ed, md), 6, 2)} "
              f"{fmt(frac * 100 if frac is not None else None, 10)}%")


if __name__ == "__main__":
    main()
