"""Shared fixtures: tiny random checkpoints in the real released on-disk layout (never a mocked model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.random_checkpoint import DEFAULT_DIR, tiny_config, write_random_checkpoint
from model.tokenizer import Tokenizer


@pytest.fixture(scope="session")
def default_tokenizer() -> Tokenizer:
    return Tokenizer.from_dir(DEFAULT_DIR)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, default_tokenizer) -> Path:
    """A 4-layer random Mellum with MTP, sharded into several files, with the default tokenizer."""
    directory = tmp_path_factory.mktemp("tiny-mellum")
    return write_random_checkpoint(directory, tiny_config(default_tokenizer.vocab_size), shard_bytes=400_000)
