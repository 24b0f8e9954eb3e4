"""Make a suggestion's whitespace fit the document: its indent style, no doubled space, no trailing blanks.

The model sometimes indents with spaces in a tab-indented file (or the reverse), repeats the space
the user just typed, or ends with blank lines the document already has after the cursor.
"""

from __future__ import annotations

from dataclasses import replace

from mellum_lsp.completion import syntax
from mellum_lsp.completion.candidate import Candidate, FilterContext

_MODEL_SPACE_STEP = 4


def apply(candidate: Candidate, ctx: FilterContext) -> Candidate | None:
    """The candidate with its indentation restyled and stray whitespace removed."""
    lines = candidate.text.split("\n")
    if ctx.line_prefix.strip() and ctx.line_prefix[-1] in " \t":
        lines[0] = lines[0].lstrip(" \t")
    lines[1:] = [_restyle(line, ctx.indent_unit) for line in lines[1:]]
    keep_last_trailing = bool(ctx.line_suffix) and not ctx.line_suffix[0].isspace()
    lines = [line.rstrip() for line in lines[:-1]] + [lines[-1] if keep_last_trailing else lines[-1].rstrip()]
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return replace(candidate, text="\n".join(lines))


def _restyle(line: str, unit: str) -> str:
    """`line` with its leading indentation rewritten in the document's unit (tabs or spaces)."""
    lead = syntax.indentation(line)
    if not lead:
        return line
    if unit == "\t" and " " in lead:
        width = len(lead.expandtabs(_MODEL_SPACE_STEP))
        return "\t" * (width // _MODEL_SPACE_STEP) + " " * (width % _MODEL_SPACE_STEP) + line[len(lead) :]
    if unit != "\t" and "\t" in lead:
        return lead.replace("\t", unit) + line[len(lead) :]
    return line
