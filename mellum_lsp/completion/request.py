"""What is asked for (a cursor in a document) and what is answered, with no LSP types in them.

The language server builds a :class:`CompletionRequest` from `textDocument/inlineCompletion` (or
`textDocument/completion`) params, `mellum-lsp complete` from FILE:LINE:COL; both get a
:class:`Suggestion` back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class CompletionRequest:
    """The document at the moment of the request and the cursor in it (a character offset)."""

    uri: str
    path: Path
    text: str
    offset: int
    language_id: str | None = None
    invoked: bool = False  # asked for explicitly, not while typing: no debounce

    def __post_init__(self) -> None:
        if not 0 <= self.offset <= len(self.text):
            raise ValueError(f"cursor offset {self.offset} is outside the document (0..{len(self.text)})")

    @property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        return self.text[self.offset :]


@dataclass(frozen=True)
class Suggestion:
    """Text to insert at the cursor, how it was obtained, and what it cost."""

    id: str
    text: str
    multiline: bool
    source: Literal["cache", "model"]
    latency_ms: float
    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens the engine served from its KV cache
    new_tokens: int = 0

    def details(self) -> dict[str, object]:
        """Figures for debugging and the `bench lsp` benchmark (sent beside the item's id)."""
        return {
            "source": self.source,
            "multiline": self.multiline,
            "latency_ms": round(self.latency_ms, 1),
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            "new_tokens": self.new_tokens,
        }
