"""The training corpus: the CPython standard library sources of this interpreter (PSF license).

A fixed list of modules is held out for evaluation and never trained on. Files are grouped by package
so that one training example can hold several files of the same package in the repository format.
"""

from __future__ import annotations

import sysconfig
from dataclasses import dataclass
from pathlib import Path

# Never trained on; `mellum-lsp eval lines` measures the default model on these.
HELD_OUT = (
    "json", "csv.py", "textwrap.py", "difflib.py", "statistics.py", "fractions.py", "heapq.py",
    "bisect.py", "shlex.py", "graphlib.py", "tomllib", "zipapp.py", "dataclasses.py", "pprint.py",
    "string.py", "colorsys.py", "fnmatch.py", "glob.py", "netrc.py", "sched.py",
)  # fmt: skip
SKIPPED_DIRS = {"site-packages", "__pycache__", "idlelib", "turtledemo"}
MAX_FILE_BYTES = 200_000


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the stdlib root, e.g. "email/utils.py"
    text: str

    @property
    def package(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else "stdlib"

    @property
    def is_test(self) -> bool:
        """Part of a test suite (most of the stdlib's bytes), rather than library code like the held-out modules."""
        parts = self.path.split("/")
        return bool({"test", "tests"} & set(parts[:-1])) or parts[-1].startswith("test_")


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def is_held_out(rel: str) -> bool:
    first = rel.split("/", 1)[0]
    return first in HELD_OUT


def load_sources(root: Path | None = None, *, held_out: bool = False) -> list[SourceFile]:
    """Training files (or, with held_out=True, only the held-out ones), sorted by path."""
    root = root or stdlib_root()
    out = []
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root).as_posix()
        parts = set(rel.split("/"))
        if parts & SKIPPED_DIRS or rel.startswith("config-") or is_held_out(rel) != held_out:
            continue
        try:
            data = f.read_bytes()
        except OSError:
            continue
        if len(data) > MAX_FILE_BYTES or b"\0" in data:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text.strip():
            out.append(SourceFile(rel, text))
    return out
