"""Lifecycle over stdio and TCP: capabilities, exit statuses, configuration errors, status."""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from lsp_harness import SERVER, free_port, initialize, server_env, shown, start, wait_until
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient as PlainClient


async def test_initialize_returns_the_capabilities(client, workspace):
    result = await initialize(client, workspace)
    caps = result.capabilities
    assert result.server_info is not None and result.server_info.name == "mellum-lsp"
    assert caps.position_encoding == types.PositionEncodingKind.Utf16
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert caps.inline_completion_provider is not None
    assert caps.code_action_provider.resolve_provider is True
    assert set(caps.execute_command_provider.commands) >= {
        "mellum.chat",
        "mellum.explainDiagnostic",
        "mellum.fixDiagnostic",
        "mellum.nextEdit",
        "mellum.rewrite",
    }


async def test_utf8_positions_are_used_when_offered(client, workspace):
    result = await initialize(client, workspace, encodings=["utf-16", "utf-8"])
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8


async def exit_status(tmp_path, workspace, *, shutdown: bool) -> int:
    client = await start(tmp_path)
    await initialize(client, workspace)
    if shutdown:
        await client.shutdown_async(None)
    client.exit(None)
    server = client._server
    assert server is not None
    code = await asyncio.wait_for(server.wait(), 30)
    await client.stop()
    return code


async def test_shutdown_then_exit_ends_with_status_0(tmp_path, workspace):
    assert await exit_status(tmp_path, workspace, shutdown=True) == 0


async def test_exit_without_shutdown_ends_with_status_1(tmp_path, workspace):
    assert await exit_status(tmp_path, workspace, shutdown=False) == 1


async def test_the_same_lifecycle_over_tcp(tmp_path, workspace):
    port = free_port()
    process = subprocess.Popen(
        [*SERVER, "--tcp", "--port", str(port)], env=server_env(tmp_path), stderr=subprocess.PIPE, text=True
    )
    try:
        client = PlainClient("tcp-test", "1")
        for _ in range(100):
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        result = await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=workspace.as_uri())
        )
        assert result.capabilities.inline_completion_provider is not None
        status = await client.protocol.send_request_async("mellum/status", {})
        assert status.model == "default"
        await client.shutdown_async(None)
        client.exit(None)
        assert await asyncio.to_thread(process.wait, 30) == 0
        await client.stop()
    finally:
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate()
    assert "Traceback" not in stderr, stderr


async def test_stdout_carries_only_the_protocol(tmp_path, workspace):
    """Anything but LSP frames on stdout would corrupt the stream: a log line there breaks parsing."""
    client = await start(tmp_path, "--log-level", "debug")
    await initialize(client, workspace)
    status = await client.protocol.send_request_async("mellum/status", {})
    assert status.loaded is False  # and the server still answers
    await client.shutdown_session()
    await client.stop()


async def test_status_reports_a_missing_model_and_the_user_is_told(client, workspace):
    await initialize(client, workspace)
    message = await wait_until(lambda: shown(client, "not found"))
    assert message.type == types.MessageType.Error and "not found" in message.message
    status = await client.protocol.send_request_async("mellum/status", {})
    assert status.loaded is False and "not found" in status.problem
    assert status.device == "cpu" and status.backend == "torch"
    assert status.acceptance.shown == 0
    assert {"pending", "running"} <= set(status.queue._fields)


async def test_bad_settings_are_reported_and_the_previous_value_kept(client, workspace):
    await initialize(client, workspace, options={"completion": {"debounce_ms": 20}})
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"mellum": {"completion": {"debounce_ms": "fast"}}})
    )
    message = await wait_until(lambda: shown(client, "debounce_ms"))
    assert "completion.debounce_ms: got 'fast', expected an integer from 0 to 2000" in message.message
    status = await client.protocol.send_request_async("mellum/status", {})
    assert status.settings.completion.debounce_ms == 20


async def test_acceptance_notifications_feed_the_status(client, workspace):
    await initialize(client, workspace)
    for method, item in [
        ("mellum/didShowCompletion", "a"),
        ("mellum/didShowCompletion", "b"),
        ("mellum/didAcceptCompletion", "a"),
        ("mellum/didRejectCompletion", "b"),
    ]:
        client.protocol.notify(method, {"id": item})
    status = await client.protocol.send_request_async("mellum/status", {})
    assert (status.acceptance.shown, status.acceptance.accepted, status.acceptance.rejected) == (2, 1, 1)
    assert status.acceptance.rate == 0.5
    # Clients that run the item's command on acceptance report it that way instead.
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mellum.didAcceptCompletion", arguments=["c", {"source": "model"}])
    )
    status = await client.protocol.send_request_async("mellum/status", {})
    assert (status.acceptance.shown, status.acceptance.accepted) == (3, 2)


@pytest.mark.parametrize("bad", ["--tcp --port 0x", "--host"])
def test_serve_flags_are_checked_before_starting(tmp_path, bad):
    result = subprocess.run(
        [*SERVER, *bad.split()], env=server_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1


async def test_every_workspace_folder_is_indexed_and_folders_can_change(client, tmp_path):
    folders = []
    for name in ("one", "two", "three"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.py").write_text(f"def {name}():\n    return 1\n")
        folders.append(folder)
    await initialize(client, folders[0], folders=folders[:2])

    async def indexed_files() -> int:
        status = await client.protocol.send_request_async("mellum/status", {})
        return status.indexing.total if status.indexing.ready else -1

    for _ in range(300):
        if await indexed_files() == 2:
            break
        await asyncio.sleep(0.05)
    assert await indexed_files() == 2
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=folders[2].as_uri(), name="three")], removed=[]
            )
        )
    )
    for _ in range(300):
        if await indexed_files() == 3:
            break
        await asyncio.sleep(0.05)
    assert await indexed_files() == 3


async def test_a_document_that_cannot_be_read_is_a_clear_error(client, workspace):
    await initialize(client, workspace)
    missing = (workspace / "missing.py").as_uri()
    with pytest.raises(JsonRpcException, match="cannot read the document"):
        await client.protocol.send_request_async(
            "mellum/nextEdit", {"textDocument": {"uri": missing}, "position": {"line": 0, "character": 0}}
        )
    status = await client.protocol.send_request_async("mellum/status", {})
    assert status.loaded is False  # and the server still answers


async def test_settings_are_pulled_when_the_change_notification_carries_none(client, workspace):
    await initialize(client, workspace, configuration=True)
    client.set_configuration({"completion": {"debounce_ms": 33}}, section="mellum")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))

    async def debounce() -> int:
        status = await client.protocol.send_request_async("mellum/status", {})
        return status.settings.completion.debounce_ms

    for _ in range(100):
        if await debounce() == 33:
            break
        await asyncio.sleep(0.05)
    assert await debounce() == 33


async def test_a_change_to_a_document_never_opened_does_not_stop_the_server(client, workspace):
    await initialize(client, workspace)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=(workspace / "ghost.py").as_uri(), version=2
            ),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
                    ),
                    text="x",
                )
            ],
        )
    )
    status = await client.protocol.send_request_async("mellum/status", {})
    assert status.loaded is False and status.device == "cpu"  # answered: the server carries on
