"""A light scanner of open brackets, strings and comments, for judging a suggestion's closers.

Not a parser: it works on the partial, often broken, text around the cursor where tree-sitter
cannot say which bracket a closer belongs to. State is a stack whose entries are open brackets,
open string delimiters and open comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

PAIRS = {")": "(", "]": "[", "}": "{"}
_OPENERS = set(PAIRS.values())
_HASH_COMMENT_LANGUAGES = {"python", "ruby", "bash", "yaml", "toml", "r", "perl", "elixir", "make", "cmake"}
_BACKTICK_LANGUAGES = {"javascript", "typescript", "tsx", "go", "kotlin"}
_NO_SINGLE_QUOTE_LANGUAGES = {"rust", "ocaml", "haskell"}


@dataclass(frozen=True)
class Syntax:
    """The comment and string delimiters of a language."""

    line_comment: str
    block_comment: tuple[str, str] | None
    quotes: tuple[str, ...]

    @classmethod
    def of(cls, language: str | None) -> Syntax:
        """Delimiters for a tree-sitter language name (C-like defaults for the rest)."""
        if language in _HASH_COMMENT_LANGUAGES:
            quotes: tuple[str, ...] = ('"""', "'''", '"', "'") if language == "python" else ('"', "'")
            return cls("#", None, quotes)
        quotes = ('"',) if language in _NO_SINGLE_QUOTE_LANGUAGES else ('"', "'")
        if language in _BACKTICK_LANGUAGES:
            quotes += ("`",)
        return cls("//", ("/*", "*/"), quotes)


@dataclass(frozen=True)
class Event:
    """Something in scanned text that concerns what was open before it.

    `closed`: a closer (bracket or quote) closing an entry of the stack the scan started with;
    `mismatched`: a closer that does not match the innermost open bracket (or finds none open);
    `unterminated`: a one-line string cut off by the end of its line.
    """

    index: int
    char: str
    kind: Literal["closed", "mismatched", "unterminated"]


def scan(text: str, stack: list[str], syntax: Syntax) -> Iterator[Event]:
    """Advance `stack` over `text`, yielding the events that show how `text` fits what came before.

    A mismatched closer leaves the stack as it was.
    """
    floor = len(stack)
    i = 0
    while i < len(text):
        top = stack[-1] if stack else None
        ch = text[i]
        if top == syntax.line_comment:
            if ch == "\n":
                stack.pop()
            i += 1
        elif syntax.block_comment and top == syntax.block_comment[0]:
            if text.startswith(syntax.block_comment[1], i):
                stack.pop()
                i += len(syntax.block_comment[1])
            else:
                i += 1
        elif top in syntax.quotes:
            if ch == "\\":
                i += 2
            elif text.startswith(top, i):
                if len(stack) <= floor:
                    floor -= 1
                    yield Event(i, top, "closed")
                stack.pop()
                i += len(top)
            else:
                if ch == "\n" and top in ('"', "'"):
                    yield Event(i, top, "unterminated")
                    stack.pop()
                    floor = min(floor, len(stack))
                i += 1
        else:
            opened = _opening_delimiter(text, i, syntax)
            if opened:
                stack.append(opened)
                i += len(opened)
                continue
            if ch in PAIRS:
                if stack and stack[-1] == PAIRS[ch]:
                    if len(stack) <= floor:
                        floor -= 1
                        yield Event(i, ch, "closed")
                    stack.pop()
                else:
                    yield Event(i, ch, "mismatched")
            i += 1


def _opening_delimiter(text: str, i: int, syntax: Syntax) -> str | None:
    """The bracket, quote or comment opener starting at `text[i]`, if any."""
    if text.startswith(syntax.line_comment, i):
        return syntax.line_comment
    if syntax.block_comment and text.startswith(syntax.block_comment[0], i):
        return syntax.block_comment[0]
    for quote in syntax.quotes:
        if text.startswith(quote, i):
            return quote
    return text[i] if text[i] in _OPENERS else None


def open_stack(text: str, syntax: Syntax) -> list[str]:
    """What is still open at the end of `text`."""
    stack: list[str] = []
    for _ in scan(text, stack, syntax):
        pass
    return stack
