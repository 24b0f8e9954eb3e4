"""Single-line or multi-line, from the syntax at the cursor (marked `║`)."""

from __future__ import annotations

import pytest

from mellum_lsp.completion.mode import wants_multiline

CASES = [
    ("python", "def area(r):\n    ║\n", True),
    ("python", "def area(r):║\n", True),
    ("python", "if ready:\n    ║\nelse:\n    pass\n", True),
    ("python", "value = compute(║)\n", False),
    ("python", "value = compute(data)║\n", False),
    ("python", "value = comp║ute(data)\n", False),
    ("python", 'config = {"name":║}\n', False),
    ("python", "total = sum(\n    ║\n)\n", True),
    ("python", "squares = lambda x:║\n", False),
    ("c", "int square(int x) {\n  ║\n}\n", True),
    ("c", "int x = square(║);\n", False),
    ("javascript", "const f = () => {║}\n", True),
    ("javascript", "const doubled = xs.map((x) =>║);\n", False),
    ("rust", "fn main() {\n    ║\n}\n", True),
    (None, "section:\n  ║\n", True),
    (None, "plain text║\n", False),
]


@pytest.mark.parametrize(("language", "document", "expected"), CASES)
def test_wants_multiline(language: str | None, document: str, expected: bool) -> None:
    prefix, suffix = document.split("║")
    assert wants_multiline(prefix, suffix, language) is expected
