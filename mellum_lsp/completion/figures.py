"""Running totals of the completion pipeline: where answers came from and how much prompt was reused.

Latencies and acceptance live in the session's `Stats`; these are the completion-only counts,
shown under `completion` in `mellum/status` and read by `mellum-lsp bench lsp`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class CompletionFigures:
    """Counters updated from the event loop and the model worker alike (hence the lock)."""

    requests: int = 0
    debounced: int = 0  # superseded by a newer keystroke before reaching the model
    from_cache: int = 0
    model_calls: int = 0
    cancelled: int = 0  # stopped mid-generation by a newer request or $/cancelRequest
    steps_after_cancel: int = 0  # decode steps that still ran after those cancels, summed
    dropped: int = 0  # the filters left nothing to show
    unavailable: int = 0  # no model loaded (yet)
    failed: int = 0  # errors, logged with their traceback
    prompt_tokens: int = 0
    cached_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Add to the named counters."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> dict[str, Any]:
        """The counters, plus the share of prompt tokens served from the KV cache."""
        with self._lock:
            values = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        share = values["cached_tokens"] / values["prompt_tokens"] if values["prompt_tokens"] else None
        return {**values, "kv_cache_share": None if share is None else round(share, 3)}
