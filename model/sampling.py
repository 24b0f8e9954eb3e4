"""Turning logits into tokens: greedy, or temperature with top-k and top-p, and the speculative accept rule.

Temperature 0 means greedy (argmax), which is what the tests compare token for token.
"""

from __future__ import annotations

import torch


def probabilities(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """logits [..., V] -> the distribution sampling draws from (one-hot at the argmax when greedy)."""
    logits = logits.float()
    if temperature <= 0:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    logits = logits / temperature
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if top_p < 1.0:
        sorted_p, order = probs.sort(dim=-1, descending=True)
        outside = sorted_p.cumsum(-1) - sorted_p > top_p  # keep the smallest set whose mass reaches top_p
        sorted_p = sorted_p.masked_fill(outside, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def sample(probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """probs [..., V] -> token ids [...]."""
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])


def accept_draft(
    target: torch.Tensor,  # [k+1, V] target distributions at the draft positions (and one past them)
    draft_tokens: list[int],  # k proposed tokens
    draft_probs: torch.Tensor | None,  # [k, V] the distributions they were drawn from; None: deterministic
    generator: torch.Generator | None,
) -> tuple[int, int]:
    """Speculative sampling: (number of drafts accepted, the next token after them).

    Each draft d is kept with probability min(1, p(d)/q(d)); on the first rejection the next token is
    drawn from the residual max(0, p - q), so the output follows the target distribution exactly. With
    greedy targets (one-hot p) this reduces to "keep while the draft equals the argmax".
    """
    for i, d in enumerate(draft_tokens):
        p = target[i]
        q_d = 1.0 if draft_probs is None else float(draft_probs[i, d])
        accept_prob = min(1.0, float(p[d]) / q_d) if q_d > 0 else 0.0
        if accept_prob >= 1.0 or (accept_prob > 0 and float(torch.rand((), generator=generator)) < accept_prob):
            continue
        q = torch.zeros_like(p)
        if draft_probs is None:
            q[d] = 1.0
        else:
            q = draft_probs[i]
        residual = torch.clamp(p - q, min=0)
        residual = residual / residual.sum() if residual.sum() > 0 else p
        return i, int(sample(residual, generator))
    return len(draft_tokens), int(sample(target[len(draft_tokens)], generator))
