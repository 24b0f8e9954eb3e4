"""scripts/device_bench.sh, what a lent GPU machine runs: here, without CUDA, it must say so and fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).parent.parent / "scripts" / "device_bench.sh"


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA the script runs the 12B benchmark")
def test_without_cuda_the_device_benchmark_says_why_and_fails() -> None:
    done = subprocess.run([str(SCRIPT)], env={**os.environ, "PYTHON": sys.executable}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "device_bench: cuda was asked for, but this PyTorch sees no CUDA device" in done.stderr
