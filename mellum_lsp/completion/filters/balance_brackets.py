"""Balance brackets and quotes against the suffix: never close what the text after the cursor closes.

With the cursor inside `foo(|)` the model often writes `a, b)`; inserted as is, the call would end
in `))`. The suggestion may close some of the brackets and strings open before the cursor; how
many is chosen so that the suffix, scanned after it, shows the fewest stray or mismatched closers
and cut-off strings (on a tie, the most the suggestion wanted to close). The suggestion is cut
before its first closer beyond that number, or before a closer that matches nothing.
"""

from __future__ import annotations

from dataclasses import replace

from mellum_lsp.completion.brackets import Syntax, open_stack, scan
from mellum_lsp.completion.candidate import Candidate, FilterContext

# Bounds on the text scanned each side of the cursor: far-away text rarely changes the verdict.
_PREFIX_LIMIT = 20_000
_SUFFIX_LIMIT = 4_000


def apply(candidate: Candidate, ctx: FilterContext) -> Candidate | None:
    """The candidate cut before its first closer that the suffix makes redundant or wrong."""
    syntax = Syntax.of(ctx.language)
    stack = open_stack(_tail_lines(ctx.prefix, _PREFIX_LIMIT), syntax)
    closers: list[int] = []
    for event in scan(candidate.text, list(stack), syntax):
        if event.kind == "mismatched":
            return _cut(candidate, event.index)
        if event.kind == "closed":
            closers.append(event.index)
    if not closers:
        return candidate
    suffix = ctx.suffix[:_SUFFIX_LIMIT]
    keep = min(
        range(len(closers) + 1), key=lambda m: (_suffix_errors(stack[: len(stack) - m], suffix, syntax), -m)
    )
    return candidate if keep == len(closers) else _cut(candidate, closers[keep])


def _suffix_errors(stack: list[str], suffix: str, syntax: Syntax) -> int:
    """How many stray or mismatched closers and cut-off strings `suffix` shows after `stack`."""
    state = list(stack)
    errors = sum(event.kind != "closed" for event in scan(suffix, state, syntax))
    left_in_string = len(state) > len(stack) and state[-1] in ('"', "'")
    return errors + left_in_string


def _cut(candidate: Candidate, index: int) -> Candidate:
    """The candidate's text before `index`, without the whitespace that led up to the cut."""
    return replace(candidate, text=candidate.text[:index].rstrip())


def _tail_lines(text: str, limit: int) -> str:
    """The last whole lines of `text` that fit in `limit` characters."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    return tail[tail.find("\n") + 1 :]
