"""Drop a suggestion that breaks a file which parsed before it was inserted.

A file that already has errors (the user is mid-edit) gives no signal, so suggestions pass there;
so do documents without a grammar.
"""

from __future__ import annotations

from mellum_lsp.completion.candidate import Candidate, FilterContext


def apply(candidate: Candidate, ctx: FilterContext) -> Candidate | None:
    """None when the document parsed cleanly without the text and does not with it."""
    if ctx.parses("") is True and ctx.parses(candidate.text) is False:
        return None
    return candidate
