"""Helpers to start the real server as a subprocess and drive it with a real LSP client (pytest-lsp)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pytest_lsp.client import progress as record_work_done_progress

# Eager: compiling the decode steps would add seconds to every server start; tests/model checks that the
# compiled steps decode exactly as the eager ones, and the CLI tests run them through the server code.
SERVER = [sys.executable, "-m", "mellum_lsp", "serve", "--set", "model.compile=off"]


def make_client() -> LanguageClient:
    """pytest-lsp's client, also recording partial results (``$/progress`` values without a ``kind``)."""
    client = LanguageClient(converter_factory=default_converter)
    client.partial_results: dict[Any, list[Any]] = {}  # type: ignore[misc]

    def progress(client: LanguageClient, params: types.ProgressParams) -> None:
        if isinstance(params.value, dict) and "kind" not in params.value:
            client.partial_results.setdefault(params.token, []).append(params.value)  # type: ignore[attr-defined]
        else:
            record_work_done_progress(client, params)

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, types.PROGRESS: progress})
    return client


def server_env(tmp_path: Path) -> dict[str, str]:
    """The test's own environment, with an empty config home so no developer config leaks in."""
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


def capabilities(
    encodings: list[str] | None = None, *, configuration: bool = False
) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None,
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=configuration),
    )


async def start(tmp_path: Path, *args: str) -> LanguageClient:
    config = ClientServerConfig(
        server_command=[*SERVER, *args], client_factory=make_client, server_env=server_env(tmp_path)
    )
    return await config.start()  # type: ignore[return-value]


async def initialize(
    client: LanguageClient,
    root: Path,
    *,
    options: dict[str, Any] | None = None,
    encodings: list[str] | None = None,
    folders: list[Path] | None = None,
    configuration: bool = False,
) -> types.InitializeResult:
    folders = folders or [root]
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(encodings, configuration=configuration),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
            initialization_options=options,
        )
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until(predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (messages may arrive before we look)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := predicate()):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)
    return value


def shown(client: LanguageClient, needle: str) -> types.ShowMessageParams | None:
    return next((m for m in client.messages if needle in m.message), None)
