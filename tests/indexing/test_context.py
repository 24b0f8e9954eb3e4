"""Context assembly: cross-file resolution, the budget, stable order, merging, chat retrieval."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.context import (
    BudgetTooSmall,
    assemble_chat_context,
    assemble_completion_context,
    cut_prefix,
    cut_suffix,
)
from indexing.packer import pack
from indexing.retrieval import Candidate, CompletionRetriever, Cursor


def assemble(index, path: Path, marker: str, tokenizer, formatter, budget: int = 2048, **kwargs):
    text = path.read_text()
    return assemble_completion_context(
        index,
        path,
        text,
        text.index(marker),
        budget=budget,
        tokenizer=tokenizer,
        formatter=formatter,
        **kwargs,
    )


def shown(context, path: str, line: int) -> list[str]:
    """The reasons of the pieces showing `line` (1-based) of `path`."""
    return [p.reason for p in context.pieces if p.path == path and p.start_line <= line <= p.end_line]


@pytest.mark.parametrize(
    ("repo", "file", "marker", "target", "line"),
    [
        ("py_shop", "shop/cart.py", "apply_discount(subtotal", "shop/pricing.py", 6),  # from m import name
        ("py_shop", "shop/cart.py", "inventory.reserve", "shop/inventory.py", 6),  # from . import module
        ("py_shop", "shop/cart.py", "util.round_money", "shop/util.py", 4),  # import a.b as alias
        ("ts_app", "src/index.ts", "add(a, b)", "src/math/vector.ts", 9),  # named import
        ("ts_app", "src/index.ts", "format(sum)", "src/format.ts", 3),  # default import
        ("ts_app", "src/index.ts", "log.info", "src/log/index.ts", 1),  # namespace import of a dir
        ("go_app", "main.go", "store.NewStore", "store/store.go", 9),  # go.mod module path
        (
            "java_app",
            "src/main/java/com/acme/App.java",
            "Strings.capitalize",
            "src/main/java/com/acme/util/Strings.java",
            6,
        ),
    ],
)
def test_definitions_resolve_across_files_through_imports(
    copy_repo, make_index, tokenizer, formatter, repo, file, marker, target, line
) -> None:
    root = copy_repo(repo)
    context = assemble(make_index(root), root / file, marker, tokenizer, formatter, budget=1024)
    reasons = shown(context, target, line)
    assert any(r.startswith("definition:imported") for r in reasons), context.pieces
    assert context.prompt_tokens <= 1024


def test_wildcard_import_resolves_by_name(copy_repo, make_index, tokenizer, formatter) -> None:
    root = copy_repo("py_shop")
    context = assemble(make_index(root), root / "scripts" / "report.py", "PriceList()", tokenizer, formatter)
    assert any(r.startswith("definition:name") for r in shown(context, "shop/pricing.py", 13))


def test_c_names_resolve_by_name_with_included_headers_first(
    copy_repo, make_index, tokenizer, formatter
) -> None:
    root = copy_repo("c_app")
    index = make_index(root)
    main = root / "src" / "main.c"
    text = main.read_text()
    line = text[: text.index("shape_area(&square")].count("\n")
    cursor = Cursor(index.key(main), text.split("\n"), line, (0, len(text.split("\n"))))
    found = {
        (index.relative(c.path), c.start_line): c.score
        for c in CompletionRetriever(index).candidates(cursor, sources=["definition"])
        if c.source == "definition:name"
    }
    assert found[("include/geometry.h", 8)] > found[("lib/geometry.c", 2)] > 0  # the included header first
    context = assemble(index, main, "shape_area(&square", tokenizer, formatter)
    assert shown(context, "include/geometry.h", 9) and shown(context, "lib/geometry.c", 3)


def test_package_reexport_is_followed(copy_repo, make_index, tokenizer, formatter, tmp_path) -> None:
    root = copy_repo("py_shop")
    user = root / "checkout.py"
    user.write_text(
        "from shop import apply_discount\n\n\ndef pay(total):\n    return apply_discount(total, 5)\n"
    )
    context = assemble(make_index(root), user, "apply_discount(total", tokenizer, formatter)
    assert any(r.startswith("definition:imported") for r in shown(context, "shop/pricing.py", 6))


@pytest.mark.parametrize("budget", [64, 200, 512, 1024, 4096])
def test_the_budget_is_never_exceeded(copy_repo, make_index, tokenizer, formatter, budget) -> None:
    root = copy_repo("py_shop")
    index = make_index(root)
    path = root / "shop" / "cart.py"
    text = path.read_text() * 3  # a long buffer so the prefix and suffix must be cut
    for offset in range(0, len(text), 97):
        context = assemble_completion_context(
            index, path, text, offset, budget=budget, tokenizer=tokenizer, formatter=formatter
        )
        assert context.prompt_tokens == tokenizer.count(context.prompt) <= budget
        assert sum(p.tokens for p in context.pieces) <= budget


def test_prefix_is_favoured_and_cut_on_line_boundaries(copy_repo, make_index, tokenizer, formatter) -> None:
    root = copy_repo("py_shop")
    path = root / "shop" / "cart.py"
    text = "".join(f"value_{n} = compute({n})\n" for n in range(400))
    offset = text.index("value_200")
    context = assemble_completion_context(
        make_index(root), path, text, offset, budget=1000, tokenizer=tokenizer, formatter=formatter
    )
    suffix = context.prompt.split("<fim_suffix>")[1].split("<fim_prefix>")[0]
    prefix = context.prompt.split("<fim_prefix>")[1].removesuffix("<fim_middle>")
    assert tokenizer.count(prefix) > tokenizer.count(suffix) > 0
    assert prefix.startswith("value_") and text[:offset].endswith(prefix)
    assert suffix.endswith("\n") is False and text[offset:].startswith(suffix)
    first_line = text[:offset].count("\n") - prefix.count("\n")
    assert first_line % 8 == 0  # snapped, so typing does not move it


def test_cut_helpers_respect_their_targets(tokenizer) -> None:
    text = "".join(f"line {n} of some text\n" for n in range(300))
    prefix, first = cut_prefix(text, 100, tokenizer.count, 1)
    assert tokenizer.count(prefix) <= 100 and text.endswith(prefix) and first > 0
    suffix, kept = cut_suffix(text, 100, tokenizer.count, 1)
    assert tokenizer.count(suffix) <= 100 and text.startswith(suffix) and kept == suffix.count("\n") + 1
    long_line = "x" * 5000
    partial, _ = cut_prefix(long_line, 50, tokenizer.count, 8)
    assert tokenizer.count(partial) <= 50 and long_line.endswith(partial)


def test_a_budget_below_the_frame_is_a_clear_error(copy_repo, make_index, tokenizer, formatter) -> None:
    root = copy_repo("py_shop")
    with pytest.raises(BudgetTooSmall, match="cannot hold"):
        assemble(
            make_index(root), root / "shop" / "cart.py", "apply_discount(", tokenizer, formatter, budget=5
        )


def test_consecutive_keystrokes_share_the_prompt_up_to_the_typed_text(
    copy_repo, make_index, tokenizer, formatter
) -> None:
    root = copy_repo("py_shop")
    index = make_index(root)
    path = root / "shop" / "cart.py"
    original = path.read_text()
    at = original.index("        return util.round_money")
    typed = "        rounded = subtotal * 2\n"
    previous = None
    for length in range(len(typed) + 1):
        text = original[:at] + typed[:length] + original[at:]
        context = assemble_completion_context(
            index, path, text, at + length, budget=1024, tokenizer=tokenizer, formatter=formatter
        )
        if previous is not None:
            # SPM: everything before the prefix's end is unchanged; the new prompt extends it.
            stable = previous.prompt.removesuffix("<fim_middle>")
            assert context.prompt.startswith(stable), (length, typed[:length])
        previous = context


def test_overlapping_snippets_of_a_file_are_merged(tokenizer) -> None:
    lines = [f"line {n}" for n in range(50)]
    candidates = [
        Candidate("/ws/a.py", 10, 20, 0.9, "definition:imported"),
        Candidate("/ws/a.py", 15, 30, 0.5, "similar"),
        Candidate("/ws/a.py", 31, 33, 0.4, "recent"),  # touching: merged too
        Candidate("/ws/a.py", 12, 14, 0.3, "similar"),  # inside: adds its reason only
        Candidate("/ws/b.py", 0, 3, 0.8, "similar"),
    ]
    pieces = pack(
        candidates,
        10_000,
        lambda p, t: tokenizer.count(f"<filename>{p}\n{t}"),
        lambda _: lines,
        lambda p: p.removeprefix("/ws/"),
    )
    by_path = {p.path: p for p in pieces}
    assert len(pieces) == 2
    merged = by_path["a.py"]
    assert (merged.start_line, merged.end_line) == (11, 34)
    assert merged.reason == "definition:imported(score=0.90)+similar(score=0.50)+recent(score=0.40)"
    assert merged.text == "".join(line + "\n" for line in lines[10:34])
    assert merged.tokens == tokenizer.count(f"<filename>a.py\n{merged.text}")


def test_pieces_are_ordered_most_relevant_last(copy_repo, make_index, tokenizer, formatter) -> None:
    root = copy_repo("py_shop")
    context = assemble(
        make_index(root), root / "shop" / "cart.py", "apply_discount(subtotal", tokenizer, formatter
    )
    tiers = [sum(p.score >= t for t in (0.5, 0.8)) for p in context.pieces]
    assert tiers == sorted(tiers)
    assert context.pieces[-1].score >= 0.8
    assert context.prompt.index(context.pieces[-1].text) > context.prompt.index(context.pieces[0].text)


def test_recent_documents_contribute(copy_repo, make_index, tokenizer, formatter) -> None:
    root = copy_repo("py_shop")
    index = make_index(root)
    recent = root / "shop" / "inventory.py"
    context = assemble(
        index, root / "scripts" / "report.py", "prices = PriceList()", tokenizer, formatter, recent=[recent]
    )
    assert any("recent" in p.reason for p in context.pieces if p.path == "shop/inventory.py")


def test_similarity_only_retrieval_can_be_selected(copy_repo, make_index, tokenizer, formatter) -> None:
    root = copy_repo("py_shop")
    context = assemble(
        make_index(root),
        root / "shop" / "cart.py",
        "apply_discount(subtotal",
        tokenizer,
        formatter,
        sources=["similar"],
    )
    assert context.pieces and all(p.reason.startswith("similar") for p in context.pieces)
    with pytest.raises(ValueError, match="unknown retrieval sources"):
        assemble(
            make_index(root),
            root / "shop" / "cart.py",
            "apply_discount(",
            tokenizer,
            formatter,
            sources=["bm42"],
        )


def test_chat_finds_symbols_words_and_the_selection(copy_repo, make_index, tokenizer) -> None:
    root = copy_repo("py_shop")
    index = make_index(root)
    cart = root / "shop" / "cart.py"
    selection = "        if not inventory.reserve(item_id, count):\n            return False\n"
    pieces = assemble_chat_context(
        index,
        "Why does apply_discount raise for a big discount, and how is money rounded?",
        budget=600,
        tokenizer=tokenizer,
        open_file=(cart, cart.read_text()),
        selection=selection,
    )
    reasons = {p.path: p.reason for p in pieces}
    assert "chat:symbol" in reasons["shop/pricing.py"]
    assert "chat:word" in reasons["shop/util.py"]  # "money" matches round_money
    assert pieces[0].path == "shop/cart.py" and pieces[0].reason.startswith("chat:selection")
    assert sum(p.tokens for p in pieces) <= 600
    assert all(p.tokens == tokenizer.count(f"{p.path}\n{p.text}") for p in pieces)


def test_assembly_and_edits_on_different_threads(copy_repo, make_index, tokenizer, formatter) -> None:
    """The server assembles on worker threads while edits arrive on the event loop's."""
    import threading

    root = copy_repo("py_shop")
    index = make_index(root)
    cart = root / "shop" / "cart.py"
    util = root / "shop" / "util.py"
    errors: list[Exception] = []
    stop = threading.Event()

    def edit() -> None:
        try:
            for number in range(300):
                index.update_document(
                    util, f"def round_money(value):\n    return value\n\n\ndef helper_{number}(): pass\n"
                )
                index.file_changed(root / "shop" / "inventory.py")
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            stop.set()

    editor = threading.Thread(target=edit)
    editor.start()
    while not stop.is_set():
        context = assemble(index, cart, "util.round_money", tokenizer, formatter, budget=1024)
        assert context.prompt_tokens <= 1024
    editor.join()
    assert errors == []


def test_chat_trusts_code_like_names_over_plain_words(copy_repo, make_index, tokenizer) -> None:
    root = copy_repo("py_shop")
    pieces = assemble_chat_context(
        make_index(root),
        "Where is the report printed, and what does apply_discount return?",
        budget=2000,
        tokenizer=tokenizer,
        open_file=None,
        selection=None,
    )
    score = {p.path: p.score for p in pieces if "chat:symbol" in p.reason}
    assert score["shop/pricing.py"] > score["scripts/report.py"] > 0
