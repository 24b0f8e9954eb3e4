"""Stop a suggestion where the statement (single-line) or the block at the cursor (multi-line) ends.

Models run past the end of the body they were asked for and start the next function. The cut is
made twice: by indentation (works for every language, and for unparsable text), then by the
tree-sitter block that contains the cursor once the text is inserted, when a grammar exists.
A line of closing brackets at the block's own level is kept; `balance_brackets` removes it if the
suffix closes the block already.
"""

from __future__ import annotations

from dataclasses import replace

from tree_sitter import Node

from mellum_lsp.completion import syntax
from mellum_lsp.completion.candidate import Candidate, FilterContext

_CLOSING_LINE_CHARS = set(")]};,")
_BLOCK_TYPE_ENDINGS = ("block", "body", "compound_statement", "declaration_list")


def apply(candidate: Candidate, ctx: FilterContext) -> Candidate | None:
    """The candidate cut at the end of its line (single-line) or of the cursor's block (multi-line)."""
    if not ctx.multiline:
        return replace(candidate, text=candidate.text.split("\n", 1)[0])
    text = _cut_by_indentation(candidate.text, ctx)
    text = _cut_by_tree(text, ctx)
    return replace(candidate, text=text)


def _cut_by_indentation(text: str, ctx: FilterContext) -> str:
    """`text` up to the first line indented less than the first line of the block it started."""
    lines = text.split("\n")
    # Visual lines: the cursor's line is the line prefix followed by the first completion line.
    visual = [ctx.line_prefix + lines[0], *lines[1:]]
    body = [i for i, line in enumerate(visual) if line.strip() and (i > 0 or lines[0].strip())]
    if not body:
        return text
    reference = syntax.indent_width(visual[body[0]])
    for i in body[1:]:
        line = visual[i]
        if syntax.indent_width(line) < reference:
            if set(line.strip()) <= _CLOSING_LINE_CHARS:
                return "\n".join(lines[: i + 1])
            return "\n".join(lines[:i]).rstrip()
    return text


def _cut_by_tree(text: str, ctx: FilterContext) -> str:
    """`text` cut where the syntax block containing its first token ends, if that is inside `text`."""
    stripped = text.lstrip()
    if not stripped:
        return text
    document = ctx.prefix + text + ctx.suffix
    tree = syntax.parse(document, ctx.language)
    if tree is None:
        return text
    start = len((ctx.prefix + text[: len(text) - len(stripped)]).encode("utf-8"))
    end = len((ctx.prefix + text).encode("utf-8"))
    block = _enclosing_block(tree.root_node.descendant_for_byte_range(start, start + 1))
    if block is None or block.has_error or not start < block.end_byte < end:
        return text
    inserted = document.encode("utf-8")[len(ctx.prefix.encode("utf-8")) : block.end_byte]
    return inserted.decode("utf-8", errors="ignore").rstrip()


def _enclosing_block(node: Node | None) -> Node | None:
    """The innermost block-like ancestor of `node` (a body of statements or declarations)."""
    while node is not None and not node.type.endswith(_BLOCK_TYPE_ENDINGS):
        node = node.parent
    return node
