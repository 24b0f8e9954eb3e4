"""Tree-sitter access for completion: which grammar a document uses, and whether it parses.

Grammars come bundled in tree-sitter-language-pack 0.13 (no download at run time). Parsers are
kept per thread because a tree-sitter parser must not be used by two threads at once.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from pathlib import PurePath

from tree_sitter import Node, Parser, Tree
from tree_sitter_language_pack import get_parser

from indexing import languages

# The index's grammar maps, widened to languages it has no tag queries for: filters need only a parse.
_EXTENSIONS: dict[str, str] = {
    **languages.EXTENSIONS,
    ".rb": "ruby",
    ".php": "php",
    ".scala": "scala",
    ".swift": "swift",
    ".lua": "lua",
    ".sh": "bash",
    ".bash": "bash",
    ".json": "json",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".html": "html",
    ".css": "css",
}
_LANGUAGE_IDS: dict[str, str] = {**languages.LANGUAGE_IDS, "shellscript": "bash"}

_local = threading.local()
_TREES_KEPT = 4


def language_for(path: str, language_id: str | None = None) -> str | None:
    """The tree-sitter language of a document, from the client's languageId or the file extension."""
    if language_id:
        name = _LANGUAGE_IDS.get(language_id.lower(), language_id.lower())
        if parser_for(name) is not None:
            return name
    return _EXTENSIONS.get(PurePath(path).suffix.lower())


def parser_for(language: str | None) -> Parser | None:
    """This thread's parser for `language`, or None when the pack has no such grammar."""
    if language is None:
        return None
    parsers: dict[str, Parser | None] = _local.__dict__.setdefault("parsers", {})
    if language not in parsers:
        try:
            parsers[language] = get_parser(language)  # type: ignore[arg-type]
        except LookupError:
            parsers[language] = None
    return parsers[language]


def parse(text: str, language: str | None) -> Tree | None:
    """The syntax tree of `text`, or None without a grammar.

    The last few trees are kept per thread: one completion parses the same document for the
    shape decision before decoding and for the filters after it.
    """
    parser = parser_for(language)
    if parser is None:
        return None
    trees: OrderedDict[tuple[str, str], Tree] = _local.__dict__.setdefault("trees", OrderedDict())
    key = (language or "", text)
    tree = trees.get(key)
    if tree is None:
        tree = trees[key] = parser.parse(text.encode("utf-8"))
        if len(trees) > _TREES_KEPT:
            trees.popitem(last=False)
    else:
        trees.move_to_end(key)
    return tree


def parses(text: str, language: str | None) -> bool | None:
    """True when `text` parses without error nodes; None without a grammar."""
    tree = parse(text, language)
    return None if tree is None else not tree.root_node.has_error


def last_token(tree: Tree, text_before: str) -> Node | None:
    """The smallest node covering the last non-whitespace character of `text_before` (text up to the cursor)."""
    stripped = text_before.rstrip()
    if not stripped:
        return None
    byte = len(stripped.encode("utf-8")) - 1
    return tree.root_node.descendant_for_byte_range(byte, byte + 1)


def indentation(line: str) -> str:
    """The leading whitespace of `line`."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def indent_width(line: str, tab_size: int = 4) -> int:
    """The visual width of the leading whitespace of `line`."""
    return len(indentation(line).expandtabs(tab_size))


def indent_unit(text: str) -> str:
    """The indentation step of `text`: a tab if tabs lead most indented lines, else the common space step."""
    tabs = 0
    steps: Counter[int] = Counter()
    previous = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        lead = indentation(line)
        if lead.startswith("\t"):
            tabs += 1
            continue
        width = len(lead)
        if width > previous:
            steps[width - previous] += 1
        previous = width
    if tabs > sum(steps.values()):
        return "\t"
    return " " * (steps.most_common(1)[0][0] if steps else 4)
