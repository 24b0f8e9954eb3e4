#!/usr/bin/env bash
# Builds and tests the editor clients; .ci/run calls it after the pytest step.
# Idempotent: installs only what is missing (npm ci from the lock file; Debian's neovim, emacs-nox
# and elpa-eglot through apt-get), then runs each client's unit tests and its end-to-end test
# against the real `mellum-lsp serve` (the default model, or a tiny random checkpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
WORK=${MELLUM_EDITORS_WORK:-${TMPDIR:-/tmp}/mellum-editors-test}
mkdir -p "$WORK"

missing=()
command -v nvim >/dev/null || missing+=(neovim)
command -v emacs >/dev/null || missing+=(emacs-nox)
if ! emacs --batch --eval "(require 'eglot)" >/dev/null 2>&1; then missing+=(elpa-eglot); fi
if ((${#missing[@]})); then
  echo "== apt-get install ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== VS Code: npm ci, type check, unit tests, bundle, .vsix"
(
  cd editors/vscode
  # npm ci reinstalls everything; skip it when node_modules was installed from this very lock file.
  lock=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ ! -f node_modules/.mellum-lock || $(cat node_modules/.mellum-lock) != "$lock" ]]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$lock" > node_modules/.mellum-lock
  fi
  npm run -s typecheck
  npm run -s test:unit
  npm run -s package
)

echo "== Neovim $(nvim --version | head -1): unit tests"
nvim_run() {
  timeout 900 nvim --headless -u NONE -i NONE --cmd "set rtp^=$ROOT/editors/neovim" \
    --cmd "lua package.path = '$ROOT/editors/neovim/tests/?.lua;' .. package.path" \
    -c "lua require('harness').main('$1')"
}
nvim_run unit

echo "== Emacs $(emacs --version | head -1): byte-compile and unit tests"
emacs --batch -L editors/emacs --eval "(setq byte-compile-error-on-warn t)" \
  -f batch-byte-compile editors/emacs/mellum.el
rm -f editors/emacs/mellum.elc
emacs_run() {
  timeout 900 emacs --batch -L editors/emacs -l ert -l editors/emacs/test/mellum-test.el --eval "$1"
}
emacs_run '(ert-run-tests-batch-and-exit (quote (not "e2e")))'

echo "== the server the end-to-end tests start"
MELLUM_TEST_SERVER=$("$PYTHON" editors/test_server.py "$WORK")
export MELLUM_TEST_SERVER
echo "$MELLUM_TEST_SERVER"

echo "== VS Code end to end (vscode-jsonrpc)"
(cd editors/vscode && npm run -s test:e2e)

echo "== Neovim end to end (headless)"
nvim_run e2e

echo "== Emacs end to end (ERT on eglot)"
emacs_run '(ert-run-tests-batch-and-exit "e2e")'

echo "editor clients: all tests passed"
