"""`eval lines`: cursor sampling, the n-gram baseline, edit similarity, and the report on real models."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sample_code import WALKER

from model.engine import Engine
from model.evaluate import (
    COPY_TOKENS,
    copy_nll,
    edit_similarity,
    evaluate_lines,
    ngram_baseline,
    sample_positions,
)


def test_the_baseline_copies_what_followed_the_longest_earlier_match() -> None:
    prefix = "x = compute(a, b)\ny = other(c)\nz = compute(a"
    assert ngram_baseline(prefix) == ", b)"
    assert ngram_baseline("abc") == ""  # nothing earlier to match
    assert ngram_baseline("total = 1\nfor total") == " = 1"


def test_edit_similarity_is_one_minus_the_normalised_levenshtein_distance() -> None:
    assert edit_similarity("", "") == 1.0
    assert edit_similarity("abc", "abc") == 1.0
    assert edit_similarity("abc", "") == 0.0
    assert edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)


def test_sampled_cursors_split_a_line_after_its_indentation(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "walker.py").write_text(WALKER)
    (tmp_path / "binary.py").write_bytes(b"\xff\xfe not utf-8")  # skipped, not fatal
    files = sorted(tmp_path.rglob("*.py"))
    samples = sample_positions(files, tmp_path, 8, seed=3)
    assert len(samples) == 8 and samples == sample_positions(files, tmp_path, 8, seed=3)
    for s in samples:
        cursor = len(s.prefix)
        line_start, line_end = WALKER.rfind("\n", 0, cursor) + 1, WALKER.find("\n", cursor)
        line = WALKER[line_start:line_end]
        assert s.path == "pkg/walker.py" and WALKER[:cursor] == s.prefix
        assert cursor - line_start >= len(line) - len(line.lstrip())  # past the indentation
        assert s.target and s.target == WALKER[cursor:line_end].rstrip()
        assert s.suffix == WALKER[line_end : line_end + len(s.suffix)] and s.suffix.startswith("\n")


def test_the_report_on_a_tiny_checkpoint_has_every_figure_in_range(tiny_checkpoint, tmp_path: Path) -> None:
    (tmp_path / "walker.py").write_text(WALKER * 4)
    engine = Engine.load(str(tiny_checkpoint), slots=1)
    samples = sample_positions([tmp_path / "walker.py"], tmp_path, 6, seed=0)
    report = evaluate_lines(engine, samples, "repo")
    assert report["samples"] == 6 and len(report["examples"]) == 6
    for key in ("exact_match", "edit_similarity", "baseline_exact_match", "baseline_edit_similarity"):
        assert 0.0 <= report[key] <= 1.0
    assert report["baseline_exact_match"] > 0  # the file repeats itself: the baseline copies its lines
    assert math.isfinite(report["perplexity"]) and report["perplexity"] > 1
    assert report["draft_source"] == "mtp" and 0.0 <= report["mtp_acceptance"] <= 1.0
    assert report["copy_nll_first"] > 0 and report["copy_nll_second"] > 0


def test_the_default_model_predicts_a_repeated_block_better_than_its_first_showing() -> None:
    engine = Engine.load("default", slots=1)
    first, second = copy_nll(engine, [WALKER * 3]) or (0.0, 0.0)
    assert second < first - 0.3
    assert copy_nll(engine, ["x = 1\n"]) is None  # shorter than a block
    assert len(engine.tokenizer.encode(WALKER * 3)) >= COPY_TOKENS
