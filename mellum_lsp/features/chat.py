"""``mellum/chat``: a streamed answer about the repository, with context from the index.

The answer streams as ``$/progress`` ``{delta}`` notifications for the request's
``partialResultToken`` and is returned whole as ``{content}``. It runs on the model worker's
long slot at chat priority, so it pauses for inline completions between decode steps, and
``$/cancelRequest`` stops it within one step. ``mellum-lsp chat`` calls :meth:`ChatFeature.start`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mellum_lsp.documents import uri_to_path
from mellum_lsp.features.replies import offsets, parse_range
from mellum_lsp.scheduler import Job, JobContext, Priority
from mellum_lsp.session import LONG_SLOT, Session
from model.prompts import fenced, language_id

if TYPE_CHECKING:
    from model.engine import GenerationResult

log = logging.getLogger(__name__)

SYSTEM = (
    "You are Mellum, a coding assistant inside the user's editor. Answer in Markdown, "
    "concisely, and put code in fenced blocks."
)
CHAT_STOP = ("<|im_end|>",)


class ChatFeature:
    """Chat and streamed explanations (the diagnostic "Explain with Mellum" uses it too)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start(
        self,
        messages: Sequence[dict[str, str]],
        *,
        open_file: tuple[Path, str] | None = None,
        selection: str | None = None,
        on_delta: Callable[[str], None] | None = None,
        name: str = "chat",
    ) -> Job[GenerationResult]:
        """Queue a chat generation; the job's result is the engine's GenerationResult."""
        messages = validate_messages(messages)

        def run(ctx: JobContext) -> GenerationResult:
            prompt = self.prompt(messages, open_file=open_file, selection=selection)
            chat = self.session.settings.chat
            return self.session.generate(
                ctx,
                prompt,
                slot=LONG_SLOT,
                on_text=on_delta,
                max_new_tokens=chat.max_new_tokens,
                temperature=chat.temperature,
                top_p=chat.top_p,
                top_k=chat.top_k,
                stop=CHAT_STOP,
            )

        return self.session.submit(run, name=name, priority=Priority.CHAT, slot=LONG_SLOT)

    def prompt(
        self, messages: Sequence[dict[str, str]], *, open_file: tuple[Path, str] | None, selection: str | None
    ) -> str:
        """ChatML with a system message carrying the repository context for the last question."""
        from model.prompts import chat_prompt

        system = SYSTEM + self.context_block(messages[-1]["content"], open_file, selection)
        return chat_prompt([{"role": "system", "content": system}, *messages])

    def context_block(self, question: str, open_file: tuple[Path, str] | None, selection: str | None) -> str:
        """Context pieces from the index under the chat budget; the selection alone when there is no index."""
        session = self.session
        parts: list[str] = []
        if session.index is not None:
            from indexing.context import assemble_chat_context

            pieces = assemble_chat_context(
                session.index,
                question,
                budget=session.settings.chat.budget_tokens // 2,
                tokenizer=session.engine().tokenizer,
                open_file=open_file,
                selection=selection,
            )
            for piece in pieces:
                where = f"{piece.path} lines {piece.start_line}-{piece.end_line}"
                parts.append(f"{where}:\n{fenced(piece.text, language_id(piece.path))}")
        elif selection:
            where = str(open_file[0]) if open_file else "the open file"
            parts.append(f"Selected in {where}:\n{fenced(selection, language_id(where))}")
        if open_file is not None:
            parts.insert(0, f"The user has {open_file[0]} open.")
        return ("\n\nRepository context:\n\n" + "\n\n".join(parts)) if parts else ""

    async def request(self, params: dict[str, Any]) -> dict[str, Any]:
        """The ``mellum/chat`` request (and the ``mellum.chat`` command)."""
        open_file: tuple[Path, str] | None = None
        selection: str | None = None
        if isinstance(params.get("textDocument"), dict):
            document = self.session.workspace.get_text_document(params["textDocument"]["uri"])
            open_file = (uri_to_path(document.uri), document.source)
            if params.get("range") is not None:
                start, end = offsets(document, parse_range(params["range"]))
                selection = document.source[start:end] or None
        return await self.answer(
            params.get("messages", []),
            open_file=open_file,
            selection=selection,
            token=params.get("partialResultToken"),
        )

    async def answer(
        self,
        messages: Sequence[dict[str, str]],
        *,
        open_file: tuple[Path, str] | None,
        selection: str | None,
        token: types.ProgressToken | None,
        name: str = "chat",
    ) -> dict[str, Any]:
        """Generate, streaming each delta as ``$/progress {delta}`` for ``token``; the result is ``{content}``."""
        notifier = self.session.notifier
        on_delta = (
            (lambda delta: notifier.partial_result(token, {"delta": delta})) if token is not None else None
        )
        job = self.start(messages, open_file=open_file, selection=selection, on_delta=on_delta, name=name)
        result = await job.wait()
        return {"content": result.text, "finishReason": result.finish_reason}


def validate_messages(messages: Any) -> list[dict[str, str]]:
    """``[{role, content}]`` with a user message last; raises ValueError saying what is wrong."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {role, content}")
    checked = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise ValueError(f"messages[{i}] must be {{role, content}} with string content")
        if message.get("role") not in ("user", "assistant", "system"):
            raise ValueError(f"messages[{i}].role must be 'user', 'assistant' or 'system'")
        checked.append({"role": message["role"], "content": message["content"]})
    if checked[-1]["role"] != "user":
        raise ValueError("the last message must be the user's")
    return checked
