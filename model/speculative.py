"""Draft sources for speculative decoding that need no model: prompt lookup.

Prompt lookup proposes the tokens that followed the most recent earlier occurrence of the sequence's
last n-gram (longest n first), searched in the prompt and the text generated so far. Completions that
copy nearby code accept long runs of it.

An edit (a rewrite, a fix, a next-edit prediction) mostly repeats the original region, so there the
drafts follow the region itself (`RegionFollower`): token by token while the reply copies it, picking
the thread up again after the reply departs from it, and carrying a replacement it has seen (a rename)
into what it drafts next.
"""

from __future__ import annotations

MAX_REPLACEMENT = 8  # tokens on either side of a replacement that is carried forward (a renamed identifier)
RESYNC_SLACK = 4  # how far past the departure a single matching token may pick the region up again


class RegionFollower:
    """Follows an edit's reply through the original region, for drafts that copy the region."""

    def __init__(self, region: list[int], reply_start: int):
        self.expected = list(region)  # the region, with the replacements seen so far applied ahead
        self.at = 0  # where in `expected` the reply continues
        self.seen = reply_start  # the sequence's tokens before this index are accounted for
        self.departed: tuple[int, int] | None = None  # (index in expected, index in the sequence) of a departure

    @property
    def done(self) -> bool:
        """The reply has gone past the region's end: the sequence's own n-grams draft from here."""
        return self.departed is None and self.at >= len(self.expected)

    def propose(self, seq: list[int], k: int) -> list[int]:
        """Up to k drafts after `seq` (the prompt and the reply so far); none while the reply's place in the
        region is unknown, since a wrong draft costs a verification."""
        new, self.seen = seq[self.seen :], len(seq)
        exp = self.expected
        if self.departed is None:
            m = _common(exp, self.at, new)
            if m == len(new):
                self.at += m
            else:
                self.departed = (self.at + m, len(seq) - len(new) + m)
        while self.departed is not None and self._rejoin(seq):
            pass
        if self.departed is None:
            return exp[self.at : self.at + k]
        at, since = self.departed
        if len(seq) - since > 1:
            return []  # still lost: plain steps until the reply's tokens place it in the region again
        # just departed: guess that the reply replaced one of the region's tokens (a renamed name)
        return exp[at + 1 : at + 1 + k]

    def _rejoin(self, seq: list[int]) -> bool:
        """Find where the region resumes in the reply after its departure, learn what replaced what, and
        follow from there. Returns whether the departure moved (rejoined, or departed again further on)."""
        at, since = self.departed  # type: ignore[misc]
        exp = self.expected
        for d in range(since, len(seq)):
            anchor = seq[d : d + 2]  # two tokens place the reply in the region; one only close by
            limit = len(exp) if len(anchor) == 2 else min(len(exp), at + d - since + RESYNC_SLACK)
            j = _find(exp, anchor, at, limit)
            if j is None:
                continue
            old, new = exp[at:j], seq[since:d]
            while old and new and old[-1] == new[-1]:
                old, new = old[:-1], new[:-1]
            if 0 < len(old) <= MAX_REPLACEMENT and 0 < len(new) <= MAX_REPLACEMENT:
                exp[j:] = _replace(exp[j:], old, new)  # a rename: expect it at the name's next uses too
            m = _common(exp, j, seq[d:])
            self.at, self.departed = (j + m, None) if d + m == len(seq) else (j, (j + m, d + m))
            return True
        return False


class NgramIndex:
    """Where each n-gram (n = 1..max_n) last occurred with a known continuation, updated as tokens arrive."""

    def __init__(self, max_n: int = 3):
        self.max_n = max_n
        self.seq: list[int] = []
        self.last: dict[tuple[int, ...], int] = {}  # ngram -> index of its continuation
        self.follower: RegionFollower | None = None

    def follow(self, region: list[int]) -> None:
        """Draft from `region` first: the reply that starts after the tokens so far rewrites it."""
        self.follower = RegionFollower(region, len(self.seq))

    def extend(self, tokens: list[int]) -> None:
        for t in tokens:
            j = len(self.seq)
            self.seq.append(t)
            # the n-grams ending just before t now have a continuation: t at index j
            for n in range(1, self.max_n + 1):
                if j - n >= 0:
                    self.last[tuple(self.seq[j - n : j])] = j

    def propose(self, k: int) -> list[int]:
        if self.follower is not None and not self.follower.done:
            return self.follower.propose(self.seq, k)
        for n in range(min(self.max_n, len(self.seq)), 0, -1):
            start = self.last.get(tuple(self.seq[-n:]))
            if start is not None:
                return self.seq[start : start + k]
        return []


def _common(seq: list[int], at: int, tokens: list[int]) -> int:
    """How many of `tokens` seq repeats from index `at`."""
    m = 0
    while m < len(tokens) and at + m < len(seq) and seq[at + m] == tokens[m]:
        m += 1
    return m


def _find(hay: list[int], needle: list[int], start: int, stop: int) -> int | None:
    """The index of the first occurrence of `needle` in hay[start:stop], if any."""
    for j in range(max(start, 0), stop - len(needle) + 1):
        if hay[j : j + len(needle)] == needle:
            return j
    return None


def _replace(seq: list[int], old: list[int], new: list[int]) -> list[int]:
    out, i = [], 0
    while i < len(seq):
        if seq[i : i + len(old)] == old:
            out.extend(new)
            i += len(old)
        else:
            out.append(seq[i])
            i += 1
    return out
