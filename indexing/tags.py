"""Turn a tree-sitter syntax tree into `FileSymbols` with the per-language tag queries.

The queries (indexing/queries/<lang>.scm) name captures aider-style: `@definition.<kind>` on
the defining node with `@name` on its name, and `@import` on an import statement with
`@import.module`, `@import.name`, `@import.alias` and `@import.wildcard` inside it. This module
holds the few per-language rules that are easier in Python than in a query: quotes around
module paths, Java/Kotlin dotted names, and Rust use trees.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from collections.abc import Sequence

from tree_sitter import Node, QueryCursor, Tree

from indexing.languages import tag_query
from indexing.symbols import CONTAINER_KINDS, Definition, FileSymbols, Import

MAX_SIGNATURE_CHARS = 400
_IMPORT_KEY = ("import", "import.module", "import.name")
IDENTIFIER = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]+")  # two characters or more
# Words that are keywords in most of the indexed languages: never worth resolving.
KEYWORDS = frozenset(
    """
    and as assert async await break catch class const continue def del do elif else enum except
    export extends false final finally for from func function go if impl implements import in
    instanceof interface is lambda let mod new nil None not null or package pass private protected
    pub public raise return self static struct super switch this throw throws True true try
    typeof use using val var void while with yield fn fun int bool float char long short double
    byte
    """.split()
)


def extract(language: str, source: bytes, tree: Tree) -> FileSymbols:
    """Definitions, imports and identifiers of one parsed file."""
    definitions, imports = tags(language, source, tree)
    return FileSymbols(
        language=language,
        definitions=definitions,
        imports=imports,
        identifiers=identifiers(source),
        line_count=source.count(b"\n") + 1,
    )


def tags(
    language: str,
    source: bytes,
    tree: Tree,
    start_byte: int = 0,
    end_byte: int | None = None,
    enclosing: Sequence[Definition] = (),
) -> tuple[tuple[Definition, ...], tuple[Import, ...]]:
    """The definitions and imports whose nodes start in [start_byte, end_byte) (the whole file
    by default); `enclosing` are the container definitions around that range, outermost first."""
    end = len(source) + 1 if end_byte is None else end_byte
    cursor = QueryCursor(tag_query(language))
    if start_byte > 0 or end_byte is not None:
        cursor.set_byte_range(start_byte, end)
    raw_definitions: list[tuple[int, int, Definition]] = []
    import_matches: dict[tuple[int, int, int], dict[str, list[Node]]] = {}
    for _pattern, captures in cursor.matches(tree.root_node):
        if "import" in captures:
            if not start_byte <= captures["import"][0].start_byte < end:
                continue
            # Several patterns can match one binding (with and without its alias): keep the richest.
            key = tuple(captures[c][0].start_byte if c in captures else -1 for c in _IMPORT_KEY)
            if len(captures) > len(import_matches.get(key, ())):  # type: ignore[arg-type]
                import_matches[key] = captures  # type: ignore[index]
            continue
        kind = next((key[11:] for key in captures if key.startswith("definition.")), None)
        if kind is None or "name" not in captures:
            continue
        node = captures[f"definition.{kind}"][0]
        if not start_byte <= node.start_byte < end:
            continue
        definition = Definition(
            name=_text(captures["name"][0]),
            kind=kind,
            start_line=node.start_point[0],
            end_line=_end_line(node),
            signature=_signature(node, source),
            container="",
        )
        raw_definitions.append((node.start_byte, -node.end_byte, definition))
    return _with_containers(raw_definitions, enclosing), _collect_imports(language, import_matches)


def identifiers(source: bytes) -> frozenset[str]:
    """The identifier-like words of a text, keywords and one-letter names left out."""
    words = frozenset(sys.intern(word.decode("ascii")) for word in set(IDENTIFIER.findall(source)))
    return words - KEYWORDS  # interned: files share one string per identifier


def identifier_counts(source: bytes) -> Counter[str]:
    """How often each of `identifiers(source)` occurs, so edits can update the set exactly."""
    counts = Counter(word.decode("ascii") for word in IDENTIFIER.findall(source))
    for keyword in KEYWORDS.intersection(counts):
        del counts[keyword]
    return counts


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def _end_line(node: Node) -> int:
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else row


def _signature(node: Node, source: bytes) -> str:
    """The definition's text up to its body (or its first line when it has none)."""
    body = node.child_by_field_name("body")
    if body is None:
        body = next((c for c in node.named_children if c.type.endswith(("body", "block"))), None)
    if body is not None and body.start_byte > node.start_byte:
        end = body.start_byte
    else:
        end = source.find(b"\n", node.start_byte, node.end_byte)
        end = node.end_byte if end < 0 else end
    end = min(end, node.start_byte + MAX_SIGNATURE_CHARS)
    return source[node.start_byte : end].decode("utf-8", errors="replace").rstrip(" \t\r\n{")


def _with_containers(
    raw: list[tuple[int, int, Definition]], enclosing: Sequence[Definition] = ()
) -> tuple[Definition, ...]:
    """Set each definition's container and turn functions inside classes into methods."""
    raw.sort(key=lambda row: (row[0], row[1]))
    # (end_byte, definition) of open containers; the enclosing ones stay open throughout.
    stack: list[tuple[float, Definition]] = [(math.inf, d) for d in enclosing]
    result: list[Definition] = []
    seen: set[tuple[str, int, str]] = set()
    for start, neg_end, definition in raw:
        key = (definition.name, definition.start_line, definition.kind)
        if key in seen:
            continue
        seen.add(key)
        while stack and stack[-1][0] <= start:
            stack.pop()
        container = stack[-1][1] if stack else None
        kind = definition.kind
        if container is not None and kind == "function" and container.kind in CONTAINER_KINDS - {"module"}:
            kind = "method"
        definition = Definition(
            definition.name,
            kind,
            definition.start_line,
            definition.end_line,
            definition.signature,
            container.name if container is not None else "",
        )
        result.append(definition)
        if kind in CONTAINER_KINDS:
            stack.append((-neg_end, definition))
    return tuple(result)


def _collect_imports(
    language: str, matches: dict[tuple[int, int, int], dict[str, list[Node]]]
) -> tuple[Import, ...]:
    """Import rows in source order, without the bare-module rows a more specific match covers."""
    by_statement: dict[int, list[Import]] = {}
    for key in sorted(matches):
        captures = matches[key]
        statement = captures["import"][0]
        by_statement.setdefault(key[0], []).extend(_imports(language, captures, statement))
    result: list[Import] = []
    for rows in by_statement.values():
        unique = list(dict.fromkeys(rows))
        detailed = {row.module for row in unique if row.name or row.alias}
        result.extend(row for row in unique if row.name or row.alias or row.module not in detailed)
    return tuple(result)


def _imports(language: str, captures: dict[str, list[Node]], statement: Node) -> list[Import]:
    line = statement.start_point[0]
    module = _text(captures["import.module"][0]) if "import.module" in captures else ""
    alias = _text(captures["import.alias"][0]) if "import.alias" in captures else ""
    wildcard = "import.wildcard" in captures
    if language == "rust":
        return [Import(m, n, a, line) for m, n, a in rust_use_paths(module)]
    module = module.strip().strip("\"'`<>")
    if language in ("java", "kotlin"):
        if wildcard:
            return [Import(module, "*", alias, line)]
        head, _, last = module.rpartition(".")
        return [Import(head, last, alias, line)]
    if wildcard:
        return [Import(module, "*", alias, line)]
    names = captures.get("import.name", [])
    if not names:
        alias_node = captures["import.alias"][0] if alias else None
        is_default = (
            alias_node is not None
            and statement.type == "import_statement"
            and alias_node.parent is not None
            and alias_node.parent.type == "import_clause"
        )
        default = "default" if is_default else ""
        return [Import(module, default, alias, line)]
    return [Import(module, _text(node), alias, line) for node in names]


def rust_use_paths(tree_text: str) -> list[tuple[str, str, str]]:
    """Expand a Rust use tree (`a::b::{c, d as e}`) into (module, name, alias) triples."""
    tokens = re.findall(r"::|[{},*]|\bas\b|[A-Za-z_][A-Za-z0-9_]*", tree_text)
    result: list[tuple[str, str, str]] = []

    def walk(position: int, prefix: list[str]) -> int:
        path = list(prefix)
        while position < len(tokens):
            token = tokens[position]
            if token == "{":
                position = walk(position + 1, path)
                path = list(prefix)
            elif token in (",", "}"):
                if path != prefix:
                    result.append(("::".join(path[:-1]), path[-1], ""))
                path = list(prefix)
                if token == "}":
                    return position + 1
                position += 1
            elif token == "as" and position + 1 < len(tokens):
                result.append(("::".join(path[:-1]), path[-1], tokens[position + 1]))
                path = list(prefix)
                position += 2
            elif token == "::":
                position += 1
            else:
                path.append(token)
                position += 1
        if path != prefix:
            result.append(("::".join(path[:-1]), path[-1], ""))
        return position

    walk(0, [])
    return [
        ("::".join(module.split("::")[:-1]), module.split("::")[-1], alias)
        if name == "self"
        else (module, name, alias)
        for module, name, alias in result
    ]
