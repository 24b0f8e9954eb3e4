"""Fixtures for the index tests: the default model's real tokenizer, the Mellum FIM format, sample repos."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from indexing.settings import IndexSettings
from indexing.workspace import WorkspaceIndex
from model.tokenizer import Tokenizer

REPOS = Path(__file__).parent.parent / "fixtures" / "repos"
DEFAULT_MODEL = Path(__file__).parent.parent.parent / "model" / "default"


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    """The shipped model's tokenizer: budgets are counted in the tokens the model really sees."""
    return Tokenizer.from_dir(DEFAULT_MODEL)


def fim_formatter(*, repo: str, files: Sequence[tuple[str, str]], path: str, prefix: str, suffix: str) -> str:
    """Mellum's SPM completion prompt (the format `model.prompts.fim_prompt` builds)."""
    context = f"<reponame>{repo}" + "".join(f"<filename>{p}\n{code}" for p, code in files)
    return f"{context}<filename>{path}\n<fim_suffix>{suffix}<fim_prefix>{prefix}<fim_middle>"


@pytest.fixture
def formatter():
    return fim_formatter


@pytest.fixture
def copy_repo(tmp_path: Path):
    """Copy a fixture repository into a temporary directory (tests may edit it)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(REPOS / name, target)
        return target

    return copy


@pytest.fixture
def make_index(tmp_path: Path):
    """Build a `WorkspaceIndex` over roots with its cache in the test's temporary directory."""
    created: list[WorkspaceIndex] = []

    def make(*roots: Path, settings: IndexSettings | None = None, cache: str = "cache") -> WorkspaceIndex:
        index = WorkspaceIndex(
            list(roots),
            settings or IndexSettings(),
            cache_dir=tmp_path / cache,
            log=logging.getLogger("test.indexing"),
        )
        index.build()
        created.append(index)
        return index

    yield make
    for index in created:
        index.close()
