"""The live workspace index: every indexable file's symbols, kept current with the editor.

Disk files are walked, parsed and persisted (see `cache.py`); open documents are held with
their syntax trees and updated by incremental edits, and their buffer text wins over the disk
until they are closed. All public methods take one lock, so the server may call them from its
event loop and from a background indexing thread alike. Bad input never raises out of here:
an unreadable, deleted or undecodable file is logged and skipped, the rest of the index intact.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexing.cache import CachedFile, IndexCache, content_hash, workspace_cache_dir
from indexing.documents import Edit, OpenDocument, analyse, decode
from indexing.languages import language_for
from indexing.resolve import ModuleResolver
from indexing.settings import IndexSettings
from indexing.similarity import FileTermIndex, WindowCache
from indexing.symbols import Definition, FileSymbols
from indexing.walk import FoundFile, Walker

LOG = logging.getLogger("mellum_lsp.indexing")
PERSIST_BATCH = 500
PROGRESS_EVERY = 25


@dataclass(frozen=True, slots=True)
class IndexedFile:
    path: str  # absolute posix path
    symbols: FileSymbols
    size: int
    mtime_ns: int
    digest: str


class WorkspaceIndex:
    """Symbols of every file in the workspace roots, plus the lookups retrieval needs.

    The cache lives in `<cache_dir>/<hash of the roots>/` (`cache_dir` defaults to
    `~/.cache/mellum-lsp/index`), so one cache directory can serve many workspaces.
    """

    def __init__(
        self,
        roots: list[Path],
        settings: IndexSettings | None = None,
        cache_dir: Path | None = None,
        log: logging.Logger = LOG,
    ) -> None:
        self.roots = [Path(root).resolve() for root in roots]
        self.settings = settings or IndexSettings()
        self.log = log
        self.cache = IndexCache(workspace_cache_dir(self.roots, cache_dir), log)
        self.walker = Walker(self.roots, self.settings, log)
        self.resolver = ModuleResolver(self.roots)
        self.terms = FileTermIndex()
        self.windows = WindowCache()
        self._lock = threading.RLock()
        self._root_prefixes = [(root, root.as_posix().rstrip("/") + "/") for root in self.roots]
        self._files: dict[str, IndexedFile] = {}
        self._documents: dict[str, OpenDocument] = {}
        self._by_name: dict[str, dict[str, list[Definition]]] = {}
        self._text_cache: dict[str, tuple[str, list[str]]] = {}
        self._progress = (0, 0)
        self._last_build: dict[str, float] = {}

    # ----- building ---------------------------------------------------------------------------

    def build(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Walk the roots, reuse cached symbols for unchanged files, parse the rest, persist."""
        started = time.perf_counter()
        cached = self.cache.load()
        found = list(self.walker.files())
        total = len(found)
        self._progress = (0, total)
        if progress:
            progress(0, total)
        parsed = reused = failed = 0
        upserts: dict[str, CachedFile] = {}
        seen: set[str] = set()
        new_terms: list[tuple[str, frozenset[str]]] = []  # added to the term index in one pass
        for done, entry in enumerate(found, 1):
            key = entry.path.as_posix()
            seen.add(key)
            with self._lock:
                if key in self._documents:
                    continue
            hit = cached.get(key)
            if hit is not None and hit.size == entry.size and hit.mtime_ns == entry.mtime_ns:
                self._store(IndexedFile(key, hit.symbols, hit.size, hit.mtime_ns, hit.digest), new_terms)
                reused += 1
            else:
                record = self._read(entry, hit)
                if record is None:
                    failed += 1
                else:
                    parsed += hit is None or hit.digest != record.digest
                    reused += hit is not None and hit.digest == record.digest
                    self._store(record, new_terms)
                    upserts[key] = CachedFile(record.size, record.mtime_ns, record.digest, record.symbols)
            if len(upserts) >= PERSIST_BATCH:
                self.cache.write(upserts, [])
                upserts = {}
            self._progress = (done, total)
            if progress and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
        with self._lock:
            self.terms.add_files(new_terms)
            stale = [p for p in list(self._files) if p not in seen and p not in self._documents]
            for path in stale:
                self._drop(path)
        self.cache.write(upserts, [p for p in cached if p not in seen])
        self._last_build = {
            "seconds": round(time.perf_counter() - started, 3),
            "parsed": parsed,
            "reused": reused,
            "failed": failed,
        }
        self.log.info(
            "indexed %d files in %.2fs (%d parsed, %d from cache, %d skipped)",
            total,
            self._last_build["seconds"],
            parsed,
            reused,
            failed,
        )

    def _read(self, entry: FoundFile, hit: CachedFile | None) -> IndexedFile | None:
        key = entry.path.as_posix()
        try:
            data = entry.path.read_bytes()
        except FileNotFoundError:
            self.log.info("skipping %s: deleted while indexing", entry.path)
            return None
        except OSError as error:
            self.log.warning("skipping %s: %s", entry.path, error)
            return None
        digest = content_hash(data)
        if hit is not None and hit.digest == digest:
            return IndexedFile(key, hit.symbols, len(data), entry.mtime_ns, digest)
        symbols = self._analyse(entry.path, entry.language, data)
        if symbols is None:
            return None
        return IndexedFile(key, symbols, len(data), entry.mtime_ns, digest)

    def _analyse(self, path: Path, language: str, data: bytes) -> FileSymbols | None:
        _text, valid = decode(data)
        if not valid:
            self.log.info("%s is not valid UTF-8; indexed with replacement characters", path)
        try:
            return analyse(language, data)
        except (ValueError, RuntimeError, MemoryError) as error:
            self.log.warning("could not parse %s: %s", path, error)
            return None

    # ----- editor events ----------------------------------------------------------------------

    def update_document(self, path: Path, text: str, language_id: str | None = None) -> None:
        """didOpen / full didChange: the buffer text replaces the file's content in the index."""
        key = self.key(path)
        language = language_for(key, language_id)
        if language is None:
            return
        data = text.encode("utf-8", errors="surrogatepass")
        with self._lock:
            document = self._documents.get(key)
            if document is None or document.language != language:
                document = OpenDocument(language, data)
                self._documents[key] = document
            else:
                document.replace(data)
            self._store_document(key, document)

    def apply_edit(
        self,
        path: Path,
        start_byte: int,
        old_end_byte: int,
        new_end_byte: int,
        start_point: tuple[int, int],
        old_end_point: tuple[int, int],
        new_end_point: tuple[int, int],
        new_text: str,
    ) -> None:
        """An incremental didChange: one edit in UTF-8 bytes and (row, byte column) points.

        `new_text` is either the inserted text (`new_end_byte - start_byte` bytes long) or the
        whole new buffer; both are accepted. An edit that fits neither the buffer we hold (a
        missed event) is not applied: the document is re-synced from a whole buffer, or left as
        it was with a log line when only the inserted text is known.
        """
        key = self.key(path)
        data = new_text.encode("utf-8", errors="surrogatepass")
        with self._lock:
            document = self._documents.get(key)
            if document is None:
                self.update_document(path, new_text)
                return
            old = document.data
            in_range = 0 <= start_byte <= old_end_byte <= len(old) and start_byte <= new_end_byte
            if in_range and len(data) == new_end_byte - start_byte:
                new_data = old[:start_byte] + data + old[old_end_byte:]
            elif (
                in_range
                and len(data) == len(old) - (old_end_byte - start_byte) + (new_end_byte - start_byte)
                and data[:start_byte] == old[:start_byte]
                and data[new_end_byte:] == old[old_end_byte:]
            ):
                new_data = data
            elif len(data) != new_end_byte - start_byte:
                self.log.info("edit to %s does not match the indexed buffer; re-syncing it", key)
                document.replace(data)
                self._store_document(key, document)
                return
            else:
                self.log.warning(
                    "edit to %s is outside the indexed buffer; send the whole text to re-sync", key
                )
                return
            edit = Edit(start_byte, old_end_byte, new_end_byte, start_point, old_end_point, new_end_point)
            document.apply(edit, new_data)
            self._store_document(key, document)

    def close_document(self, path: Path) -> None:
        """didClose: forget the buffer; the file on disk (if any) is what counts again."""
        key = self.key(path)
        with self._lock:
            if self._documents.pop(key, None) is None:
                return
            self._drop(key)
        self.file_changed(Path(key))

    def file_changed(self, path: Path) -> None:
        """didSave / a watched file created or changed on disk."""
        key = self.key(path)
        with self._lock:
            if key in self._documents:
                return
        entry = self.walker.accepts(Path(key))
        if entry is None:
            self._forget(key)
            return
        with self._lock:
            old = self._files.get(key)
        hit = CachedFile(old.size, old.mtime_ns, old.digest, old.symbols) if old else None
        record = self._read(entry, hit)
        if record is None:
            self._forget(key)
            return
        self._store(record)
        self.cache.write({key: CachedFile(record.size, record.mtime_ns, record.digest, record.symbols)}, [])

    def file_deleted(self, path: Path) -> None:
        key = self.key(path)
        with self._lock:
            if key in self._documents:
                return
        self._forget(key)

    def _forget(self, key: str) -> None:
        with self._lock:
            existed = key in self._files
            self._drop(key)
        if existed:
            self.cache.write({}, [key])

    # ----- bookkeeping ------------------------------------------------------------------------

    def key(self, path: Path | str) -> str:
        """The index key of a path: absolute, posix, symlinks inside the workspace kept."""
        if isinstance(path, str) and path in self._files:
            return path
        return Path(os.path.abspath(path)).as_posix()

    def _store_document(self, key: str, document: OpenDocument) -> None:
        self._store(IndexedFile(key, document.symbols, len(document.data), 0, content_hash(document.data)))

    def _store(
        self, record: IndexedFile, terms_later: list[tuple[str, frozenset[str]]] | None = None
    ) -> None:
        with self._lock:
            old = self._files.get(record.path)
            self._files[record.path] = record
            if old is None or old.symbols.definitions != record.symbols.definitions:
                if old is not None:
                    self._unlink_definitions(old)
                for definition in record.symbols.definitions:
                    self._by_name.setdefault(definition.name, {}).setdefault(record.path, []).append(
                        definition
                    )
            self.resolver.add(record.path)
            if terms_later is None:
                self.terms.set_file(record.path, record.symbols.identifiers)
            else:
                terms_later.append((record.path, record.symbols.identifiers))
            self._text_cache.pop(record.path, None)

    def _drop(self, key: str) -> None:
        old = self._files.pop(key, None)
        if old is None:
            return
        self._unlink_definitions(old)
        self.resolver.remove(key)
        self.terms.remove_file(key)
        self._text_cache.pop(key, None)

    def _unlink_definitions(self, record: IndexedFile) -> None:
        for definition in record.symbols.definitions:
            by_path = self._by_name.get(definition.name)
            if by_path is not None:
                by_path.pop(record.path, None)
                if not by_path:
                    del self._by_name[definition.name]

    # ----- queries ------------------------------------------------------------------------------

    def reading(self) -> threading.RLock:
        """Hold while reading several lookups at once (retrieval does), so that edits arriving
        on another thread wait instead of changing the maps mid-iteration."""
        return self._lock

    def root_for(self, path: Path | str) -> Path:
        key = self.key(path)
        return next((root for root, prefix in self._root_prefixes if key.startswith(prefix)), self.roots[0])

    def relative(self, path: Path | str) -> str:
        """The path as the model sees it: relative to its workspace root, in posix form."""
        key = self.key(path)
        prefix = next((prefix for _, prefix in self._root_prefixes if key.startswith(prefix)), None)
        return key[len(prefix) :] if prefix is not None else key

    def file(self, path: Path | str) -> IndexedFile | None:
        with self._lock:
            return self._files.get(self.key(path))

    def paths(self) -> list[str]:
        with self._lock:
            return sorted(self._files)

    def definitions_named(self, name: str) -> dict[str, list[Definition]]:
        with self._lock:
            return {path: list(defs) for path, defs in self._by_name.get(name, {}).items()}

    def lines(self, path: Path | str) -> list[str]:
        """The current lines of a file: the open buffer if there is one, else the disk (cached)."""
        key = self.key(path)
        with self._lock:
            document = self._documents.get(key)
            record = self._files.get(key)
            if document is not None:
                return decode(document.data)[0].splitlines()
            cached = self._text_cache.get(key)
            digest = record.digest if record else ""
            if cached is not None and cached[0] == digest:
                return cached[1]
        try:
            text = decode(Path(key).read_bytes())[0]
        except OSError as error:
            self.log.info("cannot read %s for context: %s", key, error)
            return []
        lines = text.splitlines()
        with self._lock:
            self._text_cache[key] = (digest, lines)
            if len(self._text_cache) > 512:
                self._text_cache.pop(next(iter(self._text_cache)))
        return lines

    def open_documents(self) -> list[str]:
        with self._lock:
            return list(self._documents)

    def document_tree_sexp(self, path: Path | str) -> str | None:
        """The S-expression of an open document's syntax tree (for checking incremental parsing)."""
        with self._lock:
            document = self._documents.get(self.key(path))
            return str(document.tree.root_node) if document is not None else None

    def progress(self) -> tuple[int, int]:
        return self._progress

    def stats(self) -> dict:
        with self._lock:
            languages: dict[str, int] = {}
            for record in self._files.values():
                languages[record.symbols.language] = languages.get(record.symbols.language, 0) + 1
            return {
                "roots": [root.as_posix() for root in self.roots],
                "files": len(self._files),
                "definitions": sum(len(r.symbols.definitions) for r in self._files.values()),
                "open_documents": len(self._documents),
                "languages": dict(sorted(languages.items())),
                "progress": {"done": self._progress[0], "total": self._progress[1]},
                "last_build": dict(self._last_build),
                "cache": self.cache.path.as_posix(),
            }

    def close(self) -> None:
        self.cache.close()
