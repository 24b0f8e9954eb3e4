#!/usr/bin/env bash
# Issue 3's GPU figures on a lent device machine, whose python3 holds CUDA PyTorch, safetensors and tokenizers
# (all the runtime needs) but not the server's packages: the released 12B config with random bf16 weights,
# a 4,096-token prefill and batch-1 decode, eager and compiled, against the H200's bandwidth ceiling (4.8 TB/s).
# The same function as `mellum-lsp bench model --real-config-on cuda --peak-bandwidth 4800`.
# Usage: scripts/device_bench.sh [DEVICE [PEAK_GB_PER_S]]   (defaults: cuda 4800); prints JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONPATH=. PYTHONUNBUFFERED=1 "${PYTHON:-python3}" - "${1:-cuda}" "${2:-4800}" <<'PY'
import json
import sys

from model.benchmark import DeviceRefused, real_config_on_device

try:
    report = real_config_on_device(sys.argv[1], peak_bandwidth=float(sys.argv[2]) * 1e9)
except DeviceRefused as e:
    sys.exit(f"device_bench: {e}")
print(json.dumps(report, indent=2))
PY
