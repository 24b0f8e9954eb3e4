"""Golden cases for the post-processing filters: one data file per case, one directory per filter.

Each file has `key: value` headers (`language`, optionally `multiline: true|false`, else chosen by
`mode.wants_multiline`), then `--- input`: the document with the raw suggestion between `├` and `┤`
at the cursor, and `--- expected`: the same document with the filtered suggestion between the
markers, or `(dropped)`. Cases under `pipeline/` run the whole filter chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mellum_lsp.completion.candidate import Candidate, FilterContext
from mellum_lsp.completion.filters import FILTERS, PIPELINE, run
from mellum_lsp.completion.mode import wants_multiline

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*/*.txt"))
DROPPED = "(dropped)"


@dataclass
class GoldenCase:
    context: FilterContext
    completion: str
    expected: str | None


def _split_marked(document: str) -> tuple[str, str, str]:
    prefix, rest = document.split("├", 1)
    completion, suffix = rest.split("┤", 1)
    return prefix, completion, suffix


def load(path: Path) -> GoldenCase:
    headers, _, body = path.read_text(encoding="utf-8").partition("--- input\n")
    given, _, expected_doc = body.partition("\n--- expected\n")
    options = dict(line.split(": ", 1) for line in headers.splitlines() if line.strip())
    expected_doc = expected_doc.removesuffix("\n")
    prefix, completion, suffix = _split_marked(given)
    language = options.get("language")
    multiline = (
        options["multiline"] == "true"
        if "multiline" in options
        else wants_multiline(prefix, suffix, language)
    )
    expected = None
    if expected_doc != DROPPED:
        expected_prefix, expected, expected_suffix = _split_marked(expected_doc)
        assert (expected_prefix, expected_suffix) == (prefix, suffix), (
            "expected must keep the document around"
        )
    return GoldenCase(FilterContext(prefix, suffix, language, multiline), completion, expected)


def test_every_filter_has_golden_cases() -> None:
    assert {path.parent.name for path in CASES} >= set(FILTERS)


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden(path: Path) -> None:
    case = load(path)
    filters = PIPELINE if path.parent.name == "pipeline" else [FILTERS[path.parent.name]]
    result = run(Candidate(case.completion), case.context, filters)
    assert (None if result is None else result.text) == case.expected
