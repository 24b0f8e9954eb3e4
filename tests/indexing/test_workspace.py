"""The live index: building, persisting, editor events, and bad input that must not break it."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from indexing.documents import analyse, diff_edit, point_at
from indexing.workspace import WorkspaceIndex


def names(index: WorkspaceIndex, path: Path) -> list[str]:
    record = index.file(path)
    assert record is not None, path
    return [d.qualified_name for d in record.symbols.definitions]


def test_build_indexes_every_fixture_file(copy_repo, make_index) -> None:
    root = copy_repo("py_shop")
    index = make_index(root)
    stats = index.stats()
    assert stats["files"] == 6
    assert stats["languages"] == {"python": 6}
    assert stats["progress"] == {"done": 6, "total": 6}
    assert "PriceList.price_of" in names(index, root / "shop" / "pricing.py")
    assert set(index.definitions_named("apply_discount")) == {
        (root / "shop" / "pricing.py").resolve().as_posix()
    }


def test_progress_is_reported(copy_repo, make_index, tmp_path: Path) -> None:
    root = copy_repo("ts_app")
    seen: list[tuple[int, int]] = []
    index = WorkspaceIndex([root], cache_dir=tmp_path / "c")
    index.build(progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)


def test_restart_reparses_only_changed_files(copy_repo, make_index) -> None:
    root = copy_repo("py_shop")
    first = make_index(root)
    assert first.stats()["last_build"]["parsed"] == 6
    first.close()
    (root / "shop" / "util.py").write_text(
        "def round_money(value):\n    return value\n\n\ndef cents(v):\n    return v\n"
    )
    (root / "shop" / "inventory.py").unlink()
    second = make_index(root)
    build = second.stats()["last_build"]
    assert (build["parsed"], build["reused"]) == (1, 4)
    assert names(second, root / "shop" / "util.py") == ["round_money", "cents"]
    assert second.file(root / "shop" / "inventory.py") is None
    assert second.definitions_named("reserve") == {}


def test_touched_but_unchanged_file_is_not_reparsed(copy_repo, make_index) -> None:
    root = copy_repo("py_shop")
    make_index(root).close()
    path = root / "shop" / "cart.py"
    path.write_bytes(path.read_bytes())  # new mtime, same content
    build = make_index(root).stats()["last_build"]
    assert (build["parsed"], build["reused"]) == (0, 6)


def test_corrupt_cache_is_discarded_with_a_log_line(copy_repo, make_index, tmp_path, caplog) -> None:
    root = copy_repo("go_app")
    first = make_index(root)
    first.close()
    first.cache.path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{first.cache.path}{suffix}").unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING):
        index = make_index(root)
    assert "discarding corrupt index cache" in caplog.text
    assert index.stats()["files"] == 2
    assert index.stats()["last_build"]["parsed"] == 2


def test_bad_files_are_logged_and_the_rest_indexed(tmp_path: Path, make_index, caplog) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "good.py").write_text("def good():\n    pass\n")
    (root / "latin1.py").write_bytes(b"# caf\xe9\ndef latin():\n    pass\n")
    (root / "broken.py").write_text("def broken(:\n    class )))\n\ndef after_error():\n    pass\n")
    (root / "loop.py").symlink_to(root / "loop.py")
    (root / "gone.py").write_text("def gone(): pass\n")

    def delete_mid_index(done: int, total: int) -> None:
        if done == 0:
            (root / "gone.py").unlink()

    with caplog.at_level(logging.INFO):
        index = WorkspaceIndex([root], cache_dir=tmp_path / "c", log=logging.getLogger("test.bad"))
        index.build(progress=delete_mid_index)
    assert names(index, root / "good.py") == ["good"]
    assert names(index, root / "latin1.py") == ["latin"]
    assert "after_error" in names(index, root / "broken.py")
    assert index.file(root / "gone.py") is None
    assert "deleted while indexing" in caplog.text
    assert "not valid UTF-8" in caplog.text


EDITS = [
    ("    return int(value * 100 + 0.5) / 100\n", "    return round(value, 2)\n"),
    ("def round_money", "def round_cash"),
    ("", "\n\ndef added(x: int) -> int:\n    return x\n"),
    ('"""Round to cents, half up."""', ""),
    ("é", "ü"),
]


def test_incremental_edits_give_the_same_index_as_a_fresh_build(copy_repo, make_index, tmp_path) -> None:
    root = copy_repo("py_shop")
    path = root / "shop" / "util.py"
    index = make_index(root)
    text = path.read_text() + "# café\n"
    index.update_document(path, text)
    for old, new in EDITS:
        data = text.encode()
        at = data.find(old.encode()) if old else len(data)
        new_text = (data[:at] + new.encode() + data[at + len(old.encode()) :]).decode()
        new_data = new_text.encode()
        end = at + len(old.encode())
        index.apply_edit(
            path,
            at,
            end,
            at + len(new.encode()),
            point_at(data, at),
            point_at(data, end),
            point_at(new_data, at + len(new.encode())),
            new_text,
        )
        text = new_text
    path.write_text(text)
    fresh = make_index(root, cache="fresh")
    assert index.file(path).symbols == fresh.file(path).symbols  # type: ignore[union-attr]
    assert index.document_tree_sexp(path) == str(_fresh_tree(text))
    assert index.definitions_named("added") == fresh.definitions_named("added")
    assert index.definitions_named("round_money") == {} == fresh.definitions_named("round_money")


def _fresh_tree(text: str):
    from indexing.documents import parse

    return parse("python", text.encode()).root_node


def test_typing_keystroke_by_keystroke_ends_in_the_fresh_tree() -> None:
    """Typing passes through invalid states (where tree-sitter's error recovery may differ from
    a fresh parse); once the text is valid again the incremental tree and symbols equal a fresh one."""
    from indexing.documents import OpenDocument

    source = (Path(__file__).parent / "golden" / "sample.py").read_text()
    document = OpenDocument("python", source.encode())
    generator = random.Random(5)
    text = source
    snippets = [
        "def typed_{n}(a, b='é'):\n    return a + b\n\n",
        "RATE_{n} = 0.5  # café\n",
        "class T{n}:\n    x = 1\n\n",
    ]
    for number in range(12):
        lines = text.split("\n")
        top_level = [i for i, line in enumerate(lines) if line.startswith(("def ", "class ", "MAX"))]
        at = len("\n".join(lines[: generator.choice(top_level)])) + 1
        typed = generator.choice(snippets).format(n=number)
        for length in range(1, len(typed) + 1):
            document.replace((text[:at] + typed[:length] + text[at:]).encode())
        text = text[:at] + typed + text[at:]
        if generator.random() < 0.5:  # and delete a random earlier snippet by selecting its lines
            first = text.find("RATE_")
            if first >= 0:
                text = text[:first] + text[text.index("\n", first) + 1 :]
                document.replace(text.encode())
        assert str(document.tree.root_node) == str(_fresh_tree(text))
        assert document.symbols == analyse("python", text.encode())


@pytest.mark.parametrize(
    "sample", ["sample.py", "sample.js", "sample.go", "Sample.java", "sample.rs", "sample.cpp"]
)
def test_line_edits_keep_symbols_equal_to_a_fresh_extraction(sample: str) -> None:
    """Lines duplicated, deleted and renamed anywhere (the end of a file without its last
    newline too): the re-tagged symbols equal a fresh extraction after every edit."""
    from indexing.documents import OpenDocument
    from indexing.languages import language_for

    language = language_for(sample)
    assert language is not None
    text = (Path(__file__).parent / "golden" / sample).read_text().rstrip("\n")
    document = OpenDocument(language, text.encode())
    generator = random.Random(sample)
    for step in range(40):
        lines = text.split("\n")
        row = generator.randrange(len(lines))
        action = generator.choice(["duplicate", "delete", "rename", "blank"])
        if action == "duplicate":
            lines.insert(row, lines[row])
        elif action == "delete" and len(lines) > 3:
            del lines[row]
        elif action == "rename":
            lines[row] = lines[row].replace("e", f"e{step}", 1)
        else:
            lines.insert(row, "")
        text = "\n".join(lines)
        document.replace(text.encode())
        assert document.symbols == analyse(language, text.encode()), (step, action, row)


def test_diff_edit_finds_the_changed_bytes() -> None:
    edit = diff_edit(b"abc\ndef\n", b"abc\ndXYf\n")
    assert (edit.start_byte, edit.old_end_byte, edit.new_end_byte) == (5, 6, 7)
    assert (edit.start_point, edit.old_end_point, edit.new_end_point) == ((1, 1), (1, 2), (1, 3))


def test_edits_carry_the_inserted_text_or_the_whole_buffer(copy_repo, make_index) -> None:
    root = copy_repo("py_shop")
    path = root / "shop" / "util.py"
    index = make_index(root)
    index.update_document(path, "def a():\n    pass\n")
    index.apply_edit(path, 4, 5, 8, (0, 4), (0, 5), (0, 8), "abcd")  # the inserted text
    assert names(index, path) == ["abcd"]
    whole = "def abcd():\n    pass\n\ndef e(): pass\n"
    end = len(whole.encode())
    index.apply_edit(path, 21, 21, end, (2, 0), (2, 0), (4, 0), whole)  # the whole new buffer
    assert names(index, path) == ["abcd", "e"]
    assert index.lines(path) == whole.splitlines()


def test_a_mismatched_edit_never_corrupts_the_document(copy_repo, make_index, caplog) -> None:
    root = copy_repo("py_shop")
    path = root / "shop" / "util.py"
    index = make_index(root)
    index.update_document(path, "def a():\n    pass\n")
    with caplog.at_level(logging.INFO):
        index.apply_edit(path, 400, 401, 402, (9, 0), (9, 1), (9, 2), "xy")  # beyond the buffer
        assert names(index, path) == ["a"]
        index.apply_edit(path, 0, 1, 1, (0, 0), (0, 1), (0, 1), "def b():\n    pass\n\ndef c(): pass\n")
    assert "outside the indexed buffer" in caplog.text and "re-syncing" in caplog.text
    assert names(index, path) == ["b", "c"]


def test_open_buffer_wins_until_closed(copy_repo, make_index) -> None:
    root = copy_repo("py_shop")
    path = root / "shop" / "util.py"
    index = make_index(root)
    index.update_document(path, "def in_buffer():\n    pass\n")
    index.file_changed(path)  # a save of other content on disk does not override the buffer
    assert names(index, path) == ["in_buffer"]
    assert index.lines(path) == ["def in_buffer():", "    pass"]
    index.close_document(path)
    assert names(index, path) == ["round_money"]
    assert index.definitions_named("in_buffer") == {}


def test_watched_file_events(copy_repo, make_index) -> None:
    root = copy_repo("go_app")
    index = make_index(root)
    new = root / "store" / "audit.go"
    new.write_text("package store\n\nfunc Audit() {}\n")
    index.file_changed(new)
    assert names(index, new) == ["Audit"]
    new.write_text("package store\n\nfunc AuditAll() {}\n")
    index.file_changed(new)
    assert names(index, new) == ["AuditAll"]
    new.unlink()
    index.file_deleted(new)
    assert index.file(new) is None
    assert index.definitions_named("AuditAll") == {}
    index.file_changed(root / "README.md")  # not a source file: ignored, no error
    index.file_deleted(root / "never_existed.go")
    assert index.stats()["files"] == 2


def test_watched_changes_are_persisted(copy_repo, make_index) -> None:
    root = copy_repo("go_app")
    index = make_index(root)
    (root / "store" / "audit.go").write_text("package store\n\nfunc Audit() {}\n")
    index.file_changed(root / "store" / "audit.go")
    index.close()
    restarted = make_index(root)
    assert restarted.stats()["last_build"]["parsed"] == 0
    assert names(restarted, root / "store" / "audit.go") == ["Audit"]


@pytest.mark.parametrize("language_id", ["python", None])
def test_documents_outside_any_language_are_ignored(copy_repo, make_index, language_id) -> None:
    root = copy_repo("py_shop")
    index = make_index(root)
    index.update_document(root / "notes.txt", "hello", language_id=None)
    assert index.file(root / "notes.txt") is None
    index.update_document(root / "script", "def s(): pass\n", language_id=language_id)
    assert (index.file(root / "script") is not None) == (language_id == "python")
