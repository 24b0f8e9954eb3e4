"""Counting prompt tokens fast enough to do it on every keystroke, and exactly.

A Hugging Face tokenizer splits its input at special-token strings (`<filename>`,
`<fim_prefix>` ...) before anything else, so a prompt's count is the sum of its segments'
counts plus one per special token. Prompts are built from the same segments over and over
(pieces, prefix, suffix), so each segment's count is remembered and a whole prompt costs only
its new segments. This is used when the tokenizer names its special tokens (`special`, as
`model.tokenizer.Tokenizer` does) and confirmed against a whole count on its first prompts;
anything else is counted whole, as it always may be.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

CACHE_ENTRIES = 4096
# A generous bound on the characters one token covers in code. It only decides what is not
# worth counting (text that cannot fit); the budget itself is always checked by real counts.
MAX_CHARS_PER_TOKEN = 16
CONFIRMATIONS = 3  # whole counts compared with segment sums before trusting the sums


class TokenCounter(Protocol):
    def count(self, text: str) -> int: ...


class PromptCounter:
    """`count(text)` for one tokenizer: by remembered segments where that is exact."""

    def __init__(self, tokenizer: TokenCounter) -> None:
        self.tokenizer = tokenizer
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()  # the server assembles prompts on more than one thread
        special = getattr(tokenizer, "special", None)
        strings = sorted(special, key=len, reverse=True) if isinstance(special, Mapping) else []
        self._special = re.compile("|".join(map(re.escape, strings))) if strings else None
        self._confirmations = 0
        self._chars = 0
        self._tokens = 0

    @property
    def chars_per_token(self) -> float:
        """Characters per token over the texts counted so far (4.0 before the first)."""
        return self._chars / self._tokens if self._tokens > 1000 else 4.0

    def __call__(self, text: str) -> int:
        if self._special is None:
            return self._remembered(text)
        total = self._by_segments(text)
        if self._confirmations < CONFIRMATIONS:
            whole = self.tokenizer.count(text)
            if whole != total:  # this tokenizer does not split at its special tokens
                self._special = None
                return whole
            self._confirmations += 1
        return total

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _by_segments(self, text: str) -> int:
        assert self._special is not None
        total, position = 0, 0
        for match in self._special.finditer(text):
            if match.start() > position:
                total += self._remembered(text[position : match.start()])
            total += 1
            position = match.end()
        if position < len(text):
            total += self._remembered(text[position:])
        return total

    def _remembered(self, text: str) -> int:
        with self._lock:
            found = self._cache.get(text)
            if found is not None:
                self._cache.move_to_end(text)
                return found
        found = self.tokenizer.count(text)
        with self._lock:
            self._cache[text] = found
            self._chars += len(text)
            self._tokens += found
            if len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return found


_counters: weakref.WeakKeyDictionary[Any, PromptCounter] = weakref.WeakKeyDictionary()


def counter_for(tokenizer: TokenCounter) -> PromptCounter:
    """The shared counter of `tokenizer` (one per tokenizer object, kept while it lives)."""
    try:
        counter = _counters.get(tokenizer)
        if counter is None:
            counter = _counters[tokenizer] = PromptCounter(tokenizer)
        return counter
    except TypeError:  # not weakly referenceable: a counter for this call only
        return PromptCounter(tokenizer)


def forget_counts() -> None:
    """Drop every remembered segment count (benchmarks use it to measure cold assembly)."""
    for counter in list(_counters.values()):
        counter.forget()
