"""What the walker indexes and what it leaves out."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from indexing.settings import IndexSettings
from indexing.walk import Walker

LOG = logging.getLogger("test.walk")


def write(path: Path, text: str | bytes = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def walked(root: Path, settings: IndexSettings | None = None) -> set[str]:
    walker = Walker([root], settings or IndexSettings(), LOG)
    return {found.path.relative_to(root.resolve()).as_posix() for found in walker.files()}


def test_gitignore_nested_files_and_negation(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "build_output/\n*.generated.py\n!keep.generated.py\n")
    write(tmp_path / "src" / ".gitignore", "local_*.py\n")
    write(tmp_path / "src" / "app.py")
    write(tmp_path / "src" / "local_secret.py")
    write(tmp_path / "local_top.py")  # the nested .gitignore does not reach up
    write(tmp_path / "src" / "models.generated.py")
    write(tmp_path / "src" / "keep.generated.py")
    write(tmp_path / "build_output" / "out.py")
    assert walked(tmp_path) == {"src/app.py", "local_top.py", "src/keep.generated.py"}


def test_exclude_patterns_vendored_dirs_and_languages(tmp_path: Path) -> None:
    write(tmp_path / "main.go", "package main\n")
    write(tmp_path / "node_modules" / "lib" / "index.js", "module.exports = 1\n")
    write(tmp_path / "vendor" / "dep.go", "package dep\n")
    write(tmp_path / ".venv" / "lib" / "site.py")
    write(tmp_path / "docs" / "conf.py")
    write(tmp_path / "README.md", "# hi\n")
    write(tmp_path / "gen" / "big_table.py")
    found = walked(tmp_path, IndexSettings(exclude=("gen/", "docs/conf.py")))
    assert found == {"main.go"}


def test_size_limit_and_binary_files(tmp_path: Path) -> None:
    write(tmp_path / "small.py")
    write(tmp_path / "huge.py", "x = 1\n" * 1000)
    write(tmp_path / "blob.py", b"x = 1\n\x00\x01\x02")
    assert walked(tmp_path, IndexSettings(max_file_bytes=1000)) == {"small.py"}


def test_symlink_out_of_workspace_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "secret.py")
    root = tmp_path / "root"
    write(root / "a.py")
    os.symlink(outside, root / "linked_dir")
    os.symlink(outside / "secret.py", root / "linked.py")
    assert walked(root) == {"a.py"}


def test_symlink_inside_workspace_and_loops(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "pkg" / "mod.py")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "again")  # a loop
    os.symlink(tmp_path / "self_loop", tmp_path / "self_loop")  # a link to itself
    with caplog.at_level(logging.INFO):
        found = walked(tmp_path)
    assert found == {"pkg/mod.py"}
    assert "already visited" in caplog.text


def test_max_files_stops_with_a_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for number in range(30):
        write(tmp_path / f"m{number:02}.py")
    with caplog.at_level(logging.WARNING):
        found = walked(tmp_path, IndexSettings(max_files=10))
    assert len(found) == 10
    assert "max_files" in caplog.text


def test_accepts_applies_the_same_rules_to_one_path(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "ignored/\n")
    kept = write(tmp_path / "src" / "a.py")
    ignored = write(tmp_path / "ignored" / "b.py")
    vendored = write(tmp_path / "node_modules" / "c.js")
    walker = Walker([tmp_path], IndexSettings(), LOG)
    assert walker.accepts(kept) is not None
    assert walker.accepts(ignored) is None
    assert walker.accepts(vendored) is None
    assert walker.accepts(tmp_path.parent / "elsewhere.py") is None


def test_bad_settings_are_reported() -> None:
    with pytest.raises(ValueError, match="max_file_bytes"):
        IndexSettings(max_file_bytes=0)
