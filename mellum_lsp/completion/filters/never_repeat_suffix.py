"""Never insert what already follows the cursor.

Two repeats are common: the suggestion ends with the rest of the cursor's line (`foo(x)` typed into
`|(x)`), and a multi-line suggestion reproduces the next line of the file. The tail of the line is
only matched when it holds a word character: a lone `)` is for `balance_brackets` to judge.
"""

from __future__ import annotations

from dataclasses import replace

from mellum_lsp.completion.candidate import Candidate, FilterContext


def apply(candidate: Candidate, ctx: FilterContext) -> Candidate | None:
    """The candidate without a repeat of the suffix; None when all of it is a repeat."""
    trimmed = _before_repeated_line(_without_line_tail(candidate.text, ctx.line_suffix.strip()), ctx)
    return None if trimmed is None else replace(candidate, text=trimmed)


def _without_line_tail(text: str, rest_of_line: str) -> str:
    """`text` minus a tail equal to the rest of the cursor's line."""
    if not _is_substantial(rest_of_line):
        return text
    trimmed = text.rstrip()
    if trimmed.endswith(rest_of_line):
        return trimmed[: len(trimmed) - len(rest_of_line)]
    return text


def _before_repeated_line(text: str, ctx: FilterContext) -> str | None:
    """`text` up to the first of its lines that equals the next non-blank line after the cursor's."""
    following = ctx.suffix.split("\n")[1:]
    next_line = next((line.strip() for line in following if line.strip()), "")
    if not _is_substantial(next_line):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        starts_line = i > 0 or not ctx.line_prefix.strip()
        if starts_line and line.strip() == next_line:
            return None if i == 0 else "\n".join(lines[:i]).rstrip()
    return text


def _is_substantial(fragment: str) -> bool:
    """True when `fragment` holds a letter or digit, so a match is unlikely to be a coincidence."""
    return any(ch.isalnum() for ch in fragment)
