"""Similar-code search: BM25 over files to pick candidates, then Jaccard over sliding windows.

A workspace-wide index of every window would cost hundreds of MB and seconds to rebuild on
restart; an inverted index from identifier to files is built from the identifier sets the index
keeps anyway (and caches), and windows are cut only from the few best candidate files, with
their token sets cached per file version.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from indexing.tags import KEYWORDS

WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]+")  # two characters or more
WINDOW_LINES = 20
WINDOW_STRIDE = 10  # WINDOW_LINES is a multiple of it
# Identifiers in more than this share of files say nothing about which file is similar.
MAX_DOCUMENT_SHARE = 0.05
BM25_K1 = 1.2


def tokens(text: str) -> set[str]:
    return set(WORD.findall(text)) - KEYWORDS


def jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


@dataclass(frozen=True, slots=True)
class Window:
    start_line: int  # 0-based, inclusive
    end_line: int
    tokens: frozenset[str]


def windows(lines: list[str], size: int = WINDOW_LINES, stride: int = WINDOW_STRIDE) -> list[Window]:
    """Overlapping windows of `size` lines every `stride` lines, with their token sets."""
    # Token sets per stride-long block, so each line is tokenised once and a window is two blocks.
    blocks = [tokens("\n".join(lines[start : start + stride])) for start in range(0, len(lines), stride)]
    per_window = size // stride
    result: list[Window] = []
    for number in range(max(1, len(blocks) - per_window + 1)):
        start = number * stride
        end = min(len(lines), start + size)
        if end <= start:
            break
        result.append(Window(start, end - 1, frozenset().union(*blocks[number : number + per_window])))
    return result


class FileTermIndex:
    """Identifier -> files inverted index, scored with BM25 over per-file identifier sets.

    Most identifiers occur in one file only, so a posting is that file's path until a second
    file shares it, and only then a set: a third of the memory of sets everywhere.
    """

    def __init__(self) -> None:
        self._postings: dict[str, str | set[str]] = {}
        self._terms: dict[str, frozenset[str]] = {}

    def set_file(self, path: str, terms: frozenset[str]) -> None:
        old = self._terms.get(path, frozenset())
        if old is terms:  # an edit that did not change the file's identifiers
            return
        postings = self._postings
        for term in old - terms:
            files = postings[term]
            if isinstance(files, str):
                del postings[term]
            else:
                files.discard(path)
                if len(files) == 1:
                    postings[term] = next(iter(files))
        for term in terms - old:
            found = postings.get(term)
            if found is None:
                postings[term] = path
            elif isinstance(found, str):
                postings[term] = {found, path}
            else:
                found.add(path)
        self._terms[path] = terms

    def add_files(self, items: Iterable[tuple[str, frozenset[str]]]) -> None:
        """`set_file` for many files at once (a build): one pass instead of one per file."""
        grouped: dict[str, list[str]] = {}
        for path, terms in items:
            if path in self._terms:
                self.set_file(path, terms)
                continue
            self._terms[path] = terms
            for term in terms:
                grouped.setdefault(term, []).append(path)
        postings = self._postings
        for term, paths in grouped.items():
            files = postings.get(term)
            if files is None and len(paths) == 1:
                postings[term] = paths[0]
            elif files is None:
                postings[term] = set(paths)
            elif isinstance(files, str):
                postings[term] = {files, *paths}
            else:
                files.update(paths)

    def remove_file(self, path: str) -> None:
        self.set_file(path, frozenset())
        del self._terms[path]

    def best_files(
        self, query: Iterable[str], limit: int, exclude: str | None = None
    ) -> list[tuple[str, float]]:
        """The `limit` files sharing the most informative identifiers with `query`."""
        total = len(self._terms)
        if total == 0:
            return []
        cutoff = max(2, int(total * MAX_DOCUMENT_SHARE))
        scores: dict[str, float] = {}
        for term in set(query):
            found = self._postings.get(term)
            if found is None:
                continue
            files = (found,) if isinstance(found, str) else found
            if len(files) > cutoff:
                continue
            idf = math.log(1 + (total - len(files) + 0.5) / (len(files) + 0.5))
            for path in files:
                scores[path] = scores.get(path, 0.0) + idf
        scores.pop(exclude, None)  # type: ignore[arg-type]
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]


class WindowCache:
    """Sliding windows per file version (path, content key), least recently used evicted."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], list[Window]] = OrderedDict()

    def get(self, path: str, version: str, lines: list[str]) -> list[Window]:
        key = (path, version)
        found = self._entries.get(key)
        if found is None:
            found = windows(lines)
            self._entries[key] = found
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return found
