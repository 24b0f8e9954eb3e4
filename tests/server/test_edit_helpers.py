"""The pure parts of the edit features: reading code out of a reply, regions, and the recent-edit log."""

from __future__ import annotations

import pytest
from pygls.workspace import Workspace

from mellum_lsp.commands.console import ConsoleNotifier
from mellum_lsp.config import Configuration, Layer
from mellum_lsp.documents import OpenDocuments
from mellum_lsp.features.chat import validate_messages
from mellum_lsp.features.next_edit import NextEditFeature
from mellum_lsp.features.replies import extract_code, whole_lines
from mellum_lsp.session import Session
from model.prompts import fenced


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("Here:\n```python\nx = 1\ny = 2\n```\nDone.", "x = 1\ny = 2"),
        ("```\nonly fence\n```", "only fence"),
        ("```py\nunterminated\nstill code", "unterminated\nstill code"),
        ("\nno fence at all\n", "no fence at all"),
        ("```a\nfirst\n```\n```b\nsecond\n```", "first"),
    ],
)
def test_extract_code_takes_the_first_fenced_block(reply, code):
    assert extract_code(reply) == code


def test_fenced_code_containing_fences_gets_a_longer_fence():
    assert fenced("```x```").startswith("````\n")


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("ab\ncd\nef", 4, 4, "cd"),  # a cursor: its whole line
        ("ab\ncd\nef", 1, 4, "ab\ncd"),  # a selection across lines
        ("ab\ncd\nef", 3, 6, "cd"),  # a selection ending at the start of the next line
        ("ab\ncd", 4, 5, "cd"),  # the last line without a newline
    ],
)
def test_whole_lines_widens_to_complete_lines(text, start, end, expected):
    line_start, line_end = whole_lines(text, start, end)
    assert text[line_start:line_end] == expected


@pytest.mark.parametrize(
    "messages",
    [
        [],
        "hello",
        [{"role": "user"}],
        [{"role": "robot", "content": "x"}],
        [{"role": "assistant", "content": "x"}],
    ],
)
def test_bad_chat_messages_are_rejected(messages):
    with pytest.raises(ValueError):
        validate_messages(messages)


def session(recent_edits: int = 8) -> Session:
    config = Configuration()
    config.set_layer(Layer.CLI, {"edit.recent_edits": recent_edits})
    return Session(config, ConsoleNotifier(), Workspace(None))


def test_keystrokes_in_one_place_merge_into_one_edit():
    feature = NextEditFeature(session())
    docs = OpenDocuments()
    docs.opened("file:///a.py", "def add(a, b):\n    return a + b\n")
    for text in ["def plu(a, b):\n", "def plus(a, b):\n"]:
        feature.document_changed(docs.changed("file:///a.py", text + "    return a + b\n"))
    assert len(feature.recent) == 1
    assert (feature.recent[0].removed, feature.recent[0].inserted) == ("add", "plus")
    feature.document_changed(docs.changed("file:///a.py", "def plus(a, b):\n    return a + b  # sum\n"))
    assert len(feature.recent) == 2
    assert "-'add'" in feature.describe_recent() and "+'  # sum'" in feature.describe_recent()


def test_the_edit_log_keeps_the_configured_number_of_edits():
    feature = NextEditFeature(session(recent_edits=2))
    docs = OpenDocuments()
    docs.opened("file:///a.py", "a\nb\nc\n")
    for text in ["A\nb\nc\n", "A\nB\nc\n", "A\nB\nC\n"]:
        feature.document_changed(docs.changed("file:///a.py", text))
    assert [c.inserted for c in feature.recent] == ["B", "C"]
