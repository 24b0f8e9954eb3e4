"""End to end with a real (tiny, random) checkpoint: chat streaming, priorities, cancellation, edits, status.

The weights are random, so the tests assert behaviour (streaming, ordering, cancellation, edits that
apply cleanly) rather than the words that come out.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_harness import initialize, start, wait_until
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pygls.workspace import PositionCodec, TextDocument

SOURCE = "def greet(name):\n    s = '😀 漢字' + name\n    return s\n\n\ndef add(a, b):\n    return a + b\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(SOURCE)
    (root / "util.py").write_text("def helper(x):\n    return x * 2\n")
    return root


def options(**chat: Any) -> dict[str, Any]:
    return {
        "chat": {"max_new_tokens": 16, "temperature": 0.0, **chat},
        "completion": {"debounce_ms": 0, "max_new_tokens": 8},
        "edit": {"max_new_tokens": 16},
        "log_level": "debug",
    }


@pytest_asyncio.fixture
async def model_client(tmp_path, tiny_checkpoint, repo):
    client = await start(tmp_path, "--model", str(tiny_checkpoint))
    client.repo = repo  # type: ignore[attr-defined]
    yield client
    await client.shutdown_session()
    await client.stop()


async def ready(client, repo: Path, *, encoding: str = "utf-16", **chat: Any) -> str:
    """Initialize, open app.py, and wait for the model to load; returns the document URI."""
    result = await initialize(client, repo, options=options(**chat), encodings=[encoding])
    assert result.capabilities.position_encoding == encoding
    uri = (repo / "app.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE)
        )
    )

    async def loaded() -> bool:
        status = await client.protocol.send_request_async("mellum/status", {})
        assert status.problem is None or "loading" in status.problem, status.problem
        return bool(status.loaded)

    for _ in range(600):
        if await loaded():
            return uri
        await asyncio.sleep(0.1)
    raise TimeoutError("the model did not load")


def chat_params(token: str, question: str = "What does add do?") -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": question}], "partialResultToken": token}


async def test_model_loading_reports_progress_and_status(model_client, tiny_checkpoint):
    await ready(model_client, model_client.repo)
    titles = [
        r.title for reports in model_client.progress_reports.values() for r in reports if hasattr(r, "title")
    ]
    assert any(t.startswith("Loading model") for t in titles)
    status = await model_client.protocol.send_request_async("mellum/status", {})
    assert status.model == str(tiny_checkpoint) and status.loaded is True


async def test_chat_streams_partial_results_before_the_final_answer(model_client):
    await ready(model_client, model_client.repo)
    result = await model_client.protocol.send_request_async("mellum/chat", chat_params("chat-1"))
    deltas = [p["delta"] for p in model_client.partial_results["chat-1"]]
    assert len(deltas) >= 2
    assert "".join(deltas) == result.content


async def test_a_completion_is_answered_while_a_chat_is_generating(model_client):
    uri = await ready(model_client, model_client.repo, max_new_tokens=3000)
    chat = asyncio.ensure_future(
        model_client.protocol.send_request_async("mellum/chat", chat_params("long"), msg_id="long-chat")
    )
    await wait_until(lambda: len(model_client.partial_results.get("long", [])) >= 2)
    status = await model_client.protocol.send_request_async("mellum/status", {})
    assert list(status.queue.running) == ["chat"] and not chat.done()  # the event loop stays free
    completion = await model_client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=6, character=4),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
    )
    assert not chat.done(), "the completion waited for the whole chat"
    assert completion is None or isinstance(completion, types.InlineCompletionList)
    model_client.cancel_request(types.CancelParams(id="long-chat"))
    with pytest.raises(JsonRpcRequestCancelled):
        await chat


async def test_cancel_stops_the_chat_within_one_decode_step(model_client):
    await ready(model_client, model_client.repo, max_new_tokens=3000)
    chat = asyncio.ensure_future(
        model_client.protocol.send_request_async("mellum/chat", chat_params("c"), msg_id="to-cancel")
    )
    await wait_until(lambda: len(model_client.partial_results.get("c", [])) >= 3)
    model_client.cancel_request(types.CancelParams(id="to-cancel"))
    with pytest.raises(JsonRpcRequestCancelled):
        await chat
    line = await wait_until(
        lambda: next(
            (m.message for m in model_client.log_messages if "chat: finish=cancelled" in m.message), None
        )
    )
    steps = re.search(r"steps_after_cancel=(\d+)", line)
    assert steps is not None and int(steps.group(1)) <= 1, line
    decode_steps = int(re.search(r"decode_steps=(\d+)", line).group(1))
    assert decode_steps < 3000


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply edits as an editor does, in the negotiated position encoding, last first."""
    doc = TextDocument("file:///x", text, position_codec=PositionCodec(types.PositionEncodingKind(encoding)))
    spans = sorted(
        (
            (doc.offset_at_position(e.range.start), doc.offset_at_position(e.range.end), e.new_text)
            for e in edits
        ),
        reverse=True,
    )
    for begin, end, new in spans:
        text = text[:begin] + new + text[end:]
    return text


@pytest.mark.parametrize(("encoding", "after_emoji"), [("utf-16", 11), ("utf-8", 13)])
async def test_rewrite_code_action_resolves_to_an_edit_that_applies_cleanly(
    model_client, encoding, after_emoji
):
    uri = await ready(model_client, model_client.repo, encoding=encoding)
    # An incremental change right after the emoji, which is 2 UTF-16 units and 4 UTF-8 bytes.
    text = SOURCE.replace("'😀 漢字'", "'😀! 漢字'")
    model_client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=1, character=after_emoji),
                        end=types.Position(line=1, character=after_emoji),
                    ),
                    text="!",
                )
            ],
        )
    )
    # The server put the "!" where the client did: the completion prompt splits there.
    await index_ready(model_client)
    cursor = {"line": 1, "character": after_emoji + 1}
    context = await model_client.protocol.send_request_async(
        "mellum/context", {"textDocument": {"uri": uri}, "position": cursor}
    )
    prefix = context.prompt.split("<fim_prefix>")[1].split("<fim_middle>")[0]
    suffix = context.prompt.split("<fim_suffix>")[1].split("<fim_prefix>")[0]
    assert prefix.endswith("s = '😀!") and suffix.startswith(" 漢字' + name")
    selection = types.Range(
        start=types.Position(line=1, character=4), end=types.Position(line=2, character=12)
    )
    actions = await model_client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=selection,
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    rewrite = next(a for a in actions if a.title == "Rewrite with Mellum")
    assert rewrite.edit is None  # resolved lazily
    rewrite.data["instruction"] = "Rename s to greeting."
    resolved = await model_client.code_action_resolve_async(rewrite)
    edits = resolved.edit.changes[uri]
    new_text = apply_edits(text, edits, encoding)
    old_lines, new_lines = text.split("\n"), new_text.split("\n")
    assert old_lines[0] == new_lines[0]  # the line above the selected lines is untouched
    assert old_lines[-5:] == new_lines[-5:]  # and so is everything below them
    for edit in edits:
        assert 1 <= edit.range.start.line and edit.range.end.line <= 2


async def test_fix_and_explain_for_a_diagnostic(model_client):
    uri = await ready(model_client, model_client.repo)
    diagnostic = types.Diagnostic(
        range=types.Range(
            start=types.Position(line=6, character=11), end=types.Position(line=6, character=16)
        ),
        message="Operator '+' not supported for types",
        severity=types.DiagnosticSeverity.Error,
        source="pyright",
    )
    actions = await model_client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    fix = next(a for a in actions if a.title.startswith("Fix with Mellum"))
    assert any(a.title.startswith("Explain with Mellum") for a in actions)
    resolved = await model_client.code_action_resolve_async(fix)
    new_text = apply_edits(SOURCE, resolved.edit.changes[uri])
    assert new_text.split("\n")[:6] == SOURCE.split("\n")[:6]
    argument = {
        "uri": uri,
        "diagnostic": model_client.protocol._converter.unstructure(diagnostic),
        "partialResultToken": "explain",
    }
    answer = await model_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mellum.explainDiagnostic", arguments=[argument])
    )
    deltas = [p["delta"] for p in model_client.partial_results["explain"]]
    assert len(deltas) >= 2 and "".join(deltas) == answer["content"]


async def test_next_edit_returns_edits_near_the_cursor(model_client):
    uri = await ready(model_client, model_client.repo)
    model_client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=5, character=4), end=types.Position(line=5, character=7)
                    ),
                    text="plus",
                )
            ],
        )
    )
    result = await model_client.protocol.send_request_async(
        "mellum/nextEdit", {"textDocument": {"uri": uri}, "position": {"line": 6, "character": 4}}
    )
    for edit in result.edits:
        assert (
            result.range.start.line <= edit.range.start.line <= edit.range.end.line <= result.range.end.line
        )


async def index_ready(client) -> None:
    for _ in range(600):
        status = await client.protocol.send_request_async("mellum/status", {})
        if status.indexing.ready:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the index was not built")


async def test_context_shows_the_prompt_and_its_pieces(model_client):
    uri = await ready(model_client, model_client.repo)
    await index_ready(model_client)
    result = await model_client.protocol.send_request_async(
        "mellum/context",
        {"textDocument": {"uri": uri}, "position": {"line": 6, "character": 4}, "budget": 512},
    )
    assert "<fim_middle>" in result.prompt and result.promptTokens <= 512
