"""`eval lines`: how well a model completes the rest of a line in real files, against a baseline that
needs no training (copy what followed the longest matching text earlier in the file)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F

from .engine import Engine, GenerationParams
from .prompts import fim_prompt

PREFIX_CHARS = 2000
SUFFIX_CHARS = 600
MAX_LINE_TOKENS = 48
COPY_BLOCKS = 100  # blocks scored by `copy_nll`
COPY_TOKENS = 200  # tokens in each


@dataclass
class Sample:
    path: str
    prefix: str
    suffix: str
    target: str


def sample_positions(files: list[Path], root: Path, n: int, seed: int) -> list[Sample]:
    """n cursor positions: a random line with code on it, a random column after its indentation;
    the target is the rest of that line."""
    rng = random.Random(seed)
    texts = []
    for f in sorted(files):
        try:
            texts.append((f, f.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    candidates = []  # (file index, offset of line start, line)
    for i, (_, text) in enumerate(texts):
        offset = 0
        for line in text.split("\n"):
            if len(line.strip()) >= 4:
                candidates.append((i, offset, line))
            offset += len(line) + 1
    out = []
    for i, start, line in rng.sample(candidates, min(n, len(candidates))):
        indent = len(line) - len(line.lstrip())
        col = rng.randrange(indent, len(line.rstrip()))
        f, text = texts[i]
        cursor, end = start + col, start + len(line)
        out.append(Sample(f.relative_to(root).as_posix(), text[max(0, cursor - PREFIX_CHARS) : cursor],
                          text[end : end + SUFFIX_CHARS], line[col:].rstrip()))
    return out


def ngram_baseline(prefix: str) -> str:
    """Copy the rest of the line that followed the longest earlier occurrence of the prefix's tail."""
    lo, hi = 0, min(len(prefix) - 1, 400)
    while lo < hi:  # longest n such that prefix[-n:] occurs earlier (monotone in n)
        mid = (lo + hi + 1) // 2
        if prefix.rfind(prefix[-mid:], 0, len(prefix) - 1) >= 0:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return ""
    at = prefix.rfind(prefix[-lo:], 0, len(prefix) - 1) + lo
    end = prefix.find("\n", at)
    return prefix[at : end if end >= 0 else len(prefix)].rstrip()


def edit_similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


def copy_nll(engine: Engine, texts: list[str]) -> tuple[float, float] | None:
    """Mean loss per token on the last `COPY_TOKENS` tokens of each text, and on the same tokens shown again
    right after. Only looking back predicts the second copy, so the gap says how well the model copies
    from its context: what completion leans on most, and all that the n-gram baseline does. None when no
    text is long enough."""
    blocks: list[list[int]] = []
    for text in texts:
        if len(blocks) == COPY_BLOCKS:
            break
        ids = engine.tokenizer.encode(text)
        if len(ids) >= COPY_TOKENS:
            blocks.append(ids[-COPY_TOKENS:])
    if not blocks:
        return None
    first = second = 0.0
    for ids in blocks:
        seq = torch.tensor([ids + ids], device=engine.device)
        with torch.inference_mode():
            logits = engine.model(seq, torch.arange(seq.shape[1], device=engine.device)).logits[0, :-1]
        nll = F.cross_entropy(logits.float(), seq[0, 1:], reduction="none")  # nll[i]: token i + 1
        first += float(nll[: COPY_TOKENS - 1].mean())
        second += float(nll[COPY_TOKENS:].mean())  # the second copy after its first token, which follows nothing
    return first / len(blocks), second / len(blocks)


def evaluate_lines(engine: Engine, samples: list[Sample], repo: str,
                   progress: Callable[[int], None] | None = None) -> dict:
    em = es = bem = bes = 0.0
    nll, n_tokens = 0.0, 0
    proposed = accepted = 0
    examples = []
    draft: Literal["mtp", "lookup"] = "mtp" if engine.has_mtp else "lookup"
    for k, s in enumerate(samples):
        prompt = fim_prompt(repo=repo, files=(), path=s.path, prefix=s.prefix, suffix=s.suffix)
        ids = engine.tokenizer.encode(prompt)
        # One MTP draft per step: the token the MTP head is trained to predict, so that acceptance measures
        # the head (drafting further feeds it its own output, and the engine's default of 2 accepts fewer).
        params = GenerationParams(max_new_tokens=MAX_LINE_TOKENS, stop=("\n",), draft=draft, heal=True,
                                  draft_tokens=1 if draft == "mtp" else 0)
        result = engine.generate(ids, params)
        pred = result.text.rstrip()
        proposed += result.draft_proposed
        accepted += result.draft_accepted
        base = ngram_baseline(s.prefix)
        em += pred == s.target
        es += edit_similarity(pred, s.target)
        bem += base == s.target
        bes += edit_similarity(base, s.target)
        # The true middle ends the file's line, so a FIM model ends it with end-of-text, as it was taught.
        target_ids = engine.tokenizer.encode(s.target) + [engine.tokenizer.eos_id]
        with torch.inference_mode():
            seq = torch.tensor([ids + target_ids], device=engine.device)
            logits = engine.model(seq, torch.arange(seq.shape[1], device=engine.device), logits_from=len(ids) - 1).logits
            nll += float(F.cross_entropy(logits[0, :-1].float(), torch.tensor(target_ids, device=engine.device), reduction="sum"))
        n_tokens += len(target_ids)
        examples.append({"path": s.path, "prefix_tail": s.prefix[-120:], "target": s.target, "completion": pred,
                         "baseline": base})
        if progress:
            progress(k + 1)
    n = max(1, len(samples))
    copied = copy_nll(engine, [s.prefix for s in samples])
    return {
        "samples": len(samples),
        "exact_match": em / n,
        "edit_similarity": es / n,
        "baseline_exact_match": bem / n,
        "baseline_edit_similarity": bes / n,
        "perplexity": math.exp(nll / max(1, n_tokens)),
        "mtp_acceptance": accepted / proposed if proposed and draft == "mtp" else None,
        "copy_nll_first": copied[0] if copied else None,
        "copy_nll_second": copied[1] if copied else None,
        "draft_source": draft,
        "examples": examples,
    }
