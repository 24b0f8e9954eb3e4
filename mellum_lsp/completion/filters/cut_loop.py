"""Cut a decoding loop: a last line that ends in the same words over and over (`a string, a string, a
string, ...`, `_subtype, _subtype, ...`) is a model stuck repeating itself until the token limit stopped
it, not code anyone wants. That line goes; a suggestion with nothing before it is dropped.

A loop is a unit of 3+ characters repeated 6+ times, or of 10+ characters repeated 4+ times, running to
the end of the line, as in Tabby's agent. The unit must hold a letter or digit, so that separator
comments (`# ======`) and literal runs of punctuation are left alone.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mellum_lsp.completion.candidate import Candidate, FilterContext

LOOPS = (re.compile(r"(.{3,}?)\1{5,}$"), re.compile(r"(.{10,}?)\1{3,}$"))
TAIL_CHARS = 400  # a loop long enough to matter shows within the last 400 characters of its line


def apply(candidate: Candidate, ctx: FilterContext) -> Candidate | None:
    """The candidate without a last line that ends in a loop; None when that line was all of it."""
    before, _, last = candidate.text.rstrip().rpartition("\n")
    if not ends_in_loop(last):
        return candidate
    kept = before.rstrip()
    return replace(candidate, text=kept) if kept.strip() else None


def ends_in_loop(line: str) -> bool:
    tail = line[-TAIL_CHARS:]
    for pattern in LOOPS:
        found = pattern.search(tail)
        if found and any(ch.isalnum() for ch in found.group(1)):
            return True
    return False
