"""Start ``mellum-lsp serve`` over stdio, open a file as an editor would, and print an inline completion.

Run by ``scripts/quickstart.sh``; ``--model DIR`` tries another checkpoint, ``--file F --line L --col C``
(1-based) another cursor.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

SAMPLE = '''def fibonacci(n):
    """Return the n-th Fibonacci number."""
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)


def factorial(n):
    """Return n!."""
    '''


async def main(args: argparse.Namespace) -> int:
    if args.file:
        path = Path(args.file).resolve()
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        position = types.Position(line=args.line - 1, character=args.col - 1)
        root = path.parent
    else:
        root = Path(__file__).resolve().parent.parent
        path = root / "example.py"
        text = SAMPLE
        lines = text.split("\n")
        position = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    client = LanguageClient("mellum-quickstart", "1")
    log_messages: list[str] = []

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams) -> None:
        log_messages.append(params.message)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def on_message(params: types.ShowMessageParams) -> None:
        print(f"server says: {params.message}", file=sys.stderr)

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def on_progress_create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def on_progress(params: types.ProgressParams) -> None:
        value = params.value if isinstance(params.value, dict) else {}
        if value.get("kind") in ("begin", "end"):
            print(f"[{value.get('title') or value.get('message', '')}]", file=sys.stderr)

    command = [sys.executable, "-m", "mellum_lsp", "serve", "--model", args.model]
    await client.start_io(*command)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            ),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    status = await wait_for_model(client)
    if not status.loaded:
        print(f"the model did not load: {status.problem}", file=sys.stderr)
        await stop(client)
        return 1
    started = time.perf_counter()
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    before = "\n".join(lines[: position.line] + [lines[position.line][: position.character]])
    print(f"--- {path.name}, cursor at {position.line + 1}:{position.character + 1}, model {status.model}")
    print(before[-300:] + "\033[7m", end="")
    suggestion = result.items[0].insert_text if result and result.items else ""
    print((suggestion if isinstance(suggestion, str) else suggestion.value) + "\033[0m")
    print(
        f"--- inline completion in {elapsed_ms:.0f} ms" + ("" if suggestion else " (nothing to suggest here)")
    )
    await stop(client)
    return 0


async def wait_for_model(client: LanguageClient):  # type: ignore[no-untyped-def]
    while True:
        status = await client.protocol.send_request_async("mellum/status", {})
        if status.loaded or (status.problem and "loading" not in status.problem):
            return status
        await asyncio.sleep(0.2)


async def stop(client: LanguageClient) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--model", default="default", help="checkpoint directory, cached repo id, or 'default'"
    )
    parser.add_argument("--file", help="complete in this file instead of the built-in sample")
    parser.add_argument("--line", type=int, default=1, help="1-based line of the cursor in --file")
    parser.add_argument("--col", type=int, default=1, help="1-based column of the cursor in --file")
    sys.exit(asyncio.run(main(parser.parse_args())))
