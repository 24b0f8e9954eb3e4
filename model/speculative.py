"""Draft sources for speculative decoding that need no model: prompt lookup.

Prompt lookup proposes the tokens that followed the most recent earlier occurrence of the sequence's
last n-gram (longest n first), searched in the prompt, the text generated so far and any extra text
(for an edit, the original region). Edits and completions that copy nearby code accept long runs of it.
"""

from __future__ import annotations


class NgramIndex:
    """Where each n-gram (n = 1..max_n) last occurred with a known continuation, updated as tokens arrive."""

    def __init__(self, max_n: int = 3):
        self.max_n = max_n
        self.seq: list[int] = []
        self.extra: list[int] = []
        self.last: dict[tuple[int, ...], tuple[bool, int]] = {}  # ngram -> (in extra?, index of continuation)

    def add_extra(self, tokens: list[int]) -> None:
        """Text to draft from that is not part of the sequence (its n-grams lose to the sequence's own)."""
        self.extra = list(tokens)
        for j in range(1, len(self.extra)):
            for n in range(1, self.max_n + 1):
                if j - n >= 0:
                    self.last.setdefault(tuple(self.extra[j - n : j]), (True, j))

    def extend(self, tokens: list[int]) -> None:
        for t in tokens:
            j = len(self.seq)
            self.seq.append(t)
            # the n-grams ending just before t now have a continuation: t at index j
            for n in range(1, self.max_n + 1):
                if j - n >= 0:
                    self.last[tuple(self.seq[j - n : j])] = (False, j)

    def propose(self, k: int) -> list[int]:
        for n in range(min(self.max_n, len(self.seq)), 0, -1):
            hit = self.last.get(tuple(self.seq[-n:]))
            if hit is not None:
                in_extra, start = hit
                source = self.extra if in_extra else self.seq
                return source[start : start + k]
        return []
