"""Assemble what the model sees: context pieces plus the FIM prefix and suffix, within a budget.

The budget is counted with the caller's tokenizer (`count(text) -> int`) on the prompt the
caller's formatter builds, so it holds for whatever format the model uses; it is never exceeded
(if the pieces' estimated costs add up to a prompt over budget, the least relevant are dropped
until the real count fits). The prefix and suffix get a share of the budget (prefix favoured),
cut on line boundaries snapped to a grid so typing does not move them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from indexing.counting import MAX_CHARS_PER_TOKEN, TokenCounter, counter_for
from indexing.packer import Piece, pack, stable_order
from indexing.ranking import SHARES, WEIGHTS, PackingShares, RankingWeights
from indexing.retrieval import ChatRetriever, CompletionRetriever, Cursor
from indexing.workspace import WorkspaceIndex

__all__ = [
    "AssembledContext",
    "BudgetTooSmall",
    "FimFormatter",
    "Piece",
    "TokenCounter",
    "assemble_chat_context",
    "assemble_completion_context",
    "cut_prefix",
    "cut_suffix",
]


class FimFormatter(Protocol):
    def __call__(
        self, *, repo: str, files: Sequence[tuple[str, str]], path: str, prefix: str, suffix: str
    ) -> str: ...


class BudgetTooSmall(ValueError):
    """The budget cannot hold even the prompt's frame (repository name, path, FIM tokens)."""


@dataclass
class AssembledContext:
    prompt: str
    pieces: list[Piece]  # in prompt order: the most relevant last, nearest the cursor
    prompt_tokens: int


FIT_ROUNDS = 5
GOOD_FIT = 0.97  # a cut within 3% of its target is not refined further
GROWTH_SHARE = 16  # 1/16 of the budget is kept free for the prefix to grow into while typing


def fit_lines(
    lines: list[str],
    target: int,
    count: Callable[[str], int],
    from_end: bool,
    chars_per_token: float = 4.0,
    snap: int = 1,
) -> int:
    """How many whole lines from the end (or the start) of `lines`, joined by newlines, fit in
    `target` tokens, leaving out a multiple of `snap` lines (or none): the cut then stays on its
    grid while one types on the kept side. A few real counts: the first at a typical
    characters-per-token guess, each next one rescaled by the ratio observed; the largest count
    that fitted wins."""
    ordered = lines[::-1] if from_end else lines
    cumulative = [0]
    limit = target * MAX_CHARS_PER_TOKEN  # longer text cannot fit: never counted
    for line in ordered:
        if cumulative[-1] + len(line) + 1 > limit:
            break
        cumulative.append(cumulative[-1] + len(line) + 1)
    available = len(cumulative) - 1
    best, tried = 0, set()
    wanted = target * chars_per_token * 0.99
    for _ in range(FIT_ROUNDS):
        keep = min(available, max(0, bisect.bisect_right(cumulative, wanted) - 1))
        while snap > 1 and 0 < keep < len(lines) and (len(lines) - keep) % snap:
            keep -= 1
        if keep in tried or keep <= best:
            break
        tried.add(keep)
        chosen = ordered[:keep]
        text = "\n".join(chosen[::-1] if from_end else chosen)
        tokens = count(text)
        if tokens <= target:
            best = keep
            if keep == available or tokens >= GOOD_FIT * target:
                break
        wanted = len(text) * target / max(tokens, 1) * (0.99 if tokens <= target else 0.97)
    return best


def cut_prefix(
    text: str, target: int, count: Callable[[str], int], snap: int, chars_per_token: float = 4.0
) -> tuple[str, int]:
    """The longest tail of `text` made of whole lines (the cursor's line always kept from its
    start) within `target` tokens, starting on a line whose number is a multiple of `snap`
    (or on the first line); and the number of that line. The snap keeps the start still
    while one types, and the text counted is the text returned, so its count is remembered."""
    lines = text.split("\n")
    last = len(lines) - 1
    kept = fit_lines(
        lines,
        target,
        count,
        from_end=True,
        chars_per_token=chars_per_token,
        snap=snap,
    )
    if kept == 0:
        partial = lines[last]
        while partial and count(partial) > target:  # one line over budget: keep its end
            partial = partial[len(partial) // 4 + 1 :]
        return partial, last
    return "\n".join(lines[len(lines) - kept :]), len(lines) - kept


def cut_suffix(
    text: str, target: int, count: Callable[[str], int], snap: int, chars_per_token: float = 4.0
) -> tuple[str, int]:
    """The longest head of `text` made of whole lines within `target` tokens, leaving out a number
    of lines that is a multiple of `snap` (or none); returns the text and the number of lines kept.
    Counting what is left out from the end of the file keeps the cut still while one types above
    it, new lines included."""
    lines = text.split("\n")
    kept = fit_lines(
        lines,
        target,
        count,
        from_end=False,
        chars_per_token=chars_per_token,
        snap=snap,
    )
    return "\n".join(lines[:kept]), kept


def assemble_completion_context(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    offset: int,
    *,
    budget: int,
    tokenizer: TokenCounter,
    formatter: FimFormatter,
    recent: Sequence[Path] = (),
    weights: RankingWeights = WEIGHTS,
    shares: PackingShares = SHARES,
    sources: Sequence[str] | None = None,
    reuse: Sequence[Piece] | None = None,
) -> AssembledContext:
    """The FIM prompt for a cursor at character `offset` of `text` (the buffer of `path`).

    `sources` restricts retrieval to some of "scope", "imports", "definition", "similar",
    "recent" (all by default); `recent` lists recently edited or open documents, newest first.
    `reuse` gives pieces chosen earlier to use again instead of retrieving (while one types,
    so that the head of the prompt, and the KV cache behind it, stay the same).
    """
    if budget <= 0:
        raise BudgetTooSmall(f"budget must be positive, got {budget}")
    offset = max(0, min(offset, len(text)))
    relative = index.relative(path)
    repo = index.root_for(path).name
    count = counter_for(tokenizer)
    cursor_line = text.count("\n", 0, offset)

    prefix_share = min(shares.max_prefix_tokens, int(budget * shares.prefix))
    suffix_share = min(shares.max_suffix_tokens, int(budget * shares.suffix))
    while True:
        ratio = count.chars_per_token
        prefix, first_line = cut_prefix(text[:offset], prefix_share, count, shares.line_snap, ratio)
        suffix, suffix_lines = cut_suffix(text[offset:], suffix_share, count, shares.line_snap, ratio)
        frame_tokens = count(formatter(repo=repo, files=(), path=relative, prefix=prefix, suffix=suffix))
        if frame_tokens <= budget:
            break
        if prefix_share == 0 and suffix_share == 0:
            raise BudgetTooSmall(
                f"a budget of {budget} tokens cannot hold the prompt frame ({frame_tokens} tokens)"
            )
        prefix_share, suffix_share = prefix_share // 2, suffix_share // 2

    if reuse is not None:
        pieces = list(reuse)
    else:
        visible = (first_line, cursor_line + max(0, suffix_lines - 1))
        # Leave the prefix room to grow as one types, so that the pieces can be reused unchanged.
        growth = min(max(0, prefix_share - count(prefix)), budget // GROWTH_SHARE)
        room = budget - frame_tokens - growth
        pieces = _retrieve(
            index, path, text, visible, cursor_line, room, count, formatter, recent, weights, shares, sources
        )
    while True:
        prompt = formatter(
            repo=repo, files=[(p.path, p.text) for p in pieces], path=relative, prefix=prefix, suffix=suffix
        )
        prompt_tokens = count(prompt)
        if prompt_tokens <= budget or not pieces:
            break
        weakest = min(range(len(pieces)), key=lambda i: (pieces[i].score, -i))
        del pieces[weakest]
    return AssembledContext(prompt, pieces, prompt_tokens)


def _retrieve(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    visible: tuple[int, int],
    cursor_line: int,
    room: int,
    count: Callable[[str], int],
    formatter: FimFormatter,
    recent: Sequence[Path],
    weights: RankingWeights,
    shares: PackingShares,
    sources: Sequence[str] | None,
) -> list[Piece]:
    """Context pieces for the cursor that fit in `room` tokens, in prompt order."""
    key = index.key(path)
    relative = index.relative(path)
    repo = index.root_for(path).name
    lines = text.split("\n")
    cursor = Cursor(key, lines, cursor_line, visible)
    recent_keys = [index.key(p) for p in recent]
    with index.reading():
        candidates = CompletionRetriever(index, weights).candidates(cursor, recent_keys, sources)

    empty_frame = count(formatter(repo=repo, files=(), path=relative, prefix="", suffix=""))

    def cost(piece_path: str, piece_text: str) -> int:
        block = formatter(repo=repo, files=((piece_path, piece_text),), path=relative, prefix="", suffix="")
        return count(block) - empty_frame

    def lines_of(piece_key: str) -> list[str]:
        return lines if piece_key == key else index.lines(piece_key)

    return stable_order(pack(candidates, room, cost, lines_of, index.relative), shares)


def assemble_chat_context(
    index: WorkspaceIndex,
    question: str,
    *,
    budget: int,
    tokenizer: TokenCounter,
    open_file: tuple[Path, str] | None,
    selection: str | None,
    weights: RankingWeights = WEIGHTS,
) -> list[Piece]:
    """Pieces for a chat question, most relevant first, whose `tokens` sum to at most `budget`.

    A piece's `tokens` counts `"{path}\\n{text}"`; the caller's own framing of each piece
    (a `<filename>` token, a code fence) is on top and should be allowed for in `budget`.
    """
    count = counter_for(tokenizer)
    opened = (index.key(open_file[0]), open_file[1].split("\n")) if open_file is not None else None
    with index.reading():
        candidates = ChatRetriever(index, weights).candidates(question, opened, selection)

    def lines_of(piece_key: str) -> list[str]:
        return opened[1] if opened is not None and piece_key == opened[0] else index.lines(piece_key)

    def cost(piece_path: str, piece_text: str) -> int:
        return count(f"{piece_path}\n{piece_text}")

    pieces = pack(candidates, budget, cost, lines_of, index.relative)
    return sorted(pieces, key=lambda p: (-p.score, p.path, p.start_line))
