"""Single-line or multi-line: the shape of suggestion the syntax at the cursor calls for.

Multi-line only right after something that opens a block (`def f():`, `if x:`, `{`), with nothing
but closing brackets after the cursor on its line; everywhere else (mid-line, end of a statement)
the suggestion finishes the current line. Decided from the tree-sitter token before the cursor
where a grammar exists, from the text otherwise.
"""

from __future__ import annotations

from mellum_lsp.completion import syntax

_CLOSERS = set(")]}\"'`;,")
# Tokens after which a new block starts, whatever line the cursor is on.
_BLOCK_OPENERS = {"{", ":", "do", "then"}
# Openers that start a multi-line construct only when the cursor sits on a fresh line after them.
_LIST_OPENERS = {"(", "["}
# Node kinds whose `:` ends a block header, as opposed to a dict entry, slice, lambda or annotation.
_COLON_OWNERS_SUFFIXES = ("_statement", "_definition", "_clause", "block")


def wants_multiline(prefix: str, suffix: str, language: str | None) -> bool:
    """True when the cursor is at the start of a block body, so a multi-line suggestion fits."""
    line_end = suffix.find("\n")
    rest_of_line = suffix if line_end < 0 else suffix[:line_end]
    if not set(rest_of_line.strip()) <= _CLOSERS:
        return False
    on_fresh_line = not prefix[prefix.rfind("\n") + 1 :].strip()
    opener = _opener_before(prefix, suffix, language)
    if opener is None:
        return False
    return opener in _BLOCK_OPENERS or (on_fresh_line and opener in _LIST_OPENERS)


def _opener_before(prefix: str, suffix: str, language: str | None) -> str | None:
    """The opening token right before the cursor (ignoring whitespace), or None if there is none."""
    tree = syntax.parse(prefix + suffix, language)
    if tree is not None:
        token = syntax.last_token(tree, prefix)
        if token is not None and not token.has_error and not (token.parent and token.parent.type == "ERROR"):
            if token.type == ":" and not (
                token.parent and token.parent.type.endswith(_COLON_OWNERS_SUFFIXES)
            ):
                return None
            return token.type if token.type in _BLOCK_OPENERS | _LIST_OPENERS else None
        # Broken syntax around the cursor: a bare colon is as likely a dict entry as a block header.
        opener = _text_opener(prefix)
        return None if opener == ":" else opener
    return _text_opener(prefix)


def _text_opener(prefix: str) -> str | None:
    """The opener ending `prefix` by text alone, for documents without a grammar or with broken syntax."""
    stripped = prefix.rstrip()
    for opener in sorted(_BLOCK_OPENERS | _LIST_OPENERS, key=len, reverse=True):
        if stripped.endswith(opener):
            return opener
    return None
