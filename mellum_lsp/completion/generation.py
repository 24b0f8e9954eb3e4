"""The model-facing half of a completion: the shape, the prompt, the decode parameters, the filters.

Runs inside a job on the model worker (it needs the engine's tokenizer and parses the document),
so nothing here touches the event loop or LSP types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mellum_lsp.completion import filters
from mellum_lsp.completion.candidate import Candidate, FilterContext
from mellum_lsp.completion.mode import wants_multiline
from mellum_lsp.completion.request import CompletionRequest

if TYPE_CHECKING:
    from indexing.workspace import WorkspaceIndex
    from mellum_lsp.completion.context_memo import ContextMemo
    from mellum_lsp.config import CompletionSettings

# Control tokens that end a fill-in-the-middle answer if the engine hands them back as text.
SPECIAL_STOPS = (
    "<|endoftext|>",
    "<filename>",
    "<fim_prefix>",
    "<fim_suffix>",
    "<fim_middle>",
    "<fim_pad>",
    "<reponame>",
)


class TokenCounter(Protocol):
    def count(self, text: str) -> int: ...


def multiline_for(
    request: CompletionRequest, language: str | None, setting: Literal["auto", "always", "never"]
) -> bool:
    """The suggestion's shape: the configured one, or the one the syntax at the cursor calls for."""
    if setting != "auto":
        return setting == "always"
    return wants_multiline(request.prefix, request.suffix, language)


def generation_params(multiline: bool, settings: CompletionSettings) -> dict[str, Any]:
    """Keyword arguments for the engine's GenerationParams."""
    return {
        "max_new_tokens": settings.max_new_tokens,
        "temperature": settings.temperature,
        "stop": SPECIAL_STOPS if multiline else ("\n", *SPECIAL_STOPS),
        "heal": settings.fim_mode == "spm",  # the prefix ends right before <fim_middle> only in SPM
    }


def build_prompt(
    index: WorkspaceIndex | None,
    tokenizer: TokenCounter,
    request: CompletionRequest,
    settings: CompletionSettings,
    *,
    recent: Sequence[Path] = (),
    memo: ContextMemo | None = None,
) -> str:
    """The fill-in-the-middle prompt under the token budget, with repository context from the index.

    Until the index is ready (or with indexing off) the prompt holds the current file alone. With a
    `memo`, the document's context pieces are reused while the cursor stays near where they were chosen.
    """
    from indexing.context import assemble_completion_context
    from model.prompts import fim_prompt

    formatter = partial(fim_prompt, mode=settings.fim_mode)
    if index is None:
        return _file_only_prompt(tokenizer, request, settings.budget_tokens, formatter)
    line = request.text.count("\n", 0, request.offset)
    reuse = memo.get(request.uri, line) if memo is not None else None
    assembled = assemble_completion_context(
        index,
        request.path,
        request.text,
        request.offset,
        budget=settings.budget_tokens,
        tokenizer=tokenizer,
        formatter=formatter,
        recent=recent,
        reuse=reuse,
    )
    if memo is not None and (reuse is None or len(assembled.pieces) < len(reuse)):
        memo.put(request.uri, line, assembled.pieces)  # fresh, or fewer to fit a grown prefix
    return assembled.prompt


def _file_only_prompt(
    tokenizer: TokenCounter, request: CompletionRequest, budget: int, formatter: Callable[..., str]
) -> str:
    """The prompt from the cursor's file alone, its prefix and suffix cut to whole lines within `budget`.

    Cuts snap to the index's line grid, so consecutive keystrokes keep sharing the prompt's start.
    """
    from indexing.context import cut_prefix, cut_suffix
    from indexing.ranking import SHARES

    frame = tokenizer.count(
        formatter(repo=request.path.parent.name, files=(), path=request.path.name, prefix="", suffix="")
    )
    room = max(0, budget - frame)
    prefix_room = int(room * SHARES.prefix / (SHARES.prefix + SHARES.suffix))
    prefix, _ = cut_prefix(request.prefix, prefix_room, tokenizer.count, SHARES.line_snap)
    suffix, _ = cut_suffix(request.suffix, room - prefix_room, tokenizer.count, SHARES.line_snap)
    return formatter(
        repo=request.path.parent.name, files=(), path=request.path.name, prefix=prefix, suffix=suffix
    )


def post_process(text: str, request: CompletionRequest, language: str | None, multiline: bool) -> str:
    """The model's text after the filter pipeline; "" when a filter dropped it."""
    context = FilterContext(request.prefix, request.suffix, language, multiline)
    candidate = filters.run(Candidate(text), context)
    return "" if candidate is None else candidate.text


@dataclass(frozen=True)
class Generated:
    """One model answer after the filters: `text` is None when the decode was cancelled midway."""

    text: str | None
    multiline: bool
    prompt_tokens: int
    cached_tokens: int
    new_tokens: int
