"""The model scheduler alone: order, pausing a chat for a completion, cancellation, failures."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mellum_lsp.scheduler import JobContext, Priority, Scheduler

COMPLETION_LANE, CHAT_LANE = 0, 1


@pytest.fixture
def scheduler():
    s = Scheduler()
    s.start()
    yield s
    s.stop()


def blocker(scheduler: Scheduler) -> threading.Event:
    """Occupy the worker until the returned event is set, so that jobs queue up behind it."""
    gate, started = threading.Event(), threading.Event()

    def hold(ctx: JobContext) -> None:
        started.set()
        gate.wait(5)

    scheduler.submit(hold, name="hold", priority=Priority.LOAD, lane=2)
    assert started.wait(5)
    return gate


def test_jobs_run_most_urgent_first(scheduler):
    gate = blocker(scheduler)
    order: list[str] = []
    jobs = [
        scheduler.submit(lambda ctx, n=n: order.append(n), name=n, priority=p, lane=1)
        for n, p in [("chat", Priority.CHAT), ("completion", Priority.COMPLETION), ("edit", Priority.EDIT)]
    ]
    gate.set()
    for job in jobs:
        job.future.result(5)
    assert order == ["completion", "edit", "chat"]


def chat_loop(order: list[str], started: threading.Event, steps: int = 10_000):
    def run(ctx: JobContext) -> int:
        started.set()
        for step in range(steps):
            if ctx.should_stop():
                order.append("chat stopped")
                return step
            threading.Event().wait(0.001)
        order.append("chat done")
        return steps

    return run


def test_chat_pauses_for_a_completion_on_another_lane(scheduler):
    order: list[str] = []
    started = threading.Event()
    chat = scheduler.submit(
        chat_loop(order, started, 200), name="chat", priority=Priority.CHAT, lane=CHAT_LANE
    )
    assert started.wait(5)
    completion = scheduler.submit(
        lambda ctx: order.append("completion"), name="c", priority=Priority.COMPLETION, lane=COMPLETION_LANE
    )
    completion.future.result(5)
    assert chat.future.result(10) == 200
    assert order == ["completion", "chat done"]


def test_work_on_the_paused_lane_waits_for_the_chat(scheduler):
    order: list[str] = []
    started = threading.Event()
    chat = scheduler.submit(
        chat_loop(order, started, 50), name="chat", priority=Priority.CHAT, lane=CHAT_LANE
    )
    assert started.wait(5)
    edit = scheduler.submit(
        lambda ctx: order.append("edit"), name="e", priority=Priority.EDIT, lane=CHAT_LANE
    )
    chat.future.result(10)
    edit.future.result(5)
    assert order == ["chat done", "edit"]


def test_cancel_stops_a_running_job_within_one_step(scheduler):
    order: list[str] = []
    started = threading.Event()
    chat = scheduler.submit(chat_loop(order, started), name="chat", priority=Priority.CHAT, lane=CHAT_LANE)
    assert started.wait(5)
    chat.cancel()
    chat.future.result(5)  # a running job returns what it made so far
    assert order == ["chat stopped"]
    assert chat.steps_after_cancel is not None and chat.steps_after_cancel <= 1


def test_a_newer_job_with_the_same_key_supersedes_the_older(scheduler):
    gate = blocker(scheduler)
    ran: list[str] = []
    old = scheduler.submit(
        lambda ctx: ran.append("old"),
        name="old",
        priority=Priority.COMPLETION,
        lane=0,
        key="a.py",
        supersede=True,
    )
    new = scheduler.submit(
        lambda ctx: ran.append("new"),
        name="new",
        priority=Priority.COMPLETION,
        lane=0,
        key="a.py",
        supersede=True,
    )
    gate.set()
    new.future.result(5)
    assert old.future.cancelled() and ran == ["new"]


def test_a_failing_job_reports_its_error_and_the_worker_keeps_serving(scheduler):
    def boom(ctx: JobContext) -> None:
        raise RuntimeError("boom")

    failed = scheduler.submit(boom, name="boom", priority=Priority.CHAT, lane=0)
    with pytest.raises(RuntimeError, match="boom"):
        failed.future.result(5)
    assert scheduler.submit(lambda ctx: 42, name="ok", priority=Priority.CHAT, lane=0).future.result(5) == 42


async def test_cancelling_the_awaiting_task_cancels_the_job(scheduler):
    order: list[str] = []
    started = threading.Event()
    chat = scheduler.submit(chat_loop(order, started), name="chat", priority=Priority.CHAT, lane=CHAT_LANE)
    task = asyncio.ensure_future(chat.wait())
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert chat.cancelled


def test_stop_cancels_queued_jobs():
    s = Scheduler()
    s.start()
    gate = blocker(s)
    queued = s.submit(lambda ctx: None, name="q", priority=Priority.CHAT, lane=0)
    gate.set()
    s.stop()
    assert queued.future.cancelled() or queued.future.done()
    with pytest.raises(RuntimeError):
        s.submit(lambda ctx: None, name="late", priority=Priority.CHAT, lane=0)


def test_an_exclusive_job_waits_for_the_paused_chat_to_finish(scheduler):
    order: list[str] = []
    started = threading.Event()
    chat = scheduler.submit(
        chat_loop(order, started, 50), name="chat", priority=Priority.CHAT, lane=CHAT_LANE
    )
    assert started.wait(5)
    load = scheduler.submit(
        lambda ctx: order.append("load"), name="load", priority=Priority.LOAD, lane=2, exclusive=True
    )
    chat.future.result(10)
    load.future.result(5)
    assert order == ["chat done", "load"]
