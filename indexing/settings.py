"""Index settings as one typed object, so the server can validate and report bad values."""

from __future__ import annotations

from dataclasses import dataclass, field

VENDORED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "vendor",
        "third_party",
        "dist",
        "build",
        "out",
        "target",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".gradle",
        ".idea",
        ".vscode",
        ".next",
        ".cache",
        "site-packages",
        "bin",
        "obj",
    }
)


@dataclass(frozen=True)
class IndexSettings:
    """What the walker indexes and how much of it.

    `exclude` holds gitignore-style patterns relative to each workspace root, applied on top of
    the repository's own `.gitignore` files and the vendored/generated directory names.
    """

    exclude: tuple[str, ...] = ()
    vendored_dirs: frozenset[str] = field(default=VENDORED_DIRS)
    max_file_bytes: int = 1_000_000
    max_files: int = 100_000
    respect_gitignore: bool = True

    def __post_init__(self) -> None:
        if self.max_file_bytes <= 0:
            raise ValueError(f"max_file_bytes must be positive, got {self.max_file_bytes}")
        if self.max_files <= 0:
            raise ValueError(f"max_files must be positive, got {self.max_files}")
