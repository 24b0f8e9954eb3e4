"""`mellum-lsp bench lsp`: inline-completion latency over stdio, as an editor sees it.

Starts the real server as a subprocess and drives it with pygls' language client. The document is
a copy of the standard library's `textwrap.py` (about 5K tokens, so the 2K-token prompt budget is
filled). Two sessions are measured with the server's own debounce:

- cold: single-line requests at scattered assignment statements, each at a new place in the file,
  one at a time;
- typing: a few lines deleted and typed back one character at a time, a request after every
  keystroke and `$/cancelRequest` for the previous one if it has not been answered, as an editor does.

Latency is from sending the request to receiving a suggestion. The share of prompt tokens served
from the engine's KV cache comes from the `completion` figures of `mellum/status` (every decode,
including superseded ones), falling back to the figures attached to the shown items. Prints JSON,
with each figure's ratio to the issue's target.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import click
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from mellum_lsp.jsondata import plain
from mellum_lsp.stats import percentile

TARGETS = {"typing_p50_ms": 100.0, "typing_p95_ms": 250.0, "kv_cache_share": 0.9}
_ASSIGNMENT = re.compile(r"^(\s+)\w+(\.\w+)* = \S")
_CODE_LINE = re.compile(r"^ {8,}(return |if |for |while |[\w.]+ *(=|\+=|-=|\())")
_STARTUP_TIMEOUT_S = 600.0
_REQUEST_TIMEOUT_S = 300.0

Outcome = Literal["shown", "empty", "cancelled", "error"]


@dataclass
class Reply:
    """One inline-completion request as the editor saw it."""

    outcome: Outcome
    latency_ms: float
    details: dict[str, Any] = field(default_factory=dict)


class ScriptedEditor:
    """One open document edited by incremental didChange, with inline-completion requests at offsets."""

    def __init__(self, client: LanguageClient, uri: str, text: str) -> None:
        self.client = client
        self.uri = uri
        self.text = text
        self.version = 0
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=0, text=text)
            )
        )

    def position(self, offset: int) -> types.Position:
        """A position in UTF-16 code units (the server's default encoding)."""
        line_start = self.text.rfind("\n", 0, offset) + 1
        column = len(self.text[line_start:offset].encode("utf-16-le")) // 2
        return types.Position(line=self.text.count("\n", 0, offset), character=column)

    def replace(self, start: int, end: int, new_text: str) -> None:
        """Replace `text[start:end]` as one incremental change."""
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=self.position(start), end=self.position(end)), text=new_text
        )
        self.text = self.text[:start] + new_text + self.text[end:]
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[change],
            )
        )

    def request(self, offset: int) -> tuple[str, asyncio.Task[Reply]]:
        """Send an automatic inline-completion request; its id (for cancelling) and a task for the reply."""
        msg_id = f"bench-{uuid.uuid4().hex[:8]}"
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            position=self.position(offset),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
        )
        sent = time.perf_counter()
        future = self.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
        return msg_id, asyncio.ensure_future(_reply(future, sent))

    def cancel(self, msg_id: str) -> None:
        self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))


async def _reply(future: Any, sent: float) -> Reply:
    try:
        # shield: a timed-out request's late answer must still find its future uncancelled
        result = await asyncio.wait_for(asyncio.shield(future), _REQUEST_TIMEOUT_S)
    except Exception as exc:
        latency = (time.perf_counter() - sent) * 1000
        return Reply("cancelled" if "cancel" in str(exc).lower() else "error", latency, {"error": str(exc)})
    latency = (time.perf_counter() - sent) * 1000
    if result is None or not result.items:
        return Reply("empty", latency)
    item = result.items[0]
    arguments = item.command.arguments if item.command and item.command.arguments else []
    details = plain(arguments[1]) if len(arguments) > 1 else {}
    return Reply("shown", latency, details)


def sample_document() -> str:
    """A real Python module, ASCII only, long enough to fill a 2K-token prompt."""
    return Path(textwrap.__file__).read_text(encoding="utf-8")


def assignment_cursors(text: str, count: int) -> list[tuple[int, int]]:
    """(cursor, end of line) after `name = ` on `count` assignment lines spread over the text."""
    found: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if _ASSIGNMENT.match(line):
            cursor = offset + line.index(" = ") + 3
            found.append((cursor, offset + len(line.rstrip("\n"))))
        offset += len(line)
    step = max(1, len(found) // count)
    return found[::step][:count]


def typing_region(text: str, lines: int) -> tuple[int, int]:
    """Character range of `lines` consecutive indented code lines in the second half of the text."""
    rows = text.splitlines(keepends=True)
    starts = [sum(len(r) for r in rows[:i]) for i in range(len(rows) + 1)]
    for first in range(len(rows) // 2, len(rows) - lines):
        block = rows[first : first + lines]
        if all(_CODE_LINE.match(r) for r in block):
            return starts[first], starts[first + lines]
    raise ValueError("the sample has no block of indented code lines to type")


async def wait_until_ready(client: LanguageClient) -> dict[str, Any]:
    """Poll `mellum/status` until the model has loaded (or failed to) and the index is built."""
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        status = await client.protocol.send_request_async("mellum/status", {})
        status = plain(status)
        if status.get("problem") and status["problem"] != "the model is loading":
            raise click.ClickException(f"the server cannot complete: {status['problem']}")
        if status.get("loaded") and status.get("indexing", {}).get("ready", True):
            return status
        await asyncio.sleep(0.25)
    raise click.ClickException("the server did not get ready in time")


async def completion_figures(client: LanguageClient) -> dict[str, Any]:
    status = plain(await client.protocol.send_request_async("mellum/status", {}))
    return dict(status.get("completion") or {})


async def cold_session(editor: ScriptedEditor, count: int) -> list[Reply]:
    """One request per assignment line, after deleting what follows `= ` (later lines first)."""
    replies: list[Reply] = []
    for cursor, line_end in sorted(assignment_cursors(editor.text, count), reverse=True):
        editor.replace(cursor, line_end, "")
        _, task = editor.request(cursor)
        replies.append(await task)
    return replies


async def typing_session(editor: ScriptedEditor, lines: int, interval_ms: float) -> list[Reply]:
    """Delete `lines` lines and type them back, a request per keystroke, cancelling the unanswered one."""
    start, end = typing_region(editor.text, lines)
    typed = editor.text[start:end]
    editor.replace(start, end, "")
    tasks: list[asyncio.Task[Reply]] = []
    pending: tuple[str, asyncio.Task[Reply]] | None = None
    for i, char in enumerate(typed):
        if pending is not None and not pending[1].done():
            editor.cancel(pending[0])
        editor.replace(start + i, start + i, char)
        pending = editor.request(start + i + 1)
        tasks.append(pending[1])
        await asyncio.sleep(interval_ms / 1000)
    return list(await asyncio.gather(*tasks))


def summarise(
    replies: list[Reply], figures_before: dict[str, Any], figures_after: dict[str, Any]
) -> dict[str, Any]:
    """Counts by outcome, latency percentiles of the shown suggestions, and the KV-cache share."""
    shown = sorted(r.latency_ms for r in replies if r.outcome == "shown")
    from_model = [r for r in replies if r.outcome == "shown" and r.details.get("source") == "model"]
    model = [r.details for r in from_model]
    model_ms = sorted(r.latency_ms for r in from_model)
    prompt = _delta(figures_before, figures_after, "prompt_tokens")
    cached = _delta(figures_before, figures_after, "cached_tokens")
    if prompt is None:
        prompt = sum(d.get("prompt_tokens", 0) for d in model)
        cached = sum(d.get("cached_tokens", 0) for d in model)
    return {
        "requests": len(replies),
        "shown": len(shown),
        "from_cache": sum(1 for r in replies if r.details.get("source") == "cache"),
        "empty": sum(1 for r in replies if r.outcome == "empty"),
        "cancelled": sum(1 for r in replies if r.outcome == "cancelled"),
        "errors": sum(1 for r in replies if r.outcome == "error"),
        "p50_ms": percentile(shown, 50),
        "p95_ms": percentile(shown, 95),
        "model_p50_ms": percentile(model_ms, 50),  # the answers that needed the model (not the typed-through cache)
        "model_p95_ms": percentile(model_ms, 95),
        "mean_prompt_tokens": round(sum(d.get("prompt_tokens", 0) for d in model) / len(model))
        if model
        else None,
        "kv_cache_share": round(cached / prompt, 3) if prompt and cached is not None else None,
    }


def _delta(before: dict[str, Any], after: dict[str, Any], key: str) -> int | None:
    if key not in after:
        return None
    return int(after[key]) - int(before.get(key, 0))


def _ratio(value: float | None, target: float) -> float | None:
    return None if value is None else round(value / target, 2)


async def run_bench(
    model: str, device: str, debounce_ms: int | None, cold: int, lines: int, interval_ms: float
) -> dict[str, Any]:
    """Start the server in a scratch workspace, run both sessions, and return the figures."""
    scratch = Path(tempfile.mkdtemp(prefix="mellum-bench-lsp-"))
    try:
        root = scratch / "repo"
        root.mkdir()
        document = root / "textwrap_sample.py"
        document.write_text(sample_document(), encoding="utf-8")
        settings = ["--set", "completion.budget_tokens=2048"]
        if debounce_ms is not None:
            settings += ["--set", f"completion.debounce_ms={debounce_ms}"]
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(scratch / "config"),
            "XDG_CACHE_HOME": str(scratch / "cache"),
        }
        client = LanguageClient("mellum-bench", "1")
        await client.start_io(
            sys.executable,
            "-m",
            "mellum_lsp",
            "serve",
            "--model",
            model,
            "--device",
            device,
            *settings,
            env=env,
        )
        try:
            init = await client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(),
                    root_uri=root.as_uri(),
                    workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                )
            )
            client.initialized(types.InitializedParams())
            if init.capabilities.inline_completion_provider is None:
                raise click.ClickException("the server does not offer inline completion")
            status = await wait_until_ready(client)
            editor = ScriptedEditor(client, document.as_uri(), document.read_text(encoding="utf-8"))
            started = time.perf_counter()
            _, warmup = editor.request(len(editor.text))
            first = await warmup
            first_ms = (time.perf_counter() - started) * 1000
            before = await completion_figures(client)
            cold_replies = await cold_session(editor, cold)
            middle = await completion_figures(client)
            typing_replies = await typing_session(editor, lines, interval_ms)
            after = await completion_figures(client)
            figures = {
                "cold": summarise(cold_replies, before, middle),
                "typing": summarise(typing_replies, middle, after),
            }
            await client.shutdown_async(None)
            client.exit(None)
        finally:
            await client.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    typing = figures["typing"]
    return {
        "model": status.get("model"),
        "device": status.get("device"),
        "debounce_ms": status.get("settings", {}).get("completion", {}).get("debounce_ms", debounce_ms),
        "keystroke_interval_ms": interval_ms,
        "first_request": {"outcome": first.outcome, "ms": round(first_ms, 1)},
        **figures,
        "targets": TARGETS,
        "ratio_to_target": {
            "typing_p50": _ratio(typing["p50_ms"], TARGETS["typing_p50_ms"]),
            "typing_p95": _ratio(typing["p95_ms"], TARGETS["typing_p95_ms"]),
            "kv_cache_share": _ratio(typing["kv_cache_share"], TARGETS["kv_cache_share"]),
        },
    }


@click.command()
@click.option("--model", default="default", show_default=True, help="Checkpoint the server loads.")
@click.option("--device", default="cpu", show_default=True, help="Where the server runs the model.")
@click.option(
    "--debounce-ms",
    type=click.IntRange(0, 2000),
    default=None,
    help="Server-side debounce for the run (default: the server's configured value).",
)
@click.option(
    "--cold", "cold", type=click.IntRange(1, 200), default=12, show_default=True, help="Cold requests."
)
@click.option("--lines", type=click.IntRange(1, 20), default=3, show_default=True, help="Lines typed back.")
@click.option(
    "--interval-ms",
    type=click.FloatRange(1, 2000),
    default=120.0,
    show_default=True,
    help="Time between keystrokes.",
)
def lsp(model: str, device: str, debounce_ms: int | None, cold: int, lines: int, interval_ms: float) -> None:
    """Inline-completion latency p50/p95 over stdio, cold and while typing, and the KV-cache share."""
    result = asyncio.run(run_bench(model, device, debounce_ms, cold, lines, interval_ms))
    click.echo(json.dumps(result, indent=2))
