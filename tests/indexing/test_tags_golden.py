"""Golden definitions and imports per language: one sample file each, its expected tags as JSON.

Regenerate after an intended change with `MELLUM_UPDATE_GOLDEN=1 pytest tests/indexing/test_tags_golden.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexing.documents import analyse
from indexing.languages import language_for

GOLDEN = Path(__file__).parent / "golden"
SAMPLES = sorted(p for p in GOLDEN.iterdir() if p.suffix != ".json")


def tags(sample: Path) -> dict:
    language = language_for(sample)
    assert language is not None
    symbols = analyse(language, sample.read_bytes())
    return {
        "language": language,
        "definitions": [
            {
                "name": d.name,
                "kind": d.kind,
                "lines": [d.start_line + 1, d.end_line + 1],
                "container": d.container,
                "signature": d.signature,
            }
            for d in symbols.definitions
        ],
        "imports": [
            {
                "module": i.module,
                "name": i.name,
                "alias": i.alias,
                "line": i.line + 1,
                "binds": i.bound_name(language),
            }
            for i in symbols.imports
        ],
    }


def golden_json(tags: dict) -> str:
    """One definition or import per line, so a diff shows exactly what changed."""
    rows = [f'{{"language": {json.dumps(tags["language"])},']
    for key in ("definitions", "imports"):
        items = [json.dumps(item) for item in tags[key]]
        rows.append(f' "{key}": [\n  ' + ",\n  ".join(items) + "\n ]" + ("," if key == "definitions" else ""))
    return "\n".join(rows) + "\n}\n"


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_definitions_and_imports_match_golden(sample: Path) -> None:
    expected_file = sample.with_name(sample.name + ".json")
    actual = tags(sample)
    if os.environ.get("MELLUM_UPDATE_GOLDEN"):
        expected_file.write_text(golden_json(actual))
    assert actual == json.loads(expected_file.read_text())


def test_every_language_has_a_golden_sample() -> None:
    from indexing.languages import LANGUAGES

    assert {language_for(p) for p in SAMPLES} == set(LANGUAGES)
