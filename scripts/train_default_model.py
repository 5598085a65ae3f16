#!/usr/bin/env python3
"""Trains ember's built-in default model (models/default/): a small Qwen3.5-style hybrid.

What it makes: a Hugging Face model folder that `ember generate` uses when no
--model is given:
  config.json, model.safetensors   Qwen3_5ForCausalLM (text-only Qwen3.5 hybrid), bf16:
                                   hidden 256, 6 layers [GDN, GDN, attention, GDN, GDN,
                                   attention], 4 query / 2 KV heads of 64, gated attention
                                   with partial RoPE, MLP 704, tied embeddings (~12 MB)
  tokenizer.json                   its own byte-level BPE (4096 tokens, Qwen3 style: NFC,
                                   the Qwen2 split regex, ByteLevel; <|endoftext|>,
                                   <|im_start|>, <|im_end|>)
  tokenizer_config.json            eos/pad tokens and a ChatML chat template
  generation_config.json           eos ids, temperature 0.8, top_p 0.95
  README.md                        provenance, settings and final losses
trained on the King James Bible (public domain; Debian package bible-kjv), as
plain text and as ChatML turns (a verse's opening words or its reference as the
user turn, the verse and what follows as the assistant turn), so that it answers
in KJV style whether or not the chat template is applied.

How to run it:
  1. Here (a machine with the `bible` program: apt-get install bible-kjv), write the
     corpus, one verse a line ("Genesis 1:1<TAB>In the beginning ..."), ~4.8 MB:
       python3 scripts/train_default_model.py --dump-corpus models/kjv.txt
  2. Carry models/kjv.txt to the GPU machine with the working tree, and there run:
       python3 scripts/train_default_model.py --corpus models/kjv.txt --device cuda
     It trains for --minutes (default 6) of wall time, picking the number of steps
     from the measured step time (a cosine schedule over them), keeps the weights
     with the best held-out loss, samples a few continuations, writes --out
     (default models/default) and prints its size (must be <= 20 MB).
  A CPU smoke test (a few steps, tiny batch, written to /tmp):
       python3 scripts/train_default_model.py --corpus models/kjv.txt --device cpu \\
           --steps 5 --batch-size 2 --out /tmp/default-test

Needs: torch, transformers (5.17 or later: Qwen3_5ForCausalLM), tokenizers,
safetensors, numpy; without flash-linear-attention transformers runs the Gated
DeltaNet layers with its PyTorch fallback, which this script is sized for.
No network (HF_HUB_OFFLINE=1). Seeded (model init, tokenizer, batches), but
training on a GPU is not bitwise reproducible (atomic adds in the backward pass).
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

BOOKS = [
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth",
    "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra",
    "Nehemiah", "Esther", "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon",
    "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
    "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah",
    "Malachi", "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians",
    "2 Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians", "1 Thessalonians",
    "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews", "James",
    "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation",
]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")
SAMPLE_PROMPTS = ["In the beginning", "And the LORD said unto Moses", "Blessed are the"]
CHAT_PROMPTS = ["And it came to pass", "John 3:16"]
MAX_BYTES = 20 * 1000 * 1000
OUTPUT_FILES = ["config.json", "model.safetensors.index.json", "tokenizer.json",
                "tokenizer_config.json", "generation_config.json", "chat_template.jinja",
                "special_tokens_map.json", "README.md"]


def parse_args():
    p = argparse.ArgumentParser(
        description="Train ember's built-in default model (a small Qwen3.5-style hybrid) on the "
                    "King James Bible, or dump that corpus to a file.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="Typical use: --dump-corpus models/kjv.txt here, then on the GPU machine: "
               "--corpus models/kjv.txt --device cuda")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dump-corpus", metavar="FILE",
                      help="write the KJV (via the `bible` program of Debian's bible-kjv) to "
                           "FILE, one 'Book C:V<TAB>text' line a verse, and exit")
    mode.add_argument("--corpus", metavar="FILE", help="the corpus file --dump-corpus wrote")
    p.add_argument("--out", default=str(ROOT / "models" / "default"), help="output model folder")
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--minutes", type=float, default=6.0,
                   help="wall-clock budget of the training loop (tokenizer, sampling and "
                        "saving come on top, about a minute)")
    p.add_argument("--steps", type=int, default=None,
                   help="train exactly this many steps (still stopped by --minutes)")
    p.add_argument("--batch-size", type=int, default=64, help="sequences per step")
    p.add_argument("--seq-len", type=int, default=256, help="tokens per sequence")
    p.add_argument("--lr", type=float, default=1.5e-3, help="peak learning rate (AdamW)")
    p.add_argument("--min-lr-ratio", type=float, default=0.1, help="final lr / peak lr")
    p.add_argument("--warmup", type=int, default=100, help="linear warmup steps")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--dropout", type=float, default=0.1,
                   help="dropout on each attention/GDN/MLP block's output during training only "
                        "(the corpus is small: ~1M tokens); the saved model has none")
    p.add_argument("--chat-fraction", type=float, default=0.25,
                   help="fraction of sequences made of ChatML turns")
    p.add_argument("--vocab-size", type=int, default=4096, help="tokenizer size incl. specials")
    p.add_argument("--eval-every", type=int, default=250, help="steps between held-out evals")
    p.add_argument("--log-every", type=int, default=100, help="steps between loss lines")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--sample-tokens", type=int, default=80,
                   help="tokens per sample printed at the end")
    return p.parse_args()


# ----------------------------------------------------------------------------------------------
# Corpus

def dump_corpus(path):
    if shutil.which("bible") is None:
        sys.exit("the `bible` program is missing: apt-get install bible-kjv")
    text = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], check=True, capture_output=True,
                          text=True).stdout
    ref = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$")
    abbrevs, lines = [], []
    for raw in text.splitlines():
        m = ref.match(raw)
        if not m:
            if raw.strip():
                sys.exit(f"unexpected line from bible: {raw[:80]!r}")
            continue
        abbrev, chapter, verse, body = m.groups()
        if not abbrevs or abbrevs[-1] != abbrev:
            abbrevs.append(abbrev)
        book = BOOKS[len(abbrevs) - 1]
        lines.append(f"{book} {int(chapter)}:{int(verse)}\t{' '.join(body.split())}")
    if len(abbrevs) != len(BOOKS):
        sys.exit(f"expected {len(BOOKS)} books, found {len(abbrevs)}")
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}: {len(lines)} verses, {os.path.getsize(path)} bytes")


def read_corpus(path):
    """[(book, chapter, verse, text)] in order."""
    verses = []
    pat = re.compile(r"^(.+) (\d+):(\d+)$")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            ref, _, text = line.partition("\t")
            m = pat.match(ref)
            if not m or not text:
                sys.exit(f"{path}:{n}: not a 'Book C:V<TAB>text' line")
            verses.append((m.group(1), int(m.group(2)), int(m.group(3)), text))
    if len(verses) < 30000:
        print(f"warning: {path} has only {len(verses)} verses (the KJV has 31102)")
    return verses


def chapters_of(verses):
    """[(book, chapter, [(verse, text)])], in order."""
    out = []
    for book, ch, v, text in verses:
        if not out or out[-1][0] != book or out[-1][1] != ch:
            out.append((book, ch, []))
        out[-1][2].append((v, text))
    return out


# ----------------------------------------------------------------------------------------------
# Tokenizer: Qwen3-style byte-level BPE, built the way scripts/make_tokenizer_fixtures.py does.

def build_tokenizer(verses, vocab_size):
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from make_tokenizer_fixtures import (QWEN2_RE, added, bpe_model, byte_level, document,
                                         split_regex, train)
    from tokenizers import Regex
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_RE), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    lines = [text for _, _, _, text in verses] + sorted(set(b for b, _, _, _ in verses))
    vocab, merges = train(pre, normalizers.NFC(), vocab_size - len(SPECIALS), lines,
                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    n = len(vocab)
    tokens = [added(n + i, c, True) for i, c in enumerate(SPECIALS)]
    doc = document(
        bpe_model(vocab, merges, pair_merges=True), tokens, {"type": "NFC"},
        {"type": "Sequence", "pretokenizers": [split_regex(QWEN2_RE), byte_level(False)]},
        byte_level(False), byte_level(False))
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return doc, Tokenizer.from_str(text), text


# ----------------------------------------------------------------------------------------------
# Data: a token stream of plain text, and a pool of ChatML examples.

def chatml(user, assistant):
    return (f"<|im_start|>user\n{user}<|im_end|>\n"
            f"<|im_start|>assistant\n{assistant}<|im_end|>\n")


def build_data(tok, verses, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    chapters = chapters_of(verses)
    # Every 40th chapter is held out for the validation loss.
    held = {i for i in range(len(chapters)) if i % 40 == 39}
    eot = tok.token_to_id("<|endoftext|>")

    def stream(indices):
        texts, books = [], []
        for i in indices:
            book, ch, vs = chapters[i]
            texts.append("\n".join(t for _, t in vs) + "\n\n")
            books.append(book)
        ids = []
        for k, enc in enumerate(tok.encode_batch(texts, add_special_tokens=False)):
            ids.extend(enc.ids)
            if k + 1 == len(books) or books[k + 1] != books[k]:
                ids.append(eot)  # a book ends
        return np.array(ids, dtype=np.int64)

    train_idx = [i for i in range(len(chapters)) if i not in held]
    train_stream = stream(train_idx)
    val_stream = stream(sorted(held))

    # Chat turns from the training chapters: (a) a verse's first words -> the verse and up
    # to two more; (b) a reference -> its verse.
    chats = []
    for i in train_idx:
        book, ch, vs = chapters[i]
        for j, (v, text) in enumerate(vs):
            words = text.split()
            k = int(rng.integers(2, 7))
            if len(words) > k:
                more = int(rng.integers(0, 3))
                answer = "\n".join(t for _, t in vs[j:j + 1 + more])
                chats.append(chatml(" ".join(words[:k]), answer))
            if rng.random() < 0.3:
                chats.append(chatml(f"{book} {ch}:{v}", text))
    chat_ids = [np.array(e.ids, dtype=np.int64)
                for e in tok.encode_batch(chats, add_special_tokens=False)]
    return train_stream, val_stream, chat_ids


class Batches:
    def __init__(self, train_stream, chat_ids, batch, seq, chat_fraction, seed):
        import numpy as np
        self.np = np
        self.stream, self.chats = train_stream, chat_ids
        self.batch, self.seq, self.frac = batch, seq, chat_fraction
        self.rng = np.random.default_rng(seed)

    def next(self):
        np = self.np
        rows = np.empty((self.batch, self.seq + 1), dtype=np.int64)
        n_chat = int(round(self.batch * self.frac))
        starts = self.rng.integers(0, len(self.stream) - self.seq - 1, size=self.batch - n_chat)
        for r, s in enumerate(starts):
            rows[r] = self.stream[s:s + self.seq + 1]
        for r in range(self.batch - n_chat, self.batch):
            parts, have = [], 0
            while have < self.seq + 1:
                e = self.chats[int(self.rng.integers(len(self.chats)))]
                parts.append(e)
                have += len(e)
            rows[r] = np.concatenate(parts)[:self.seq + 1]
        return rows


# ----------------------------------------------------------------------------------------------
# Model

def model_config(vocab_size, tok):
    from transformers import Qwen3_5TextConfig
    return Qwen3_5TextConfig(
        vocab_size=vocab_size, hidden_size=256, intermediate_size=704, num_hidden_layers=6,
        layer_types=["linear_attention", "linear_attention", "full_attention",
                     "linear_attention", "linear_attention", "full_attention"],
        num_attention_heads=4, num_key_value_heads=2, head_dim=64,
        linear_conv_kernel_dim=4, linear_key_head_dim=64, linear_value_head_dim=64,
        linear_num_key_heads=2, linear_num_value_heads=4,
        hidden_act="silu", rms_norm_eps=1e-6, initializer_range=0.02,
        max_position_embeddings=4096, tie_word_embeddings=True, attention_bias=False,
        # Qwen3.5's text rope: theta 1e7, a quarter of head_dim rotated (16 dims), interleaved
        # M-RoPE sections summing to 8 (ordinary RoPE for text-only positions).
        rope_parameters={"rope_type": "default", "rope_theta": 10000000.0,
                         "partial_rotary_factor": 0.25, "mrope_interleaved": True,
                         "mrope_section": [3, 3, 2]},
        bos_token_id=tok.token_to_id("<|endoftext|>"),
        eos_token_id=tok.token_to_id("<|im_end|>"),
        pad_token_id=tok.token_to_id("<|endoftext|>"))


def add_dropout(model, p):
    """Dropout on every token mixer's and MLP's output (training only), by forward hooks:
    Qwen3.5's modules have no residual dropout of their own, and the config stays clean."""
    import torch.nn.functional as F

    def hook(module, inputs, output):
        if not module.training or p <= 0:
            return None
        if isinstance(output, tuple):
            return (F.dropout(output[0], p, True),) + tuple(output[1:])
        return F.dropout(output, p, True)
    handles = []
    for layer in model.model.layers:
        for name in ("linear_attn", "self_attn", "mlp"):
            if hasattr(layer, name):
                handles.append(getattr(layer, name).register_forward_hook(hook))
    return handles


def lr_at(step, total, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = min(1.0, (step - args.warmup) / max(1, total - args.warmup))
    return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t)))


def write_folder(out, model, tok_json, tok, args, info):
    import torch
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # Remove what an earlier run wrote (only those names: --out may hold other files).
    for p in list(out.glob("model*.safetensors")) + [out / n for n in OUTPUT_FILES]:
        if p.is_file():
            p.unlink()
    model.to(torch.bfloat16).save_pretrained(str(out))
    for extra in ("generation_config.json", "chat_template.jinja"):
        if (out / extra).exists():
            (out / extra).unlink()
    (out / "tokenizer.json").write_text(tok_json, encoding="utf-8")
    eot, im_end = tok.token_to_id("<|endoftext|>"), tok.token_to_id("<|im_end|>")
    added = {str(tok.token_to_id(c)): {"content": c, "lstrip": False, "normalized": False,
                                        "rstrip": False, "single_word": False, "special": True}
             for c in SPECIALS}
    tok_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "unk_token": None, "add_bos_token": False, "add_eos_token": False,
        "clean_up_tokenization_spaces": False, "model_max_length": 4096,
        "split_special_tokens": False, "added_tokens_decoder": added,
        "chat_template": CHAT_TEMPLATE,
    }
    with open(out / "tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(tok_config, f, indent=2)
        f.write("\n")
    gen = {"bos_token_id": eot, "eos_token_id": [im_end, eot], "pad_token_id": eot,
           "do_sample": True, "temperature": 0.8, "top_p": 0.95}
    with open(out / "generation_config.json", "w", encoding="utf-8") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")
    readme = f"""# ember's built-in default model

A small Qwen3.5-style hybrid language model (`Qwen3_5ForCausalLM`, text only:
{info['params'] / 1e6:.2f} M parameters, bf16; 6 layers = 4 Gated DeltaNet + 2 gated
attention, hidden 256, tied embeddings) with its own 4096-token byte-level BPE
tokenizer, trained from scratch on the King James Bible (public domain, from Debian's
bible-kjv package) as plain text and as ChatML turns. It writes KJV-style text; it
knows nothing else.

Made by `scripts/train_default_model.py` (see docs/dev/lm_fixtures.md):
{info['steps']} steps of {args.batch_size} x {args.seq_len} tokens, AdamW lr {args.lr}
cosine, dropout {args.dropout}, bf16 autocast, on {info['device']} in {info['train_s']:.0f} s; transformers
{info['transformers']}, torch {info['torch']}. Held-out loss {info['best_val']:.3f} (step
{info['best_step']}), final training loss {info['train_loss']:.3f}.
"""
    (out / "README.md").write_text(readme, encoding="utf-8")


def folder_bytes(out):
    return sum(p.stat().st_size for p in pathlib.Path(out).iterdir() if p.is_file())


def main():
    args = parse_args()
    if args.dump_corpus:
        dump_corpus(args.dump_corpus)
        return

    import numpy as np
    import torch
    import transformers
    transformers.utils.logging.disable_progress_bar()
    if not hasattr(transformers, "Qwen3_5ForCausalLM"):
        sys.exit(f"transformers {transformers.__version__} has no Qwen3_5ForCausalLM "
                 "(needs 5.x with Qwen3.5 support)")
    from transformers import Qwen3_5ForCausalLM
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device (use --device cpu for a smoke test)")
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    t_start = time.time()

    verses = read_corpus(args.corpus)
    doc, tok, tok_json = build_tokenizer(verses, args.vocab_size)
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    print(f"tokenizer: {vocab_size} tokens ({time.time() - t_start:.1f} s)", flush=True)
    train_stream, val_stream, chat_ids = build_data(tok, verses, args.seed)
    print(f"data: {len(train_stream)} training tokens, {len(val_stream)} held-out tokens, "
          f"{len(chat_ids)} chat examples ({time.time() - t_start:.1f} s)", flush=True)

    config = model_config(vocab_size, tok)
    model = Qwen3_5ForCausalLM(config).to(device)
    model.train()
    dropout_hooks = add_dropout(model, args.dropout)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f} M parameters, ~{2 * n_params / 1e6:.1f} MB in bf16; "
          f"layers {config.layer_types}", flush=True)
    if 2 * n_params > MAX_BYTES:
        sys.exit("model too large for the 20 MB limit")

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt_kwargs = dict(lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    if args.device == "cuda":
        opt_kwargs["fused"] = True
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], **opt_kwargs)
    batches = Batches(train_stream, chat_ids, args.batch_size, args.seq_len,
                      args.chat_fraction, args.seed + 1)
    vrng = np.random.default_rng(args.seed + 2)
    n_val = 8 if args.device == "cuda" else 2
    val_rows = [np.stack([val_stream[s:s + args.seq_len + 1] for s in
                          vrng.integers(0, len(val_stream) - args.seq_len - 1,
                                        size=args.batch_size)]) for _ in range(n_val)]
    amp = torch.autocast(device_type=args.device, dtype=torch.bfloat16)

    def loss_of(rows):
        x = torch.from_numpy(rows).to(device, non_blocking=True)
        with amp:
            logits = model(input_ids=x[:, :-1], use_cache=False).logits
        return torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]),
                                                 x[:, 1:].reshape(-1))

    @torch.no_grad()
    def evaluate():
        model.eval()
        total = sum(float(loss_of(r)) for r in val_rows) / len(val_rows)
        model.train()
        return total

    budget = args.minutes * 60.0
    total_steps = args.steps if args.steps else 10 ** 9
    planned = args.steps is not None
    best_val, best_step, best_state = float("inf"), 0, None
    step, loss_sum, loss_n, train_loss = 0, 0.0, 0, float("nan")
    t_train = time.time()
    t_mark, step_mark = None, 0
    print(f"training: batch {args.batch_size} x {args.seq_len}, lr {args.lr}, budget "
          f"{args.minutes} min{'' if not planned else f', {args.steps} steps'}", flush=True)
    while step < total_steps:
        elapsed = time.time() - t_train
        if elapsed > budget:
            print(f"time budget reached at step {step}", flush=True)
            break
        # After a short warm-up, time the steps and fit the cosine schedule to the budget.
        if step == 10:
            if args.device == "cuda":
                torch.cuda.synchronize()
            t_mark, step_mark = time.time(), step
        if step == 40 and not planned:
            if args.device == "cuda":
                torch.cuda.synchronize()
            per_step = (time.time() - t_mark) / (step - step_mark)
            # Evals cost about n_val forward passes (~1/3 step each) every eval_every steps.
            per_step *= 1 + n_val / 3 / args.eval_every
            total_steps = step + int((budget - (time.time() - t_train)) / per_step)
            planned = True
            print(f"measured {per_step * 1000:.0f} ms/step: planning {total_steps} steps",
                  flush=True)
        lr = lr_at(step, total_steps if planned else 10 ** 9, args)
        for group in opt.param_groups:
            group["lr"] = lr
        loss = loss_of(batches.next())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        loss_sum = loss_sum + loss.detach()  # stays on the device: no sync per step
        loss_n += 1
        if step % args.log_every == 0 or step == total_steps or step <= 3:
            train_loss = float(loss_sum) / loss_n
            dt = time.time() - t_train
            print(f"step {step:6d}  loss {train_loss:.4f}  lr {lr:.2e}  "
                  f"{step * args.batch_size * args.seq_len / dt / 1e3:.1f} k tok/s  {dt:.0f} s",
                  flush=True)
            loss_sum, loss_n = 0.0, 0
        if step % args.eval_every == 0 or step == total_steps:
            val = evaluate()
            mark = ""
            if val < best_val:
                best_val, best_step = val, step
                best_state = {k: v.detach().to("cpu", copy=True)
                              for k, v in model.state_dict().items()}
                mark = " (best)"
            print(f"step {step:6d}  held-out loss {val:.4f}{mark}", flush=True)
    if loss_n:
        train_loss = float(loss_sum) / loss_n
    train_s = time.time() - t_train
    if best_state is None or step % args.eval_every:
        val = evaluate()
        if val < best_val:
            best_val, best_step, best_state = val, step, None
    if best_state is not None:
        model.load_state_dict(best_state)
    print(f"trained {step} steps in {train_s:.0f} s; keeping step {best_step} "
          f"(held-out loss {best_val:.4f})", flush=True)

    for h in dropout_hooks:
        h.remove()
    model.eval()
    info = {"params": n_params, "steps": step, "train_s": train_s, "best_val": best_val,
            "best_step": best_step, "train_loss": train_loss,
            "device": (torch.cuda.get_device_name() if args.device == "cuda" else "cpu"),
            "transformers": transformers.__version__, "torch": torch.__version__}
    write_folder(args.out, model, tok_json, tok, args, info)
    del model

    # Samples from the saved folder, reloaded as ember would load it (bf16 weights, fp32 math).
    from transformers import AutoTokenizer
    hf_tok = AutoTokenizer.from_pretrained(args.out)
    model = Qwen3_5ForCausalLM.from_pretrained(args.out, dtype=torch.float32).to(device).eval()
    torch.manual_seed(args.seed)

    def sample(ids, **kw):
        x = torch.tensor([ids], device=device)
        with torch.no_grad():
            out = model.generate(x, attention_mask=torch.ones_like(x),
                                 max_new_tokens=args.sample_tokens, **kw)
        return hf_tok.decode(out[0, len(ids):].tolist(), skip_special_tokens=False)

    print("\n=== samples (plain text) ===")
    for prompt in SAMPLE_PROMPTS:
        ids = hf_tok(prompt, add_special_tokens=False)["input_ids"]
        print(f"--- {prompt!r} greedy:\n{prompt}{sample(ids, do_sample=False)}")
        print(f"--- {prompt!r} temperature 0.8, top_p 0.95:\n"
              f"{prompt}{sample(ids, do_sample=True, temperature=0.8, top_p=0.95)}")
    print("\n=== samples (chat template) ===")
    for prompt in CHAT_PROMPTS:
        text = hf_tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                          add_generation_prompt=True)
        ids = hf_tok(text, add_special_tokens=False)["input_ids"]
        print(f"--- user: {prompt!r} (temperature 0.8):\n"
              f"{sample(ids, do_sample=True, temperature=0.8, top_p=0.95)}")

    size = folder_bytes(args.out)
    print(f"\nwrote {args.out}: {size} bytes ({size / 1e6:.2f} MB)")
    for p in sorted(pathlib.Path(args.out).iterdir()):
        print(f"  {p.name:<24} {p.stat().st_size:>10}")
    print(f"total time {time.time() - t_start:.0f} s")
    if size > MAX_BYTES:
        sys.exit(f"ERROR: {args.out} is {size} bytes, over the 20 MB limit")


if __name__ == "__main__":
    main()
