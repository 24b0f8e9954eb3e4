"""The per-document debouncer: only the last request of a burst, on a current document, goes on."""

from __future__ import annotations

import asyncio

from mellum_lsp.completion.debounce import Debouncer, DebounceSettings


async def test_newer_request_for_the_same_document_wins() -> None:
    debouncer = Debouncer(DebounceSettings(delay_ms=5))
    first = asyncio.create_task(debouncer.settle("a.py"))
    await asyncio.sleep(0)
    second = asyncio.create_task(debouncer.settle("a.py"))
    assert await asyncio.gather(first, second) == [False, True]


async def test_superseded_request_returns_without_waiting_out_the_delay() -> None:
    debouncer = Debouncer(DebounceSettings(delay_ms=60_000))
    first = asyncio.create_task(debouncer.settle("a.py"))
    await asyncio.sleep(0)
    newer = asyncio.create_task(debouncer.settle("a.py", invoked=True))
    assert await asyncio.wait_for(first, 1) is False
    assert await asyncio.wait_for(newer, 1) is True


async def test_documents_do_not_interfere() -> None:
    debouncer = Debouncer(DebounceSettings(delay_ms=5))
    results = await asyncio.gather(debouncer.settle("a.py"), debouncer.settle("b.py"))
    assert results == [True, True]


async def test_document_changed_during_the_delay() -> None:
    debouncer = Debouncer(DebounceSettings(delay_ms=5))
    version = {"a.py": 1}
    task = asyncio.create_task(debouncer.settle("a.py", is_current=lambda: version["a.py"] == 1))
    await asyncio.sleep(0)
    version["a.py"] = 2
    assert await task is False


async def test_zero_delay_still_checks_the_document() -> None:
    debouncer = Debouncer(DebounceSettings(delay_ms=0))
    assert await debouncer.settle("a.py") is True
    assert await debouncer.settle("a.py", is_current=lambda: False) is False


async def test_sequential_requests_each_pass() -> None:
    debouncer = Debouncer(DebounceSettings(delay_ms=1))
    assert await debouncer.settle("a.py") is True
    assert await debouncer.settle("a.py") is True
