"""What changed in a document, as one region, for the features that follow edits.

pygls applies incremental changes before our handlers run, so the text before the change is
gone by then. We keep each open document's previous text and diff it against the new one:
the index needs the changed region in bytes and points for its incremental tree-sitter edit,
and next-edit prediction needs the region's old and new text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition


@dataclass(frozen=True)
class Region:
    """``old[start:old_end]`` became ``new[start:new_end]`` (character offsets)."""

    start: int
    old_end: int
    new_end: int


@dataclass(frozen=True)
class DocumentChange:
    """One applied didChange: the texts before and after, and the region that differs."""

    uri: str
    path: Path
    old_text: str
    new_text: str
    region: Region

    @property
    def removed(self) -> str:
        return self.old_text[self.region.start : self.region.old_end]

    @property
    def inserted(self) -> str:
        return self.new_text[self.region.start : self.region.new_end]


def changed_region(old: str, new: str) -> Region:
    """The smallest single region outside of which ``old`` and ``new`` agree."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    tail = 0
    while tail < limit - start and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return Region(start, len(old) - tail, len(new) - tail)


def byte_offset(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-8"))


def point(text: str, offset: int) -> tuple[int, int]:
    """Tree-sitter point (row, byte column) of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset), len(text[line_start:offset].encode("utf-8"))


def uri_to_path(uri: str) -> Path:
    """A file path for ``uri``; non-file URIs keep their text so they still have a stable name."""
    path = to_fs_path(uri)
    return Path(path if path is not None else uri)


class OpenDocuments:
    """The last text seen of each open document, to turn the next change into a :class:`DocumentChange`."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def opened(self, uri: str, text: str) -> None:
        self._texts[uri] = text

    def changed(self, uri: str, text: str) -> DocumentChange:
        old = self._texts.get(uri, "")
        self._texts[uri] = text
        return DocumentChange(uri, uri_to_path(uri), old, text, changed_region(old, text))

    def texts(self) -> list[tuple[str, str]]:
        return list(self._texts.items())

    def closed(self, uri: str) -> None:
        self._texts.pop(uri, None)


def client_position(document: TextDocument, offset: int) -> types.Position:
    """The client-unit position of a character offset (correct at the end of a last line without newline)."""
    text = document.source
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return document.position_to_client_units(ServerTextPosition(line, column))


def client_range(document: TextDocument, start: int, end: int) -> types.Range:
    return types.Range(start=client_position(document, start), end=client_position(document, end))


def replacement_edit(document: TextDocument, start: int, end: int, new_text: str) -> types.TextEdit | None:
    """The smallest TextEdit turning ``source[start:end]`` into ``new_text``; None when nothing changes."""
    old = document.source[start:end]
    region = changed_region(old, new_text)
    if region.start == region.old_end == region.new_end:
        return None
    return types.TextEdit(
        range=client_range(document, start + region.start, start + region.old_end),
        new_text=new_text[region.start : region.new_end],
    )
