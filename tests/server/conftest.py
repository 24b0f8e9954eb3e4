"""Fixtures for the end-to-end server tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_harness import start
from pytest_lsp import LanguageClient


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text("def add(a, b):\n    return a + b\n")
    return root


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[LanguageClient]:
    """A server with the model pointed at a missing directory: everything but generation works."""
    client = await start(tmp_path, "--model", str(tmp_path / "no-such-model"))
    yield client
    await client.shutdown_session()
    await client.stop()
