"""The context pieces last put into a document's completion prompt, reused while one types nearby.

Retrieval follows the identifiers around the cursor, so it changes as they are typed. The pieces
sit at the head of the prompt, and a changed head makes the engine recompute the whole prompt
(hundreds of milliseconds) instead of the few typed tokens. So a document keeps its pieces while
the cursor stays within `radius` lines of where they were chosen; moving further retrieves afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from indexing.packer import Piece


@dataclass(frozen=True)
class _Entry:
    line: int
    pieces: tuple[Piece, ...]


class ContextMemo:
    def __init__(self, radius: int = 16) -> None:
        self.radius = radius
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # the model worker reads and writes, the event loop forgets

    def get(self, uri: str, line: int) -> Sequence[Piece] | None:
        """The pieces to reuse at `line`, or None to retrieve."""
        with self._lock:
            entry = self._entries.get(uri)
        if entry is None or abs(line - entry.line) > self.radius:
            return None
        return entry.pieces

    def put(self, uri: str, line: int, pieces: Sequence[Piece]) -> None:
        """Remember freshly retrieved pieces, chosen for a cursor at `line`."""
        with self._lock:
            self._entries[uri] = _Entry(line, tuple(pieces))

    def forget(self, uri: str | None = None) -> None:
        """Drop one document's pieces, or every document's."""
        with self._lock:
            if uri is None:
                self._entries.clear()
            else:
                self._entries.pop(uri, None)
