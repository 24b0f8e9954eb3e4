"""`mellum-lsp bench index` runs end to end (on a fixture repository instead of the stdlib)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mellum_lsp.cli import main


@pytest.mark.slow
def test_bench_index_reports_every_figure(copy_repo) -> None:
    root = copy_repo("py_shop")
    result = CliRunner().invoke(
        main, ["bench", "index", "--root", str(root), "--sites", "10", "--edits", "5", "--timed", "2"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["full_index"]["files"] == 6 and report["full_index"]["parsed"] == 6
    assert report["restart"]["parsed"] == 0 and report["restart"]["reused"] == 6
    assert report["incremental_update"]["edits"] == 5
    assert report["call_sites"] >= 2  # cart.py calls apply_discount and util.round_money
    assert set(report["context_assembly"]) == {"2048", "8192", "32768"}
    recall = report["cross_file_definition_recall"]["2048"]
    assert recall["index"] == 1.0 and 0 <= recall["similarity_only"] <= 1
