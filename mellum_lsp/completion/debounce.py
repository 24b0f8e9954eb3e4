"""Server-side debounce, keyed per document, that re-checks the document is still current.

Editors ask for an inline completion on every keystroke. Each request waits `delay_ms`; a newer
request for the same document wakes the older one at once and it gives up, and so does one whose
document changed version while it waited. Only the last request of a burst reaches the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class DebounceSettings:
    """All debounce tuning in one place."""

    delay_ms: int = 0  # automatic requests (typing); editors mostly debounce on their side already
    invoked_delay_ms: int = 0  # requests the user asked for explicitly


class Debouncer:
    """Lets through the latest request per key once it has been quiet for the delay."""

    def __init__(self, settings: DebounceSettings = DebounceSettings()) -> None:
        self.settings = settings
        self._waiting: dict[Hashable, asyncio.Event] = {}

    async def settle(
        self,
        key: Hashable,
        *,
        invoked: bool = False,
        is_current: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Wait out the delay; True if no newer request for `key` came and `is_current()` still holds."""
        previous = self._waiting.get(key)
        if previous is not None:
            previous.set()
        superseded = asyncio.Event()
        self._waiting[key] = superseded
        delay_ms = self.settings.invoked_delay_ms if invoked else self.settings.delay_ms
        try:
            if delay_ms > 0:
                try:
                    await asyncio.wait_for(superseded.wait(), delay_ms / 1000)
                except TimeoutError:
                    pass
            return not superseded.is_set() and is_current()
        finally:
            if self._waiting.get(key) is superseded:
                del self._waiting[key]
