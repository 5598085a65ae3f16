#!/usr/bin/env python3
"""Makes the golden tokenizer fixtures in tests/lm/fixtures/tokenizers/.

Trains small BPE tokenizers with Hugging Face `tokenizers` on the King James
Bible (public domain), writes tokenizer.json files that mirror the configuration
of real model folders (Qwen3, Llama-3, GPT-2, Llama-2, Mistral), and stores the
ids and decodes that the reference implementation produces for a varied text.
ember's tests (tests/lm/tokenizer_golden_test.cpp) must match every id.

Needs (this script installs nothing):
  apt-get install bible-kjv                              # the corpus: /usr/bin/bible
  pip install -r scripts/requirements-fixtures.txt       # tokenizers, transformers

Run from anywhere:  python3 scripts/make_tokenizer_fixtures.py
Layout written:
  texts.json                 the test texts, base64 of their UTF-8 bytes (some invalid)
  <style>/tokenizer.json     one model folder per style (usable with `ember tokenize --model`)
  <style>/expected.json      per text: ids in each encode mode, and decodes
"""
import base64
import json
import os
import subprocess
import sys

from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,
                        pre_tokenizers, trainers)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "lm", "fixtures", "tokenizers")

# Pre-tokenizer regexes of the real tokenizer.json files.
GPT2_RE = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
             r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
            r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def kjv_lines():
    """The whole KJV, one verse a line, without the 'Ge1:1 ' references."""
    text = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], check=True,
                          capture_output=True, text=True).stdout
    return [line.split(" ", 1)[1] for line in text.splitlines() if " " in line]


def test_texts(lines):
    """(name, bytes) pairs covering what a tokenizer must get right."""
    genesis = " ".join(lines[:10])  # Genesis 1:1-10, about 1.2 KB
    texts = [
        ("empty", ""),
        ("english", "In the beginning God created the heaven and the earth. "
                    "Hello, World! It's we've they'll I'M DON'T 'S 'Ll 'ſ."),
        ("genesis", genesis),
        ("code", 'def add(a, b):\n    """Add two numbers."""\n\treturn a + b  # 3.14159\n\n'
                 'int main() { std::vector<int> v{1, 22, 333, 4444, 55555}; return v[0] != 0; }\n'
                 'x=1234567890;y=0x1F;z=1e-9 && !ok || path/to/file.txt\r\n'),
        ("cjk", "你好，世界！日本語のテキストです。한국어 텍스트。中文：我爱自然语言处理。"),
        ("emoji", "👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷 heart ❤️ rocket🚀🚀 done✅"),
        ("combining", "e\u0301 vs \u00e9, A\u030a vs \u00c5, \u212b, \u2126, \ufb01ne, "
                      "Z\u0351\u0302a\u0327\u0301lgo\u0334, ñ n\u0303, \u1e9b\u0323"),
        ("scripts", "مرحبا بالعالم שלום עולם नमस्ते दुनिया สวัสดีชาวโลก Привет мир Γειά σου"),
        ("numbers", "1 12 123 1234 12345 3.14 1,000,000 ٣٤٥ ²³ ½ 10th 2024-05-01"),
        ("whitespace", "a    b\t\tc\n\n\n   \n  d     e \r\n\r\n f\u00a0g\u3000h  \u2003 i\n"),
        ("spaces_only", "        "),
        ("newlines", "\n\n\n\nline\n\n\n"),
        ("leading_space", "  leading and trailing  "),
        ("specials", "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n<think>\n"
                     "</think>\n\nok<|endoftext|> <|begin_of_text|>x<|eot_id|> <s>[INST] hi "
                     "[/INST]</s><unk> a <mask> b xyzzy axyzzy [[user]]   ok"),
        ("special_like", "<|im_start <|im_end|x <s </s <|endoftext|<|endoftext|>>"),
    ]
    out = [(name, text.encode("utf-8")) for name, text in texts]
    # Invalid UTF-8: ember replaces bad sequences with U+FFFD as Python's
    # bytes.decode(errors="replace") does before the reference sees the text.
    out.append(("invalid_utf8", b"abc\xff\xfedef\xe4\xbd ghi\xc0\xafjk\xed\xa0\x80l\xf0\x9f\x98"))
    return out


def train(pre_tokenizer, normalizer, vocab_size, lines, **kwargs):
    tokenizer = Tokenizer(models.BPE(**kwargs.pop("model_args", {})))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, **kwargs)
    tokenizer.train_from_iterator(lines, trainer)
    model = json.loads(tokenizer.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return model["vocab"], merges


def added(id_, content, special, lstrip=False, rstrip=False, normalized=False, single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": normalized, "special": special}


def split_regex(regex):
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}


def byte_level(use_regex, trim_offsets=False):
    return {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": trim_offsets,
            "use_regex": use_regex}


def bpe_model(vocab, merges, pair_merges=False, **extra):
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
             "ignore_merges": False, "vocab": vocab,
             "merges": [m.split(" ") for m in merges] if pair_merges else merges}
    model.update(extra)
    return model


def document(model, added_tokens, normalizer, pre_tokenizer, post_processor, decoder):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
            "normalizer": normalizer, "pre_tokenizer": pre_tokenizer,
            "post_processor": post_processor, "decoder": decoder, "model": model}


def bytelevel_styles(lines):
    """Qwen3, Llama-3 and GPT-2 style byte-level BPE tokenizers."""
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    styles = {}

    qwen_pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_RE), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    vocab, merges = train(qwen_pre, normalizers.NFC(), 2500, lines, initial_alphabet=alphabet)
    n = len(vocab)
    names = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>",
             "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>",
             "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
             "<|image_pad|>", "<|video_pad|>"]
    plain = ["<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
             "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<tool_response>",
             "</tool_response>", "<think>", "</think>"]
    tokens = [added(n + i, c, True) for i, c in enumerate(names)]
    tokens += [added(n + len(names) + i, c, False) for i, c in enumerate(plain)]
    styles["qwen3"] = document(
        bpe_model(vocab, merges, pair_merges=True), tokens, {"type": "NFC"},
        {"type": "Sequence", "pretokenizers": [split_regex(QWEN2_RE), byte_level(False)]},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False})

    llama_pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_RE), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    vocab, merges = train(llama_pre, None, 2000, lines, initial_alphabet=alphabet)
    # Whole words that no merge produces: with ignore_merges they must still
    # come out as one token (Llama-3's tokenizer.json sets ignore_merges).
    for word in ["Ġbeginning", "Ġcreated", "ĠWorld", "Ġfamily", "Ġrocket", "Ġtrailing"]:
        if word not in vocab:
            vocab[word] = len(vocab)
    n = len(vocab)
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|start_header_id|>", "<|end_header_id|>",
             "<|reserved_special_token_2|>", "<|eot_id|>"]
    tokens = [added(n + i, c, True) for i, c in enumerate(names)]
    bos = n
    styles["llama3"] = document(
        bpe_model(vocab, merges, ignore_merges=True), tokens, None,
        {"type": "Sequence", "pretokenizers": [
            split_regex(LLAMA3_RE),
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": False}]},
        {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
             "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                      {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                      {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {
                 "id": "<|begin_of_text|>", "ids": [bos], "tokens": ["<|begin_of_text|>"]}}}]},
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})

    gpt2_pre = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    vocab, merges = train(gpt2_pre, None, 2000, lines, initial_alphabet=alphabet)
    n = len(vocab)
    tokens = [added(n, "<|endoftext|>", True),
              added(n + 1, "<mask>", True, lstrip=True),
              added(n + 2, "xyzzy", False, single_word=True),
              added(n + 3, "[[user]]", False, rstrip=True, normalized=True)]
    styles["gpt2"] = document(
        bpe_model(vocab, merges), tokens, None, byte_level(True),
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})
    return styles


def sentencepiece_styles(lines):
    """Llama-2 and Mistral style BPE over '▁'-joined words, with <0xNN> byte fallback."""
    metaspace = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trained, merges = train(metaspace, None, 2000, lines, limit_alphabet=100,
                            model_args={"byte_fallback": True})
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token, _ in sorted(trained.items(), key=lambda item: item[1]):
        if token not in vocab:
            vocab[token] = len(vocab)
    specials = [added(0, "<unk>", True), added(1, "<s>", True), added(2, "</s>", True)]
    bos_template = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<s>", "type_id": 1}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    model_args = {"unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True}
    styles = {}
    styles["llama2"] = document(
        bpe_model(vocab, merges, **model_args),
        specials + [added(len(vocab), "[[user]]", False, rstrip=True, normalized=True)],
        {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
        None, bos_template,
        {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})
    styles["mistral"] = document(
        bpe_model(vocab, merges, pair_merges=True, **model_args), specials, None,
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
        bos_template,
        {"type": "Sequence", "decoders": [
            {"type": "ByteFallback"},
            {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first",
             "split": False}]})
    return styles


def expected_for(tokenizer_path, texts):
    """The reference ids and decodes for every text, in every encode mode ember offers:
    plain = add_special_tokens, special-token strings in the text are plain text
    (HF: encode_special_tokens=True); plain_no_add = the same without the
    post-processor; special = HF's default, added tokens parsed from the text."""
    tokenizer = Tokenizer.from_file(tokenizer_path)
    cases = []
    for name, raw in texts:
        text = raw.decode("utf-8", errors="replace")
        tokenizer.encode_special_tokens = False  # HF's default: added tokens parsed from text
        special = tokenizer.encode(text, add_special_tokens=True).ids
        tokenizer.encode_special_tokens = True   # ember's default: special strings are plain text
        plain = tokenizer.encode(text, add_special_tokens=True).ids
        plain_no_add = tokenizer.encode(text, add_special_tokens=False).ids
        tokenizer.encode_special_tokens = False
        # To keep the files small, "special" and its decodes are stored only
        # where parsing special tokens changes the ids.
        case = {"name": name, "plain": plain, "plain_no_add": plain_no_add,
                "decode_plain": tokenizer.decode(plain, skip_special_tokens=False)}
        if special != plain:
            case["special"] = special
            case["decode_special"] = tokenizer.decode(special, skip_special_tokens=False)
            case["decode_special_skip"] = tokenizer.decode(special, skip_special_tokens=True)
        cases.append(case)
    cross_check_transformers(tokenizer_path, texts, cases)
    return {"vocab_size": tokenizer.get_vocab_size(with_added_tokens=True), "cases": cases}


def cross_check_transformers(tokenizer_path, texts, cases):
    """transformers' fast tokenizer with split_special_tokens must agree with the 'plain' ids."""
    from transformers import PreTrainedTokenizerFast
    fast = PreTrainedTokenizerFast(tokenizer_file=tokenizer_path, split_special_tokens=True)
    for (name, raw), case in zip(texts, cases):
        ids = fast(raw.decode("utf-8", errors="replace"), add_special_tokens=True)["input_ids"]
        if ids != case["plain"]:
            sys.exit(f"transformers disagrees with tokenizers on {tokenizer_path}: {name}")


def main():
    lines = kjv_lines()
    texts = test_texts(lines)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "texts.json"), "w") as f:
        json.dump({"texts": [{"name": n, "base64": base64.b64encode(t).decode()}
                             for n, t in texts]}, f, indent=1)
        f.write("\n")
    styles = bytelevel_styles(lines)
    styles.update(sentencepiece_styles(lines))
    for style, doc in styles.items():
        folder = os.path.join(OUT, style)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "tokenizer.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as f:
            json.dump(expected_for(path, texts), f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        print(f"{style}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
