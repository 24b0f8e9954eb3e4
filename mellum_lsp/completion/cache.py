"""Completion cache with forwarding entries, so typing into a shown suggestion costs no model call.

Storing suggestion `abc(x)` for the cursor after prefix P (suffix S) also stores `bc(x)` under
P+`a`, `c(x)` under P+`ab`, and so on: when the user types the suggestion's first characters,
the rest is found at once. Keys are digests of the document's prefix and suffix (entries hold no
copy of the document), computed incrementally for the forwarding entries. An empty text records
that the model had nothing to suggest there, which spares asking again. Least recently used
entries go first once `max_entries` is reached.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

_DIGEST_SIZE = 16


class CompletionCache:
    """Bounded LRU map from (document, prefix, suffix) to the text to suggest there."""

    def __init__(self, max_entries: int = 2048, max_forward: int = 256) -> None:
        self.max_entries = max_entries
        self.max_forward = max_forward
        self._entries: OrderedDict[tuple[str, bytes, bytes], str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, uri: str, prefix: str, suffix: str) -> str | None:
        """The text to suggest at this cursor, "" if known to be nothing, None if not cached."""
        key = (uri, _digest(prefix), _digest(suffix))
        text = self._entries.get(key)
        if text is not None:
            self._entries.move_to_end(key)
        return text

    def put(self, uri: str, prefix: str, suffix: str, text: str) -> None:
        """Remember `text` at this cursor, and its remainders at the cursor positions typing it reaches."""
        suffix_digest = _digest(suffix)
        running = hashlib.blake2b(prefix.encode("utf-8"), digest_size=_DIGEST_SIZE)
        self._store((uri, running.digest(), suffix_digest), text)
        for typed in range(1, min(len(text), self.max_forward + 1)):
            running.update(text[typed - 1].encode("utf-8"))
            self._store((uri, running.digest(), suffix_digest), text[typed:])

    def forget(self, uri: str) -> None:
        """Drop every entry of one document (closed, or reloaded from elsewhere)."""
        for key in [key for key in self._entries if key[0] == uri]:
            del self._entries[key]

    def clear(self) -> None:
        """Drop everything (the model or the completion settings changed)."""
        self._entries.clear()

    def _store(self, key: tuple[str, bytes, bytes], text: str) -> None:
        self._entries[key] = text
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_DIGEST_SIZE).digest()
