"""Fill a token budget with the best candidate snippets.

Candidates are taken by score; one that overlaps or touches a piece already taken from the same
file is merged into it (paying only for the new lines); a piece costs what the real tokenizer
says its block costs in the prompt. The chosen pieces are then put in an order that does not
depend on small score changes: by score tier (most relevant last, nearest the cursor), then by
path and line, so consecutive keystrokes produce prompts that share their longest prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexing.counting import MAX_CHARS_PER_TOKEN
from indexing.ranking import SHARES, PackingShares
from indexing.retrieval import Candidate

# Candidates looked at before giving up on filling the last few tokens.
MAX_CANDIDATES = 400


@dataclass
class Piece:
    """One snippet of context. `path` is relative to the workspace root (as the model sees it);
    lines are 1-based and inclusive; `reason` names each source that chose it, with its score."""

    path: str
    start_line: int
    end_line: int
    reason: str
    score: float
    tokens: int
    text: str

    def summary(self) -> dict[str, str | int]:
        """Where the piece came from and what it cost: what the context inspector shows."""
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "reason": self.reason,
            "tokens": self.tokens,
        }


@dataclass
class _Span:
    key: str  # absolute path, as the index keys files
    start: int  # 0-based, inclusive
    end: int
    score: float
    reasons: dict[str, float]  # source -> its best score for this span
    tokens: int


def snippet(lines: list[str], start: int, end: int) -> str:
    return "".join(line + "\n" for line in lines[start : end + 1])


def pack(
    candidates: Sequence[Candidate],
    budget: int,
    cost: Callable[[str, str], int],
    lines_of: Callable[[str], list[str]],
    relative: Callable[[str], str],
) -> list[Piece]:
    """The best-scoring candidates whose block costs sum to at most `budget` tokens.

    `cost(relative_path, text)` is the tokens one context block adds to the prompt.
    """
    spans: dict[str, list[_Span]] = {}
    used = 0
    ordered = sorted(candidates, key=lambda c: (-c.score, c.path, c.start_line, c.end_line))
    for candidate in ordered[:MAX_CANDIDATES]:
        lines = lines_of(candidate.path)
        end = min(candidate.end_line, len(lines) - 1)
        if end < candidate.start_line:
            continue
        taken = spans.setdefault(candidate.path, [])
        container = next((s for s in taken if s.start <= candidate.start_line and end <= s.end), None)
        if container is not None:
            container.reasons.setdefault(candidate.source, candidate.score)
            continue
        touching = [s for s in taken if candidate.start_line <= s.end + 1 and end >= s.start - 1]
        start = min([candidate.start_line, *(s.start for s in touching)])
        stop = max([end, *(s.end for s in touching)])
        text = snippet(lines, start, stop)
        already = sum(s.tokens for s in touching)
        if used + len(text) / MAX_CHARS_PER_TOKEN - already > budget:
            continue  # cannot fit whatever the tokenizer says: do not count it
        tokens = cost(relative(candidate.path), text)
        delta = tokens - already
        if used + delta > budget:
            continue
        used += delta
        reasons: dict[str, float] = {}
        for source, source_score in [
            *((r, v) for s in touching for r, v in s.reasons.items()),
            (candidate.source, candidate.score),
        ]:
            reasons[source] = max(source_score, reasons.get(source, 0.0))
        score = max([candidate.score, *(s.score for s in touching)])
        spans[candidate.path] = [s for s in taken if s not in touching] + [
            _Span(candidate.path, start, stop, score, reasons, tokens)
        ]
    return [
        Piece(
            path=relative(span.key),
            start_line=span.start + 1,
            end_line=span.end + 1,
            reason="+".join(f"{source}(score={value:.2f})" for source, value in span.reasons.items()),
            score=round(span.score, 4),
            tokens=span.tokens,
            text=snippet(lines_of(span.key), span.start, span.end),
        )
        for taken in spans.values()
        for span in taken
    ]


def stable_order(pieces: list[Piece], shares: PackingShares = SHARES) -> list[Piece]:
    """Least relevant first, most relevant last; ties in a tier by path and line."""

    def tier(piece: Piece) -> int:
        return sum(piece.score >= threshold for threshold in shares.tiers)

    return sorted(pieces, key=lambda p: (tier(p), p.path, p.start_line))
