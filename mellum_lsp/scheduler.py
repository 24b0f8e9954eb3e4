"""One worker thread for all model work, served by priority.

The model is single-threaded and there is one of it, while the editor sends several kinds of
request at once. Every model call therefore becomes a :class:`Job` run on one thread, most
urgent first (:class:`Priority`). A long job (a chat) calls :meth:`JobContext.should_stop`
between decode steps; that call first runs any more urgent job waiting for another *lane*
(the engine's KV-cache slot), so an inline completion is answered while a chat is paused
mid-answer, and then reports whether the long job itself was cancelled. Jobs on the same lane
never nest, since they would overwrite the cache the paused job resumes from, and an *exclusive*
job (loading a model) never runs inside another: it waits until the worker is free.

No torch here: the bookkeeping is tested alone.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Priority(enum.IntEnum):
    """Lower runs first."""

    LOAD = 0
    COMPLETION = 10
    EDIT = 20
    CHAT = 30


@dataclass(eq=False)
class Job(Generic[T]):
    """A unit of model work; ``future`` holds its result, ``cancel()`` stops it at the next check."""

    name: str
    priority: int
    lane: int
    key: Hashable | None
    fn: Callable[[JobContext], T]
    seq: int
    exclusive: bool = False
    future: Future[T] = field(default_factory=Future)
    checks: int = 0  # should_stop calls so far: one per decode step
    checks_at_cancel: int | None = None
    _cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Stop this job: dropped if still queued, told to stop at its next check if running."""
        if not self._cancelled.is_set():
            self.checks_at_cancel = self.checks
            self._cancelled.set()
        self.future.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def steps_after_cancel(self) -> int | None:
        """Decode steps that ran (wholly or partly) after ``cancel()``; None if never cancelled."""
        return None if self.checks_at_cancel is None else self.checks - self.checks_at_cancel

    async def wait(self) -> T:
        """Await the result on the event loop; cancelling the awaiting task cancels the job."""
        try:
            return await asyncio.wrap_future(self.future)
        except asyncio.CancelledError:
            self.cancel()
            raise


class JobContext:
    """What a running job sees of the scheduler."""

    def __init__(self, scheduler: Scheduler, job: Job[Any]) -> None:
        self._scheduler = scheduler
        self.job = job

    def should_stop(self) -> bool:
        """Call between decode steps: runs more urgent waiting work, then says whether to stop."""
        self.job.checks += 1
        self._scheduler._run_preempting(self.job)
        return self.job.cancelled


class Scheduler:
    """A priority queue drained by one thread; ``submit`` from any thread."""

    def __init__(self, name: str = "mellum-model") -> None:
        self._name = name
        self._queue: list[Job[Any]] = []
        self._active: list[Job[Any]] = []  # the running job and any it has paused for
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel everything and end the worker (waits up to ``timeout`` for the running step)."""
        with self._cond:
            self._stopping = True
            for job in self._queue + self._active:
                job.cancel()
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def submit(
        self,
        fn: Callable[[JobContext], T],
        *,
        name: str,
        priority: Priority,
        lane: int,
        key: Hashable | None = None,
        supersede: bool = False,
        exclusive: bool = False,
    ) -> Job[T]:
        """Queue ``fn``; with ``supersede``, first cancel queued and running jobs with the same ``key``.

        An ``exclusive`` job never runs while another job is paused.
        """
        with self._cond:
            if self._stopping:
                raise RuntimeError("the model worker has stopped")
            if supersede and key is not None:
                for old in self._queue + self._active:
                    if old.key == key:
                        log.debug("job %s superseded by a newer one", old.name)
                        old.cancel()
                self._queue = [j for j in self._queue if not j.cancelled]
            job: Job[T] = Job(name, int(priority), lane, key, fn, next(self._seq), exclusive)
            self._queue.append(job)
            self._cond.notify()
        return job

    def snapshot(self) -> dict[str, Any]:
        """Queue state for ``mellum/status``."""
        with self._cond:
            return {
                "pending": [j.name for j in sorted(self._queue, key=_order)],
                "running": [j.name for j in self._active],
            }

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                job = min(self._queue, key=_order)
                self._queue.remove(job)
            self._run(job)

    def _run_preempting(self, current: Job[Any]) -> None:
        while True:
            with self._cond:
                busy = {j.lane for j in self._active}
                ready = [
                    j
                    for j in self._queue
                    if j.priority < current.priority and j.lane not in busy and not j.exclusive
                ]
                if not ready or self._stopping:
                    return
                job = min(ready, key=_order)
                self._queue.remove(job)
            log.debug("job %s pauses for %s", current.name, job.name)
            self._run(job)

    def _run(self, job: Job[Any]) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        with self._cond:
            self._active.append(job)
        try:
            job.future.set_result(job.fn(JobContext(self, job)))
        except Exception as exc:
            log.exception("job %s failed", job.name)
            job.future.set_exception(exc)
        finally:
            with self._cond:
                self._active.remove(job)


def _order(job: Job[Any]) -> tuple[int, int]:
    return (job.priority, job.seq)
