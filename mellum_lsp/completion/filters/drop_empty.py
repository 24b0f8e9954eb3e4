"""Drop a suggestion with nothing visible left in it: an empty ghost text is noise, not a suggestion."""

from __future__ import annotations

from mellum_lsp.completion.candidate import Candidate, FilterContext


def apply(candidate: Candidate, ctx: FilterContext) -> Candidate | None:
    """None when the text is empty or whitespace only."""
    return candidate if candidate.text.strip() else None
