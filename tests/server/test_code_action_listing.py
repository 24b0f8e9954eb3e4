"""Listing code actions needs no model; resolving without one is a clear error, and the server keeps serving."""

from __future__ import annotations

import pytest
from lsp_harness import initialize, shown, wait_until
from lsprotocol import types
from pygls.exceptions import JsonRpcException

DIAGNOSTIC = types.Diagnostic(
    range=types.Range(start=types.Position(line=1, character=11), end=types.Position(line=1, character=16)),
    message="Operator '+' not supported\nfor types 'int' and 'str'",
    severity=types.DiagnosticSeverity.Error,
    source="pyright",
    code="reportOperatorIssue",
)


async def open_app(client, workspace) -> str:
    await initialize(client, workspace)
    uri = (workspace / "app.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=(workspace / "app.py").read_text()
            )
        )
    )
    return uri


def params(uri: str, *, selection: bool, only: list[str] | None = None) -> types.CodeActionParams:
    end = types.Position(line=1, character=16 if selection else 11)
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=1, character=11), end=end),
        context=types.CodeActionContext(diagnostics=[DIAGNOSTIC], only=only),
    )


async def test_a_selection_and_each_diagnostic_get_their_actions(client, workspace):
    uri = await open_app(client, workspace)
    actions = await client.text_document_code_action_async(params(uri, selection=True))
    titles = [a.title for a in actions]
    assert titles == [
        "Rewrite with Mellum",
        "Fix with Mellum: Operator '+' not supported",
        "Explain with Mellum: Operator '+' not supported",
    ]
    fix = actions[1]
    assert (
        fix.kind == types.CodeActionKind.QuickFix
        and fix.edit is None
        and list(fix.diagnostics) == [DIAGNOSTIC]
    )
    # The explain action is a CodeAction carrying a command; lsprotocol's client-side union hook reads
    # anything with a "command" key as a Command, so its payload is checked in the raw text instead.
    assert "mellum.explainDiagnostic" in str(actions[2]) and "reportOperatorIssue" in str(actions[2])


async def test_no_rewrite_without_a_selection_and_only_is_respected(client, workspace):
    uri = await open_app(client, workspace)
    actions = await client.text_document_code_action_async(params(uri, selection=False))
    assert not any(a.title == "Rewrite with Mellum" for a in actions)
    only_fixes = await client.text_document_code_action_async(
        params(uri, selection=True, only=[types.CodeActionKind.QuickFix])
    )
    assert [getattr(a, "kind", None) for a in only_fixes][:1] == [types.CodeActionKind.QuickFix]
    assert not any(a.title == "Rewrite with Mellum" for a in only_fixes)


async def test_resolving_without_a_model_is_a_clear_error(client, workspace):
    uri = await open_app(client, workspace)
    await wait_until(lambda: shown(client, "not found"))
    actions = await client.text_document_code_action_async(params(uri, selection=True))
    with pytest.raises(JsonRpcException, match="not found"):
        await client.code_action_resolve_async(actions[0])
    with pytest.raises(JsonRpcException, match="messages"):
        await client.protocol.send_request_async("mellum/chat", {"messages": []})
    status = await client.protocol.send_request_async("mellum/status", {})
    assert status.loaded is False  # still serving
