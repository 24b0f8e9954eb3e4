"""Inline completion: `textDocument/inlineCompletion` (LSP 3.18) and the `textDocument/completion` fallback.

One request goes: cache lookup (typing into a shown suggestion answers at once, no model call)
-> per-document debounce (only the last keystroke of a burst goes on) -> a job on the model
worker at completion priority: context from the index, the fill-in-the-middle prompt, a decode on
the completion slot, the post-processing filters; a newer request for the same document
supersedes the older job, and `$/cancelRequest` stops its decode loop -> cache store.

The LSP methods only translate params and results; :meth:`InlineCompletionFeature.suggest` is
the plain entry point, which `mellum-lsp complete` calls too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path

from lsprotocol import types
from pygls.workspace import TextDocument

from mellum_lsp.completion import generation, syntax
from mellum_lsp.completion.cache import CompletionCache
from mellum_lsp.completion.context_memo import ContextMemo
from mellum_lsp.completion.debounce import Debouncer, DebounceSettings
from mellum_lsp.completion.figures import CompletionFigures
from mellum_lsp.completion.generation import Generated
from mellum_lsp.completion.request import CompletionRequest, Suggestion
from mellum_lsp.config import CompletionSettings, Settings
from mellum_lsp.documents import DocumentChange, uri_to_path
from mellum_lsp.scheduler import JobContext, Priority
from mellum_lsp.session import COMPLETION_SLOT, ModelUnavailable, Session

log = logging.getLogger(__name__)

# The command an item carries: arguments [id, details]. Clients that run it on acceptance report it.
ACCEPT_COMMAND = "mellum.didAcceptCompletion"
_RECENT_DOCUMENTS = 8
_LABEL_LENGTH = 60


class InlineCompletionFeature:
    """Suggestions at the cursor, for inline (ghost text) and completion-list clients alike."""

    COMPLETION_OPTIONS = types.CompletionOptions(trigger_characters=[".", "(", ",", "=", " "])

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache = CompletionCache()
        self.context_memo = ContextMemo()
        self.debouncer = Debouncer(_debounce_settings(session.settings.completion))
        self.figures = CompletionFigures()
        self._recent: deque[Path] = deque(maxlen=_RECENT_DOCUMENTS)
        # Set by the first inline request: such a client shows ghost text, and answering its
        # completion-list requests too would make the two kinds supersede each other.
        self._client_has_inline = False

    # --- document and settings hooks (called by the server's fan-out) -------------------------

    def document_opened(self, uri: str, text: str) -> None:
        self._touch(uri)

    def document_changed(self, change: DocumentChange) -> None:
        self._touch(change.uri)

    def document_closed(self, uri: str) -> None:
        self.cache.forget(uri)
        self.context_memo.forget(uri)

    def settings_changed(self, settings: Settings) -> None:
        """New settings may mean another model or prompt: earlier answers no longer hold."""
        self.cache.clear()
        self.context_memo.forget()
        self.debouncer.settings = _debounce_settings(settings.completion)

    # --- LSP edges ------------------------------------------------------------------------------

    async def inline_completion(
        self, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        """`textDocument/inlineCompletion`: at most one item, inserted at the cursor."""
        self._client_has_inline = True
        document = self.session.workspace.get_text_document(params.text_document.uri)
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        suggestion = await self.suggest(
            _request(document, params.position, invoked), is_current=self._version_check(document)
        )
        if suggestion is None:
            return None
        item = types.InlineCompletionItem(
            insert_text=suggestion.text,
            range=types.Range(start=params.position, end=params.position),
            command=_command(suggestion),
        )
        return types.InlineCompletionList(items=[item])

    async def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        """`textDocument/completion`: the same suggestion as one list item, for clients without inline completion."""
        if self._client_has_inline or not self.session.settings.completion.enable_completion_items:
            return None
        document = self.session.workspace.get_text_document(params.text_document.uri)
        invoked = (
            params.context is not None and params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        )
        suggestion = await self.suggest(
            _request(document, params.position, invoked), is_current=self._version_check(document)
        )
        if suggestion is None:
            return None
        item = types.CompletionItem(
            label=_label(suggestion.text),
            kind=types.CompletionItemKind.Text,
            detail="Mellum",
            documentation=types.MarkupContent(kind=types.MarkupKind.PlainText, value=suggestion.text),
            sort_text="0",
            filter_text=suggestion.text,
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=types.TextEdit(
                range=types.Range(start=params.position, end=params.position), new_text=suggestion.text
            ),
            command=_command(suggestion),
        )
        return types.CompletionList(is_incomplete=True, items=[item])

    # --- the pipeline -----------------------------------------------------------------------------

    async def suggest(
        self, request: CompletionRequest, *, is_current: Callable[[], bool] = lambda: True
    ) -> Suggestion | None:
        """A suggestion for the cursor, or None (nothing worth showing, superseded, or no model).

        `is_current` says whether the document is still the version the request was made on.
        """
        started = time.perf_counter()
        self.figures.add(requests=1)
        cached = self.cache.get(request.uri, request.prefix, request.suffix)
        if cached is not None:
            self.figures.add(from_cache=1)
            return self._answer(cached, "\n" in cached, "cache", started) if cached else None
        if not await self.debouncer.settle(request.uri, invoked=request.invoked, is_current=is_current):
            self.figures.add(debounced=1)
            return None
        generated = await self._generate_on_worker(request)
        if generated is None:
            return None
        if generated.text is None:
            self.figures.add(cancelled=1)
            return None
        self.figures.add(
            model_calls=1, prompt_tokens=generated.prompt_tokens, cached_tokens=generated.cached_tokens
        )
        self.cache.put(request.uri, request.prefix, request.suffix, generated.text)
        if not generated.text:
            self.figures.add(dropped=1)
            return None
        return self._answer(generated.text, generated.multiline, "model", started, generated)

    async def _generate_on_worker(self, request: CompletionRequest) -> Generated | None:
        """Run the model half as a job; None when it was superseded before it ran, or could not run."""
        settings = self.session.settings.completion
        recent = tuple(path for path in self._recent if path != request.path)
        job = self.session.submit(
            partial(self._generate, request, settings, recent),
            name="inline completion",
            priority=Priority.COMPLETION,
            slot=COMPLETION_SLOT,
            key=("inline completion", request.uri),
            supersede=True,
        )
        try:
            return await job.wait()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            self.figures.add(cancelled=1)
            if task is not None and task.cancelling():
                raise  # $/cancelRequest: the job was told to stop; let pygls answer the cancel
            return None  # superseded by a newer request for the same document before it ran
        except ModelUnavailable as exc:
            self.figures.add(unavailable=1)
            log.debug("no completion: %s", exc)
            return None
        except Exception:
            self.figures.add(failed=1)
            log.exception("inline completion failed for %s", request.uri)
            return None

    def _generate(
        self,
        request: CompletionRequest,
        settings: CompletionSettings,
        recent: tuple[Path, ...],
        ctx: JobContext,
    ) -> Generated:
        """The job body, on the model worker: prompt, decode, filters."""
        engine = self.session.engine()
        language = syntax.language_for(str(request.path), request.language_id)
        multiline = generation.multiline_for(request, language, settings.multiline)
        prompt = generation.build_prompt(
            self.session.index, engine.tokenizer, request, settings, recent=recent, memo=self.context_memo
        )
        result = self.session.generate(
            ctx, prompt, slot=COMPLETION_SLOT, **generation.generation_params(multiline, settings)
        )
        if result.finish_reason == "cancelled":
            self.figures.add(steps_after_cancel=ctx.job.steps_after_cancel or 0)
            text = None
        else:
            text = generation.post_process(result.text, request, language, multiline)
        return Generated(text, multiline, result.prompt_tokens, result.cached_tokens, result.new_tokens)

    def _answer(
        self, text: str, multiline: bool, source: str, started: float, generated: Generated | None = None
    ) -> Suggestion:
        latency_ms = (time.perf_counter() - started) * 1000
        self.session.stats.record_latency(latency_ms)
        return Suggestion(
            id=uuid.uuid4().hex[:16],
            text=text,
            multiline=multiline,
            source="cache" if source == "cache" else "model",
            latency_ms=latency_ms,
            prompt_tokens=generated.prompt_tokens if generated else 0,
            cached_tokens=generated.cached_tokens if generated else 0,
            new_tokens=generated.new_tokens if generated else 0,
        )

    def _touch(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path in self._recent:
            self._recent.remove(path)
        self._recent.appendleft(path)

    def _version_check(self, document: TextDocument) -> Callable[[], bool]:
        version = document.version
        uri = document.uri
        return lambda: self.session.workspace.get_text_document(uri).version == version


def _request(document: TextDocument, position: types.Position, invoked: bool) -> CompletionRequest:
    """A plain request from an open document and a client position (in the negotiated encoding)."""
    return CompletionRequest(
        uri=document.uri,
        path=uri_to_path(document.uri),
        text=document.source,
        offset=document.offset_at_position(position),
        language_id=document.language_id,
        invoked=invoked,
    )


def _command(suggestion: Suggestion) -> types.Command:
    return types.Command(
        title="Mellum suggestion", command=ACCEPT_COMMAND, arguments=[suggestion.id, suggestion.details()]
    )


def _label(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    return first if len(first) <= _LABEL_LENGTH else first[: _LABEL_LENGTH - 1] + "…"


def _debounce_settings(settings: CompletionSettings) -> DebounceSettings:
    return DebounceSettings(delay_ms=settings.debounce_ms)
