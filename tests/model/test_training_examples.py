"""Training examples: FIM middles shaped like editor requests, rewrites that parse, exact packing."""

from __future__ import annotations

import ast
import random
import textwrap

import pytest
from sample_code import WALKER

from model.prompts import chat_prompt, rewrite_request
from model.training.corpus import SourceFile
from model.training.examples import ExampleBuilder, _bound_names, _lines_span, _without_docstring


@pytest.fixture(scope="module")
def builder(default_tokenizer):
    files = [SourceFile("pkg/walker.py", WALKER), SourceFile("pkg/other.py", WALKER.replace("walk", "scan"))]
    return ExampleBuilder(files, default_tokenizer)


def test_middles_stay_inside_the_text_and_rest_of_line_spans_end_at_the_line_end() -> None:
    rest_of_line = 0
    for seed in range(400):
        a, b = _lines_span(WALKER, random.Random(seed))
        assert 0 <= a <= b <= len(WALKER)
        middle = WALKER[a:b]
        if "\n" not in middle and (b == len(WALKER) or WALKER[b] == "\n") and middle.strip():
            rest_of_line += 1
            line_start = WALKER.rfind("\n", 0, a) + 1
            indent = len(WALKER[line_start:]) - len(WALKER[line_start:].lstrip(" "))
            assert a - line_start >= min(indent, b - line_start), "the cursor sits after the indentation"
    assert rest_of_line > 150  # most middles finish the current line, as the editor asks


def test_rewrites_rename_whole_words_and_drop_docstrings_cleanly() -> None:
    function = WALKER[WALKER.index("def count") :]
    assert _bound_names(function) == ["path", "root", "total"]
    stripped = _without_docstring(function)
    tree = ast.parse(stripped)
    assert ast.get_docstring(tree.body[0]) is None and "total += 1" in stripped  # type: ignore[arg-type]


def test_rewrite_examples_answer_with_code_that_parses(builder) -> None:
    for seed in range(30):
        example = builder.rewrite_example(random.Random(seed))
        answer = example.rsplit("<|im_start|>assistant\n```py\n", 1)[1].split("\n```<|im_end|>")[0]
        ast.parse(textwrap.dedent(answer))


def test_rewrite_examples_ask_in_the_servers_words_with_the_region_in_place(builder) -> None:
    """The question is exactly what the server's rewrite sends for the same region and instruction."""
    for seed in range(10):
        example = builder.rewrite_example(random.Random(seed))
        question = example.split("<|im_start|>assistant\n")[0]
        path = question.split("File ", 1)[1].split(". Code before", 1)[0]
        region = question.split("The region:\n```py\n", 1)[1].split("\n```\n\nInstruction: ", 1)[0]
        instruction = question.rsplit("Instruction: ", 1)[1].split("<|im_end|>", 1)[0]
        text = WALKER if path == "pkg/walker.py" else WALKER.replace("walk", "scan")
        start = text.index(region)
        before = question.split("Code before the region:\n```py\n", 1)[1].split("\n```\nCode after", 1)[0]
        after = question.split("Code after the region:\n```py\n", 1)[1].split("\n```\nThe region", 1)[0]
        assert text[start - len(before) : start] == before and text[start + len(region) :].startswith(after)
        messages = rewrite_request(path=path, text=text, start=start, end=start + len(region),
                                   context_chars=builder.mix.rewrite_context_chars, instruction=instruction)
        assert question + "<|im_start|>assistant\n" == chat_prompt(messages)


def test_sequences_are_exact_length_and_reproducible(builder) -> None:
    first = builder.sequence(random.Random(7), 513)
    assert len(first) == 513 and first == builder.sequence(random.Random(7), 513)


def test_function_regions_are_the_functions_lines_even_after_a_form_feed(default_tokenizer) -> None:
    text = "import os\n\x0c\n" + WALKER  # a page break, as some stdlib modules have
    builder = ExampleBuilder([SourceFile("pkg/paged.py", text)], default_tokenizer)
    regions = sorted(fn.region for fn in builder.functions)
    assert regions[0].startswith("def count(root):") and regions[0].endswith("return total")
    assert regions[1].startswith("def walk(root") and regions[1].endswith("yield os.path.join(dirpath, name)")


def test_copying_drills_repeat_their_lines_from_a_line_on(builder) -> None:
    rng = random.Random(3)
    for _ in range(20):
        text = builder.repeat_example(rng)
        assert text.endswith("\n<|endoftext|>")
        first, again = text.removesuffix("\n<|endoftext|>").split("\n\n")
        lines = first.split("\n")
        assert 4 <= len(lines) <= 24 and again.split("\n") == lines[len(lines) - len(again.split("\n")) :]
        assert all(line in WALKER + WALKER.replace("walk", "scan") for line in lines)


def test_short_fim_examples_cut_a_few_hundred_characters_around_a_cursor(builder) -> None:
    rng = random.Random(11)
    for _ in range(30):
        text = builder.short_fim_example(rng)
        assert text.startswith("<reponame>pkg<filename>pkg/") and text.endswith("<|endoftext|>")
        body = text.split("\n", 1)[1].removesuffix("<|endoftext|>")
        middle = body.split("<fim_middle>")[1]
        if body.startswith("<fim_suffix>"):
            suffix, prefix = body.removeprefix("<fim_suffix>").split("<fim_middle>")[0].split("<fim_prefix>")
        else:
            prefix, suffix = body.removeprefix("<fim_prefix>").split("<fim_middle>")[0].split("<fim_suffix>")
        assert len(prefix) <= 600 and len(suffix) <= 300
        assert (prefix + middle + suffix) in WALKER + WALKER.replace("walk", "scan")


def test_answers_are_the_fim_middles_and_chat_replies_with_their_closing_token(builder, default_tokenizer) -> None:
    tok = default_tokenizer
    parts = [
        ("<reponame>pkg<filename>pkg/walker.py\n<fim_prefix>def walk(root):\n<fim_suffix>\n<fim_middle>", False),
        ("    return root<|endoftext|>", True),
        (chat_prompt([{"role": "user", "content": "Rename `root` to `top`."}]), False),
        ("```python\ndef walk(top):\n    return top\n```<|im_end|>", True),
        ("\n<|endoftext|>def scan(path):\n", False),
    ]
    ids, expected = [], []
    for text, answer in parts:
        piece = tok.encode(text)
        ids += piece
        expected += [answer] * len(piece)
    assert builder.answers(ids) == expected
    # a sequence that starts inside an answer (its head cut off by packing) has no opener to go by
    assert not any(builder.answers(tok.encode("    return root<|endoftext|>")))
