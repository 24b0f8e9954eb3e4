"""``mellum-lsp bench``: benchmarks that print figures measured against a reference in the same run.

Each benchmark is a subcommand living in ``mellum_lsp/benchmarks/`` and registered here.
"""

from __future__ import annotations

import click

from mellum_lsp.benchmarks.index import index
from mellum_lsp.benchmarks.lsp import lsp
from mellum_lsp.benchmarks.model import bench_model


@click.group()
def bench() -> None:
    """Measure the model, the index or the language server; each prints ratios against a reference."""


bench.add_command(index)
bench.add_command(lsp)
bench.add_command(bench_model)
