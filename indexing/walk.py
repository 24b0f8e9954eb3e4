"""Find the source files of a workspace worth indexing.

Honours `.gitignore` files (each applies below its own directory, the deepest match wins, as
in git), the configured exclude patterns and vendored directory names; skips files over the
size limit, binary files (a NUL byte in the first 8 KiB) and files of no indexed language; never
follows a symlink out of the workspace and visits each real directory once, so symlink loops end.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from indexing.languages import EXTENSIONS, language_for
from indexing.settings import IndexSettings

BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: Path  # as seen in the workspace (symlinks inside it not resolved)
    language: str
    size: int
    mtime_ns: int


def is_binary(path: Path) -> bool:
    with path.open("rb") as handle:
        return b"\0" in handle.read(BINARY_SNIFF_BYTES)


class Walker:
    """Walks workspace roots; `accepts` answers the same question for a single path."""

    def __init__(self, roots: list[Path], settings: IndexSettings, log: logging.Logger) -> None:
        self.roots = [root.resolve() for root in roots]
        self.settings = settings
        self.log = log
        self._exclude = GitIgnoreSpec.from_lines(settings.exclude)
        self._gitignores: dict[Path, GitIgnoreSpec | None] = {}

    def files(self) -> Iterator[FoundFile]:
        seen_dirs: set[tuple[int, int]] = set()
        count = 0
        for root in self.roots:
            for found in self._walk(root, root, seen_dirs):
                count += 1
                if count > self.settings.max_files:
                    self.log.warning(
                        "workspace has more than %d indexable files; indexing stopped there (max_files)",
                        self.settings.max_files,
                    )
                    return
                yield found

    def root_of(self, path: Path) -> Path | None:
        for root in self.roots:
            if path == root or path.is_relative_to(root):
                return root
        return None

    def accepts(self, path: Path) -> FoundFile | None:
        """The file's entry if the walker would index it, else None (used for watched-file events)."""
        path = path.absolute()
        root = self.root_of(path)
        if root is None:
            return None
        relative = path.relative_to(root)
        directory = root
        for part in relative.parts[:-1]:
            directory = directory / part
            if self._ignored(root, directory, is_dir=True):
                return None
        if self._ignored(root, path, is_dir=False):
            return None
        return self._file_entry(path)

    def _walk(self, root: Path, directory: Path, seen_dirs: set[tuple[int, int]]) -> Iterator[FoundFile]:
        try:
            info = directory.stat()
            if (info.st_dev, info.st_ino) in seen_dirs:
                self.log.info("skipping %s: directory already visited (symlink loop?)", directory)
                return
            seen_dirs.add((info.st_dev, info.st_ino))
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            self.log.warning("cannot read directory %s: %s", directory, error)
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir()
                if not is_dir and os.path.splitext(entry.name)[1].lower() not in EXTENSIONS:
                    continue  # not a source file: nothing more to check (most of a tree's files)
                path = Path(entry.path)
                if entry.is_symlink() and not self._inside_workspace(path):
                    self.log.info("skipping %s: symlink out of the workspace", path)
                    continue
            except OSError as error:
                self.log.warning("cannot stat %s: %s", entry.path, error)
                continue
            if self._ignored(root, path, is_dir):
                continue
            if is_dir:
                yield from self._walk(root, path, seen_dirs)
            else:
                found = self._file_entry(path)
                if found is not None:
                    yield found

    def _inside_workspace(self, path: Path) -> bool:
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return False
        return self.root_of(target) is not None

    def _ignored(self, root: Path, path: Path, is_dir: bool) -> bool:
        if is_dir and path.name in self.settings.vendored_dirs:
            return True
        relative = path.relative_to(root).as_posix() + ("/" if is_dir else "")
        if self._exclude.match_file(relative):
            return True
        if not self.settings.respect_gitignore:
            return False
        verdict: bool | None = None
        directory = root
        for part in (None, *path.relative_to(root).parts[:-1]):
            if part is not None:
                directory = directory / part
            spec = self._gitignore(directory)
            if spec is not None:
                result = spec.check_file(path.relative_to(directory).as_posix() + ("/" if is_dir else ""))
                if result.include is not None:
                    verdict = result.include
        return bool(verdict)

    def _gitignore(self, directory: Path) -> GitIgnoreSpec | None:
        if directory not in self._gitignores:
            spec = None
            try:
                lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
                spec = GitIgnoreSpec.from_lines(lines)
            except FileNotFoundError:
                pass
            except (OSError, ValueError) as error:
                self.log.warning("ignoring unreadable %s: %s", directory / ".gitignore", error)
            self._gitignores[directory] = spec
        return self._gitignores[directory]

    def _file_entry(self, path: Path) -> FoundFile | None:
        language = language_for(path)
        if language is None:
            return None
        try:
            info = path.stat()
            if info.st_size > self.settings.max_file_bytes:
                self.log.info("skipping %s: %d bytes is over max_file_bytes", path, info.st_size)
                return None
            if is_binary(path):
                self.log.info("skipping %s: binary file", path)
                return None
        except OSError as error:
            self.log.warning("cannot read %s: %s", path, error)
            return None
        return FoundFile(path, language, info.st_size, info.st_mtime_ns)
