"""Post-processing filters for model suggestions, one module each, all with the signature of `Filter`.

A filter returns the candidate (possibly shortened) or None to drop it. `run` chains them in
`PIPELINE` order: cheap text rules first, the full re-parse last, so it sees the final text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mellum_lsp.completion.candidate import Candidate, FilterContext
from mellum_lsp.completion.filters import (
    balance_brackets,
    cut_loop,
    drop_empty,
    keep_parsing,
    never_repeat_suffix,
    normalize_indent,
    stop_at_block_end,
)

Filter = Callable[[Candidate, FilterContext], Candidate | None]

FILTERS: dict[str, Filter] = {
    "normalize_indent": normalize_indent.apply,
    "stop_at_block_end": stop_at_block_end.apply,
    "cut_loop": cut_loop.apply,
    "never_repeat_suffix": never_repeat_suffix.apply,
    "balance_brackets": balance_brackets.apply,
    "drop_empty": drop_empty.apply,
    "keep_parsing": keep_parsing.apply,
}

PIPELINE: tuple[Filter, ...] = tuple(FILTERS.values())


def run(candidate: Candidate, ctx: FilterContext, filters: Sequence[Filter] = PIPELINE) -> Candidate | None:
    """Apply `filters` in order; None as soon as one drops the candidate."""
    current: Candidate | None = candidate
    for apply in filters:
        if current is None:
            return None
        current = apply(current, ctx)
    return current
