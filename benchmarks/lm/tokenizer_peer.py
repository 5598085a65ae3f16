#!/usr/bin/env python3
"""HF `tokenizers` throughput on the same text and tokenizers as tokenizer_bench,
single-threaded (TOKENIZERS_PARALLELISM=false), and the ratio to ember.

  bible -f "Gen1:1-Rev22:21" | cut -d' ' -f2- > /tmp/kjv.txt
  python3 benchmarks/lm/tokenizer_peer.py /tmp/kjv.txt --ember build/bin/tokenizer_bench

With --ember, runs ember's benchmark first and prints both, their ratio, and
whether the id checksums agree (same ids on the whole text).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STYLES = ["qwen3", "llama3", "gpt2", "llama2", "mistral"]


def checksum(ids, h=1469598103934665603):
    for i in ids:
        h = ((h ^ i) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def median_seconds(run):
    run()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("text")
    parser.add_argument("models", nargs="*")
    parser.add_argument("--ember", help="path of tokenizer_bench, to compare in the same run")
    args = parser.parse_args()
    models = args.models or [os.path.join(ROOT, "tests/lm/fixtures/tokenizers", s) for s in STYLES]
    with open(args.text, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    megabytes = len(data) / 1e6

    ember = {}
    if args.ember:
        out = subprocess.run([args.ember, args.text] + args.models, check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines()[1:]:
            name, mode, rate, count, digest = line.split()
            ember[(name, mode)] = (float(rate), int(count), int(digest))

    print(f"{'model':10} {'mode':6} {'HF MB/s':>9} {'ember MB/s':>11} {'ratio':>7}  ids")
    for model in models:
        tokenizer = Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
        tokenizer.encode_special_tokens = True  # as ember's default: no special tokens from text
        name = os.path.basename(model)
        result = {}

        def whole():
            result["whole"] = tokenizer.encode(text, add_special_tokens=False).ids

        def per_line():
            ids = []
            for line in lines:
                ids.extend(tokenizer.encode(line, add_special_tokens=False).ids)
            result["lines"] = ids

        for mode, run in (("whole", whole), ("lines", per_line)):
            seconds = median_seconds(run)
            rate = megabytes / seconds
            ids = result[mode]
            line = f"{name:10} {mode:6} {rate:9.2f}"
            if (name, mode) in ember:
                e_rate, e_count, e_digest = ember[(name, mode)]
                same = e_count == len(ids) and e_digest == checksum(ids)
                line += f" {e_rate:11.2f} {e_rate / rate:7.2f}  {'same' if same else 'DIFFERENT'}"
            print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
