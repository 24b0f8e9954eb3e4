"""Turning a model's chat reply into code, and LSP params into plain values, for the edit features."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:\n```|\Z)", re.DOTALL)


def extract_code(reply: str) -> str:
    """The first fenced block of ``reply`` (an unterminated one runs to the end), else the reply itself."""
    match = _FENCE.search(reply)
    return match.group(1) if match else reply.strip("\n")


def parse_range(value: Any) -> types.Range:
    """An LSP Range from plain JSON data; raises ValueError naming what is wrong."""
    try:
        start, end = value["start"], value["end"]
        return types.Range(
            start=types.Position(line=int(start["line"]), character=int(start["character"])),
            end=types.Position(line=int(end["line"]), character=int(end["character"])),
        )
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"expected a range {{start:{{line,character}}, end:{{line,character}}}}, got {value!r}"
        ) from None


def parse_position(value: Any) -> types.Position:
    try:
        return types.Position(line=int(value["line"]), character=int(value["character"]))
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"expected a position {{line, character}}, got {value!r}") from None


def offsets(document: TextDocument, range_: types.Range) -> tuple[int, int]:
    """Character offsets of a client range; the start is clamped before the end."""
    start = document.offset_at_position(range_.start)
    end = document.offset_at_position(range_.end)
    return min(start, end), max(start, end)


def whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to whole lines, without the last newline."""
    if end > start and text[end - 1] == "\n":
        end -= 1
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end < 0 else line_end
