"""Which tree-sitter grammar a file uses, and the cached parsers and tag queries for it.

Grammars come from `tree_sitter_language_pack` 0.13, which bundles them in the wheel and so
works offline. Tag queries are data files in `indexing/queries/`, loaded as package resources.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import PurePath

import tree_sitter_language_pack as language_pack
from tree_sitter import Language, Parser, Query

LANGUAGES: tuple[str, ...] = (
    "python",
    "javascript",
    "typescript",
    "tsx",
    "java",
    "kotlin",
    "go",
    "rust",
    "c",
    "cpp",
    "csharp",
)

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".go": "go",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".cs": "csharp",
}

# LSP languageId values (as editors send them) that differ from our grammar names.
LANGUAGE_IDS: dict[str, str] = {
    "javascriptreact": "javascript",
    "typescriptreact": "tsx",
    "c++": "cpp",
    "cuda-cpp": "cpp",
    "objective-cpp": "cpp",
    "c#": "csharp",
    "cs": "csharp",
    "py": "python",
    "js": "javascript",
    "ts": "typescript",
    "kt": "kotlin",
    "golang": "go",
    "rs": "rust",
}

# TSX shares the TypeScript tag query: the grammars differ only in JSX expressions.
_QUERY_FILES: dict[str, str] = {"tsx": "typescript"}


def language_for(path: str | PurePath, language_id: str | None = None) -> str | None:
    """The grammar name for a document: its LSP languageId wins, else the file extension."""
    if language_id:
        key = language_id.lower()
        key = LANGUAGE_IDS.get(key, key)
        if key in LANGUAGES:
            return key
    return EXTENSIONS.get(PurePath(path).suffix.lower())


@functools.cache
def grammar(language: str) -> Language:
    return language_pack.get_language(language)  # type: ignore[arg-type]


@functools.cache
def _parser(language: str) -> Parser:
    return language_pack.get_parser(language)  # type: ignore[arg-type]


def parser(language: str) -> Parser:
    """A parser for `language`; parsers are cached, so use them from one thread at a time."""
    return _parser(language)


@functools.cache
def tag_query(language: str) -> Query:
    """The compiled definitions/imports query for `language` from `indexing/queries/<lang>.scm`."""
    name = _QUERY_FILES.get(language, language)
    source = resources.files("indexing").joinpath("queries", f"{name}.scm").read_text(encoding="utf-8")
    return Query(grammar(language), source)
