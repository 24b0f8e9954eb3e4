"""The two values every post-processing filter sees: the suggestion and the document around it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from mellum_lsp.completion import syntax


@dataclass(frozen=True)
class Candidate:
    """Text the model proposes to insert at the cursor."""

    text: str


@dataclass
class FilterContext:
    """The document split at the cursor, plus what filters derive from it (computed lazily, once).

    `language` is a tree-sitter language name, or None when no grammar applies; filters that need a
    parse then fall back to text rules or pass the candidate through.
    """

    prefix: str
    suffix: str
    language: str | None = None
    multiline: bool = False

    @cached_property
    def line_prefix(self) -> str:
        """Text between the start of the cursor's line and the cursor."""
        return self.prefix[self.prefix.rfind("\n") + 1 :]

    @cached_property
    def line_suffix(self) -> str:
        """Text between the cursor and the end of its line."""
        end = self.suffix.find("\n")
        return self.suffix if end < 0 else self.suffix[:end]

    @cached_property
    def indent_unit(self) -> str:
        """The document's indentation step: a tab, or the most common width of space indents."""
        return syntax.indent_unit(self.prefix + self.suffix)

    def parses(self, inserted: str) -> bool | None:
        """Whether the document with `inserted` at the cursor parses without errors (None: no grammar)."""
        return syntax.parses(self.prefix + inserted + self.suffix, self.language)
