"""A light scanner of open brackets, strings and comments, for judging a suggestion's closers.

Not a parser: it works on the partial, often broken, text around the cursor where tree-sitter
cannot say which bracket a closer belongs to. State is a stack whose entries are open brackets,
open string delimiters and open comments. Runs of characters that cannot change the state are
skipped with one regular-expression match each, which keeps a whole-file prefix cheap to scan.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

PAIRS = {")": "(", "]": "[", "}": "{"}
_OPENERS = set(PAIRS.values())
_HASH_COMMENT_LANGUAGES = {"python", "ruby", "bash", "yaml", "toml", "r", "perl", "elixir", "make", "cmake"}
_BACKTICK_LANGUAGES = {"javascript", "typescript", "tsx", "go", "kotlin"}
_NO_SINGLE_QUOTE_LANGUAGES = {"rust", "ocaml", "haskell"}
_ONE_LINE_QUOTES = ('"', "'")


def _run_of_chars_other_than(chars: str) -> re.Pattern[str]:
    return re.compile(f"[^{re.escape(''.join(sorted(set(chars))))}]+")


@dataclass(frozen=True)
class Syntax:
    """The comment and string delimiters of a language, and the skip patterns for each scanner state."""

    line_comment: str
    block_comment: tuple[str, str] | None
    quotes: tuple[str, ...]
    skips: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = "()[]{}" + self.line_comment[0] + "".join(q[0] for q in self.quotes)
        skips = {
            "": _run_of_chars_other_than(starts + (self.block_comment[0][0] if self.block_comment else ""))
        }
        skips[self.line_comment] = _run_of_chars_other_than("\n")
        if self.block_comment:
            skips[self.block_comment[0]] = _run_of_chars_other_than(self.block_comment[1][0])
        for quote in self.quotes:
            skips[quote] = _run_of_chars_other_than("\\\n" + quote[0])
        object.__setattr__(self, "skips", skips)

    @staticmethod
    def of(language: str | None) -> Syntax:
        """Delimiters for a tree-sitter language name (C-like defaults for the rest)."""
        return _syntax_of(language)


@functools.cache
def _syntax_of(language: str | None) -> Syntax:
    if language in _HASH_COMMENT_LANGUAGES:
        quotes: tuple[str, ...] = ('"""', "'''", '"', "'") if language == "python" else ('"', "'")
        return Syntax("#", None, quotes)
    quotes = ('"',) if language in _NO_SINGLE_QUOTE_LANGUAGES else ('"', "'")
    if language in _BACKTICK_LANGUAGES:
        quotes += ("`",)
    return Syntax("//", ("/*", "*/"), quotes)


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
        state = top if top is not None and top not in _OPENERS else ""
        skipped = syntax.skips[state].match(text, i)
        if skipped:
            i = skipped.end()
            continue
        ch = text[i]
        if top == syntax.line_comment:
            stack.pop()  # the newline that ends the comment
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
                if ch == "\n" and top in _ONE_LINE_QUOTES:
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
