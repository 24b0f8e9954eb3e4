"""Everything a feature needs, with no LSP transport in it: settings, the model, the index, figures.

The language server owns one :class:`Session`; ``mellum-lsp complete`` and ``mellum-lsp chat``
build one too, with a console :class:`Notifier`, so the terminal commands run the same feature
code as the editor does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import Workspace

from mellum_lsp.config import Configuration, Settings, as_dict, default_cache_dir
from mellum_lsp.documents import OpenDocuments, uri_to_path
from mellum_lsp.scheduler import Job, JobContext, Priority, Scheduler
from mellum_lsp.stats import Stats

if TYPE_CHECKING:
    from indexing.workspace import WorkspaceIndex
    from model.engine import Engine, GenerationResult

T = TypeVar("T")
log = logging.getLogger(__name__)

# Engine KV-cache slots, used as scheduler lanes: a chat may pause for a completion, never for
# another job on its own slot.
COMPLETION_SLOT = 0
LONG_SLOT = 1  # chat, explanations, rewrites, fixes, next-edit
_LOAD_LANE = 2


class NotReady(RuntimeError):
    """Something a request needs (the model, the index) is not there yet; the message says what and why."""


class ModelUnavailable(NotReady):
    """The model is still loading or failed to load; the message says which and why."""


class ProgressHandle(Protocol):
    def report(self, message: str, percentage: int | None = None) -> None: ...
    def end(self, message: str) -> None: ...


class Notifier(Protocol):
    """How a session talks to whoever drives it (an LSP client or a terminal); callable from any thread."""

    def partial_result(self, token: types.ProgressToken, value: dict[str, Any]) -> None: ...
    def show_message(self, kind: types.MessageType, message: str) -> None: ...
    def begin_progress(self, title: str) -> ProgressHandle: ...


class Session:
    """Shared state of one server (or one CLI run)."""

    def __init__(self, config: Configuration, notifier: Notifier, workspace: Workspace) -> None:
        self.config = config
        self.notifier = notifier
        self.workspace = workspace
        self.documents = OpenDocuments()
        self.scheduler = Scheduler()
        self.stats = Stats()
        self.index: WorkspaceIndex | None = None
        self.index_progress: tuple[int, int] = (0, 0)
        self._engine: Engine | None = None
        self._engine_problem = "the model has not been loaded yet"
        self._model_ready = threading.Event()
        self.one_request = False  # a terminal command that answers once: `model.compile = auto` is off

    @property
    def settings(self) -> Settings:
        return self.config.settings

    @property
    def roots(self) -> list[Path]:
        """Workspace folders as paths (the root URI when the client sent no folders)."""
        folders = [Path(p) for f in self.workspace.folders.values() if (p := to_fs_path(f.uri))]
        if not folders and self.workspace.root_path:
            folders = [Path(self.workspace.root_path)]
        return folders

    def start(self) -> None:
        """Start the model worker, load the model, and build the index in the background."""
        self.scheduler.start()
        self.load_model()
        self.start_index()

    def start_index(self) -> None:
        """(Re)build the index on its own thread; the old one serves until the new one is ready."""
        if self.settings.index.enabled:
            threading.Thread(target=self.build_index, name="mellum-index", daemon=True).start()

    def close(self) -> None:
        self.scheduler.stop()

    # --- the model ---------------------------------------------------------------------------

    def load_model(self) -> Job[None]:
        """(Re)load the configured model on the worker, reporting progress; problems go to the user."""
        self._model_ready.clear()
        self._engine_problem = "the model is loading"
        return self.scheduler.submit(
            self._load, name="load model", priority=Priority.LOAD, lane=_LOAD_LANE, exclusive=True
        )

    def _load(self, ctx: JobContext) -> None:
        settings = self.settings.model
        progress = self.notifier.begin_progress(f"Loading model {settings.name}")
        started = time.perf_counter()
        self._engine = None  # free the previous model before the next one takes memory
        # torch.compile's cache defaults to /tmp, which a reboot empties, and a cold compile takes ~50 s
        # where a cached one takes ~15: keep it beside our other caches unless the user chose a place.
        os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(default_cache_dir() / "torchinductor"))
        try:
            from model.engine import Engine

            self._engine = Engine.load(
                settings.name,
                device=settings.device,
                dtype=settings.dtype,
                slots=settings.slots,
                compile="off" if self.one_request and settings.compile == "auto" else settings.compile,
                threads=settings.threads,
            )
        except Exception as exc:
            self._engine = None
            self._engine_problem = describe_load_failure(settings.name, exc)
            log.error("%s", self._engine_problem)
            self.notifier.show_message(types.MessageType.Error, self._engine_problem)
            progress.end("failed")
        else:
            seconds = time.perf_counter() - started
            log.info("model %s loaded on %s in %.1f s", settings.name, settings.device, seconds)
            progress.end(f"loaded in {seconds:.1f} s")
        finally:
            self._model_ready.set()

    def engine(self) -> Engine:
        """The loaded engine; call on the model worker. Raises :class:`ModelUnavailable`."""
        if self._engine is None:
            raise ModelUnavailable(self._engine_problem)
        return self._engine

    def generate(
        self,
        ctx: JobContext,
        prompt: str,
        *,
        slot: int,
        on_text: Callable[[str], None] | None = None,
        **params: Any,
    ) -> GenerationResult:
        """Run one generation inside a job: cancellable between decode steps, and logged with its figures."""
        from model.engine import GenerationParams

        try:
            result = self.engine().generate(
                prompt, GenerationParams(**params), slot=slot, on_text=on_text, should_stop=ctx.should_stop
            )
        except Exception as exc:
            if is_out_of_memory(exc):
                self.notifier.show_message(
                    types.MessageType.Error,
                    f"Out of memory during {ctx.job.name}: lower the token budgets or use a smaller model ({exc})",
                )
            raise
        log.debug(
            "%s: finish=%s prompt_tokens=%d cached_tokens=%d new_tokens=%d decode_steps=%d "
            "steps_after_cancel=%s draft=%d/%d ttft_ms=%.0f total_ms=%.0f",
            ctx.job.name,
            result.finish_reason,
            result.prompt_tokens,
            result.cached_tokens,
            result.new_tokens,
            result.decode_steps,
            ctx.job.steps_after_cancel,
            result.draft_accepted,
            result.draft_proposed,
            result.ttft_s * 1000,
            result.total_s * 1000,
        )
        return result

    def wait_for_model(self, timeout: float | None = None) -> bool:
        return self._model_ready.wait(timeout)

    def submit(
        self,
        fn: Callable[[JobContext], T],
        *,
        name: str,
        priority: Priority,
        slot: int,
        key: Hashable | None = None,
        supersede: bool = False,
    ) -> Job[T]:
        """Queue model work on the one worker thread (see :mod:`mellum_lsp.scheduler`)."""
        return self.scheduler.submit(
            fn, name=name, priority=priority, lane=slot, key=key, supersede=supersede
        )

    # --- the index ---------------------------------------------------------------------------

    def build_index(self) -> None:
        """Walk, parse and persist the workspace index; the server runs this on its own thread."""
        roots = self.roots
        if not roots:
            return
        progress = self.notifier.begin_progress("Indexing workspace")
        try:
            from indexing.settings import IndexSettings
            from indexing.workspace import WorkspaceIndex

            options = self.settings.index
            index = WorkspaceIndex(
                roots,
                IndexSettings(
                    exclude=options.exclude, max_file_bytes=options.max_file_size, max_files=options.max_files
                ),
                cache_dir=Path(options.cache_dir) if options.cache_dir else default_cache_dir() / "index",
                log=logging.getLogger("indexing"),
            )

            def report(done: int, total: int) -> None:
                self.index_progress = (done, total)
                if total and (done == total or done % 50 == 0):
                    progress.report(f"{done}/{total} files", percentage=int(100 * done / total))

            index.build(progress=report)
            for uri, text in self.documents.texts():
                index.update_document(uri_to_path(uri), text)
        except Exception as exc:
            log.exception("indexing failed; completions and chat go on without repository context")
            progress.end(f"failed: {exc}")
            return
        self.index = index
        progress.end(f"{self.index_progress[1]} files")

    # --- figures ------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The ``mellum/status`` result."""
        model = self.settings.model
        done, total = self.index_progress
        loaded = self._engine is not None
        return {
            "model": model.name,
            "loaded": loaded,
            "problem": None if loaded else self._engine_problem,
            "device": model.device,
            "backend": model.backend,
            "indexing": {"done": done, "total": total, "ready": self.index is not None},
            "queue": self.scheduler.snapshot(),
            "acceptance": self.stats.acceptance(),
            "latency_ms": self.stats.latency(),
            "settings": as_dict(self.settings),
        }


def describe_load_failure(model: str, exc: BaseException) -> str:
    """One line the user can act on: not found, out of memory, or what else went wrong."""
    if is_out_of_memory(exc):
        return (
            f"Out of memory loading model {model!r}: choose a smaller model, dtype or another device ({exc})"
        )
    if isinstance(exc, FileNotFoundError) or type(exc).__name__ == "CheckpointError":
        return f"Model not found or not usable: {exc}"
    return f"Model {model!r} failed to load: {type(exc).__name__}: {exc}"


def is_out_of_memory(exc: BaseException) -> bool:
    """MemoryError, or torch's OutOfMemoryError (recognised by name: this module never imports torch)."""
    return isinstance(exc, MemoryError) or "OutOfMemory" in type(exc).__name__
