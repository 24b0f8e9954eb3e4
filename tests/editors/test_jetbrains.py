"""The LSP4IJ template: its JSON is what LSP4IJ reads, its settings are valid server configuration,
and the command line it gives starts a server that answers an inline completion."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from mellum_lsp.config import Configuration, Layer
from mellum_lsp.jsondata import plain

TEMPLATE = Path(__file__).parents[2] / "editors" / "jetbrains" / "mellum-lsp"
# Text after a comment marker survives the server's filters whatever a random model writes.
SOURCE = "import os\n\n\ndef home():\n    return os.environ['HOME']\n\n# {}"
NOTES = ["the home directory of", "where the user keeps", "paths are resolved", "see also", "todo"]


def read(name: str) -> Any:
    return json.loads((TEMPLATE / name).read_text())


def test_template_declares_the_server_and_file_mappings() -> None:
    template = read("template.json")
    assert template["id"] == "mellum-lsp" and template["name"]
    assert shlex.split(template["programArgs"]["default"]) == ["mellum-lsp", "serve"]
    seen: set[str] = set()
    for mapping in template["fileTypeMappings"]:
        patterns = mapping["fileType"]["patterns"]
        assert patterns and all(p.startswith("*.") for p in patterns)
        assert not seen & set(patterns), f"pattern mapped twice: {seen & set(patterns)}"
        seen |= set(patterns)
        assert mapping["languageId"].isidentifier() or mapping["languageId"].isalpha()


def test_settings_files_are_valid_server_configuration() -> None:
    config = Configuration()
    assert config.set_layer(Layer.INITIALIZATION_OPTIONS, read("initializationOptions.json")) == []
    assert config.update_layer(Layer.CLIENT_SETTINGS, read("settings.json")) == []
    assert config.settings.completion.max_new_tokens == 48
    assert config.settings.chat.max_new_tokens == 384


def language_id(filename: str) -> str:
    for mapping in read("template.json")["fileTypeMappings"]:
        if any(fnmatch.fnmatch(filename, p) for p in mapping["fileType"]["patterns"]):
            return str(mapping["languageId"])
    raise AssertionError(f"no mapping for {filename}")


@pytest.mark.slow
async def test_template_command_line_answers_an_inline_completion(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """Start the server as LSP4IJ would: the template's command, its initialization options and settings."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    command = shlex.split(read("template.json")["programArgs"]["default"])
    client: LanguageClient = await ClientServerConfig(server_command=command, server_env=env).start()  # type: ignore[assignment]
    settings = read("settings.json")
    client.set_configuration(settings)
    root = tmp_path / "project"
    root.mkdir()
    # The user's own additions to the template's options: the model, and short suggestions for a CPU test.
    options = read("initializationOptions.json")
    options["model"] = {"name": str(tiny_checkpoint)}
    options["completion"]["max_new_tokens"] = 8
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    workspace=types.WorkspaceClientCapabilities(configuration=True),
                    text_document=types.TextDocumentClientCapabilities(
                        inline_completion=types.InlineCompletionClientCapabilities()
                    ),
                ),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")],
                initialization_options=options,
            )
        )
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
        status = await wait_for_model(client)
        assert status["settings"]["completion"]["multiline"] == "auto"
        assert status["settings"]["chat"]["max_new_tokens"] == 384
        assert await some_suggestion(client, root), "the model suggested nothing at any comment"
    finally:
        await client.shutdown_session()
        await client.stop()


async def wait_for_model(client: LanguageClient) -> dict[str, Any]:
    for _ in range(1200):
        status = plain(await client.protocol.send_request_async("mellum/status", {}))
        if status["loaded"]:
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"the model did not load: {status['problem']}")


async def some_suggestion(client: LanguageClient, root: Path) -> str | None:
    for i, note in enumerate(NOTES):
        path = root / f"notes_{i}.py"
        text = SOURCE.format(note)
        path.write_text(text)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=path.as_uri(), language_id=language_id(path.name), version=0, text=text
                )
            )
        )
        last = text.split("\n")[-1]
        result = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
                position=types.Position(line=text.count("\n"), character=len(last)),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        )
        items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
        if items and isinstance(items[0].insert_text, str) and items[0].insert_text.strip():
            return items[0].insert_text
    return None
