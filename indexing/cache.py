"""The on-disk index cache: one sqlite3 file per workspace, one row per file.

A row is keyed by path and carries the size, mtime and content hash it was parsed from, so a
restart re-parses only files whose content changed. sqlite3 is in the standard library, writes
atomically and tolerates a crash mid-write; a file that is not a valid cache is deleted with a
log line and the index is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from indexing.symbols import FileSymbols

SCHEMA_VERSION = "2"


def workspace_cache_dir(roots: list[Path], base: Path | None = None) -> Path:
    """`<base>/<hash of the roots>`; `base` defaults to `~/.cache/mellum-lsp/index` (XDG_CACHE_HOME honoured)."""
    if base is None:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mellum-lsp" / "index"
    key = hashlib.sha256("\0".join(sorted(str(r.resolve()) for r in roots)).encode()).hexdigest()[:16]
    return base / key


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedFile:
    size: int
    mtime_ns: int
    digest: str
    symbols: FileSymbols


class IndexCache:
    """Reads all rows at start-up and writes changed rows in one transaction per batch."""

    def __init__(self, directory: Path, log: logging.Logger) -> None:
        self.path = directory / "index.sqlite3"
        self.log = log
        self._db: sqlite3.Connection | None = None

    def load(self) -> dict[str, CachedFile]:
        try:
            return self._load()
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError, IndexError) as error:
            self.log.warning("discarding corrupt index cache %s: %s", self.path, error)
            self._discard()
            return {}
        except OSError as error:
            self.log.warning("index cache %s unusable, indexing without it: %s", self.path, error)
            self._db = None
            return {}

    def _load(self) -> dict[str, CachedFile]:
        db = self._connect()
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            db.execute("DELETE FROM files")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            db.commit()
            return {}
        result: dict[str, CachedFile] = {}
        for path, size, mtime_ns, digest, data in db.execute(
            "SELECT path, size, mtime_ns, digest, data FROM files"
        ):
            result[path] = CachedFile(size, mtime_ns, digest, FileSymbols.from_json(json.loads(data)))
        return result

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS files "
                "(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, digest TEXT, data TEXT)"
            )
            self._db = db
        return self._db

    def _discard(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def write(self, upserts: dict[str, CachedFile], deletes: list[str]) -> None:
        """Persist changed rows; a failure is logged and leaves the in-memory index intact."""
        if not upserts and not deletes:
            return
        try:
            db = self._connect()
            with db:
                db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in deletes])
                db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            p,
                            c.size,
                            c.mtime_ns,
                            c.digest,
                            json.dumps(c.symbols.to_json(), separators=(",", ":")),
                        )
                        for p, c in upserts.items()
                    ],
                )
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        except (sqlite3.Error, OSError) as error:
            self.log.warning("could not write index cache %s: %s", self.path, error)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
