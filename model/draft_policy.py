"""Whether speculative drafting pays on this machine, for `draft="auto"` requests.

A drafting step commits the tokens accepted plus one, and costs what the drafts and their verification
cost. Where weights are read from memory once per step (a GPU, a large model) that is little more than a
plain step and drafting wins; where a step is compute-bound (a small model on a CPU, compiled) verifying
three tokens costs about two plain steps and drafting loses. So the engine measures the cost of a
drafting step in plain steps at warm-up, averages the tokens per step its requests get, and drafts only
while the second exceeds the first. Every `probe_every`-th request a source is skipped for drafts anyway,
since what gets accepted depends on the text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

SMOOTHING = 0.3  # weight of the newest request in the average tokens per step


@dataclass
class DraftPolicy:
    probe_every: int = 8
    cost: dict[str, float] = field(default_factory=dict)  # source -> a drafting step's cost in plain steps
    tokens_per_step: dict[str, float] = field(default_factory=dict)  # source -> recent average
    _skipped: Counter[str] = field(default_factory=Counter)

    def pays(self, source: str) -> bool:
        """Whether to draft from `source` for the next request."""
        cost, gained = self.cost.get(source), self.tokens_per_step.get(source)
        if cost is None or gained is None or gained > cost:
            return True  # not measured (eager engine), no evidence yet, or it pays
        self._skipped[source] += 1
        if self._skipped[source] >= self.probe_every:
            self._skipped[source] = 0
            return True
        return False

    def observe(self, source: str, tokens_per_step: float) -> None:
        """Record a request that drafted from `source`."""
        previous = self.tokens_per_step.get(source)
        self.tokens_per_step[source] = (
            tokens_per_step if previous is None else (1 - SMOOTHING) * previous + SMOOTHING * tokens_per_step
        )
