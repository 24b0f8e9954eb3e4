"""Parsing files, and open documents whose syntax trees are updated by edits instead of re-parsed.

An open document keeps its tree; an edit is applied with `Tree.edit` and the new text parsed
with the old tree, so tree-sitter reuses every unchanged subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tree_sitter import Node, Point, Tree

from indexing.languages import parser
from indexing.symbols import CONTAINER_KINDS, FileSymbols
from indexing.tags import extract, identifier_counts, tags


def decode(data: bytes) -> tuple[str, bool]:
    """The text of a file, and whether it was valid UTF-8 (invalid bytes become U+FFFD)."""
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), False


def parse(language: str, data: bytes, old_tree: Tree | None = None) -> Tree:
    return parser(language).parse(data, old_tree) if old_tree is not None else parser(language).parse(data)


def analyse(language: str, data: bytes) -> FileSymbols:
    """Parse a file from scratch and extract its symbols."""
    return extract(language, data, parse(language, data))


@dataclass(frozen=True, slots=True)
class Edit:
    """One contiguous change, in UTF-8 bytes and (row, byte column) points, as tree-sitter wants it."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


def point_at(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start


def diff_edit(old: bytes, new: bytes) -> Edit:
    """The single edit that turns `old` into `new` (common prefix and suffix kept)."""
    limit = min(len(old), len(new))
    start = 0
    # Compare in blocks first: documents are long and edits small.
    block = 4096
    while start + block <= limit and old[start : start + block] == new[start : start + block]:
        start += block
    while start < limit and old[start] == new[start]:
        start += 1
    tail = 0
    while tail + block <= limit - start and (
        old[len(old) - tail - block : len(old) - tail] == new[len(new) - tail - block : len(new) - tail]
    ):
        tail += block
    while tail < limit - start and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    old_end, new_end = len(old) - tail, len(new) - tail
    return Edit(start, old_end, new_end, point_at(old, start), point_at(old, old_end), point_at(new, new_end))


class OpenDocument:
    """An editor buffer: its bytes, its syntax tree and the symbols extracted from it.

    After an edit only the top-level syntax nodes that the edit (or tree-sitter's changed
    ranges) touch are re-tagged; definitions and imports elsewhere are kept, shifted by the
    number of lines the edit added, and the identifier set is updated from per-word counts.
    The result equals a fresh extraction (tests check it), at a cost that follows the size of
    the edit rather than of the file.
    """

    def __init__(self, language: str, data: bytes) -> None:
        self.language = language
        self.data = data
        self.tree = parse(language, data)
        self.counts = identifier_counts(data)
        self.symbols = extract(language, data, self.tree)

    def apply(self, edit: Edit, new_data: bytes) -> None:
        """Apply one edit whose result is `new_data`, re-parsing and re-tagging incrementally."""
        old_tree, old_data = self.tree, self.data
        old_tree.edit(
            start_byte=edit.start_byte,
            old_end_byte=edit.old_end_byte,
            new_end_byte=edit.new_end_byte,
            start_point=Point(*edit.start_point),
            old_end_point=Point(*edit.old_end_point),
            new_end_point=Point(*edit.new_end_point),
        )
        self.tree = parse(self.language, new_data, old_tree)
        self.data = new_data
        self.symbols = self._retag(edit, old_data, old_tree)

    def replace(self, new_data: bytes) -> None:
        """Bring the document to `new_data` through the one edit that separates them."""
        if new_data != self.data:
            self.apply(diff_edit(self.data, new_data), new_data)

    def _retag(self, edit: Edit, old_data: bytes, old_tree: Tree) -> FileSymbols:
        new_data, old_symbols = self.data, self.symbols
        low, high = edit.start_byte, edit.new_end_byte
        for changed in old_tree.changed_ranges(self.tree):
            low, high = min(low, changed.start_byte), max(high, changed.end_byte)
        start_byte, end_byte = _edited_region(self.tree, new_data, low, high)
        first_row = new_data.count(b"\n", 0, start_byte)
        last_row = new_data.count(b"\n", 0, max(start_byte, end_byte - 1))
        delta = edit.new_end_point[0] - edit.old_end_point[0]
        old_last_row = last_row - delta
        earlier = [d for d in old_symbols.definitions if d.start_line < first_row]
        enclosing = [d for d in earlier if d.end_line >= first_row]
        # The region must lie inside the enclosing definitions' bodies (their headers unchanged).
        if any(
            d.end_line <= old_last_row or d.start_line + d.signature.count("\n") >= first_row
            for d in enclosing
        ):
            self.counts = identifier_counts(new_data)
            return extract(self.language, new_data, self.tree)
        containers = [d for d in enclosing if d.kind in CONTAINER_KINDS]
        definitions, imports = tags(self.language, new_data, self.tree, start_byte, end_byte, containers)
        # Words never span lines: the edited lines alone update the identifier counts.
        old_lines = _lines_around(old_data, edit.start_byte, edit.old_end_byte)
        new_lines = _lines_around(new_data, edit.start_byte, edit.new_end_byte)
        removed = identifier_counts(old_data[old_lines[0] : old_lines[1]])
        added = identifier_counts(new_data[new_lines[0] : new_lines[1]])
        words_changed = any(word not in self.counts for word in added)
        self.counts.subtract(removed)
        self.counts.update(added)
        for word in removed:
            if self.counts[word] <= 0:
                del self.counts[word]
                words_changed = True
        # The same set object when no word came or went, so the term index can skip its update.
        identifiers = frozenset(self.counts) if words_changed else old_symbols.identifiers
        return FileSymbols(
            language=self.language,
            definitions=(
                *(replace(d, end_line=d.end_line + delta) if d.end_line >= first_row else d for d in earlier),
                *definitions,
                *(
                    replace(d, start_line=d.start_line + delta, end_line=d.end_line + delta)
                    for d in old_symbols.definitions
                    if d.start_line > old_last_row
                ),
            ),
            imports=(
                *(i for i in old_symbols.imports if i.line < first_row),
                *imports,
                *(replace(i, line=i.line + delta) for i in old_symbols.imports if i.line > old_last_row),
            ),
            identifiers=identifiers,
            line_count=new_data.count(b"\n") + 1,
        )


def _edited_region(tree: Tree, data: bytes, low: int, high: int) -> tuple[int, int]:
    """Bytes [start, end) of whole lines to re-tag for a change in bytes [low, high]: the
    syntax nodes overlapping it, at the deepest level where it lies strictly inside one node
    (a statement inside a method inside a class), grown until no sibling straddles either end."""
    node = tree.root_node
    start, end = _line_bounds(data, low, high)
    while True:
        start, end, touched = _grow(node.children, data, start, end)
        if len(touched) != 1 or not touched[0].child_count:
            return start, end
        child = touched[0]
        first_row = data.count(b"\n", 0, start)
        last_row = data.count(b"\n", 0, max(start, end - 1))
        if not child.start_point[0] < first_row <= last_row < _end_row(child):
            return start, end
        node = child


def _grow(siblings: list[Node], data: bytes, start: int, end: int) -> tuple[int, int, list[Node]]:
    """Widen [start, end) to whole lines covering every sibling it overlaps, until stable."""
    while True:
        touched = [c for c in siblings if c.start_byte < end and c.end_byte > start]
        grown = _line_bounds(
            data, min([start, *(c.start_byte for c in touched)]), max([end, *(c.end_byte for c in touched)])
        )
        if grown == (start, end):
            return start, end, touched
        start, end = grown


def _end_row(node: Node) -> int:
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else row


def _lines_around(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Bytes of the lines from the one holding `start` to the one holding `end` (inclusive, even
    when `end` is a line's first byte), so the old and new text of an edit cover the same lines."""
    newline = data.find(b"\n", end)
    return data.rfind(b"\n", 0, start) + 1, (len(data) if newline < 0 else newline + 1)


def _line_bounds(data: bytes, low: int, high: int) -> tuple[int, int]:
    """From the start of the line holding byte `low` to just past the newline ending the line
    holding byte `high - 1` (or the end of the data)."""
    start = data.rfind(b"\n", 0, max(0, low)) + 1
    newline = data.find(b"\n", max(low, high - 1))
    return start, (len(data) if newline < 0 else newline + 1)
