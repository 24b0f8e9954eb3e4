#!/usr/bin/env bash
# A fresh machine to a working assistant: install into .venv, then start `mellum-lsp serve` over
# stdio, drive it with a real LSP client, and print one inline completion from the default model.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet -e '.[test]'
exec .venv/bin/python scripts/quickstart.py "$@"
