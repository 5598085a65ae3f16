#!/usr/bin/env python3
"""Times mlx-lm on one HF-format model folder: prefill and greedy decode at batch 1, the way
an mlx-lm user runs it (mlx_lm.generate.generate_step, which overlaps each step's graph
building with the previous step's evaluation). Prints one JSON line. lm_peer.py runs it in
a process of its own, so MLX and PyTorch never share a process.

    python3 benchmarks/lm/mlx_lm_time.py --model FOLDER [--prompt-tokens 2048 --gen-tokens 128 --runs 3]

prefill_tps is prompt tokens over the time to the first generated token (the prompt's
forward pass and the first argmax); decode_tps is the next --gen-tokens tokens over their
time. Each is the best of --runs, as lm_peer.py takes transformers' figures.
"""
import argparse
import json
import time
from pathlib import Path

import mlx.core as mx
from mlx_lm.generate import generate_step
from mlx_lm.models.cache import make_prompt_cache
from mlx_lm.utils import load_config, load_model

# HF model types with no mlx_lm.models module of the same name, and the module that reads them.
MODEL_TYPES = {"qwen3_5_text": "qwen3_5", "qwen3_5_moe_text": "qwen3_5_moe"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt-tokens", type=int, default=2048)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(args.model)
    model_type = load_config(folder)["model_type"]
    override = {"model_type": MODEL_TYPES[model_type]} if model_type in MODEL_TYPES else None
    model, config = load_model(folder, model_config=override)
    vocab = config.get("vocab_size") or config["text_config"]["vocab_size"]
    prompt = mx.random.randint(0, vocab, (args.prompt_tokens,), key=mx.random.key(7))
    mx.eval(prompt)

    def run(gen_tokens):
        """Seconds to the first token, then seconds for the `gen_tokens` after it."""
        cache = make_prompt_cache(model)
        steps = generate_step(prompt, model, max_tokens=gen_tokens + 1, prompt_cache=cache)
        start = time.perf_counter()
        token, _ = next(steps)
        token = int(token)  # generate_step yields evaluated tokens; this is a host read
        first = time.perf_counter()
        count = sum(1 for _ in steps)
        end = time.perf_counter()
        if count != gen_tokens:
            raise RuntimeError(f"mlx-lm generated {count} tokens after the first, not {gen_tokens}")
        return first - start, end - first

    run(8)  # warm-up: kernels compiled, buffers cached
    best_prefill, best_decode = 1e30, 1e30
    for _ in range(args.runs):
        prefill, decode = run(args.gen_tokens)
        best_prefill, best_decode = min(best_prefill, prefill), min(best_decode, decode)
    print(json.dumps({"mlx_version": mx.__version__, "model_type": model_type,
                      "device": str(mx.default_device()),
                      "prefill_tps": args.prompt_tokens / best_prefill,
                      "decode_tps": args.gen_tokens / best_decode,
                      "peak_memory_gb": mx.get_peak_memory() / 1e9}))


if __name__ == "__main__":
    main()
