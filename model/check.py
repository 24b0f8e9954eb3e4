"""Verify a checkpoint against transformers' reference implementation on the same files.

Run after downloading or converting a checkpoint: in fp32 on the CPU, with a prompt longer than the
sliding window, it compares logits at every position, 64 greedy tokens, speculative (MTP and prompt
lookup) greedy output against plain greedy, and logits after prefix reuse and rollback against a cold run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .engine import Engine, GenerationParams
from .tokenizer import Tokenizer
from .weights import load_model

LOGIT_TOLERANCE = 1e-4
GREEDY_TOKENS = 64
# Real code to prompt with: this project's own sources, repeated until the prompt outgrows the window.
PROMPT_SOURCE = Path(__file__).with_name("modeling.py")


def _prompt(tokenizer: Tokenizer, length: int) -> list[int]:
    ids = tokenizer.encode(PROMPT_SOURCE.read_text())
    while len(ids) < length:
        ids = ids + ids
    return ids[:length]


def check(directory: Path, *, prompt_tokens: int | None = None) -> dict[str, Any]:
    from transformers import MellumForCausalLM

    torch.manual_seed(0)
    net = load_model(directory, dtype=torch.float32)
    tokenizer = Tokenizer.from_dir(directory)
    cfg = net.cfg
    length = prompt_tokens or (cfg.sliding_window or 256) + 64
    ids = _prompt(tokenizer, length)
    report: dict[str, Any] = {"path": str(directory), "prompt_tokens": len(ids), "sliding_window": cfg.sliding_window}

    reference = MellumForCausalLM.from_pretrained(str(directory), dtype=torch.float32).eval()
    with torch.inference_mode():
        ours = net(torch.tensor([ids]), torch.arange(len(ids))).logits
        theirs = reference(torch.tensor([ids])).logits
        report["max_abs_logit_diff"] = float((ours - theirs).abs().max())
        ref_out = reference.generate(
            torch.tensor([ids]), max_new_tokens=GREEDY_TOKENS, min_new_tokens=GREEDY_TOKENS, do_sample=False,
            eos_token_id=None, pad_token_id=tokenizer.eos_id,
        )[0, len(ids) :].tolist()

    def run(draft: str) -> list[int]:
        engine = Engine(net, tokenizer, slots=1, ring_reserve=128)
        engine.stop_ids = frozenset()  # compare raw token streams, as generate() above does
        return engine.generate(ids, GenerationParams(max_new_tokens=GREEDY_TOKENS, draft=draft)).token_ids  # type: ignore[arg-type]

    plain = run("none")
    report["greedy_match"] = plain == ref_out
    report["mtp_greedy_match"] = (run("mtp") == plain) if net.mtp_layer is not None else None
    report["lookup_greedy_match"] = run("lookup") == plain

    # Prefix reuse and rollback: generate with drafts (rejected ones get rolled back), then ask for a prompt
    # that shares a prefix with what the slot holds; the logits must equal a cold run's.
    engine = Engine(net, tokenizer, slots=1, ring_reserve=128)
    generated = engine.generate(ids, GenerationParams(max_new_tokens=16, draft="auto")).token_ids
    edited = ids + generated[:8] + tokenizer.encode("x = 1\n")
    warm = engine.next_logits(edited)
    cold = Engine(net, tokenizer, slots=1, ring_reserve=128).next_logits(edited)
    report["prefix_reuse_cached_tokens"] = engine.slots[0].reusable_prefix(edited, needs_mtp=engine.has_mtp)
    report["prefix_reuse_max_diff"] = float((warm - cold).abs().max())
    report["prefix_reuse_match"] = report["prefix_reuse_max_diff"] <= LOGIT_TOLERANCE
    report["ok"] = bool(
        report["max_abs_logit_diff"] <= LOGIT_TOLERANCE
        and report["greedy_match"]
        and report["mtp_greedy_match"] is not False
        and report["lookup_greedy_match"]
        and report["prefix_reuse_match"]
    )
    return report
