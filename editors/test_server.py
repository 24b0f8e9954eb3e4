"""Print the server command the editor end-to-end tests start, as a JSON array.

The model is a tiny random checkpoint in the released on-disk layout, written once under DIR exactly
as the test suite's ``tiny_checkpoint`` fixture writes it, so the clients meet the same model as the
server tests. These tests check the clients' plumbing, which needs text that survives the completion
filters at the cursors they use; whether the default model's suggestion is good is not their question
(and it often leaves nothing after the filters there).

Usage: python editors/test_server.py DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from model.random_checkpoint import DEFAULT_DIR, tiny_config, write_random_checkpoint
from model.tokenizer import Tokenizer


def model_dir(work: Path) -> Path:
    checkpoint = work / "tiny-mellum"
    if not (checkpoint / "config.json").exists():
        checkpoint.mkdir(parents=True, exist_ok=True)
        vocab_size = Tokenizer.from_dir(DEFAULT_DIR).vocab_size
        write_random_checkpoint(checkpoint, tiny_config(vocab_size), shard_bytes=400_000)
    return checkpoint


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    command = [
        sys.executable,
        "-m",
        "mellum_lsp",
        "serve",
        "--model",
        str(model_dir(Path(argv[1]).resolve())),
        "--set",
        "model.compile=off",  # starts in a second; compiling is tested in tests/model
    ]
    print(json.dumps(command))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
