#!/usr/bin/env python3
"""Makes the LM engine's golden model fixtures in tests/lm/fixtures/models/.

For every architecture ember's LM engine supports (llama, qwen3, qwen3_moe,
qwen3_5, qwen3_5_moe, qwen3_next) this builds a tiny random-weight model with
Hugging Face transformers (hidden 64, head_dim 16, 4 query / 2 KV heads,
2 layers, or 4 for the hybrids: 3 Gated DeltaNet + 1 gated attention), with the
vocabulary of the project's committed fixture tokenizers
(tests/lm/fixtures/tokenizers/{qwen3,llama3}/tokenizer.json), and writes:

  <out>/<arch>/config.json, model.safetensors (bf16), generation_config.json,
               tokenizer.json, tokenizer_config.json (bos/eos, chat template)
                                     -- a Hugging Face model folder ember loads
  <out>/<arch>/golden.safetensors    float32 reference logits:
      <prompt>.logits        [T, vocab]  one full forward pass, no cache
      incremental.logits     [6, vocab]  the chat prompt again, as a chunked prefill of
                                         T-4 tokens (2 chunks) then 4 single-token decode
                                         steps with the cache: the last row of each call
  <out>/<arch>/golden.json           prompt texts and token ids, the 32-token greedy
                                     continuation of each prompt (model.generate,
                                     no EOS stop), per-step greedy margins, the
                                     chunk schedule, tolerance notes, versions, device

The reference is computed in float32 (TF32 off, deterministic algorithms, eager
attention, eager experts) from the weights as reloaded from the saved bf16 file,
so ember loading the same folder and computing in float32 should match closely;
golden.json also records how far transformers' own bf16 and fp16 runs land from
the float32 reference, as a guide for dtype-aware tolerances.

Weights are generated on the CPU from a fixed seed whatever --device is, so the
model folders are identical on every machine; the golden logits depend (in the
last bits) on the device they were computed on, which golden.json records.
Running the script twice on the same device writes identical files. Seeds are
tried from 1234 upwards until no greedy step and no MoE routing choice is a
near-tie, so that another correct float32 implementation reproduces the greedy ids.

Needs: torch, transformers (5.17 or later, with Qwen3.5 / Qwen3-Next support),
tokenizers, safetensors, numpy. No network (HF_HUB_OFFLINE=1 is set below).
An architecture whose classes the installed transformers lacks is skipped with
a message.

Run from the repository root:
  python3 scripts/make_lm_fixtures.py                      # CPU, writes tests/lm/fixtures/models
  python3 scripts/make_lm_fixtures.py --device cuda        # on the GPU machine
  python3 scripts/make_lm_fixtures.py --out /tmp/fx --arch qwen3_5
The committed fixtures are made on the GPU machine (the scripts and the fixture
tokenizers / chat templates are part of the working tree, so nothing else has
to be carried there) with:
  python3 scripts/make_lm_fixtures.py --device cuda
"""
import os

# No network, ever; deterministic cuBLAS. Both must be set before torch/transformers load.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import json
import pathlib
import shutil
import sys
import traceback

import torch
import transformers
from safetensors.torch import save_file

transformers.utils.logging.disable_progress_bar()

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "lm" / "fixtures"
DEFAULT_OUT = FIXTURES / "models"

SEED = 1234
INIT_RANGE = 0.1      # initializer_range: large enough that logits are far from uniform
NORM_NOISE = 0.1      # std of the noise added to every 1-D parameter (norm weights, biases, dt_bias, A_log)
GREEDY_TOKENS = 32
DECODE_STEPS = 4      # incremental pass: prefill T-4 tokens (in two chunks), then 4 single-token steps
SIZE_TARGET = 1.5e6   # bytes per architecture folder
MIN_MARGIN = 1e-3     # smallest top-1/top-2 logit gap accepted on a greedy step
MIN_ROUTER_GAP = 2e-5 # smallest k-th/(k+1)-th routing probability gap accepted
MAX_SEED_TRIES = 20

# ----------------------------------------------------------------------------------------------
# Tokenizer styles: the fixture tokenizer, its special tokens and chat template.

STYLES = {
    "qwen3": {
        "tokenizer": FIXTURES / "tokenizers" / "qwen3" / "tokenizer.json",
        "template": FIXTURES / "chat_templates" / "qwen3.jinja",
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        # Qwen3's generation_config.json: eos [<|im_end|>, <|endoftext|>], bos = pad = <|endoftext|>
        "gen_bos": "<|endoftext|>", "gen_eos": ["<|im_end|>", "<|endoftext|>"],
        "cfg_bos": "<|endoftext|>", "cfg_eos": "<|im_end|>",
        "sampling": {"do_sample": True, "temperature": 0.6, "top_p": 0.95, "top_k": 20},
    },
    # The Qwen3.5 family's chat format (XML tool calls, thinking blocks).
    "qwen3_6": {
        "tokenizer": FIXTURES / "tokenizers" / "qwen3" / "tokenizer.json",
        "template": FIXTURES / "chat_templates" / "qwen3_6.jinja",
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "gen_bos": "<|endoftext|>", "gen_eos": ["<|im_end|>", "<|endoftext|>"],
        "cfg_bos": "<|endoftext|>", "cfg_eos": "<|im_end|>",
        "sampling": {"do_sample": True, "temperature": 0.6, "top_p": 0.95, "top_k": 20},
    },
    "llama3": {
        "tokenizer": FIXTURES / "tokenizers" / "llama3" / "tokenizer.json",
        "template": FIXTURES / "chat_templates" / "llama3_style.jinja",
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "pad_token": None,
        "gen_bos": "<|begin_of_text|>", "gen_eos": ["<|end_of_text|>", "<|eot_id|>"],
        "cfg_bos": "<|begin_of_text|>", "cfg_eos": ["<|end_of_text|>", "<|eot_id|>"],
        "sampling": {"do_sample": True, "temperature": 0.6, "top_p": 0.9},
    },
}

# ----------------------------------------------------------------------------------------------
# Architectures. Each: transformers config class, model class, tokenizer style, config fields.

COMMON = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
              intermediate_size=128, hidden_act="silu", rms_norm_eps=1e-6,
              initializer_range=INIT_RANGE, attention_bias=False, attention_dropout=0.0,
              use_cache=True)

HYBRID_LAYERS = ["linear_attention", "linear_attention", "linear_attention", "full_attention"]
# Gated DeltaNet heads shaped like the real models': twice as many value heads as key heads.
GDN = dict(linear_conv_kernel_dim=4, linear_key_head_dim=16, linear_value_head_dim=16,
           linear_num_key_heads=2, linear_num_value_heads=4)
# Qwen3.5's text rope: theta 1e7, 1/4 of head_dim rotated, interleaved M-RoPE sections
# (text-only positions make M-RoPE ordinary RoPE). Sections sum to rotary_dim / 2 = 2.
QWEN35_ROPE = {"rope_type": "default", "rope_theta": 10000000.0, "partial_rotary_factor": 0.25,
               "mrope_interleaved": True, "mrope_section": [1, 1, 0]}
SMALL_MOE = dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16)

ARCHS = {
    "llama": {
        "config": "LlamaConfig", "model": "LlamaForCausalLM", "style": "llama3",
        "fields": dict(COMMON, num_hidden_layers=2, tie_word_embeddings=False, mlp_bias=False,
                       max_position_embeddings=131072,
                       rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0,
                                        "factor": 32.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0,
                                        "original_max_position_embeddings": 8192}),
        "notes": "Llama 3.x: llama3 rope scaling (theta 5e5, factor 32), GQA 4/2, untied lm_head",
    },
    "qwen3": {
        "config": "Qwen3Config", "model": "Qwen3ForCausalLM", "style": "qwen3",
        "fields": dict(COMMON, num_hidden_layers=2, tie_word_embeddings=True,
                       max_position_embeddings=40960, use_sliding_window=False,
                       rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        "notes": "Qwen3 dense: q/k RMSNorm per head, tied embeddings (as Qwen3-0.6B..4B)",
    },
    "qwen3_moe": {
        "config": "Qwen3MoeConfig", "model": "Qwen3MoeForCausalLM", "style": "qwen3",
        "fields": dict(COMMON, num_hidden_layers=2, tie_word_embeddings=False,
                       max_position_embeddings=40960, use_sliding_window=False,
                       rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
                       decoder_sparse_step=1, mlp_only_layers=[], norm_topk_prob=True,
                       **SMALL_MOE),
        "notes": "Qwen3-MoE: 4 experts, top-2, norm_topk_prob, every layer sparse, untied",
    },
    "qwen3_5": {
        "config": "Qwen3_5TextConfig", "model": "Qwen3_5ForCausalLM", "style": "qwen3_6",
        "fields": dict(COMMON, num_hidden_layers=4, layer_types=HYBRID_LAYERS,
                       tie_word_embeddings=True, max_position_embeddings=262144,
                       rope_parameters=dict(QWEN35_ROPE), **GDN),
        "notes": "Qwen3.5 dense hybrid (text only): 3 Gated DeltaNet + 1 gated attention layer, "
                 "partial RoPE 0.25, zero-centred RMSNorm, tied embeddings",
    },
    "qwen3_5_moe": {
        "config": "Qwen3_5MoeTextConfig", "model": "Qwen3_5MoeForCausalLM", "style": "qwen3_6",
        "fields": dict(COMMON, num_hidden_layers=4, layer_types=HYBRID_LAYERS,
                       tie_word_embeddings=True, max_position_embeddings=262144,
                       rope_parameters=dict(QWEN35_ROPE), shared_expert_intermediate_size=32,
                       **GDN, **SMALL_MOE),
        "notes": "Qwen3.5 MoE hybrid (text only): 4 experts top-2 (always renormalised) + gated "
                 "shared expert, tied embeddings (to keep the fixture small)",
    },
    "qwen3_next": {
        "config": "Qwen3NextConfig", "model": "Qwen3NextForCausalLM", "style": "qwen3",
        "fields": dict(COMMON, num_hidden_layers=4, layer_types=HYBRID_LAYERS,
                       tie_word_embeddings=False, max_position_embeddings=262144,
                       rope_parameters={"rope_type": "default", "rope_theta": 10000000.0,
                                        "partial_rotary_factor": 0.25},
                       partial_rotary_factor=0.25, decoder_sparse_step=1, mlp_only_layers=[],
                       norm_topk_prob=True, shared_expert_intermediate_size=32,
                       **GDN, **SMALL_MOE),
        "notes": "Qwen3-Next: hybrid GDN + gated attention, 4 experts top-2 norm_topk_prob + "
                 "gated shared expert, untied",
    },
}

# ----------------------------------------------------------------------------------------------
# Prompts: two plain texts and one chat conversation rendered with the folder's template.
# Kept short: every prompt token costs a float32 row of logits (vocab x 4 bytes) in golden.

PROMPTS = [
    {"name": "plain", "kind": "plain",
     "text": "In the beginning God created the heaven and the earth."},
    # One word: a one-token prompt for Qwen (two with Llama's BOS), the shortest prefill.
    {"name": "short", "kind": "plain", "text": "And"},
    {"name": "chat", "kind": "chat",
     "messages": [{"role": "user", "content": "What is the capital of France?"}]},
]
INCREMENTAL_PROMPT = "chat"


def parse_args():
    p = argparse.ArgumentParser(
        description="Make tiny random-weight HF model folders for every LM architecture ember "
                    "supports, with float32 reference logits and greedy continuations "
                    "(tests/lm/fixtures/models/<arch>/).",
        epilog="Example (GPU machine, repo root): python3 scripts/make_lm_fixtures.py --device cuda")
    p.add_argument("--out", default=str(DEFAULT_OUT),
                   help="output folder, one sub-folder per architecture (default: %(default)s)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="device for the reference forward passes; weights are always made on "
                        "the CPU (default: %(default)s)")
    p.add_argument("--arch", action="append", choices=list(ARCHS),
                   help="only this architecture (repeatable; default: all)")
    p.add_argument("--no-dtype-check", action="store_true",
                   help="skip the bf16/fp16 runs that measure transformers' own low-precision "
                        "error (faster)")
    return p.parse_args()


def set_deterministic(device):
    torch.manual_seed(SEED)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.set_float32_matmul_precision("highest")
    if hasattr(torch.backends.cuda.matmul, "allow_fp16_reduced_precision_reduction"):
        torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
        torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device")


def load_tokenizer_json(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    ids = dict(doc["model"]["vocab"])
    for tok in doc["added_tokens"]:
        ids[tok["content"]] = tok["id"]
    vocab_size = max(ids.values()) + 1
    return doc, ids, vocab_size


def resolve_classes(arch):
    """The config and model classes, or None with the reason when transformers lacks them."""
    spec = ARCHS[arch]
    cfg_cls = getattr(transformers, spec["config"], None)
    model_cls = getattr(transformers, spec["model"], None)
    missing = [n for n, c in ((spec["config"], cfg_cls), (spec["model"], model_cls)) if c is None]
    if missing:
        return None, None, (f"transformers {transformers.__version__} has no "
                            f"{' / '.join(missing)}")
    return cfg_cls, model_cls, None


def build_config(arch, cfg_cls, style, ids, vocab_size):
    spec = ARCHS[arch]
    fields = dict(spec["fields"])
    fields["vocab_size"] = vocab_size
    fields["bos_token_id"] = ids[style["cfg_bos"]]
    eos = style["cfg_eos"]
    fields["eos_token_id"] = [ids[e] for e in eos] if isinstance(eos, list) else ids[eos]
    fields["pad_token_id"] = ids[style["pad_token"]] if style["pad_token"] else None
    config = cfg_cls(**fields)
    # Check that every field we asked for took effect (a renamed field in another
    # transformers version would otherwise be silently ignored).
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                "head_dim", "vocab_size", "layer_types", "num_experts", "num_experts_per_tok",
                "linear_num_value_heads", "linear_key_head_dim", "tie_word_embeddings"):
        if key in fields and getattr(config, key, None) != fields[key]:
            raise RuntimeError(f"{arch}: config.{key} = {getattr(config, key, None)!r}, "
                               f"wanted {fields[key]!r}")
    rope = getattr(config, "rope_parameters", None) or {}
    want = fields.get("rope_parameters", {})
    for key, value in want.items():
        if key in rope and rope[key] != value:
            raise RuntimeError(f"{arch}: rope_parameters[{key}] = {rope[key]!r}, wanted {value!r}")
    return config


@torch.no_grad()
def perturb(model, seed):
    """Random values for parameters that init leaves constant (norm weights at 0 or 1,
    dt_bias at 1, router weights...), so that the tests see every weight's effect."""
    gen = torch.Generator().manual_seed(seed + 100000)
    for name, param in sorted(model.named_parameters()):
        if param.ndim == 1:
            param.add_(torch.randn(param.shape, generator=gen) * NORM_NOISE)
        elif float(param.float().std()) == 0.0:
            param.copy_(torch.randn(param.shape, generator=gen) * INIT_RANGE)
    for name, param in model.named_parameters():
        if param.numel() > 1 and float(param.float().std()) == 0.0:
            raise RuntimeError(f"parameter {name} is constant after init")


def write_tokenizer_files(folder, style, doc):
    shutil.copyfile(style["tokenizer"], folder / "tokenizer.json")
    template = pathlib.Path(style["template"]).read_text(encoding="utf-8")
    added = {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                               "single_word", "special")}
             for t in doc["added_tokens"]}
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": style["bos_token"],
        "eos_token": style["eos_token"],
        "pad_token": style["pad_token"],
        "unk_token": None,
        "add_bos_token": style["bos_token"] is not None,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 131072,
        "split_special_tokens": False,
        "added_tokens_decoder": added,
        "chat_template": template,
    }
    with open(folder / "tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")


def write_generation_config(folder, style, ids):
    gen = {"bos_token_id": ids[style["gen_bos"]],
           "eos_token_id": [ids[e] for e in style["gen_eos"]]}
    if style["pad_token"]:
        gen["pad_token_id"] = ids[style["pad_token"]]
    gen.update(style["sampling"])
    with open(folder / "generation_config.json", "w", encoding="utf-8") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")


def tokenize_prompts(folder):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(folder))
    out = []
    for prompt in PROMPTS:
        entry = dict(prompt)
        if prompt["kind"] == "chat":
            text = tok.apply_chat_template(prompt["messages"], tokenize=False,
                                           add_generation_prompt=True)
            entry["text"] = text
            entry["encode"] = {"add_special_tokens": False, "parse_special_tokens": True}
            ids = tok(text, add_special_tokens=False)["input_ids"]
        else:
            entry["encode"] = {"add_special_tokens": True, "parse_special_tokens": True}
            ids = tok(prompt["text"], add_special_tokens=True)["input_ids"]
        entry["ids"] = list(ids)
        out.append(entry)
    return tok, out


def load_reference(model_cls, folder, device, dtype=torch.float32):
    kwargs = dict(dtype=dtype, attn_implementation="eager")
    try:
        model = model_cls.from_pretrained(str(folder), experts_implementation="eager", **kwargs)
    except (TypeError, ValueError):
        model = model_cls.from_pretrained(str(folder), **kwargs)
    return model.to(device).eval()


@torch.no_grad()
def full_logits(model, ids, device):
    x = torch.tensor([ids], device=device)
    return model(input_ids=x, use_cache=False).logits[0].float().cpu()


@torch.no_grad()
def greedy(model, ids, device):
    """32 greedy tokens with model.generate, no EOS stop; checked against argmax of an
    uncached forward over prompt + continuation, which also gives each step's margin."""
    from transformers import GenerationConfig
    x = torch.tensor([ids], device=device)
    gc = GenerationConfig(do_sample=False, max_new_tokens=GREEDY_TOKENS, min_new_tokens=0,
                          eos_token_id=None, pad_token_id=model.config.pad_token_id,
                          bos_token_id=model.config.bos_token_id, num_beams=1,
                          temperature=None, top_p=None, top_k=None)
    model.generation_config = gc
    out = model.generate(x, attention_mask=torch.ones_like(x), generation_config=gc)
    new = out[0, len(ids):].tolist()
    if len(new) != GREEDY_TOKENS:
        raise RuntimeError(f"generate made {len(new)} tokens, wanted {GREEDY_TOKENS}")
    seq = torch.tensor([ids + new], device=device)
    logits = model(input_ids=seq, use_cache=False).logits[0].float().cpu()
    steps = logits[len(ids) - 1:len(ids) - 1 + GREEDY_TOKENS]
    top2 = steps.topk(2, dim=-1)
    argmax = top2.indices[:, 0].tolist()
    margins = (top2.values[:, 0] - top2.values[:, 1]).tolist()
    agree = argmax == new
    return new, margins, agree


@torch.no_grad()
def incremental_logits(model, ids, device):
    """Chunked prefill of T-4 tokens (two chunks) then 4 single-token steps, with the cache.
    Returns the logits of every fed position [T, vocab] and the chunk sizes."""
    prefill = len(ids) - DECODE_STEPS
    first = (prefill + 1) // 2
    chunks = [first, prefill - first] + [1] * DECODE_STEPS
    pieces, past, pos = [], None, 0
    for n in chunks:
        x = torch.tensor([ids[pos:pos + n]], device=device)
        out = model(input_ids=x, past_key_values=past, use_cache=True)
        past = out.past_key_values
        pieces.append(out.logits[0].float().cpu())
        pos += n
    return torch.cat(pieces, dim=0), chunks


def router_gap_hooks(model):
    """Hooks on MoE routers that record the smallest gap between the k-th and (k+1)-th
    routing probability: a tiny gap means an implementation may pick another expert."""
    gaps, handles = [], []
    for name, module in model.named_modules():
        if type(module).__name__.endswith("TopKRouter") or name.endswith("mlp.gate"):
            k = getattr(module, "top_k", None) or model.config.num_experts_per_tok

            def hook(mod, inputs, output, k=k):
                logits = output[0] if isinstance(output, tuple) else output
                probs = torch.softmax(logits.float(), dim=-1)
                vals = probs.topk(min(k + 1, probs.shape[-1]), dim=-1).values
                gaps.append(float((vals[:, k - 1] - vals[:, k]).min()))
            handles.append(module.register_forward_hook(hook))
    return gaps, handles


def folder_size(folder):
    return sum(p.stat().st_size for p in pathlib.Path(folder).iterdir() if p.is_file())


def build_folder(arch, cfg_cls, model_cls, style, doc, ids, vocab_size, folder, seed):
    """Random weights made on the CPU from `seed`, saved in bf16, plus the tokenizer files."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    config = build_config(arch, cfg_cls, style, ids, vocab_size)
    torch.manual_seed(seed)
    model = model_cls(config).float()
    perturb(model, seed)
    model.to(torch.bfloat16).save_pretrained(str(folder))
    del model
    for extra in ("generation_config.json", "chat_template.jinja"):
        if (folder / extra).exists():
            (folder / extra).unlink()
    write_tokenizer_files(folder, style, doc)
    write_generation_config(folder, style, ids)


def reference_pass(model, tok, prompts, device):
    """Full logits and greedy continuations of every prompt, on the float32 model."""
    gaps, handles = router_gap_hooks(model)
    tensors, records = {}, []
    try:
        for prompt in prompts:
            logits = full_logits(model, prompt["ids"], device)
            tensors[f"{prompt['name']}.logits"] = logits.contiguous()
            new, margins, agree = greedy(model, prompt["ids"], device)
            rec = {k: prompt[k] for k in ("name", "kind", "text", "encode", "ids")}
            if "messages" in prompt:
                rec["messages"] = prompt["messages"]
            rec.update({
                "num_tokens": len(prompt["ids"]),
                "logits_key": f"{prompt['name']}.logits",
                "greedy_ids": new,
                "greedy_text": tok.decode(new, skip_special_tokens=False),
                "greedy_margins": [round(m, 6) for m in margins],
                "greedy_min_margin": round(min(margins), 6),
                "greedy_matches_uncached_argmax": agree,
                "logits_std": round(float(logits.std()), 6),
                "logits_absmax": round(float(logits.abs().max()), 6),
            })
            records.append(rec)
    finally:
        for h in handles:
            h.remove()
    return tensors, records, (min(gaps) if gaps else None)


def lowprec_stats(model_cls, folder, prompts, tensors, device):
    """How far transformers' own bf16 / fp16 runs land from the float32 reference."""
    low = {}
    for name, dt in (("bfloat16", torch.bfloat16), ("float16", torch.float16)):
        try:
            m = load_reference(model_cls, folder, device, dtype=dt)
            max_abs, mean_abs, agree, total = 0.0, 0.0, 0, 0
            for p in prompts:
                ref = tensors[f"{p['name']}.logits"]
                got = full_logits(m, p["ids"], device)
                d = (got - ref).abs()
                max_abs = max(max_abs, float(d.max()))
                mean_abs += float(d.sum())
                agree += int((got.argmax(-1) == ref.argmax(-1)).sum())
                total += ref.shape[0]
            low[name] = {"max_abs": round(max_abs, 6),
                         "mean_abs": round(mean_abs / (total * ref.shape[1]), 6),
                         "argmax_agreement": round(agree / total, 4)}
            del m
        except Exception as exc:  # e.g. a dtype the CPU kernels lack
            low[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return low


def make_arch(arch, out_root, device, dtype_check):
    spec = ARCHS[arch]
    cfg_cls, model_cls, why = resolve_classes(arch)
    if why:
        print(f"[{arch}] SKIPPED: {why}", flush=True)
        return {"arch": arch, "status": "skipped", "why": why}
    style = STYLES[spec["style"]]
    doc, ids, vocab_size = load_tokenizer_json(style["tokenizer"])
    folder = pathlib.Path(out_root) / arch

    # Seeds are tried in order until no greedy step is a near-tie (margin below
    # MIN_MARGIN) and no MoE routing decision is a near-tie, so that another correct
    # float32 implementation reproduces the greedy ids. Deterministic: the same
    # seed wins on every run.
    for attempt in range(MAX_SEED_TRIES):
        seed = SEED + attempt
        build_folder(arch, cfg_cls, model_cls, style, doc, ids, vocab_size, folder, seed)
        tok, prompts = tokenize_prompts(folder)
        set_deterministic(device)
        model = load_reference(model_cls, folder, device)
        tensors, records, router_gap = reference_pass(model, tok, prompts, device)
        margin = min(r["greedy_min_margin"] for r in records)
        flips = not all(r["greedy_matches_uncached_argmax"] for r in records)
        if margin >= MIN_MARGIN and not flips and (router_gap is None or
                                                   router_gap >= MIN_ROUTER_GAP):
            break
        print(f"[{arch}] seed {seed}: greedy margin {margin:.2e}, router gap {router_gap}, "
              f"trying the next seed", flush=True)
        del model
    else:
        print(f"[{arch}] WARNING: no seed in {MAX_SEED_TRIES} tries avoids near-ties; "
              f"keeping seed {seed}", flush=True)

    # The incremental pass: chunked prefill and decode steps with the cache. Only the
    # logits a generator reads (the last row of each call) are stored; every row is
    # checked here against the full pass.
    inc_prompt = next(p for p in prompts if p["name"] == INCREMENTAL_PROMPT)
    inc, chunks = incremental_logits(model, inc_prompt["ids"], device)
    ref = tensors[f"{INCREMENTAL_PROMPT}.logits"]
    inc_diff = float((inc - ref).abs().max())
    ends = [sum(chunks[:i + 1]) - 1 for i in range(len(chunks))]
    tensors["incremental.logits"] = inc[ends].contiguous()
    del model

    low = lowprec_stats(model_cls, folder, prompts, tensors, device) if dtype_check else {}

    save_file(tensors, str(folder / "golden.safetensors"), metadata={"format": "pt"})
    absmax = max(r["logits_absmax"] for r in records)
    golden = {
        "arch": arch,
        "model_class": spec["model"],
        "config_class": spec["config"],
        "description": spec["notes"],
        "seed": seed,
        "weights_dtype": "bfloat16",
        "compute_dtype": "float32",
        "device": device,
        "device_name": (torch.cuda.get_device_name() if device == "cuda" else "cpu"),
        "tf32": False,
        "attn_implementation": "eager",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "python": sys.version.split()[0]},
        "vocab_size": vocab_size,
        "tokenizer_style": spec["style"],
        "prompts": records,
        "incremental": {
            "prompt": INCREMENTAL_PROMPT,
            "chunks": chunks,
            "positions": ends,
            "logits_key": "incremental.logits",
            "doc": "the prompt's ids fed in these chunk sizes with the cache carried over "
                   "(prefill T-4 tokens in two chunks, then 4 single-token decode steps); "
                   "incremental.logits holds the logits of the last token of each call, i.e. "
                   "the rows at `positions`. Every row of the incremental pass, stored or "
                   "not, equals the full pass (<prompt>.logits) to max_abs_diff_vs_full.",
            "max_abs_diff_vs_full": inc_diff,
        },
        "router_min_gap": None if router_gap is None else round(router_gap, 6),
        "hf_lowprec_vs_fp32": low,
        "tolerance": {
            "doc": "The reference is float32 math on the bf16-rounded weights (TF32 off). An "
                   "implementation that loads the same bf16 weights and computes in float32 "
                   "should agree to float32 rounding: suggested |a-b| <= atol + rtol*|b| with "
                   "the float32 numbers below. Computing in bf16/fp16 adds error of the size "
                   "shown in hf_lowprec_vs_fp32 (transformers' own run in that dtype, against "
                   "this reference); for the hybrid and MoE models that error is large (the "
                   "random-weight delta rule and the expert choice amplify rounding), so "
                   "low-precision tests should compare argmax agreement and mean error rather "
                   "than max error. Greedy ids should match exactly in float32: seeds were "
                   "chosen so that every greedy step's top-1/top-2 margin is at least "
                   f"{MIN_MARGIN} (see greedy_margins).",
            "float32": {"atol": round(1e-4 * max(1.0, absmax), 6), "rtol": 1e-3},
        },
    }
    with open(folder / "golden.json", "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")

    size = folder_size(folder)
    if size > SIZE_TARGET:
        print(f"[{arch}] WARNING: folder is {size} bytes (> {SIZE_TARGET:.0f})", flush=True)
    if inc_diff > 1e-3 * max(1.0, absmax):
        print(f"[{arch}] WARNING: incremental logits differ from the full pass by {inc_diff:.3g}",
              flush=True)
    bf16 = low.get("bfloat16", {})
    return {"arch": arch, "status": "ok", "size": size, "seed": seed,
            "tokens": [r["num_tokens"] for r in records],
            "min_margin": min(r["greedy_min_margin"] for r in records),
            "greedy_ok": all(r["greedy_matches_uncached_argmax"] for r in records),
            "inc_diff": inc_diff, "router_gap": golden["router_min_gap"],
            "bf16_max": bf16.get("max_abs", float("nan")),
            "bf16_agree": bf16.get("argmax_agreement", float("nan")),
            "std": max(r["logits_std"] for r in records)}


def main():
    args = parse_args()
    set_deterministic(args.device)
    archs = args.arch or list(ARCHS)
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, "
          f"device {args.device}, out {args.out}", flush=True)
    results = []
    for arch in archs:
        set_deterministic(args.device)
        try:
            results.append(make_arch(arch, args.out, args.device, not args.no_dtype_check))
        except Exception as exc:  # report, go on with the other architectures
            traceback.print_exc()
            results.append({"arch": arch, "status": "failed",
                            "why": f"FAILED: {type(exc).__name__}: {exc}"[:300]})
        r = results[-1]
        if r["status"] == "ok":
            print(f"[{arch}] done: {r['size']} bytes", flush=True)

    print()
    head = (f"{'arch':<12} {'status':<7} {'bytes':>8} {'seed':>5} {'prompt toks':<11} "
            f"{'logit std':>9} {'min margin':>10} {'greedy':>6} {'inc diff':>8} "
            f"{'router gap':>10} {'bf16 max':>8} {'bf16 top1':>9}")
    print(head)
    print("-" * len(head))
    total = 0
    for r in results:
        if r["status"] != "ok":
            print(f"{r['arch']:<12} {r['status'].upper():<7} {r['why']}")
            continue
        total += r["size"]
        gap = "-" if r["router_gap"] is None else f"{r['router_gap']:.2e}"
        print(f"{r['arch']:<12} {'ok':<7} {r['size']:>8} {r['seed']:>5} "
              f"{','.join(map(str, r['tokens'])):<11} {r['std']:>9.3f} {r['min_margin']:>10.2e} "
              f"{'ok' if r['greedy_ok'] else 'FLIP':>6} {r['inc_diff']:>8.1e} {gap:>10} "
              f"{r['bf16_max']:>8.3g} {r['bf16_agree']:>9.3g}")
    print(f"total {total} bytes in {args.out}")
    if any(r["status"] == "skipped" for r in results):
        print("some architectures were skipped: this transformers lacks their classes")
    if any(r["status"] == "failed" for r in results):
        sys.exit("some architectures FAILED (tracebacks above)")


if __name__ == "__main__":
    main()
