"""Inline completion end to end: the real server over stdio, a real LSP client, a tiny random checkpoint.

A random model writes arbitrary tokens, so these tests pin the pipeline, not the text: a decode
answers a request with an item whose figures show the prompt and the KV-cache reuse; typing the
first character of a shown suggestion is answered from the cache; `$/cancelRequest` stops a long
decode within a step.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import ClientServerConfig, LanguageClient

from mellum_lsp.jsondata import plain

pytestmark = pytest.mark.slow

# Comments accept any text on their line, so whatever the random model writes survives the filters.
SOURCE = "import os\n\n\ndef home():\n    return os.environ['HOME']\n\n# {}"
NOTES = ["the home directory of", "where the user keeps", "paths are resolved", "see also", "todo"]


async def start(tmp_path: Path, checkpoint: Path, options: dict[str, Any]) -> LanguageClient:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    config = ClientServerConfig(
        server_command=[
            sys.executable,
            "-m",
            "mellum_lsp",
            "serve",
            "--model",
            str(checkpoint),
            "--set",
            "model.compile=off",
        ],
        server_env=env,
    )
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    root = tmp_path / "repo"
    root.mkdir()
    await client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="repo")],
            initialization_options={"index": {"enabled": False}, **options},
        )
    )
    for _ in range(1200):
        status = plain(await client.protocol.send_request_async("mellum/status", {}))
        if status["loaded"]:
            return client
        assert status["problem"] in (None, "the model is loading", "the model has not been loaded yet"), (
            status
        )
        await asyncio.sleep(0.1)
    raise AssertionError("the model did not load")


@pytest_asyncio.fixture
async def client(tmp_path: Path, tiny_checkpoint: Path) -> AsyncIterator[LanguageClient]:
    client = await start(tmp_path, tiny_checkpoint, {"completion": {"debounce_ms": 0, "max_new_tokens": 8}})
    yield client
    await client.shutdown_session()
    await client.stop()


class Document:
    """An open document the test edits as an editor would."""

    def __init__(self, client: LanguageClient, path: Path, text: str) -> None:
        self.client, self.uri, self.text, self.version = client, path.as_uri(), text, 0
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=self.uri, language_id="python", version=0, text=text)
            )
        )

    def end(self) -> types.Position:
        lines = self.text.split("\n")
        return types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)

    def type_at_end(self, typed: str) -> None:
        end = self.end()
        self.text += typed
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=types.Range(start=end, end=end), text=typed)
                ],
            )
        )

    def params(self) -> types.InlineCompletionParams:
        return types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            position=self.end(),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )

    async def complete(self) -> types.InlineCompletionItem | None:
        result = await self.client.text_document_inline_completion_async(self.params())
        return result.items[0] if result and result.items else None


def details(item: types.InlineCompletionItem) -> dict[str, Any]:
    assert item.command is not None and item.command.arguments is not None
    return plain(item.command.arguments[1])


async def first_suggestion(
    client: LanguageClient, tmp_path: Path
) -> tuple[Document, types.InlineCompletionItem]:
    for i, note in enumerate(NOTES):
        document = Document(client, tmp_path / "repo" / f"notes_{i}.py", SOURCE.format(note))
        item = await document.complete()
        if item is not None and isinstance(item.insert_text, str) and item.insert_text.strip():
            return document, item
    raise AssertionError("the model suggested nothing at any of the comments")


async def test_a_decoded_suggestion_then_typing_into_it_is_answered_from_the_cache(client, tmp_path):
    document, item = await first_suggestion(client, tmp_path)
    first = details(item)
    assert first["source"] == "model" and first["prompt_tokens"] > 0 and 0 < first["new_tokens"] <= 8
    assert item.range is not None and item.range.start == document.end()

    text = item.insert_text
    assert isinstance(text, str)
    document.type_at_end(text[0])
    again = await document.complete()
    assert again is not None and again.insert_text == text[1:] and details(again)["source"] == "cache"

    status = plain(await client.protocol.send_request_async("mellum/status", {}))
    assert status["completion"]["from_cache"] >= 1
    assert status["completion"]["prompt_tokens"] >= first["prompt_tokens"]
    assert len(status["latency_ms"]["recent"]) >= 2


async def test_a_new_keystroke_reuses_the_kv_cache(client, tmp_path):
    document, _ = await first_suggestion(client, tmp_path)
    document.type_at_end(" zq")  # not what was suggested: a fresh decode on the same document
    item = await document.complete()
    status = plain(await client.protocol.send_request_async("mellum/status", {}))
    figures = status["completion"]
    assert figures["model_calls"] >= 2
    assert figures["cached_tokens"] > 0  # the prompt before the cursor was already in the slot's cache
    if item is not None and details(item)["source"] == "model":
        assert details(item)["cached_tokens"] > details(item)["prompt_tokens"] // 2


async def test_cancel_request_stops_the_decode_within_a_step(tmp_path, tiny_checkpoint):
    client = await start(
        tmp_path,
        tiny_checkpoint,
        {"completion": {"debounce_ms": 0, "max_new_tokens": 1024, "multiline": "always"}},
    )
    try:
        document = Document(client, tmp_path / "repo" / "long.py", SOURCE.format("a long one"))
        request = asyncio.ensure_future(  # pytest-lsp's send_request_async is a coroutine: start it now
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_INLINE_COMPLETION, document.params(), msg_id="long-decode"
            )
        )
        for _ in range(600):
            status = plain(await client.protocol.send_request_async("mellum/status", {}))
            if "inline completion" in status["queue"]["running"]:
                break
            await asyncio.sleep(0.01)
        assert not request.done(), "the decode ended before it could be cancelled"
        client.cancel_request(types.CancelParams(id="long-decode"))
        with pytest.raises(JsonRpcRequestCancelled):
            await request
        for _ in range(600):
            status = plain(await client.protocol.send_request_async("mellum/status", {}))
            if not status["queue"]["running"]:
                break
            await asyncio.sleep(0.01)
        figures = status["completion"]
        assert figures["cancelled"] == 1
        assert figures["steps_after_cancel"] <= 1
    finally:
        await client.shutdown_session()
        await client.stop()
