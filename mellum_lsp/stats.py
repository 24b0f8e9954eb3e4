"""Acceptance and latency figures for ``mellum/status``; kept in memory, nothing leaves the machine."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class Stats:
    """Counts shown/accepted/rejected suggestions and keeps recent completion latencies."""

    def __init__(self, window: int = 200) -> None:
        self._lock = threading.Lock()
        self.shown: set[str] = set()
        self.accepted: set[str] = set()
        self.rejected: set[str] = set()
        self._latencies_ms: deque[float] = deque(maxlen=window)

    def record(self, event: str, item_id: str) -> None:
        """``event`` is "shown", "accepted" or "rejected"; repeated events for one id count once."""
        with self._lock:
            {"shown": self.shown, "accepted": self.accepted, "rejected": self.rejected}[event].add(item_id)

    def record_latency(self, ms: float) -> None:
        with self._lock:
            self._latencies_ms.append(ms)

    def acceptance(self) -> dict[str, Any]:
        with self._lock:
            shown = len(self.shown | self.accepted | self.rejected)
            accepted = len(self.accepted)
            return {
                "shown": shown,
                "accepted": accepted,
                "rejected": len(self.rejected),
                "rate": round(accepted / shown, 3) if shown else None,
            }

    def latency(self, recent: int = 20) -> dict[str, Any]:
        with self._lock:
            values = list(self._latencies_ms)
        ordered = sorted(values)
        return {
            "p50": percentile(ordered, 50),
            "p95": percentile(ordered, 95),
            "recent": [round(v, 1) for v in values[-recent:]],
        }


def percentile(ordered: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * pct // 100))
    return round(ordered[int(rank) - 1], 1)
