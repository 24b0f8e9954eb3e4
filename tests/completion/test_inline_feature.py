"""The inline completion feature with a real session and workspace, before any model is loaded.

What needs no model is pinned here: answers from the cache (typed-through suggestions), the
debounce of a burst, positions in UTF-16 around emoji, the LSP shapes of the answers, and that a
missing model gives no suggestion rather than an error. Decoding is covered end to end with a
checkpoint in test_inline_e2e.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.workspace import Workspace

from mellum_lsp.commands.console import ConsoleNotifier
from mellum_lsp.completion.request import CompletionRequest
from mellum_lsp.config import Configuration, Layer
from mellum_lsp.features.inline_completion import ACCEPT_COMMAND, InlineCompletionFeature
from mellum_lsp.session import Session

TEXT = "def greet(name):\n    label = '🙂 ' + \n    return label\n"
CURSOR = TEXT.index("+ ") + 2


@pytest_asyncio.fixture
async def feature(tmp_path: Path) -> AsyncIterator[InlineCompletionFeature]:
    config = Configuration()
    config.set_layer(Layer.CLI, {"completion.debounce_ms": 5, "index.enabled": False})
    session = Session(config, ConsoleNotifier(), Workspace(tmp_path.as_uri()))
    session.scheduler.start()
    yield InlineCompletionFeature(session)
    session.close()


def open_document(feature: InlineCompletionFeature, tmp_path: Path, text: str = TEXT) -> str:
    uri = (tmp_path / "greet.py").as_uri()
    feature.session.workspace.put_text_document(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
    )
    return uri


def request(uri: str, tmp_path: Path, offset: int = CURSOR, text: str = TEXT) -> CompletionRequest:
    return CompletionRequest(uri, tmp_path / "greet.py", text, offset, "python")


async def test_typed_through_suggestion_comes_from_the_cache(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    feature.cache.put(uri, TEXT[:CURSOR], TEXT[CURSOR:], "name.title()")
    typed = TEXT[:CURSOR] + "name." + TEXT[CURSOR:]
    suggestion = await feature.suggest(request(uri, tmp_path, CURSOR + 5, typed))
    assert suggestion is not None
    assert (suggestion.text, suggestion.source) == ("title()", "cache")
    figures = feature.figures.snapshot()
    assert (figures["from_cache"], figures["model_calls"]) == (1, 0)
    assert len(feature.session.stats.latency()["recent"]) == 1


async def test_known_empty_answer_is_not_asked_again(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    feature.cache.put(uri, TEXT[:CURSOR], TEXT[CURSOR:], "")
    assert await feature.suggest(request(uri, tmp_path)) is None
    assert feature.figures.snapshot()["from_cache"] == 1


async def test_only_the_last_request_of_a_burst_goes_on(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    first = asyncio.create_task(feature.suggest(request(uri, tmp_path)))
    await asyncio.sleep(0)
    second = asyncio.create_task(feature.suggest(request(uri, tmp_path)))
    assert await asyncio.gather(first, second) == [None, None]  # the second reaches the (missing) model
    figures = feature.figures.snapshot()
    assert (figures["requests"], figures["debounced"], figures["unavailable"]) == (2, 1, 1)


async def test_without_a_model_there_is_no_suggestion_and_no_error(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    assert await feature.suggest(request(uri, tmp_path)) is None
    figures = feature.figures.snapshot()
    assert (figures["model_calls"], figures["unavailable"], figures["failed"]) == (0, 1, 0)


async def test_inline_completion_item_at_a_utf16_position_after_emoji(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    feature.cache.put(uri, TEXT[:CURSOR], TEXT[CURSOR:], "name")
    line = TEXT[: TEXT.index("\n") + 1]
    column = len(TEXT[len(line) : CURSOR].encode("utf-16-le")) // 2  # the emoji counts as 2 units
    position = types.Position(line=1, character=column)
    result = await feature.inline_completion(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
        )
    )
    assert result is not None and len(result.items) == 1
    item = result.items[0]
    assert item.insert_text == "name"
    assert item.range == types.Range(start=position, end=position)
    assert item.command is not None and item.command.command == ACCEPT_COMMAND
    suggestion_id, details = item.command.arguments
    assert isinstance(suggestion_id, str) and details["source"] == "cache"


async def test_completion_list_fallback_and_its_switch(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    feature.cache.put(uri, TEXT[:CURSOR], TEXT[CURSOR:], "name.title()")
    params = types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=1, character=len("    label = '🙂 ' + ".encode("utf-16-le")) // 2),
    )
    result = await feature.completion(params)
    assert result is not None and result.is_incomplete
    item = result.items[0]
    assert item.label == "name.title()"
    assert item.text_edit is not None and item.text_edit.new_text == "name.title()"
    wire = default_converter().unstructure(result, types.CompletionList)
    assert wire["items"][0]["textEdit"]["newText"] == "name.title()"
    feature.session.config.set_layer(Layer.CLIENT_SETTINGS, {"completion.enable_completion_items": False})
    assert await feature.completion(params) is None


async def test_closing_a_document_forgets_its_suggestions(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    feature.cache.put(uri, TEXT[:CURSOR], TEXT[CURSOR:], "name")
    feature.document_closed(uri)
    assert feature.cache.get(uri, TEXT[:CURSOR], TEXT[CURSOR:]) is None


async def test_no_list_items_once_the_client_asks_for_inline_completions(feature, tmp_path):
    uri = open_document(feature, tmp_path)
    feature.cache.put(uri, TEXT[:CURSOR], TEXT[CURSOR:], "name")
    position = types.Position(line=1, character=len("    label = '🙂 ' + ".encode("utf-16-le")) // 2)
    document = types.TextDocumentIdentifier(uri=uri)
    await feature.inline_completion(
        types.InlineCompletionParams(
            text_document=document,
            position=position,
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
    )
    assert await feature.completion(types.CompletionParams(text_document=document, position=position)) is None
