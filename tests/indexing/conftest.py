"""Fixtures for the index tests: a real byte-level BPE tokenizer, the Mellum FIM format, sample repos.

The tokenizer is trained in well under a second on this package's own sources, with Mellum's
special tokens, so budget tests count real tokens without needing the default checkpoint.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from indexing.settings import IndexSettings
from indexing.workspace import WorkspaceIndex

REPOS = Path(__file__).parent.parent / "fixtures" / "repos"
SPECIAL_TOKENS = ["<|endoftext|>", "<filename>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<reponame>"]


class CountingTokenizer:
    """The `count(text) -> int` interface the index needs, over a real `tokenizers.Tokenizer`."""

    def __init__(self, inner: Tokenizer) -> None:
        self.inner = inner

    def encode(self, text: str) -> list[int]:
        return self.inner.encode(text, add_special_tokens=False).ids

    def count(self, text: str) -> int:
        return len(self.encode(text))


@pytest.fixture(scope="session")
def tokenizer() -> CountingTokenizer:
    inner = Tokenizer(models.BPE())
    inner.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    inner.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    sources = sorted((Path(__file__).parent.parent.parent / "indexing").glob("*.py"))
    inner.train_from_iterator((path.read_text() for path in sources), trainer=trainer)
    return CountingTokenizer(inner)


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
